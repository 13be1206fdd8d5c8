//! Authorization: any authenticated user, a role, a named policy or a check function, on a
//! method or on the whole trait.

use signalr_runtime::auth::AuthorizationContext;
use signalr_runtime::hub::{Authorization, Hub};
use signalr_runtime::hub;

fn is_staff(cx: &AuthorizationContext<'_>) -> bool {
    cx.user().is_some_and(|user| user.has_claim("staff", "true"))
}

#[hub]
trait Admin {
    async fn open(&self) -> u32;
    #[hub(authorize)]
    async fn members(&self) -> u32;
    #[hub(authorize = "admin", name = "Purge")]
    async fn purge_everything(&self) -> u32;
    #[hub(policy = "Adults", policy = is_staff)]
    async fn audit(&self) -> u32;
}

#[hub(authorize = "member")]
trait Club {
    async fn enter(&self) -> u32;
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
    async fn audit(&self) -> u32 {
        3
    }
}

impl Club for Impl {
    async fn enter(&self) -> u32 {
        4
    }
}

fn main() {
    let methods = <AdminHub<Impl> as Hub>::methods();
    let rules: Vec<_> = methods
        .iter()
        .map(|method| (method.name(), method.authorization().to_vec()))
        .collect();
    let staff: fn(&AuthorizationContext<'_>) -> bool = is_staff;
    assert_eq!(
        rules,
        [
            ("Open", vec![]),
            ("Members", vec![Authorization::Authenticated]),
            ("Purge", vec![Authorization::Role("admin")]),
            ("Audit", vec![Authorization::Policy("Adults"), Authorization::Check(staff)]),
        ]
    );
    assert!(<AdminHub<Impl> as Hub>::authorization().is_empty());
    assert_eq!(<ClubHub<Impl> as Hub>::authorization(), [Authorization::Role("member")]);
    assert!(<ClubHub<Impl> as Hub>::methods()[0].authorization().is_empty());
}
