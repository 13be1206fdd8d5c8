//! From the annotated trait to the model. Reports shape errors only; rules that involve more
//! than one method live in `check`.

use syn::{
    FnArg, GenericArgument, ItemTrait, Pat, PathArguments, ReturnType, TraitItem, TraitItemFn, Type,
};

use crate::attr::{TraitAttrs, take_method_attrs};
use crate::ctxt::Ctxt;
use crate::model::{
    Hooks, HubDef, MethodDef, ParamDef, ReturnShape, StreamShape, TraitKind, doc_text,
};

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
    if let Some((_, span)) = attrs.rules.first().filter(|_| kind == TraitKind::Client) {
        cx.syn_error(syn::Error::new(
            *span,
            "`authorize` and `policy` are for hub traits: clients do not authorize the server",
        ));
    }
    let mut methods = Vec::new();
    let mut hooks = Hooks::default();
    for trait_item in &mut item.items {
        match trait_item {
            TraitItem::Fn(method) if kind == TraitKind::Hub && is_hook(method) => {
                check_hook(cx, method);
                let hook = if method.sig.ident == "on_connected" {
                    &mut hooks.connected
                } else {
                    &mut hooks.disconnected
                };
                *hook = true;
            }
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
        methods,
        hooks,
        rules: attrs.rules.into_iter().map(|(rule, _)| rule).collect(),
        krate: attrs.krate,
    }
}

pub(crate) fn is_hook(method: &TraitItemFn) -> bool {
    method.sig.ident == "on_connected" || method.sig.ident == "on_disconnected"
}

/// A hook's shape: `async fn on_connected(&self, cx: &HubCx) -> HubResult<()>` or
/// `async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>)`; the types are left to
/// rustc, which checks them where the generated `Hub` implementation calls the hook.
fn check_hook(cx: &Ctxt, method: &TraitItemFn) {
    let sig = &method.sig;
    let expected = if sig.ident == "on_connected" { 2 } else { 3 };
    let receiver = matches!(sig.inputs.first(), Some(FnArg::Receiver(receiver)) if receiver.reference.is_some() && receiver.mutability.is_none());
    let context =
        matches!(sig.inputs.iter().nth(1), Some(FnArg::Typed(typed)) if is_context(&typed.ty));
    if sig.asyncness.is_none() || !receiver || !context || sig.inputs.len() != expected {
        let shape = if expected == 2 {
            "`async fn on_connected(&self, cx: &HubCx) -> HubResult<()>`"
        } else {
            "`async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>)`"
        };
        cx.error_spanned_by(
            &sig.ident,
            format!("the lifecycle hook `{}` is {shape}", sig.ident),
        );
    }
    if let Some(default) = &method.default {
        cx.error_spanned_by(default, "hub trait methods cannot have a default body");
    }
}

