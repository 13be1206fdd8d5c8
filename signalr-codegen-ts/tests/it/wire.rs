//! What serde really puts on the wire, checked against the generated types: values of the
//! fixture's types are written by the runtime's own JSON and MessagePack writers, turned into
//! TypeScript literals (MessagePack as `@microsoft/signalr-protocol-msgpack` decodes it: `bin`
//! as `Uint8Array`, timestamps as `Date`), and assigned to the generated types in
//! `tests/expected/wire/*.ts`. `tsc --strict` over those files (tests/ts, `npm run typecheck`)
//! fails when a type does not accept what the server writes, or demands a field serde leaves
//! out. This test keeps the files in step with the values (`UPDATE_SNAPSHOTS=1` rewrites them).
//!
//! The JSON file also holds what a client sends: JSON texts that the server's serde reads (or
//! refuses, asserted here), typed as the sent forms (`{Name}Input`); tsc must accept the ones
//! serde reads and reject the ones it refuses (`@ts-expect-error`).

use std::collections::{BTreeMap, HashMap};

use signalr_codegen_ts::{Contract, Int64, Options, Protocol, generate};
use signalr_runtime::protocol::{Protocol as WireProtocol, Value};

use crate::fixture::{
    Address, Audit, Bytes, Color, Command, Envelope, Event, Extras, Json, Loose, Message, Meters,
    Nothing, Page, Pair, Point, Renamed, Shape, Thread, Timestamp, User,
};
use crate::snapshots::{assert_snapshot, expected_dir, fixture_json};

fn user(nickname: Option<&str>, age: Option<u32>, tags: &[&str]) -> User {
    User {
        display_name: "Ada".to_owned(),
        age,
        nickname: nickname.map(str::to_owned),
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        email: "ada@example.com".to_owned(),
        address: Address {
            street: "Main 1".to_owned(),
            position: age.map(|_| Point { x: 1.5, y: -2.0 }),
        },
        audit: Audit {
            created_at: Timestamp(1_700_000_000),
        },
    }
}

fn extras(next: Option<Extras>) -> Extras {
    Extras {
        next: next.map(Box::new),
        raw: vec![0, 255],
        letter: 'λ',
        unit: (),
        by_id: HashMap::from([(7, "seven".to_owned())]),
        big: 1 << 40,
        huge: -5,
        fallback: true,
        secret: "hidden".to_owned(),
        rest: BTreeMap::from([("note".to_owned(), "kept".to_owned())]),
    }
}

/// Each sample: the TypeScript type it must fit (`t.` is the generated folder) and the value.
fn samples() -> Vec<(&'static str, Value)> {
    vec![
        ("t.User", Value::new(user(None, None, &[]))),
        ("t.User", Value::new(user(Some("ada"), Some(36), &["x"]))),
        ("t.Nothing", Value::new(Nothing)),
        ("t.Meters", Value::new(Meters(3.5))),
        ("t.Pair", Value::new(Pair("a".to_owned(), -1))),
        (
            "t.PageOfPoint",
            Value::new(Page {
                items: vec![Point { x: 0.0, y: 1.0 }],
                total: 1,
            }),
        ),
        ("t.Color", Value::new(Color::Red)),
        ("t.Color", Value::new(Color::DarkGreen)),
        ("t.Color", Value::new(Color::Blue)),
        ("t.Shape", Value::new(Shape::Circle { radius: 1.0 })),
        ("t.Shape", Value::new(Shape::Square(2.0))),
        ("t.Shape", Value::new(Shape::Rect(1.0, 2.0))),
        ("t.Shape", Value::new(Shape::Empty)),
        (
            "t.Event",
            Value::new(Event::Joined {
                user: user(None, Some(1), &[]),
            }),
        ),
        ("t.Event", Value::new(Event::Left { id: 4 })),
        ("t.Event", Value::new(Event::Idle)),
        (
            "t.Event",
            Value::new(Event::Moved(Point { x: 1.0, y: 2.0 })),
        ),
        (
            "t.Envelope",
            Value::new(Envelope {
                sequence: 9,
                event: Event::Left { id: 1 },
            }),
        ),
        (
            "t.Envelope",
            Value::new(Envelope {
                sequence: 10,
                event: Event::Moved(Point { x: 0.0, y: 0.0 }),
            }),
        ),
        ("t.Command", Value::new(Command::Say("hi".to_owned()))),
        ("t.Command", Value::new(Command::Move { dx: 1, dy: -1 })),
        ("t.Command", Value::new(Command::Quit)),
        (
            "t.Json",
            Value::new(Json::Object(BTreeMap::from([(
                "list".to_owned(),
                Json::List(vec![Json::Number(1.0), Json::Text("two".to_owned())]),
            )]))),
        ),
        ("t.Bytes", Value::new(Bytes(vec![1, 2, 3]))),
        ("t.Extras", Value::new(extras(Some(extras(None))))),
        ("t.Renamed", Value::new(Renamed::UnitOne)),
        (
            "t.Renamed",
            Value::new(Renamed::StructTwo { some_field: 2 }),
        ),
        ("t.Loose", Value::new(Loose::Nothing)),
        ("t.Loose", Value::new(Loose::Pair(1, "one".to_owned()))),
        ("t.Loose", Value::new(Loose::Named { a: 1 })),
        // Without `tags` (empty, skipped) and with `sentBy` (never read).
        ("t.Message", Value::new(message(&[]))),
        ("t.Message", Value::new(message(&["a"]))),
        (
            "t.Thread",
            Value::new(Thread {
                title: "t".to_owned(),
                messages: vec![message(&[])],
            }),
        ),
    ]
}

