//! Dispatch of one invocation through the `#[hub]`-generated method table, against hand-written
//! dispatch of the same methods, measured in the same run:
//!
//! - a hand-written `Hub` implementation (a `match` on the method index, arguments bound by
//!   hand) going through the same runtime dispatcher: what the macro saves you from writing;
//! - a bare `if name.eq_ignore_ascii_case(..)` chain with no runtime at all (no panic guard, no
//!   error texts): the floor;
//! - the generated table with one hub filter that only calls `next`, compiled into the hub
//!   (`Hub::with_filter`) and behind a pointer (`HubOptions::add_filter`): what a filter costs.
//!
//! Run with `cargo bench -p signalr-runtime --bench dispatch`. Prints nanoseconds per
//! invocation (median of several alternating rounds) and the ratios.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use signalr_runtime::__private::{Dispatcher, detached_context};
use signalr_runtime::hub::{
    Arguments, Filtered, Hub, HubFilter, HubInvocation, InvocationResult, InvokeError, MethodInfo,
    Next,
};
use signalr_runtime::protocol::{Completion, Invocation, Outcome, Value};
use signalr_runtime::{HubCx, HubOptions, HubResult, hub};

/// A hub of typical size: the benchmark calls `Echo`, in the middle of the table.
#[hub]
trait Bench {
    async fn send_message(&self, user: String, text: String) -> HubResult<()>;
    async fn join_group(&self, group: String) -> HubResult<()>;
    async fn leave_group(&self, group: String) -> HubResult<()>;
    async fn echo(&self, text: String) -> String;
    async fn add(&self, a: i64, b: i64) -> i64;
    async fn get_connection_id(&self, cx: &HubCx) -> String;
    async fn ping(&self);
    async fn typing(&self, user: String);
}

struct Impl;

impl Bench for Impl {
    async fn send_message(&self, _user: String, _text: String) -> HubResult<()> {
        Ok(())
    }
    async fn join_group(&self, _group: String) -> HubResult<()> {
        Ok(())
    }
    async fn leave_group(&self, _group: String) -> HubResult<()> {
        Ok(())
    }
    async fn echo(&self, text: String) -> String {
        text
    }
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn get_connection_id(&self, cx: &HubCx) -> String {
        cx.connection_id().to_string()
    }
    async fn ping(&self) {}
    async fn typing(&self, _user: String) {}
}

/// The same hub, its `Hub` implementation written by hand.
struct HandHub(Impl);

impl Hub for HandHub {
    fn methods() -> Vec<MethodInfo> {
        [
            "SendMessage",
            "JoinGroup",
            "LeaveGroup",
            "Echo",
            "Add",
            "GetConnectionId",
            "Ping",
            "Typing",
        ]
        .into_iter()
        .map(MethodInfo::new)
        .collect()
    }

    async fn invoke(
        &self,
        index: usize,
        cx: &HubCx,
        args: Arguments,
    ) -> Result<Option<Value>, InvokeError> {
        let hub = &self.0;
        match index {
            0 => {
                args.expect_count(2)?;
                hub.send_message(args.decode(0)?, args.decode(1)?).await?;
                Ok(None)
            }
            1 => {
                args.expect_count(1)?;
                hub.join_group(args.decode(0)?).await?;
                Ok(None)
            }
            2 => {
                args.expect_count(1)?;
                hub.leave_group(args.decode(0)?).await?;
                Ok(None)
            }
            3 => {
                args.expect_count(1)?;
                Ok(Some(Value::new(hub.echo(args.decode(0)?).await)))
            }
            4 => {
                args.expect_count(2)?;
                Ok(Some(Value::new(
                    hub.add(args.decode(0)?, args.decode(1)?).await,
                )))
            }
            5 => Ok(Some(Value::new(hub.get_connection_id(cx).await))),
            6 => {
                hub.ping().await;
                Ok(None)
            }
            7 => {
                args.expect_count(1)?;
                hub.typing(args.decode(0)?).await;
                Ok(None)
            }
            _ => Err(InvokeError::UnknownMethod),
        }
    }
}

/// What one would write without the runtime: compare names one by one, bind, call, complete.
async fn dispatch_by_match(hub: &Impl, cx: &HubCx, call: Invocation) -> Option<Completion> {
    let Invocation {
        invocation_id,
        target,
        arguments,
        ..
    } = call;
    let arg = |index: usize| arguments.get(index).expect("argument");
    let outcome = if target.eq_ignore_ascii_case("SendMessage") {
        hub.send_message(arg(0).decode().unwrap(), arg(1).decode().unwrap())
            .await
            .ok();
        Outcome::Void
    } else if target.eq_ignore_ascii_case("JoinGroup") {
        hub.join_group(arg(0).decode().unwrap()).await.ok();
        Outcome::Void
    } else if target.eq_ignore_ascii_case("LeaveGroup") {
        hub.leave_group(arg(0).decode().unwrap()).await.ok();
        Outcome::Void
    } else if target.eq_ignore_ascii_case("Echo") {
        if arguments.len() != 1 {
            Outcome::Error("Failed to invoke 'Echo' due to an error on the server.".to_owned())
        } else {
            match arg(0).decode::<String>() {
                Ok(text) => Outcome::Value(Value::new(hub.echo(text).await)),
                Err(_) => Outcome::Error(
                    "Failed to invoke 'Echo' due to an error on the server.".to_owned(),
                ),
            }
        }
    } else if target.eq_ignore_ascii_case("Add") {
        Outcome::Value(Value::new(
            hub.add(arg(0).decode().unwrap(), arg(1).decode().unwrap())
                .await,
        ))
    } else if target.eq_ignore_ascii_case("GetConnectionId") {
        Outcome::Value(Value::new(hub.get_connection_id(cx).await))
    } else if target.eq_ignore_ascii_case("Ping") {
        hub.ping().await;
        Outcome::Void
    } else if target.eq_ignore_ascii_case("Typing") {
        hub.typing(arg(0).decode().unwrap()).await;
        Outcome::Void
    } else {
        Outcome::Error(format!(
            "Failed to invoke '{target}' due to an error on the server. HubException: Method does not exist."
        ))
    };
    invocation_id.map(|id| Completion::new(id, outcome))
}

