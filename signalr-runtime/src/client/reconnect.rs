//! When to try again after a lost connection.

use std::time::Duration;

use super::ClientError;

/// What a [`RetryPolicy`] knows when it decides.
#[derive(Debug)]
#[non_exhaustive]
pub struct RetryContext<'a> {
    /// Attempts made so far in this round of reconnecting (0 before the first).
    pub previous_retries: u32,
    /// Time since the connection was lost.
    pub elapsed: Duration,
    /// Why the connection was lost, or why the last attempt failed.
    pub reason: &'a ClientError,
}

/// Decides whether and when the next reconnect attempt happens.
///
/// ```
/// use std::time::Duration;
/// use signalr_runtime::client::{RetryContext, RetryPolicy};
///
/// /// Every second, for a minute.
/// struct EverySecond;
///
/// impl RetryPolicy for EverySecond {
///     fn next_retry_delay(&self, context: &RetryContext<'_>) -> Option<Duration> {
///         (context.elapsed < Duration::from_secs(60)).then_some(Duration::from_secs(1))
///     }
/// }
/// ```
pub trait RetryPolicy: Send + Sync + 'static {
    /// How long to wait before the next attempt; `None` gives up (the connection closes).
    fn next_retry_delay(&self, context: &RetryContext<'_>) -> Option<Duration>;
}

/// Fixed delays, one per attempt, then give up. The default is ASP.NET Core's: 0, 2, 10 and
/// 30 seconds.
///
/// ```
/// use std::time::Duration;
/// use signalr_runtime::client::DefaultRetryPolicy;
///
/// let quick = DefaultRetryPolicy::new([Duration::ZERO, Duration::from_millis(100)]);
/// # drop(quick);
/// ```
#[derive(Debug, Clone)]
pub struct DefaultRetryPolicy {
    delays: Vec<Duration>,
}

impl DefaultRetryPolicy {
    /// Waits `delays[n]` before attempt `n`, and gives up after the last.
    pub fn new(delays: impl IntoIterator<Item = Duration>) -> Self {
        DefaultRetryPolicy {
            delays: delays.into_iter().collect(),
        }
    }
}

impl Default for DefaultRetryPolicy {
    fn default() -> Self {
        DefaultRetryPolicy::new([0, 2, 10, 30].map(Duration::from_secs))
    }
}

impl RetryPolicy for DefaultRetryPolicy {
    fn next_retry_delay(&self, context: &RetryContext<'_>) -> Option<Duration> {
        let index = usize::try_from(context.previous_retries).ok()?;
        self.delays.get(index).copied()
    }
}

/// Exponential backoff: `initial`, doubled each attempt up to `max`, for at most `give_up_after`.
///
/// ```
/// use std::time::Duration;
/// use signalr_runtime::client::ExponentialBackoff;
///
/// let backoff = ExponentialBackoff::new(Duration::from_millis(100), Duration::from_secs(10))
///     .give_up_after(Duration::from_secs(300));
/// # drop(backoff);
/// ```
#[derive(Debug, Clone)]
pub struct ExponentialBackoff {
    initial: Duration,
    max: Duration,
    give_up_after: Option<Duration>,
}

impl ExponentialBackoff {
    /// Starts at `initial` and never waits longer than `max`; never gives up.
    pub fn new(initial: Duration, max: Duration) -> Self {
        ExponentialBackoff {
            initial,
            max,
            give_up_after: None,
        }
    }

    /// Gives up once the connection has been lost for `limit`.
    #[must_use]
    pub fn give_up_after(mut self, limit: Duration) -> Self {
        self.give_up_after = Some(limit);
        self
    }
}

impl RetryPolicy for ExponentialBackoff {
    fn next_retry_delay(&self, context: &RetryContext<'_>) -> Option<Duration> {
        if self
            .give_up_after
            .is_some_and(|limit| context.elapsed >= limit)
        {
            return None;
        }
        let factor = 2u32.saturating_pow(context.previous_retries.min(31));
        Some(self.initial.saturating_mul(factor).min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(previous_retries: u32, elapsed: Duration) -> (u32, Duration) {
        (previous_retries, elapsed)
    }

    #[test]
    fn policies() {
        let reason = ClientError::ServerTimeout;
        let ask = |policy: &dyn RetryPolicy, (previous_retries, elapsed): (u32, Duration)| {
            policy.next_retry_delay(&RetryContext {
                previous_retries,
                elapsed,
                reason: &reason,
            })
        };
        let default = DefaultRetryPolicy::default();
        assert_eq!(
            ask(&default, context(0, Duration::ZERO)),
            Some(Duration::ZERO)
        );
        assert_eq!(
            ask(&default, context(3, Duration::ZERO)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(ask(&default, context(4, Duration::ZERO)), None);
        let backoff = ExponentialBackoff::new(Duration::from_millis(100), Duration::from_secs(1))
            .give_up_after(Duration::from_secs(5));
        assert_eq!(
            ask(&backoff, context(2, Duration::ZERO)),
            Some(Duration::from_millis(400))
        );
        assert_eq!(
            ask(&backoff, context(40, Duration::ZERO)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(ask(&backoff, context(1, Duration::from_secs(5))), None);
    }
}
