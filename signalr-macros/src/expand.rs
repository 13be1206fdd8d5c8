//! Orchestrates one expansion: parse, model, check, then the generated items in a fixed order.

mod client;
mod contract;
mod dispatch;
mod proxy;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Item, ItemTrait, ReturnType, TraitItem};

use crate::attr::parse_trait_attrs;
use crate::check::check;
use crate::ctxt::Ctxt;
use crate::model::{HubDef, TraitKind};
use crate::parse::hub_def;

/// Expands `#[hub]` or `#[hub_client]` on `item`.
pub(crate) fn expand(
    kind: TraitKind,
    args: TokenStream,
    item: TokenStream,
) -> syn::Result<TokenStream> {
    let mut item = match syn::parse2::<Item>(item)? {
        Item::Trait(item) => item,
        other => {
            let name = match kind {
                TraitKind::Hub => "hub",
                TraitKind::Client => "hub_client",
            };
            return Err(syn::Error::new_spanned(
                other,
                format!("`#[{name}]` can only be applied to a trait"),
            ));
        }
    };
    let cx = Ctxt::default();
    let attrs = parse_trait_attrs(&cx, args);
    let hub = hub_def(&cx, kind, attrs, &mut item);
    check(&cx, &hub);
    if let Err(errors) = cx.check() {
        // The trait as written (without the helper attributes) stays beside the errors: what
        // it uses stays used, and code naming it finds it, so the macro's errors are the only
        // ones (no "unused import", no "cannot find trait").
        // Methods the model left out for their errors go, so that rustc does not report them
        // a second time.
        item.items.retain(|trait_item| match trait_item {
            TraitItem::Fn(method) => {
                crate::parse::is_hook(method)
                    || hub
                        .methods
                        .iter()
                        .any(|kept| kept.ident == method.sig.ident)
            }
            _ => false,
        });
        let mut output = errors.into_compile_error();
        output.extend(quote::ToTokens::into_token_stream(item));
        return Ok(output);
    }

    let rewritten = rewrite_trait(&hub, item);
    let generated = match kind {
        TraitKind::Hub => dispatch::generate(&hub),
        TraitKind::Client => proxy::generate(&hub),
    };
    let client = match kind {
        TraitKind::Hub => client::hub_proxy(&hub),
        TraitKind::Client => client::client_handlers(&hub),
    };
    let contract = contract::generate(&hub);
    let output = quote! {
        #rewritten
        #generated
        #contract
        #client
    };
    if std::env::var_os("SIGNALR_MACROS_DEBUG").is_some() {
        eprintln!("{output}");
    }
    Ok(output)
}

/// The user's trait as implementors see it: `async fn` becomes `fn -> impl Future + Send` (so
/// generated code may spawn the futures), helper attributes are gone, and a hub trait gains
/// `into_hub`.
fn rewrite_trait(hub: &HubDef, mut item: ItemTrait) -> ItemTrait {
    item.supertraits
        .push(syn::parse_quote!(::core::marker::Send));
    item.supertraits
        .push(syn::parse_quote!(::core::marker::Sync));
    item.supertraits.push(syn::parse_quote!('static));
    for trait_item in &mut item.items {
        let TraitItem::Fn(method) = trait_item else {
            continue;
        };
        let sig = &mut method.sig;
        if sig.asyncness.take().is_none() {
            continue;
        }
        let output = match &sig.output {
            ReturnType::Default => quote!(()),
            ReturnType::Type(_, ty) => quote!(#ty),
        };
        sig.output = syn::parse_quote! {
            -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
        };
    }
    if hub.kind == TraitKind::Client {
        // A server only calls clients through the generated proxies; the trait itself is for
        // clients written in Rust to implement, so a server alone never names it.
        item.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
    }
    if hub.kind == TraitKind::Hub {
        let adapter = adapter_ident(hub);
        let doc = format!(
            " Wraps this implementation into [`{adapter}`], which can be mounted as a hub."
        );
        item.items.push(syn::parse_quote! {
            #[doc = #doc]
            fn into_hub(self) -> #adapter<Self>
            where
                Self: ::core::marker::Sized,
            {
                #adapter(self)
            }
        });
    }
    item
}

/// `ChatHub` for `trait Chat`.
fn adapter_ident(hub: &HubDef) -> syn::Ident {
    format_ident!("{}Hub", hub.ident)
}
