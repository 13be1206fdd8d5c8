//! From the annotated trait to the model. Reports shape errors only; rules that involve more
//! than one method live in `check`.

use syn::{
    FnArg, GenericArgument, ItemTrait, Pat, PathArguments, ReturnType, TraitItem, TraitItemFn, Type,
};

use crate::attr::{TraitAttrs, take_method_attrs};
use crate::ctxt::Ctxt;
use crate::model::{HubDef, MethodDef, ParamDef, ReturnShape, TraitKind, doc_text};

/// Builds the model of `item`; errors go to `cx`, and the methods with errors are left out.
pub(crate) fn hub_def(
    cx: &Ctxt,
    kind: TraitKind,
    attrs: TraitAttrs,
    item: &mut ItemTrait,
) -> HubDef {
    if let Some(params) = item.generics.lt_token.map(|_| &item.generics) {
        cx.error_spanned_by(params, "hub traits cannot be generic");
    }
    if let Some(where_clause) = &item.generics.where_clause {
        cx.error_spanned_by(where_clause, "hub traits cannot have a `where` clause");
    }
    let mut methods = Vec::new();
    for trait_item in &mut item.items {
        match trait_item {
            TraitItem::Fn(method) => {
                if let Some(def) = method_def(cx, kind, &attrs, method) {
                    methods.push(def);
                }
            }
            other => cx.error_spanned_by(other, "hub traits may only contain methods"),
        }
    }
    HubDef {
        kind,
        vis: item.vis.clone(),
        ident: item.ident.clone(),
        docs: doc_text(&item.attrs),
        krate: attrs.krate,
        methods,
    }
}

fn method_def(
    cx: &Ctxt,
    kind: TraitKind,
    attrs: &TraitAttrs,
    method: &mut TraitItemFn,
) -> Option<MethodDef> {
    let renamed = take_method_attrs(cx, &mut method.attrs);
    let sig = &method.sig;
    let mut ok = true;
    let mut fail = |tokens: &dyn quote::ToTokens, message: &str| {
        cx.error_spanned_by(tokens, message);
        ok = false;
    };
    if sig.asyncness.is_none() {
        fail(&sig.fn_token, "hub methods must be `async fn`");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        fail(&sig.generics, "hub methods cannot be generic");
    }
    if let Some(variadic) = &sig.variadic {
        fail(variadic, "hub methods cannot be variadic");
    }
    if let Some(default) = &method.default {
        fail(default, "hub trait methods cannot have a default body");
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(receiver))
            if receiver.reference.is_some() && receiver.mutability.is_none() => {}
        Some(FnArg::Receiver(receiver))
            if receiver.reference.is_some() && receiver.mutability.is_some() =>
        {
            fail(
                receiver,
                "hub methods take `&self`, not `&mut self`: one value serves every connection \
                 at once, so keep mutable state behind a lock",
            )
        }
        Some(FnArg::Receiver(receiver)) => fail(receiver, "hub methods take `&self`"),
        _ => fail(
            &sig.ident,
            "hub methods take `&self` as their first parameter",
        ),
    }
    let mut context = None;
    let mut params = Vec::new();
    for (position, input) in inputs.enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        let Pat::Ident(pat) = &*typed.pat else {
            fail(
                &typed.pat,
                "hub method parameters must be plain identifiers",
            );
            continue;
        };
        if position == 0 && kind == TraitKind::Hub && is_context(&typed.ty) {
            context = Some(pat.ident.clone());
        } else if kind == TraitKind::Client && is_context(&typed.ty) {
            fail(
                &typed.ty,
                "client methods cannot take `&HubCx`: the server calls them, with arguments only",
            );
        } else if is_context(&typed.ty) {
            fail(
                &typed.ty,
                "`&HubCx` must be the first parameter after `&self`",
            );
        } else {
            params.push(ParamDef {
                ident: pat.ident.clone(),
                ty: (*typed.ty).clone(),
            });
        }
    }
    let output = return_shape(&sig.output);
    if kind == TraitKind::Client && matches!(output, ReturnShape::Fallible { .. }) {
        fail(
            &sig.output,
            "client methods return their result type itself, not a `Result`: when the client \
             fails, the proxy returns the `HubError`",
        );
    }
    let (wire_name, wire_span) = match renamed {
        Some(name) => (name.value(), name.span()),
        None => (
            attrs.rename_all.apply(&sig.ident.to_string()),
            sig.ident.span(),
        ),
    };
    ok.then(|| MethodDef {
        attrs: method.attrs.clone(),
        ident: sig.ident.clone(),
        docs: doc_text(&method.attrs),
        wire_name,
        wire_span,
        context,
        params,
        output,
    })
}

/// `&HubCx`, `&signalr_runtime::HubCx` and the like.
fn is_context(ty: &Type) -> bool {
    let Type::Reference(reference) = ty else {
        return false;
    };
    let Type::Path(path) = &*reference.elem else {
        return false;
    };
    path.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "HubCx")
}

fn return_shape(output: &ReturnType) -> ReturnShape {
    let ReturnType::Type(_, ty) = output else {
        return ReturnShape::Unit;
    };
    if is_unit(ty) {
        return ReturnShape::Unit;
    }
    match result_ok_type(ty) {
        Some(ok) => ReturnShape::Fallible {
            ok: (!is_unit(&ok)).then_some(ok),
            result: (**ty).clone(),
        },
        None => ReturnShape::Value((**ty).clone()),
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// The `T` of `Result<T, E>` or `HubResult<T>`, recognized by name.
fn result_ok_type(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Result" && segment.ident != "HubResult" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ok) => Some(ok.clone()),
        _ => None,
    }
}
