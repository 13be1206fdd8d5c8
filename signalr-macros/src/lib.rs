//! Procedural macros for `signalr-runtime`: `#[hub]` and `#[hub_client]`.
//!
//! Use them through `signalr_runtime`, which re-exports both; the runtime's documentation shows
//! what they generate.

mod attr;
mod check;
mod ctxt;
mod expand;
mod model;
mod naming;
mod parse;
#[cfg(test)]
mod snapshot;

use proc_macro::TokenStream;

use model::TraitKind;

/// Turns a trait into a SignalR hub: a dispatch table, an adapter type implementing
/// `signalr_runtime::Hub`, and `into_hub()` to wrap an implementation.
#[proc_macro_attribute]
pub fn hub(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(TraitKind::Hub, args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Turns a trait into the methods a server may call on clients, with typed proxies for every
/// set of clients (`cx.clients().others().receive_message(..)`).
#[proc_macro_attribute]
pub fn hub_client(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(TraitKind::Client, args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
