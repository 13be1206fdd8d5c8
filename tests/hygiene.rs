//! The generated code names everything by absolute path: it compiles in a module without the
//! prelude, and with the runtime crate under another name (`#[hub(crate = "..")]`).

// Cargo refuses to depend on one package under two names, so the second name is given here: it
// joins the extern prelude like a renamed dependency would.
extern crate signalr_runtime as renamed_runtime;

mod m {
    #![no_implicit_prelude]

    #[::renamed_runtime::hub(crate = "::renamed_runtime", rename_all = "camelCase")]
    pub(crate) trait Foo {
        async fn send_message(
            &self,
            cx: &::renamed_runtime::HubCx,
            text: ::std::string::String,
        ) -> ::renamed_runtime::HubResult<()>;

        #[hub(name = "Add")]
        async fn add(&self, a: u32, b: u32) -> ::core::result::Result<u64, ::std::fmt::Error>;

        async fn ping(&self);
    }

    #[::renamed_runtime::hub_client(crate = "::renamed_runtime")]
    pub(crate) trait FooClient {
        async fn receive_message(&self, text: ::std::string::String);

        async fn confirm(&self, question: ::std::string::String) -> bool;
    }

    pub(crate) struct Impl;

    impl Foo for Impl {
        async fn send_message(
            &self,
            cx: &::renamed_runtime::HubCx,
            text: ::std::string::String,
        ) -> ::renamed_runtime::HubResult<()> {
            let caller = cx.clients().caller();
            if FooClientProxy::confirm(&caller, ::core::clone::Clone::clone(&text)).await? {
                FooClientProxy::receive_message(&cx.clients().others(), text).await?;
            }
            ::core::result::Result::Ok(())
        }

        async fn add(&self, a: u32, b: u32) -> ::core::result::Result<u64, ::std::fmt::Error> {
            ::core::result::Result::Ok(::core::convert::From::from(a + b))
        }

        async fn ping(&self) {}
    }
}

use m::Foo as _;

#[test]
fn generated_code_uses_only_absolute_paths() {
    let names: Vec<&str> = <m::FooHub<m::Impl> as renamed_runtime::hub::Hub>::methods()
        .iter()
        .map(|method| method.name())
        .collect();
    assert_eq!(names, ["sendMessage", "Add", "ping"]);

    let router = renamed_runtime::SignalR::new().hub("/foo", m::Impl.into_hub());
    let _ = router.into_router();
}

/// The test above cannot see a path that ignores `crate = ".."`: the runtime is in the extern
/// prelude under its own name too. So the macro's sources are read instead: outside comments
/// and `backticked` text, only the default of `crate` may name `signalr_runtime`.
#[test]
fn generated_code_names_the_runtime_only_through_the_crate_option() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../signalr-macros/src");
    let mut pending = vec![root];
    let mut offenders = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("attr.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (number, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                // Every other piece between backticks is quoted prose, not code.
                let code: String = line.split('`').step_by(2).collect();
                if code.contains("signalr_runtime") {
                    offenders.push(format!("{}:{}: {line}", path.display(), number + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "generated code must use the `crate` option's path:\n{}",
        offenders.join("\n")
    );
}