fn method_def(
    cx: &Ctxt,
    kind: TraitKind,
    attrs: &TraitAttrs,
    method: &mut TraitItemFn,
) -> Option<MethodDef> {
    let method_attrs = take_method_attrs(cx, &mut method.attrs);
    let sig = &method.sig;
    let mut ok = true;
    let mut fail = |tokens: &dyn quote::ToTokens, message: &str| {
        cx.error_spanned_by(tokens, message);
        ok = false;
    };
    let output = return_shape(&sig.output);
    let streams = matches!(output, ReturnShape::Stream(_));
    match (sig.asyncness.is_some(), streams) {
        (true, false) | (false, true) => {}
        (false, false) => fail(
            &sig.fn_token,
            "hub methods must be `async fn` (streaming methods are `fn` returning \
             `impl Stream<Item = T> + Send`)",
        ),
        (true, true) => fail(
            &sig.asyncness,
            "streaming methods are plain `fn` returning `impl Stream<Item = T> + Send`, not `async fn`",
        ),
    }
    if streams && kind == TraitKind::Client {
        fail(&sig.output, "client methods cannot return streams");
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && let Some(unsent) = stream_without_send(ty)
    {
        fail(unsent, "a hub stream must be `Send`: add `+ Send`");
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
            let upload = generic_argument(&typed.ty, "ClientStream");
            if upload.is_some() && kind == TraitKind::Client {
                fail(&typed.ty, "client methods cannot take upload streams");
            }
            params.push(ParamDef {
                ident: pat.ident.clone(),
                ty: (*typed.ty).clone(),
                upload,
            });
        }
    }
    if kind == TraitKind::Client && matches!(output, ReturnShape::Fallible { .. }) {
        fail(
            &sig.output,
            "client methods return their result type itself, not a `Result`: when the client \
             fails, the proxy returns the `HubError`",
        );
    }
    if let Some((_, span)) = method_attrs
        .rules
        .first()
        .filter(|_| kind == TraitKind::Client)
    {
        cx.syn_error(syn::Error::new(
            *span,
            "`authorize` and `policy` are for hub methods: clients do not authorize the server",
        ));
        ok = false;
    }
    let rules = method_attrs
        .rules
        .into_iter()
        .map(|(rule, _)| rule)
        .collect();
    let (wire_name, wire_span) = match method_attrs.name {
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
        rules,
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
    if let Some(shape) = stream_shape(ty) {
        return ReturnShape::Stream(shape);
    }
    match result_ok_type(ty) {
        Some(ok) => ReturnShape::Fallible {
            ok: (!is_unit(&ok)).then_some(ok),
            result: (**ty).clone(),
        },
        None => ReturnShape::Value((**ty).clone()),
    }
}

/// `impl Stream<Item = I>` or `Result<impl Stream<Item = I>, E>`, with `I` either `T` or
/// `Result<T, E2>`.
fn stream_shape(ty: &Type) -> Option<StreamShape> {
    let (stream, start_error) = match impl_stream_item(ty) {
        Some(item) => (item, None),
        None => {
            let ok = result_ok_type(ty)?;
            (impl_stream_item(&ok)?, Some(ty.clone()))
        }
    };
    let (item, item_error) = match result_ok_type(&stream) {
        Some(ok) => (ok, Some(stream.clone())),
        None => (stream, None),
    };
    Some(StreamShape {
        item,
        item_error,
        start_error,
    })
}

/// The `Item` of `impl Stream<Item = Item> + ...`.
fn impl_stream_item(ty: &Type) -> Option<Type> {
    let Type::ImplTrait(bounds) = ty else {
        return None;
    };
    bounds.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let segment = bound
            .path
            .segments
            .last()
            .filter(|segment| segment.ident == "Stream")?;
        let PathArguments::AngleBracketed(args) = &segment.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Item" => Some(assoc.ty.clone()),
            _ => None,
        })
    })
}

/// The `impl Stream` of a return type when it lacks a `Send` bound.
fn stream_without_send(ty: &Type) -> Option<&Type> {
    let stream = match ty {
        Type::ImplTrait(_) => ty,
        Type::Path(path) => {
            path.path
                .segments
                .last()
                .and_then(|segment| match &segment.arguments {
                    PathArguments::AngleBracketed(args) => {
                        args.args.iter().find_map(|arg| match arg {
                            GenericArgument::Type(inner @ Type::ImplTrait(_)) => Some(inner),
                            _ => None,
                        })
                    }
                    _ => None,
                })?
        }
        _ => return None,
    };
    let Type::ImplTrait(bounds) = stream else {
        return None;
    };
    impl_stream_item(stream)?;
    let sends = bounds.bounds.iter().any(|bound| {
        matches!(bound, syn::TypeParamBound::Trait(bound) if bound.path.segments.last().is_some_and(|segment| segment.ident == "Send"))
    });
    (!sends).then_some(stream)
}

/// `T` of a path type `Name<T>` (the last segment called `name`).
fn generic_argument(ty: &Type, name: &str) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path
        .path
        .segments
        .last()
        .filter(|segment| segment.ident == name)?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) => Some(inner.clone()),
        _ => None,
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
