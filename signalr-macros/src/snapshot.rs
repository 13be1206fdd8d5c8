//! The expansion of one canonical hub and client trait, formatted and compared with the
//! reviewed copy in `tests/snapshots/`. Run with `UPDATE_SNAPSHOTS=1` to rewrite it after a
//! deliberate change, then review the diff.

use quote::quote;

use crate::expand::expand;
use crate::model::TraitKind;

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/chat.expanded.rs"
);

fn expanded() -> String {
    let hub = expand(
        TraitKind::Hub,
        quote!(),
        quote! {
            /// What chat clients may call.
            pub trait Chat {
                /// Everyone receives `ReceiveMessage(user, text)`.
                async fn send_message(&self, cx: &HubCx, user: String, text: String) -> HubResult<()>;
                async fn echo(&self, text: String) -> String;
                #[hub(name = "Roll")]
                async fn roll_die(&self, sides: u32) -> Result<u64, InvalidDie>;
                async fn leave(&self, cx: &HubCx);
                /// The last `count` messages, oldest first.
                fn history(&self, count: u32) -> impl Stream<Item = String> + Send;
                /// Posts every line the client uploads.
                async fn paste(&self, cx: &HubCx, lines: ClientStream<String>) -> HubResult<u32>;
            }
        },
    )
    .unwrap();
    let client = expand(
        TraitKind::Client,
        quote!(),
        quote! {
            /// What the server calls on chat clients.
            pub trait ChatClient {
                async fn receive_message(&self, user: String, text: String);
            }
        },
    )
    .unwrap();
    let mut file: syn::File = syn::parse2(quote!(#hub #client)).unwrap();
    for item in &mut file.items {
        *item = readable_client_items(item.clone());
    }
    format!(
        "// The expansion of #[hub] and #[hub_client] for the chat traits (see src/snapshot.rs).\n\
         // The items given to `__client_items!` (kept only with the runtime's `client` feature)\n\
         // are shown as a module `client_items`, so that they are formatted too.\n\n{}",
        prettyplease::unparse(&file)
    )
}

/// A `__client_items! { .. }` invocation as a module of its items (only for display).
fn readable_client_items(item: syn::Item) -> syn::Item {
    let syn::Item::Macro(call) = &item else {
        return item;
    };
    let is_client_items = call
        .mac
        .path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "__client_items");
    if !is_client_items {
        return item;
    }
    let inner: syn::File = syn::parse2(call.mac.tokens.clone()).unwrap();
    let items = inner.items;
    syn::parse_quote! {
        mod client_items {
            #(#items)*
        }
    }
}

#[test]
fn chat_expansion_matches_the_reviewed_snapshot() {
    let actual = expanded();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    assert!(
        actual == expected,
        "the expansion changed; review it and run with UPDATE_SNAPSHOTS=1\n{actual}"
    );
}
