//! A hub and a client trait whose types take every form the generator handles. Nothing
//! implements or calls them: they are here for their contracts.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use signalr_runtime::hub::ClientStream;
use signalr_runtime::protocol::Value;
use signalr_runtime::stream::Stream;
use signalr_runtime::{HubResult, hub, hub_client};

/// A person.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    /// What others see.
    pub(crate) display_name: String,
    /// Written as `null` when unknown.
    pub(crate) age: Option<u32>,
    /// Left out when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nickname: Option<String>,
    /// May be left out by clients.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// A renamed field whose name is no identifier.
    #[serde(rename = "e-mail")]
    pub(crate) email: String,
    /// A nested struct.
    pub(crate) address: Address,
    /// Fields of another struct, inlined.
    #[serde(flatten)]
    pub(crate) audit: Audit,
}

/// Where someone lives.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Address {
    /// Street and number.
    pub(crate) street: String,
    /// Nested once more.
    pub(crate) position: Option<Point>,
}

/// Timestamps of a record, flattened into others.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Audit {
    /// A date-time: ISO 8601 in JSON, a timestamp in MessagePack.
    pub(crate) created_at: Timestamp,
}

/// A point on the plane.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Point {
    /// Across.
    pub(crate) x: f64,
    /// Down.
    pub(crate) y: f64,
}

/// A unit struct (serialized as `null`).
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Nothing;

/// A newtype struct (serialized as its field).
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Meters(pub(crate) f64);

/// A tuple struct (serialized as an array).
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Pair(pub(crate) String, pub(crate) i32);

/// A generic struct; `{T}` in its schema name tells instances apart.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PageOf{T}")]
pub(crate) struct Page<T> {
    /// This page's items.
    pub(crate) items: Vec<T>,
    /// All items on all pages.
    pub(crate) total: u32,
}

/// Unit variants only: a union of strings.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Color {
    /// Warm.
    Red,
    /// Calm.
    DarkGreen,
    /// Renamed by hand.
    #[serde(rename = "BLUE")]
    Blue,
}

/// Externally tagged (serde's default): `{"Circle": {...}}`, or the name of a unit variant.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) enum Shape {
    /// A struct variant.
    Circle {
        /// From the centre.
        radius: f64,
    },
    /// A newtype variant.
    Square(f64),
    /// A tuple variant.
    Rect(f64, f64),
    /// A unit variant.
    Empty,
}

/// Internally tagged: `{"type": "joined", "user": {...}}`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Event {
    /// Someone came.
    Joined {
        /// Who.
        user: User,
    },
    /// Someone went.
    Left {
        /// Their id.
        id: u32,
    },
    /// Nothing happened.
    Idle,
    /// A newtype variant: the struct's fields beside the tag.
    Moved(Point),
}

/// A struct with an enum flattened into it.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Envelope {
    /// Sent when.
    pub(crate) sequence: u32,
    /// The event's fields, inlined beside `sequence`.
    #[serde(flatten)]
    pub(crate) event: Event,
}

/// Adjacently tagged: `{"t": "Move", "c": {...}}`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "t", content = "c")]
pub(crate) enum Command {
    /// A newtype variant.
    Say(String),
    /// A struct variant.
    Move {
        /// Across.
        dx: i32,
        /// Down.
        dy: i32,
    },
    /// A unit variant.
    Quit,
}

/// Untagged and recursive: whichever form matches.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Json {
    /// A number.
    Number(f64),
    /// Some text.
    Text(String),
    /// A list of values.
    List(Vec<Json>),
    /// Named values.
    Object(BTreeMap<String, Json>),
}

/// Bytes: base64 in JSON, `bin` in MessagePack (serialized through a raw MessagePack value,
/// which the runtime transcodes for JSON, as .NET writes `byte[]`).
pub(crate) struct Bytes(pub(crate) Vec<u8>);

/// A UTC date-time: ISO 8601 in JSON, a timestamp extension value in MessagePack (serialized
/// through a raw MessagePack value, which the runtime transcodes for JSON).
pub(crate) struct Timestamp(pub(crate) u32);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut msgpack = vec![0xc4, u8::try_from(self.0.len()).unwrap()];
        msgpack.extend_from_slice(&self.0);
        Value::from_msgpack(&msgpack).unwrap().serialize(serializer)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // timestamp 32: fixext 4 of type -1 with the seconds since 1970.
        let mut msgpack = vec![0xd6, 0xff];
        msgpack.extend_from_slice(&self.0.to_be_bytes());
        Value::from_msgpack(&msgpack).unwrap().serialize(serializer)
    }
}

// Only the server's writing matters to the generated types; reading is here for `#[hub]`.
impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Ok(Bytes(Vec::new()))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Ok(Timestamp(0))
    }
}

impl JsonSchema for Bytes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Bytes".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "contentEncoding": "base64" })
    }
}

