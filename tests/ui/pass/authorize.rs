//! Per-method authorization: any authenticated user, or a role.

use signalr_runtime::hub::{Authorization, Hub};
use signalr_runtime::hub;

#[hub]
trait Admin {
    async fn open(&self) -> u32;
    #[hub(authorize)]
    async fn members(&self) -> u32;
    #[hub(authorize = "admin", name = "Purge")]
    async fn purge_everything(&self) -> u32;
}

struct Impl;

impl Admin for Impl {
    async fn open(&self) -> u32 {
        0
    }
    async fn members(&self) -> u32 {
        1
    }
    async fn purge_everything(&self) -> u32 {
        2
    }
}

fn main() {
    let methods = <AdminHub<Impl> as Hub>::methods();
    let rules: Vec<_> = methods.iter().map(|method| (method.name(), method.authorization())).collect();
    assert_eq!(
        rules,
        [
            ("Open", None),
            ("Members", Some(Authorization::Authenticated)),
            ("Purge", Some(Authorization::Role("admin"))),
        ]
    );
}
