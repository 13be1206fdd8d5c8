//! The task behind a started connection: runs sessions, reconnects when one is lost and the
//! policy allows, and closes the connection for good otherwise.

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::ClientError;
use super::connection::{ConnectionState, Inner};
use super::reconnect::RetryContext;
use super::session::{self, Runner};

/// Runs until the connection is closed for good.
pub(crate) async fn supervise(inner: Arc<Inner>, mut runner: Runner, stop: CancellationToken) {
    loop {
        let end = runner.run(stop.clone()).await;
        *inner.session.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let policy = match (&inner.config.reconnect, end.error) {
            (Some(policy), Some(error)) if end.may_reconnect && !stop.is_cancelled() => {
                (policy.clone(), error)
            }
            // A transport that ended without an error still counts as lost while connected.
            (Some(policy), None) if end.may_reconnect && !stop.is_cancelled() => (
                policy.clone(),
                ClientError::Transport("the server ended the connection".to_owned()),
            ),
            (_, error) => return close(&inner, error),
        };
        let (policy, reason) = policy;
        match reconnect(&inner, policy.as_ref(), reason, &stop).await {
            Ok(next) => runner = next,
            Err(error) => return close(&inner, error),
        }
    }
}

/// Tries until a session is back (returned) or the policy gives up or `stop` is cancelled
/// (the error to close with).
async fn reconnect(
    inner: &Arc<Inner>,
    policy: &dyn super::RetryPolicy,
    mut reason: ClientError,
    stop: &CancellationToken,
) -> Result<Runner, Option<ClientError>> {
    let lost_at = Instant::now();
    let mut previous_retries = 0;
    let mut reconnecting = false;
    loop {
        let Some(delay) = policy.next_retry_delay(&RetryContext {
            previous_retries,
            elapsed: lost_at.elapsed(),
            reason: &reason,
        }) else {
            return Err(Some(reason));
        };
        // Only once the policy means to try: a policy that gives up at once closes the
        // connection without a reconnecting event, as ASP.NET Core's clients do.
        if !reconnecting {
            reconnecting = true;
            inner.state.send_replace(ConnectionState::Reconnecting);
            inner.events.reconnecting(&reason);
        }
        tokio::select! {
            () = stop.cancelled() => return Err(None),
            () = tokio::time::sleep(delay) => {}
        }
        let attempt = tokio::select! {
            () = stop.cancelled() => return Err(None),
            attempt = session::connect(&inner.config, inner.handlers.clone()) => attempt,
        };
        match attempt {
            Ok((session, runner)) => {
                let id = session.connection_id.clone();
                *inner.session.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
                inner.state.send_replace(ConnectionState::Connected);
                inner.events.reconnected(id.as_deref());
                return Ok(runner);
            }
            Err(error) => {
                reason = error;
                previous_retries = previous_retries.saturating_add(1);
            }
        }
    }
}

/// Records why the connection closed, marks it disconnected, and only then runs the closed
/// callbacks: a callback sees the connection disconnected and may start it again at once.
fn close(inner: &Inner, error: Option<ClientError>) {
    let reason = error.clone();
    *inner
        .close_reason
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = error;
    inner.state.send_replace(ConnectionState::Disconnected);
    inner.events.closed(reason.as_ref());
}