impl JsonSchema for Timestamp {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

/// Fields in the forms that change what serde writes or reads.
///
/// Its doc has two paragraphs, and a `*/` that must not end the TSDoc block.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Extras {
    /// Recursive through a box.
    pub(crate) next: Option<Box<Extras>>,
    /// A plain byte vector: an array of numbers in both protocols.
    pub(crate) raw: Vec<u8>,
    /// One character, a string of length one.
    pub(crate) letter: char,
    /// The unit type, written as `null`.
    pub(crate) unit: (),
    /// A map with integer keys: object keys are strings in JSON.
    pub(crate) by_id: HashMap<u32, String>,
    /// A 64-bit integer.
    pub(crate) big: u64,
    /// A 128-bit integer: a number in JSON, 16 bytes in MessagePack.
    pub(crate) huge: i128,
    /// A field named like a keyword.
    #[serde(rename = "default")]
    pub(crate) fallback: bool,
    /// Read from clients, never written back (`writeOnly`).
    #[serde(skip_serializing)]
    pub(crate) secret: String,
    /// Unknown fields, kept: their values are strings, unlike the fields above.
    #[serde(flatten)]
    pub(crate) rest: BTreeMap<String, String>,
}

/// `rename_all` renames the variants (the tags), `rename_all_fields` their fields.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(
    tag = "kind",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
pub(crate) enum Renamed {
    /// A unit variant, only the tag.
    UnitOne,
    /// A struct variant with renamed fields.
    StructTwo {
        /// Renamed to `someField`.
        some_field: u32,
    },
}

/// Untagged with a unit variant (`null`) and a tuple variant (an array).
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Loose {
    /// `null`.
    Nothing,
    /// `[n, "text"]`.
    Pair(u32, String),
    /// `{"a": n}`.
    Named {
        /// A number.
        a: u32,
    },
}

/// Read and written differently: clients receive it without an empty `tags` and with `sentBy`,
/// and must send `tags` but not `sentBy`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Message {
    /// Always there.
    pub(crate) text: String,
    /// Left out of what the server writes when empty, but required from clients (no `default`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tags: Vec<String>,
    /// Set by the server: written, never read (`readOnly`).
    #[serde(skip_deserializing)]
    pub(crate) sent_by: String,
    /// Read from clients, never written back (`writeOnly`).
    #[serde(skip_serializing)]
    pub(crate) token: String,
}

/// Alike in both directions itself, but it holds a `Message`, so it has two forms as well.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Thread {
    /// A heading.
    pub(crate) title: String,
    /// The thread's messages.
    pub(crate) messages: Vec<Message>,
}

/// A hub whose methods use every type form.
///
/// Its second paragraph shows that docs keep their lines.
#[hub]
pub(crate) trait Fixture {
    /// Every primitive; `*/` in a doc comment does not end the TSDoc block.
    async fn primitives(
        &self,
        flag: bool,
        small: u8,
        count: i32,
        ratio: f64,
        name: String,
        letter: char,
    ) -> f32;

    /// Nested structs, flattening, renames.
    async fn structs(&self, user: User, nothing: Nothing, meters: Meters, pair: Pair)
    -> Page<User>;

    /// Two more instances of one generic struct.
    async fn generics(&self, points: Page<Point>) -> Page<String>;

    /// `Option` as a parameter and a result.
    async fn options(&self, maybe: Option<String>, maybe_user: Option<User>) -> Option<i32>;

    /// Sequences, sets, maps with string keys and tuples.
    async fn collections(
        &self,
        list: Vec<String>,
        set: BTreeSet<String>,
        map: BTreeMap<String, Vec<i32>>,
        pair: (String, bool, Point),
    ) -> Vec<Option<User>>;

    /// Every tagging form of enums.
    async fn enums(
        &self,
        color: Color,
        shape: Shape,
        event: Event,
        command: Command,
        json: Json,
        envelope: Envelope,
    ) -> HubResult<Shape>;

    /// 64-bit integers, which need a mapping.
    async fn wide(&self, id: u64, delta: i64) -> usize;

    /// Byte arrays and date-times, typed per protocol.
    async fn bytes_and_dates(&self, blob: Bytes, at: Timestamp) -> Timestamp;

    /// A server-to-client stream.
    fn counter(&self, to: u32) -> impl Stream<Item = u32> + Send;

    /// An upload stream beside a plain parameter.
    async fn upload(&self, prefix: String, lines: ClientStream<String>) -> HubResult<String>;

    /// Uploads and streams at once.
    fn transform(&self, points: ClientStream<Point>) -> impl Stream<Item = Point> + Send;

    /// No parameters and no result.
    async fn nothing(&self);

    /// Parameters named like JavaScript keywords.
    async fn keywords(&self, default: String, function: i32, new: bool);

    /// Serde's less common forms.
    async fn extras(&self, extras: Extras, renamed: Renamed, loose: Loose) -> Extras;

    /// Types read and written differently: sent as `MessageInput`, received as `Message`.
    async fn post(&self, message: Message, thread: Thread) -> Thread;

    /// Streamed items are received.
    fn messages(&self, drafts: ClientStream<Message>) -> impl Stream<Item = Message> + Send;
}

/// What the fixture hub calls on clients.
#[hub_client]
pub(crate) trait FixtureClient {
    /// A plain notification.
    async fn notify(&self, shape: Shape, command: Command);

    /// A client result: the client answers.
    async fn ask(&self, question: String) -> bool;

    /// No arguments.
    async fn ping(&self);

    /// A client receives its arguments (`Message`) and sends its result (`MessageInput`).
    async fn review(&self, message: Message) -> Message;
}