/// A filter that only passes the call on.
struct NoOp;

impl HubFilter for NoOp {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: impl Next<'_>,
    ) -> InvocationResult {
        next.run(invocation).await
    }
}

/// Polls a future that never waits (every method here completes at once).
fn run_now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benchmark's hub methods never wait"),
    }
}

fn call() -> Invocation {
    let mut call = Invocation::new("echo", vec![Value::from_json("\"hello\"").unwrap()]);
    call.invocation_id = Some("1".to_owned());
    call
}

const ITERATIONS: u32 = 200_000;
const ROUNDS: usize = 9;

fn time(mut one: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..ITERATIONS {
        one();
    }
    started.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let hub = Impl.into_hub();
    let hand = HandHub(Impl);
    let dispatcher = Dispatcher::<BenchHub<Impl>>::new();
    let hand_dispatcher = Dispatcher::<HandHub>::new();
    let filtered_dispatcher =
        Dispatcher::<BenchHub<Impl>>::with_options(&HubOptions::default().add_filter(NoOp));
    let compiled_hub = Impl.into_hub().with_filter(NoOp);
    let compiled_dispatcher = Dispatcher::<Filtered<BenchHub<Impl>, NoOp>>::new();
    let cx = detached_context();
    let generated = || {
        black_box(run_now(dispatcher.invoke(&hub, &cx, black_box(call()))));
    };
    let hand_written = || {
        black_box(run_now(hand_dispatcher.invoke(
            &hand,
            &cx,
            black_box(call()),
        )));
    };
    let filtered = || {
        black_box(run_now(filtered_dispatcher.invoke(
            &hub,
            &cx,
            black_box(call()),
        )));
    };
    let compiled = || {
        black_box(run_now(compiled_dispatcher.invoke(
            &compiled_hub,
            &cx,
            black_box(call()),
        )));
    };
    let bare = || {
        black_box(run_now(dispatch_by_match(&hub.0, &cx, black_box(call()))));
    };
    // All must answer the same.
    let expected = format!("{:?}", run_now(dispatch_by_match(&hub.0, &cx, call())));
    assert_eq!(
        format!("{:?}", run_now(dispatcher.invoke(&hub, &cx, call()))),
        expected
    );
    assert_eq!(
        format!("{:?}", run_now(hand_dispatcher.invoke(&hand, &cx, call()))),
        expected
    );
    assert_eq!(
        format!(
            "{:?}",
            run_now(filtered_dispatcher.invoke(&hub, &cx, call()))
        ),
        expected
    );

    assert_eq!(
        format!(
            "{:?}",
            run_now(compiled_dispatcher.invoke(&compiled_hub, &cx, call()))
        ),
        expected
    );

    let (mut table, mut by_hand, mut floor, mut with_filter, mut with_compiled) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        table.push(time(generated));
        by_hand.push(time(hand_written));
        floor.push(time(bare));
        with_filter.push(time(filtered));
        with_compiled.push(time(compiled));
    }
    let spread = |samples: &[f64]| {
        let (min, max) = samples
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
        format!("{min:.1}..{max:.1}")
    };
    let (t, h, b, f, y) = (
        median(table.clone()),
        median(by_hand.clone()),
        median(floor.clone()),
        median(with_filter.clone()),
        median(with_compiled.clone()),
    );
    println!(
        "dispatch of one Echo invocation, {ITERATIONS} iterations x {ROUNDS} alternating rounds"
    );
    println!(
        "  generated #[hub] table    : {t:7.1} ns/op (median; spread {})",
        spread(&table)
    );
    println!(
        "  hand-written Hub impl     : {h:7.1} ns/op (median; spread {})",
        spread(&by_hand)
    );
    println!(
        "  bare match, no runtime    : {b:7.1} ns/op (median; spread {})",
        spread(&floor)
    );
    println!(
        "  + no-op with_filter       : {y:7.1} ns/op (median; spread {})",
        spread(&with_compiled)
    );
    println!(
        "  + no-op add_filter        : {f:7.1} ns/op (median; spread {})",
        spread(&with_filter)
    );
    println!("  ratio generated / hand-written Hub: {:.2}", t / h);
    println!("  ratio with_filter / no filter:      {:.2}", y / t);
    println!("  ratio add_filter / no filter:       {:.2}", f / t);
    println!("  ratio generated / bare match:       {:.2}", t / b);
}
