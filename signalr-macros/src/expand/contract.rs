//! `{Trait}Contract`: the trait's methods as data, for codegen.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use crate::model::{HubDef, MethodDef, ReturnShape, TraitKind, type_text};

pub(super) fn generate(hub: &HubDef) -> TokenStream {
    let krate = &hub.krate;
    let vis = &hub.vis;
    let trait_ident = &hub.ident;
    let contract = format_ident!("{}Contract", hub.ident);
    let name = trait_ident.to_string();
    let docs = &hub.docs;
    let role = match hub.kind {
        TraitKind::Hub => quote!(#krate::contract::Role::Hub),
        TraitKind::Client => quote!(#krate::contract::Role::Client),
    };
    let methods = hub
        .methods
        .iter()
        .map(|method| method_contract(krate, method));
    let doc = format!(
        " The contract of [`{trait_ident}`], generated for codegen: see `signalr_runtime::contract`."
    );
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #contract;

        #[automatically_derived]
        impl #krate::contract::Contract for #contract {
            fn contract(types: &mut #krate::contract::TypeRegistry) -> #krate::contract::HubContract {
                #[allow(unused_imports)]
                use #krate::__private::{WithSchema as _, WithoutSchema as _};
                #krate::contract::HubContract::new(#name, #role, #docs)
                    #(.method(#methods))*
            }
        }
    }
}

fn method_contract(krate: &syn::Path, method: &MethodDef) -> TokenStream {
    let name = &method.wire_name;
    let rust_name = method.ident.to_string();
    let docs = &method.docs;
    let params = method.params.iter().map(|param| {
        let name = param.ident.to_string();
        match &param.upload {
            Some(item) => {
                let ty = type_of(krate, item);
                quote!(.upload(#name, #ty))
            }
            None => {
                let ty = type_of(krate, &param.ty);
                quote!(.param(#name, #ty))
            }
        }
    });
    let kind = match method.output {
        ReturnShape::Stream(_) => quote!(#krate::hub::MethodKind::Stream),
        _ => quote!(#krate::hub::MethodKind::Unary),
    };
    let result = match &method.output {
        ReturnShape::Unit | ReturnShape::Fallible { ok: None, .. } => None,
        ReturnShape::Value(ty) | ReturnShape::Fallible { ok: Some(ty), .. } => {
            Some(type_of(krate, ty))
        }
        ReturnShape::Stream(shape) => Some(type_of(krate, &shape.item)),
    }
    .map(|ty| quote!(.result(#ty)));
    quote! {
        #krate::contract::MethodContract::new(#name, #rust_name, #docs, #kind)
            #(#params)*
            #result
    }
}

/// `T`'s contract: with its schemas when `T` implements `JsonSchema` (and the runtime's `schema`
/// feature is on), without them otherwise, so that a hub compiles whatever features are on and
/// only a generator asked for TypeScript refuses a type it cannot describe.
fn type_of(krate: &syn::Path, ty: &Type) -> TokenStream {
    let text = type_text(ty);
    quote_spanned! {ty.span()=>
        (&#krate::__private::ContractProbe::<#ty>::new()).type_contract(types, #text)
    }
}
