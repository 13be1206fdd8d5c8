//! Authentication and authorization: who a connection belongs to, and what they may call.
//!
//! **Authentication** runs for every HTTP request of an endpoint. The runtime takes the bearer
//! token from `Authorization: Bearer …` or, for browsers that cannot set headers on WebSockets
//! and Server-Sent Events, from the `access_token` query parameter; the application decides
//! what it (or a cookie, or the claims a tower layer left in the request's extensions) means,
//! with a closure ([`HubOptions::authenticate`](crate::HubOptions::authenticate)), an async
//! closure ([`HubOptions::authenticate_async`](crate::HubOptions::authenticate_async)) or an
//! [`Authenticate`] implementation. Tokens are never logged, and the `Debug` output of
//! [`Credentials`] and [`HubCx`](crate::HubCx) leaves them out. The transport requests of a
//! connection must come from the user that negotiated it (403 otherwise); that check compares
//! the ids of the users the authenticator names, so an application that authenticates only in a
//! tower layer should still turn the layer's result into a [`User`] here.
//!
//! **Authorization** is checked per invocation, before the method runs: `#[hub(authorize)]`
//! (any authenticated user), `#[hub(authorize = "role")]`, `#[hub(policy = "name")]` (a
//! [`HubOptions::policy`](crate::HubOptions::policy) registered under that name) or
//! `#[hub(policy = path::to::check)]` (a `fn(&AuthorizationContext) -> bool`), on a method or on
//! the whole trait. A call that fails gets ASP.NET Core's
//! `Failed to invoke '…' because user is unauthorized`. `authorize = "a,b"` is one role named
//! `a,b`, not either of two (write a policy for that). A policy name the endpoint has no policy
//! for refuses every call and is reported at error level when the hub is mounted.
//!
//! ```
//! use signalr_runtime::auth::User;
//! use signalr_runtime::HubOptions;
//!
//! let options = HubOptions::default()
//!     .authenticate(|credentials| match credentials.bearer_token() {
//!         Some("secret-for-ada") => Some(User::new("ada").with_role("admin")),
//!         _ => None,
//!     })
//!     .policy("Staff", |cx| cx.user().is_some_and(|user| user.has_claim("staff", "true")))
//!     .require_authentication(true);
//! ```

mod credentials;
mod policy;
mod user;

pub use credentials::{Authenticate, Authenticated, Credentials};
pub(crate) use credentials::{DynAuthenticate, FromAsyncFn, FromFn, authenticate};
pub(crate) use policy::Policies;
pub use policy::{Authorization, AuthorizationContext};
pub use user::User;
