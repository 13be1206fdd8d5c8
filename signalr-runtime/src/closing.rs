//! How anyone (the hub, a shutdown, the writer) asks one connection to end.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Poll, Waker};

use tokio::sync::Notify;

use crate::protocol::Close;

/// A connection's close request: made at most once, watched by the connection's reader and
/// writer. Cloning shares it.
///
/// Every connection keeps one for its whole life, so it is small: a write-once cell and one
/// `Notify` (tokio's `watch` channel, used before, allocates eight `Notify`s per channel, about
/// 380 bytes).
#[derive(Clone, Default)]
pub(crate) struct Closing(Arc<Shared>);

#[derive(Default)]
struct Shared {
    close: OnceLock<Close>,
    requested: Notify,
}

impl Closing {
    /// Asks the connection to end with `close`; the first request wins.
    pub(crate) fn request(&self, close: Close) {
        if self.0.close.set(close).is_ok() {
            self.0.requested.notify_waiters();
        }
    }

    /// The close asked for, if one was.
    pub(crate) fn requested(&self) -> Option<Close> {
        self.0.close.get().cloned()
    }

    /// Whether a close was asked for: one atomic load, as the reader checks it per message.
    pub(crate) fn is_requested(&self) -> bool {
        self.0.close.get().is_some()
    }

    /// Completes once a close is requested: at once when one was already.
    ///
    /// The reader and the writer poll this beside every message; a registered `Notified` takes
    /// the `Notify`'s lock on each poll, so it is polled again only when the task's waker
    /// changed. In between, the cell says whether the close came.
    pub(crate) async fn wait(&self) {
        // Created before the first check: a request made after this sees it woken.
        let notified = self.0.requested.notified();
        tokio::pin!(notified);
        let mut registered: Option<Waker> = None;
        std::future::poll_fn(|cx| {
            if self.is_requested() {
                return Poll::Ready(());
            }
            if registered
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
            {
                return Poll::Pending;
            }
            registered = Some(cx.waker().clone());
            notified.as_mut().poll(cx)
        })
        .await;
    }
}

impl std::fmt::Debug for Closing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Closing").field(&self.requested()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_request_wins_and_wakes_every_waiter() {
        let closing = Closing::default();
        let (first, second) = (closing.clone(), closing.clone());
        let waiters = [
            tokio::spawn(async move { first.wait().await }),
            tokio::spawn(async move { second.wait().await }),
        ];
        tokio::task::yield_now().await;
        assert!(!closing.is_requested());
        let close = Close {
            error: Some("first".into()),
            allow_reconnect: false,
        };
        closing.request(close.clone());
        closing.request(Close::default());
        for waiter in waiters {
            tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
                .await
                .unwrap()
                .unwrap();
        }
        assert_eq!(closing.requested(), Some(close));
        // A wait that starts after the request completes at once.
        closing.wait().await;
    }

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    impl Counting {
        fn woken(&self) -> usize {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    #[test]
    fn a_wait_polled_by_a_new_waker_wakes_that_one() {
        let closing = Closing::default();
        let (first, second) = (Arc::new(Counting::default()), Arc::new(Counting::default()));
        let (first_waker, second_waker) = (Waker::from(first.clone()), Waker::from(second.clone()));
        let mut wait = Box::pin(closing.wait());
        let mut poll = |waker: &Waker| {
            let mut cx = std::task::Context::from_waker(waker);
            wait.as_mut().poll(&mut cx)
        };
        // The same waker twice (registered once), then another: the task moved.
        assert!(poll(&first_waker).is_pending());
        assert!(poll(&first_waker).is_pending());
        assert!(poll(&second_waker).is_pending());
        closing.request(Close::default());
        assert_eq!((first.woken(), second.woken()), (0, 1));
        assert!(poll(&second_waker).is_ready());
    }
}
