//! The invocation chain of the filters a hub keeps behind pointers ([`HubOptions::add_filter`],
//! [`SignalR::add_filter`]): each filter's future is boxed, and so is the hub method's at the
//! end, as neither type is known where the chain is built.
//!
//! [`HubOptions::add_filter`]: crate::HubOptions::add_filter
//! [`SignalR::add_filter`]: crate::SignalR::add_filter

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;

use super::{DynHubFilter, HubInvocation, InvocationResult, Next, sealed};
use crate::hub::{HubCx, InvokeError, ItemStream, no_items};

/// What ends a [`Chain`]: the hub method.
pub(crate) trait InvocationTarget: Sync {
    fn call<'a>(&'a self, invocation: HubInvocation<'a>) -> BoxFuture<'a, InvocationResult>;
}

/// The rest of a chain of filters behind pointers, ending with a hub method.
pub(crate) struct Chain<'a> {
    filters: &'a [Arc<dyn DynHubFilter>],
    target: &'a dyn InvocationTarget,
    /// The caller's context, which every step's invocation borrows.
    cx: &'a HubCx,
}

impl<'a> Chain<'a> {
    pub(crate) fn new(
        filters: &'a [Arc<dyn DynHubFilter>],
        target: &'a dyn InvocationTarget,
        cx: &'a HubCx,
    ) -> Self {
        Chain {
            filters,
            target,
            cx,
        }
    }

    /// Runs the next filter, or the method after the last one.
    pub(crate) fn run(self, invocation: HubInvocation<'_>) -> BoxFuture<'a, InvocationResult> {
        // The same invocation, borrowing for as long as the chain (a filter may hand on one
        // that borrows for less).
        let invocation =
            HubInvocation::new(self.cx, invocation.method(), invocation.into_arguments());
        match self.filters.split_first() {
            Some((filter, rest)) => {
                let next = Chain::new(rest, self.target, self.cx);
                filter.on_invocation_boxed(invocation, next)
            }
            None => self.target.call(invocation),
        }
    }
}

impl sealed::Sealed for Chain<'_> {}

impl<'a> Next<'a> for Chain<'a> {
    fn run(
        self,
        invocation: HubInvocation<'_>,
    ) -> impl Future<Output = InvocationResult> + Send + use<'a> {
        Chain::run(self, invocation)
    }
}

impl fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("filters_left", &self.filters.len())
            .finish_non_exhaustive()
    }
}

/// A streaming method at the end of a chain: the chain ends once the stream has opened, and the
/// stream is kept here for the caller.
#[derive(Default)]
pub(crate) struct Opening<'a> {
    opened: Mutex<Option<ItemStream<'a>>>,
}

impl<'a> Opening<'a> {
    /// Opens the stream: the chain's end sees `Ok(None)`, or why it could not open.
    pub(crate) async fn open(
        &self,
        items: impl Future<Output = Result<ItemStream<'a>, InvokeError>>,
    ) -> InvocationResult {
        let items = items.await?;
        *self.opened.lock().unwrap_or_else(PoisonError::into_inner) = Some(items);
        Ok(None)
    }

    /// The stream opened; an empty one if a filter answered without running the method.
    pub(crate) fn take(&self) -> ItemStream<'a> {
        let opened = self
            .opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        opened.unwrap_or_else(no_items)
    }
}
