//! The chat hub, written against the runtime's `Hub` trait by hand.

use std::hash::{BuildHasher, Hasher};

use signalr_runtime::HubError;
use signalr_runtime::hub::{Arguments, Hub, HubCx, Method, MethodFuture};
use signalr_runtime::protocol::Value;

/// The chat room. It keeps no state: every message goes straight to the connected clients.
pub(crate) struct ChatRoom;

impl Hub for ChatRoom {
    fn methods() -> Vec<Method<Self>> {
        vec![
            Method::new("SendMessage", send_message),
            Method::new("Echo", echo),
            Method::new("Join", join),
            Method::new("Roll", roll),
            Method::new("GetConnectionId", get_connection_id),
        ]
    }
}

/// `SendMessage(user, text)`: everyone, the sender included, receives `ReceiveMessage(user, text)`.
fn send_message<'a>(_room: &'a ChatRoom, cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        args.expect_count(2)?;
        let user: String = args.decode(0)?;
        let text: String = args.decode(1)?;
        cx.clients()
            .all()
            .send("ReceiveMessage", vec![Value::new(user), Value::new(text)])
            .await?;
        Ok(None)
    })
}

/// `Echo(text)`: returns `text` unchanged.
fn echo<'a>(_room: &'a ChatRoom, _cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        args.expect_count(1)?;
        let text: String = args.decode(0)?;
        Ok(Some(Value::new(text)))
    })
}

/// `Join(name)`: greets the caller and tells everyone else with `UserJoined(name)`.
fn join<'a>(_room: &'a ChatRoom, cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        args.expect_count(1)?;
        let name: String = args.decode(0)?;
        let name = name.trim().to_owned();
        if name.is_empty() {
            return Err(HubError::new("A name is required.").into());
        }
        cx.clients()
            .others()
            .send("UserJoined", vec![Value::new(name.clone())])
            .await?;
        Ok(Some(Value::new(format!("Welcome, {name}!"))))
    })
}

/// A die with no sides: an internal error, whose details only reach clients when detailed
/// errors are on.
#[derive(Debug)]
struct InvalidDie;

impl std::fmt::Display for InvalidDie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a die needs at least one side")
    }
}

impl std::error::Error for InvalidDie {}

/// `Roll(sides)`: a number from 1 to `sides`.
fn roll<'a>(_room: &'a ChatRoom, _cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        args.expect_count(1)?;
        let sides: u32 = args.decode(0)?;
        if sides == 0 {
            return Err(HubError::from(InvalidDie).into());
        }
        // Each RandomState is freshly keyed by the standard library: plenty for a dice game.
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let face = random % u64::from(sides) + 1;
        Ok(Some(Value::new(face)))
    })
}

/// `GetConnectionId()`: the caller's connection id, as negotiate reported it.
fn get_connection_id<'a>(_room: &'a ChatRoom, cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
    Box::pin(async move {
        args.expect_count(0)?;
        Ok(Some(Value::new(cx.connection_id().to_string())))
    })
}