fn message(tags: &[&str]) -> Message {
    Message {
        text: "hi".to_owned(),
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        sent_by: "server".to_owned(),
        token: "never written".to_owned(),
    }
}

/// What a client sends, as JSON text: the sent form it must fit, the text, and whether the
/// server's serde reads it.
const SENT: &[(&str, &str, bool)] = &[
    (
        "t.MessageInput",
        r#"{"text": "hi", "tags": [], "token": "t"}"#,
        true,
    ),
    (
        "t.ThreadInput",
        r#"{"title": "t", "messages": [{"text": "hi", "tags": ["a"], "token": "t"}]}"#,
        true,
    ),
    // `position` may be left out: serde reads a missing `Option` as `None`.
    ("t.AddressInput", r#"{"street": "Main 1"}"#, true),
    // `tags` has no `default`: serde refuses a message without it, and so must tsc.
    ("t.MessageInput", r#"{"text": "hi", "token": "t"}"#, false),
];

/// Whether the server reads `json` as the Rust type behind the TypeScript type `ty`.
fn server_reads(ty: &str, json: &str) -> bool {
    match ty {
        "t.MessageInput" => serde_json::from_str::<Message>(json).is_ok(),
        "t.ThreadInput" => serde_json::from_str::<Thread>(json).is_ok(),
        "t.AddressInput" => serde_json::from_str::<Address>(json).is_ok(),
        other => panic!("no Rust type for {other}"),
    }
}

#[test]
fn the_server_reads_exactly_the_sent_samples_marked_so() {
    for (ty, json, reads) in SENT {
        assert_eq!(server_reads(ty, json), *reads, "{ty} {json}");
    }
}

/// The folder of generated types that the samples of `protocol` are checked against.
fn folder(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::MessagePack => "fixture-msgpack",
        _ => "fixture",
    }
}

/// The options of the generated folders: 64-bit integers as numbers, which is what both of the
/// official client's protocols decode them to.
pub(crate) fn options(protocol: Protocol) -> Options {
    Options::default().int64(Int64::Number).protocol(protocol)
}

fn samples_file(protocol: Protocol) -> String {
    let wire = match protocol {
        Protocol::MessagePack => WireProtocol::MessagePack,
        _ => WireProtocol::Json,
    };
    let mut out = format!(
        "// Written by signalr-codegen-ts's tests/it/wire.rs: values of the fixture's types as the \
         server writes them in {protocol}.\n// tsc --strict must accept each as its generated type.\n\n\
         import type * as t from \"../{}/index.js\";\n\n",
        folder(protocol)
    );
    for (index, (ty, value)) in samples().into_iter().enumerate() {
        if ty == "t.Nothing" && wire == WireProtocol::MessagePack {
            // rmp-serde writes a unit struct as an empty array, not as `nil` like `()`: the
            // schema (`"type": "null"`) cannot tell, so the generated `null` is wrong for
            // MessagePack until the runtime's writer writes `nil` (reported, not ours to change).
            continue;
        }
        let mut bytes = Vec::new();
        value.write(wire, &mut bytes).unwrap();
        let literal = if wire == WireProtocol::Json {
            String::from_utf8(bytes).unwrap()
        } else {
            let mut rest = bytes.as_slice();
            let literal = msgpack_literal(&mut rest);
            assert!(rest.is_empty());
            literal
        };
        out.push_str(&format!("export const sample{index}: {ty} = {literal};\n"));
    }
    if wire == WireProtocol::Json {
        out.push_str("\n// What clients send: tsc must accept exactly what serde reads.\n");
        for (index, (ty, json, reads)) in SENT.iter().enumerate() {
            if !reads {
                out.push_str("// @ts-expect-error serde refuses it\n");
            }
            out.push_str(&format!("export const sent{index}: {ty} = {json};\n"));
        }
    }
    out
}

#[test]
fn the_wire_samples_match_their_snapshots() {
    let contract = Contract::from_json(&fixture_json()).unwrap();
    for protocol in [Protocol::Json, Protocol::MessagePack] {
        let output = generate(&contract, &options(protocol)).unwrap();
        let dir = expected_dir().join(folder(protocol));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value == "1") {
            output.write(&dir).unwrap();
        }
        assert_eq!(
            output.stale(&dir).unwrap(),
            Vec::<String>::new(),
            "{protocol}"
        );
        assert_snapshot(
            &expected_dir().join(format!("wire/{protocol}.ts")),
            &samples_file(protocol),
        );
    }
}

