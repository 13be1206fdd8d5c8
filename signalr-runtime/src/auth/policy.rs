//! Authorization: the requirements a hub or method sets, and the named policies an endpoint
//! registers.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::User;
use crate::hub::{Arguments, HubCx};

/// One requirement a caller must meet to call a method: set with `#[hub(authorize)]`,
/// `#[hub(authorize = "role")]` and `#[hub(policy = ..)]`, on a method or on the whole hub
/// trait. All of a method's requirements must hold, the hub's as well as its own.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Authorization {
    /// Any authenticated user.
    Authenticated,
    /// Users with this role.
    Role(&'static str),
    /// The policy registered under this name with
    /// [`HubOptions::policy`](crate::HubOptions::policy); a name the endpoint has no policy
    /// for refuses every call (and is reported when the hub is mounted).
    Policy(&'static str),
    /// A check written as a function, named by path in `#[hub(policy = path::to::check)]`.
    Check(fn(&AuthorizationContext<'_>) -> bool),
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authorization::Authenticated => f.write_str("Authenticated"),
            Authorization::Role(role) => f.debug_tuple("Role").field(role).finish(),
            Authorization::Policy(name) => f.debug_tuple("Policy").field(name).finish(),
            Authorization::Check(_) => f.write_str("Check(<fn>)"),
        }
    }
}

impl PartialEq for Authorization {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Authorization::Authenticated, Authorization::Authenticated) => true,
            (Authorization::Role(a), Authorization::Role(b))
            | (Authorization::Policy(a), Authorization::Policy(b)) => a == b,
            (Authorization::Check(a), Authorization::Check(b)) => std::ptr::fn_addr_eq(*a, *b),
            _ => false,
        }
    }
}

impl Eq for Authorization {}

impl Authorization {
    /// Whether the call described by `context` meets this requirement.
    pub(crate) fn allows(self, context: &AuthorizationContext<'_>, policies: &Policies) -> bool {
        self.allows_user(context.user())
            .unwrap_or_else(|| match self {
                Authorization::Policy(name) => {
                    policies.get(name).is_some_and(|policy| policy(context))
                }
                Authorization::Check(check) => check(context),
                Authorization::Authenticated | Authorization::Role(_) => false,
            })
    }

    /// Whether `user` meets this requirement, for the requirements that need no invocation to
    /// tell (any user, a role); `None` for policies and checks, which see the invocation.
    pub(crate) fn allows_user(self, user: Option<&User>) -> Option<bool> {
        match self {
            Authorization::Authenticated => Some(user.is_some()),
            Authorization::Role(role) => Some(user.is_some_and(|user| user.has_role(role))),
            Authorization::Policy(_) | Authorization::Check(_) => None,
        }
    }

    /// The policy name this requirement needs registered, if any.
    pub(crate) fn policy_name(self) -> Option<&'static str> {
        match self {
            Authorization::Policy(name) => Some(name),
            _ => None,
        }
    }
}

/// What a policy sees of a call: the caller (user, connection, request extensions) and the
/// invocation (method name and arguments, as ASP.NET Core's `HubInvocationContext`).
#[derive(Debug)]
pub struct AuthorizationContext<'a> {
    cx: &'a HubCx,
    method: &'a str,
    arguments: &'a Arguments,
}

impl<'a> AuthorizationContext<'a> {
    pub(crate) fn new(cx: &'a HubCx, method: &'a str, arguments: &'a Arguments) -> Self {
        AuthorizationContext {
            cx,
            method,
            arguments,
        }
    }

    /// The caller's authenticated user, if any.
    pub fn user(&self) -> Option<&'a User> {
        self.cx.user()
    }

    /// The caller's context: connection id, request extensions, items.
    pub fn cx(&self) -> &'a HubCx {
        self.cx
    }

    /// The method's wire name, as the hub declares it.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The call's arguments, still in wire form ([`Arguments::decode`]).
    pub fn arguments(&self) -> &'a Arguments {
        self.arguments
    }
}

/// A named authorization policy: whether a call may go ahead.
pub(crate) type Policy = dyn Fn(&AuthorizationContext<'_>) -> bool + Send + Sync;

/// The policies of an endpoint, by name.
#[derive(Clone, Default)]
pub(crate) struct Policies(HashMap<String, Arc<Policy>>);

impl Policies {
    pub(crate) fn insert(&mut self, name: String, policy: Arc<Policy>) {
        self.0.insert(name, policy);
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Policy> {
        self.0.get(name).map(|policy| &**policy)
    }
}

impl fmt::Debug for Policies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
