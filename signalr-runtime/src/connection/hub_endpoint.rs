//! Everything the connections of one hub path share.

use std::sync::Arc;

use crate::HubOptions;
use crate::hub::dispatch::MethodTable;
use axum::http::StatusCode;

use crate::auth::{Authorization, User};
use crate::hub::{Filters, Hub};
use crate::lifetime::HubLifetimeManager;
use crate::shutdown::Shutdown;

/// A hub mounted at one path: the hub, its method table, its settings, the lifetime manager of
/// its hub type, and the shutdown that tracks its connections.
pub(crate) struct HubEndpoint<H> {
    /// The hub's requirements checked before a connection starts (see [`HubEndpoint::admits`]).
    door: Vec<Authorization>,
    /// The path the hub is mounted at.
    pub(crate) path: Arc<str>,
    pub(crate) hub: H,
    pub(crate) methods: MethodTable<H>,
    pub(crate) options: HubOptions,
    pub(crate) manager: Arc<dyn HubLifetimeManager>,
    pub(crate) shutdown: Shutdown,
}

impl<H: Hub> HubEndpoint<H> {
    /// A hub endpoint at `path` whose connections join `manager` (shared by every path of one
    /// hub type); its invocations pass the global filters, then those of `options`.
    pub(crate) fn new(
        path: &str,
        hub: H,
        options: HubOptions,
        manager: Arc<dyn HubLifetimeManager>,
        shutdown: Shutdown,
        global_filters: &Filters,
    ) -> Self {
        // The hub's own requirements that need no invocation are checked at the door, as
        // ASP.NET Core checks `[Authorize]` on a hub class; policies and checks, which see the
        // invocation, run for every call.
        let door = H::authorization()
            .into_iter()
            .filter(|rule| rule.allows_user(None).is_some())
            .collect();
        let filters = global_filters
            .iter()
            .chain(&options.filters)
            .cloned()
            .collect();
        HubEndpoint {
            door,
            path: path.into(),
            hub,
            methods: MethodTable::new(path, &options, filters),
            options,
            manager,
            shutdown,
        }
    }

    /// Whether `user` may connect: 401 for an anonymous request to a hub that needs a user, 403
    /// for a user without a role the hub requires.
    pub(crate) fn admits(&self, user: Option<&User>) -> Result<(), StatusCode> {
        let refused = self
            .door
            .iter()
            .any(|rule| rule.allows_user(user) == Some(false));
        match (refused, user) {
            (false, _) => Ok(()),
            (true, None) => Err(StatusCode::UNAUTHORIZED),
            (true, Some(_)) => Err(StatusCode::FORBIDDEN),
        }
    }
}