/// Takes `n` bytes off `rest`.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    head
}

fn uint(rest: &mut &[u8], n: usize) -> u64 {
    take(rest, n)
        .iter()
        .fold(0, |value, byte| (value << 8) | u64::from(*byte))
}

/// One MessagePack value as the TypeScript literal of what `@msgpack/msgpack` decodes it to.
fn msgpack_literal(rest: &mut &[u8]) -> String {
    use rmp::Marker;
    let marker = Marker::from_u8(take(rest, 1)[0]);
    let signed = |rest: &mut &[u8], n: usize| {
        let value = uint(rest, n);
        let shift = 64 - 8 * n as u32;
        (((value << shift) as i64) >> shift).to_string()
    };
    let string = |rest: &mut &[u8], n: usize| {
        let text = std::str::from_utf8(take(rest, n)).unwrap();
        serde_json::Value::String(text.to_owned()).to_string()
    };
    let array = |rest: &mut &[u8], n: u64| {
        let items: Vec<String> = (0..n).map(|_| msgpack_literal(rest)).collect();
        format!("[{}]", items.join(", "))
    };
    let map = |rest: &mut &[u8], n: u64| {
        let entries: Vec<String> = (0..n)
            .map(|_| {
                let key = msgpack_literal(rest);
                format!("{key}: {}", msgpack_literal(rest))
            })
            .collect();
        format!("{{ {} }}", entries.join(", "))
    };
    let bin = |rest: &mut &[u8], n: usize| {
        let bytes: Vec<String> = take(rest, n).iter().map(u8::to_string).collect();
        format!("new Uint8Array([{}])", bytes.join(", "))
    };
    let ext = |rest: &mut &[u8], n: usize| {
        let kind = take(rest, 1)[0] as i8;
        let data = take(rest, n);
        assert_eq!(kind, -1, "only timestamps are expected");
        let seconds = if data.len() == 4 {
            uint(&mut &data[..], 4)
        } else {
            0
        };
        format!("new Date({})", seconds * 1000)
    };
    match marker {
        Marker::Null => "null".to_owned(),
        Marker::True => "true".to_owned(),
        Marker::False => "false".to_owned(),
        Marker::FixPos(n) => n.to_string(),
        Marker::FixNeg(n) => n.to_string(),
        Marker::U8 => uint(rest, 1).to_string(),
        Marker::U16 => uint(rest, 2).to_string(),
        Marker::U32 => uint(rest, 4).to_string(),
        Marker::U64 => uint(rest, 8).to_string(),
        Marker::I8 => signed(rest, 1),
        Marker::I16 => signed(rest, 2),
        Marker::I32 => signed(rest, 4),
        Marker::I64 => signed(rest, 8),
        Marker::F32 => f32::from_bits(uint(rest, 4) as u32).to_string(),
        Marker::F64 => f64::from_bits(uint(rest, 8)).to_string(),
        Marker::FixStr(n) => string(rest, n.into()),
        Marker::Str8 => {
            let n = uint(rest, 1) as usize;
            string(rest, n)
        }
        Marker::Str16 => {
            let n = uint(rest, 2) as usize;
            string(rest, n)
        }
        Marker::FixArray(n) => array(rest, n.into()),
        Marker::Array16 => {
            let n = uint(rest, 2);
            array(rest, n)
        }
        Marker::FixMap(n) => map(rest, n.into()),
        Marker::Map16 => {
            let n = uint(rest, 2);
            map(rest, n)
        }
        Marker::Bin8 => {
            let n = uint(rest, 1) as usize;
            bin(rest, n)
        }
        Marker::FixExt4 => ext(rest, 4),
        Marker::FixExt8 => ext(rest, 8),
        other => panic!("no sample should need {other:?}"),
    }
}

#[test]
fn msgpack_literals() {
    let literal = |bytes: &[u8]| msgpack_literal(&mut &bytes[..]);
    assert_eq!(literal(&[0x92, 0x01, 0xff]), "[1, -1]");
    assert_eq!(literal(&[0x81, 0xa1, b'a', 0xc0]), "{ \"a\": null }");
    assert_eq!(literal(&[0xc4, 0x02, 0x01, 0x02]), "new Uint8Array([1, 2])");
    assert_eq!(literal(&[0xd0, 0xfe]), "-2");
    assert_eq!(
        literal(&[0xd6, 0xff, 0x00, 0x00, 0x00, 0x02]),
        "new Date(2000)"
    );
}
