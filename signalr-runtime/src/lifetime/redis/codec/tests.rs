//! Golden bytes and hostile input for the backplane codec.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;

const JSON: &str = r#"{"type":1,"target":"ReceiveMessage","arguments":["hi"]}"#;
const SERVER: &str = "web01_0123456789abcdef0123456789abcdef";

/// Bytes from hex pairs and `'quoted'` ASCII runs (without spaces), e.g. `"a4 'json'"`.
fn x(spec: &str) -> Vec<u8> {
    let token = |t: &str| match t.strip_prefix('\'') {
        Some(text) => text.trim_end_matches('\'').as_bytes().to_vec(),
        None => vec![u8::from_str_radix(t, 16).unwrap()],
    };
    spec.split_whitespace().flat_map(token).collect()
}

fn message(entries: &[(&str, &[u8])]) -> SerializedMessage {
    let entry = |&(name, bytes): &(&str, &[u8])| (name.into(), Bytes::copy_from_slice(bytes));
    SerializedMessage {
        entries: entries.iter().map(entry).collect(),
    }
}

/// A json-only invocation of `x` with these exclusions and reply.
fn plain(excluded: &[&str], reply: Option<(&str, &str)>) -> InvocationEnvelope {
    let excluded = excluded.iter().map(|id| id.to_string()).collect();
    let reply = reply.map(|(id, channel)| ReplyTo {
        invocation_id: id.into(),
        channel: channel.into(),
    });
    InvocationEnvelope {
        excluded,
        message: message(&[("json", b"x")]),
        reply,
    }
}

/// REDIS-BACKPLANE.md §2.2: `Clients.All.SendAsync("ReceiveMessage", "hi")`.
fn all_hi() -> (InvocationEnvelope, Vec<u8>) {
    let json = [JSON.as_bytes(), &[0x1e]].concat();
    let mp = x("18 96 01 80 c0 ae 'ReceiveMessage' 91 a2 'hi' 90");
    let envelope = InvocationEnvelope {
        message: message(&[("json", &json), ("messagepack", &mp)]),
        ..plain(&[], None)
    };
    let bytes = [
        x("92 90 82 a4 'json' c4 38"),
        json,
        x("ab 'messagepack' c4 19"),
        mp,
    ]
    .concat();
    (envelope, bytes)
}

fn client_result() -> (InvocationEnvelope, Vec<u8>) {
    let channel = format!("My.Hub:internal:return:{SERVER}");
    let envelope = plain(&[], Some(("AbCdEfGhIjKlMnOpQrSt+/", &channel)));
    (
        envelope,
        x(&format!(
            "94 90 81 a4 'json' c4 01 'x' b6 'AbCdEfGhIjKlMnOpQrSt+/' d9 3d '{channel}'"
        )),
    )
}

/// REDIS-BACKPLANE.md §2.3.
fn group_command(action: GroupAction, group: &str) -> GroupCommand {
    let (server_name, group, connection_id) = (SERVER.into(), group.into(), "abcDEF123".into());
    GroupCommand {
        id: 7,
        server_name,
        action,
        group,
        connection_id,
    }
}

const GROUP_ADD: &str =
    "95 07 d9 26 'web01_0123456789abcdef0123456789abcdef' 01 a5 'room1' a9 'abcDEF123'";
const COMPLETION: &str = "92 ab 'messagepack' c4 0a 08 95 03 80 a2 'id' 03 2a 00";

fn completion() -> CompletionEnvelope {
    let completion = Bytes::from(x("08 95 03 80 a2 'id' 03 2a 00"));
    CompletionEnvelope {
        protocol: "messagepack".into(),
        completion,
    }
}

fn decoders() -> [fn(&[u8]) -> bool; 4] {
    [
        |b| InvocationEnvelope::decode(b).is_ok(),
        |b| GroupCommand::decode(b).is_ok(),
        |b| Ack::decode(b).is_ok(),
        |b| CompletionEnvelope::decode(b).is_ok(),
    ]
}

#[test]
fn golden_payloads_both_ways() {
    let (all, bytes) = all_hi();
    assert_eq!(bytes.len(), 105);
    let decoded = InvocationEnvelope::decode(&bytes).unwrap();
    assert_eq!(
        decoded.message.get("json").unwrap(),
        &[JSON.as_bytes(), &[0x1e]].concat()
    );
    assert_eq!(
        decoded.message.get("messagepack").unwrap(),
        &x("18 96 01 80 c0 ae 'ReceiveMessage' 91 a2 'hi' 90")
    );
    assert_eq!(
        (
            decoded.message.get("blazorpack"),
            decoded.message.get("JSON")
        ),
        (None, None)
    );
    let (client_result, result_bytes) = client_result();
    assert_eq!(
        InvocationEnvelope::decode(&result_bytes)
            .unwrap()
            .message
            .get("messagepack"),
        None
    );
    let except = x("92 92 a5 'conn1' a5 'conn2' 81 a4 'json' c4 01 'x'");
    for (envelope, bytes) in [
        (all, bytes),
        (plain(&["conn1", "conn2"], None), except),
        (client_result, result_bytes),
    ] {
        assert_eq!(envelope.encode().unwrap(), bytes);
        assert_eq!(InvocationEnvelope::decode(&bytes).unwrap(), envelope);
    }

    let group = "g".repeat(40);
    let remove = x(&format!(
        "95 07 d9 26 '{SERVER}' 02 d9 28 '{group}' a9 'abcDEF123'"
    ));
    let add = (group_command(GroupAction::Add, "room1"), x(GROUP_ADD));
    for (command, bytes) in [add, (group_command(GroupAction::Remove, &group), remove)] {
        assert_eq!(command.encode().unwrap(), bytes);
        assert_eq!(GroupCommand::decode(&bytes).unwrap(), command);
    }

    assert_eq!(Ack { id: 7 }.encode(), x("91 07"));
    assert_eq!(Ack::decode(&x("91 07")).unwrap(), Ack { id: 7 });
    assert_eq!(completion().encode().unwrap(), x(COMPLETION));
    assert_eq!(
        CompletionEnvelope::decode(&x(COMPLETION)).unwrap(),
        completion()
    );
}

#[test]
fn ints_are_smallest_when_written_and_any_form_when_read() {
    #[rustfmt::skip]
    let table = [
        (0, "00"), (127, "7f"), (128, "cc 80"), (255, "cc ff"), (256, "cd 01 00"),
        (65_535, "cd ff ff"), (65_536, "ce 00 01 00 00"), (i32::MAX, "ce 7f ff ff ff"),
        (-1, "ff"), (-32, "e0"), (-33, "d0 df"), (-128, "d0 80"), (-129, "d1 ff 7f"),
        (-32_768, "d1 80 00"), (-32_769, "d2 ff ff 7f ff"), (i32::MIN, "d2 80 00 00 00"),
    ];
    for (id, int) in table {
        assert_eq!(Ack { id }.encode(), x(&format!("91 {int}")), "{id}");
        assert_eq!(Ack::decode(&x(&format!("91 {int}"))).unwrap().id, id);
    }
    #[rustfmt::skip]
    let twos = [
        "cc 02", "cd 00 02", "ce 00 00 00 02", "cf 00 00 00 00 00 00 00 02",
        "d0 02", "d1 00 02", "d2 00 00 00 02", "d3 00 00 00 00 00 00 00 02",
    ];
    for two in twos {
        assert_eq!(Ack::decode(&x(&format!("91 {two}"))).unwrap().id, 2);
        let wide = x(&format!(
            "95 {two} d9 26 '{SERVER}' {two} a5 'room1' a9 'abcDEF123'"
        ));
        let expected = GroupCommand {
            id: 2,
            ..group_command(GroupAction::Remove, "room1")
        };
        assert_eq!(GroupCommand::decode(&wide).unwrap(), expected);
    }
    for bad in [
        "91 ce ff ff ff ff",
        "91 ca 00 00 00 00",
        "91 a1 '7'",
        "91 c0",
    ] {
        assert!(Ack::decode(&x(bad)).is_err());
    }
    for unknown in ["00", "03", "ff", "cc ff"] {
        let bytes = x(&format!(
            "95 07 d9 26 '{SERVER}' {unknown} a5 'room1' a9 'abcDEF123'"
        ));
        assert!(GroupCommand::decode(&bytes).is_err());
    }
}

#[test]
fn extra_items_are_skipped_and_three_items_read_as_plain() {
    // {"k": [1, [true, false, nil]]}, fixext4, f64, bin16, array16 [1, map16 {"a": []}], ext8, str8
    let extras = x(
        "81 a1 'k' 92 01 93 c3 c2 c0  d6 05 01 02 03 04  cb 00 00 00 00 00 00 00 00 \
         c5 00 02 aa bb  dc 00 02 01 de 00 01 a1 'a' 90  c7 02 01 aa bb  d9 03 'abc'",
    );
    let with_extras = |count: u8, bytes: &[u8]| [&[count], &bytes[1..], &extras].concat();
    let (envelope, bytes) = client_result();
    assert_eq!(
        InvocationEnvelope::decode(&with_extras(0x9b, &bytes)).unwrap(),
        envelope
    );
    let (envelope, bytes) = all_hi();
    let three = [&[0x93], &bytes[1..], &x("a2 'id'")].concat();
    assert_eq!(InvocationEnvelope::decode(&three).unwrap(), envelope);
    let command = GroupCommand::decode(&with_extras(0x9c, &x(GROUP_ADD))).unwrap();
    assert_eq!(command, group_command(GroupAction::Add, "room1"));
    assert_eq!(
        Ack::decode(&with_extras(0x98, &x("91 07"))).unwrap(),
        Ack { id: 7 }
    );
    let decoded = CompletionEnvelope::decode(&with_extras(0x99, &x(COMPLETION)));
    assert_eq!(decoded.unwrap(), completion());
}

#[test]
fn large_payloads_use_bin16_and_bin32() {
    for (size, header) in [(300, "c5 01 2c"), (70_000, "c6 00 01 11 70")] {
        let payload = vec![0x5a; size];
        let envelope = InvocationEnvelope {
            message: message(&[("messagepack", &payload)]),
            ..plain(&[], None)
        };
        let bytes = envelope.encode().unwrap();
        let head = x(&format!("92 90 81 ab 'messagepack' {header}"));
        assert_eq!(
            (&bytes[..head.len()], bytes.len()),
            (&head[..], head.len() + size)
        );
        assert_eq!(InvocationEnvelope::decode(&bytes).unwrap(), envelope);
        let completion = CompletionEnvelope {
            protocol: "json".into(),
            completion: payload.into(),
        };
        let bytes = completion.encode().unwrap();
        assert!(bytes.starts_with(&x(&format!("92 a4 'json' {header}"))));
        assert_eq!(CompletionEnvelope::decode(&bytes).unwrap(), completion);
    }
}

#[test]
fn nils_and_odd_strings() {
    let decode = |spec: &str| InvocationEnvelope::decode(&x(spec));
    // A nil or empty invocation id, or a nil channel, means no client result.
    for reply in ["c0 a1 'c'", "a0 a1 'c'", "a1 'i' c0"] {
        assert_eq!(
            decode(&format!("94 90 81 a4 'json' c4 01 'x' {reply}")).unwrap(),
            plain(&[], None)
        );
    }
    // A nil exclusion list is empty; nil ids and nil map entries are dropped.
    assert_eq!(
        decode("92 c0 81 a4 'json' c4 01 'x'").unwrap(),
        plain(&[], None)
    );
    let nils = decode("92 92 c0 a1 'a' 83 c0 c4 00 a1 'm' c0 a4 'json' c4 01 'x'").unwrap();
    assert_eq!(nils, plain(&["a"], None));
    // Invalid UTF-8 is replaced, not rejected.
    assert_eq!(
        decode("92 91 a2 ff 'a' 80").unwrap().excluded,
        ["\u{fffd}a"]
    );
    // Strings .NET never writes as null are required, and payloads must be bin, not str.
    let nil_group = x(&format!("95 07 d9 26 '{SERVER}' 01 c0 a9 'abcDEF123'"));
    assert!(GroupCommand::decode(&nil_group).is_err());
    for bad in ["92 a1 'j' c0", "92 c0 c4 00", "92 a1 'j' a1 'x'"] {
        assert!(CompletionEnvelope::decode(&x(bad)).is_err());
    }
    assert!(decode("92 90 81 a1 'j' a1 'x'").is_err());
}

#[test]
fn every_strict_prefix_and_any_trailing_byte_fail() {
    let [invocation, group, ack, complete] = decoders();
    let long = [&[0x93], &all_hi().1[1..], &x("91 81 a1 'k' c0")].concat();
    #[rustfmt::skip]
    let cases = [
        (all_hi().1, invocation), (client_result().1, invocation), (long, invocation),
        (x(GROUP_ADD), group), (x("91 07"), ack), (x("91 d2 00 00 00 07"), ack),
        (x(COMPLETION), complete),
    ];
    for (bytes, decode) in cases {
        assert!(decode(&bytes));
        for end in 0..bytes.len() {
            assert!(
                !decode(&bytes[..end]),
                "prefix of {end} bytes of {bytes:02x?}"
            );
        }
        assert!(!decode(&[&bytes[..], &[0x00]].concat()));
    }
    let error = Ack::decode(&[0x90]).unwrap_err().to_string();
    assert_eq!(error, "Ack: expected an array of at least 1 items, found 0");
}

#[test]
fn garbage_never_panics() {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..20_000_usize {
        // A plausible array header first, so the decoders get past the first byte.
        let mut bytes = vec![0x91 + (round % 5) as u8];
        for _ in 0..round % 48 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(state as u8);
        }
        for decode in decoders() {
            decode(&bytes);
            decode(&bytes[1..]);
        }
    }
    for bytes in ["", "c1", "c0", "80", "95 c1"] {
        assert!(decoders().iter().all(|decode| !decode(&x(bytes))));
    }
}

#[test]
fn hostile_nesting_and_lengths_fail_fast() {
    let deep = vec![0x91; 100_000];
    assert!(decoders().iter().all(|decode| !decode(&deep)));
    let deep_extra = [&x("92 07"), &deep[..]].concat();
    assert!(Ack::decode(&deep_extra).is_err());
    // Just as deep but complete: the skipper does not recurse, so it walks it fine.
    assert_eq!(
        Ack::decode(&[&deep_extra[..], &[0x90]].concat()).unwrap(),
        Ack { id: 7 }
    );
    #[rustfmt::skip]
    let claims = [
        "92 07 dd ff ff ff ff", "92 07 df ff ff ff ff", "92 07 db ff ff ff ff",
        "92 07 c9 ff ff ff ff 01", "dd ff ff ff ff 07", "92 dd ff ff ff ff",
        "92 90 df ff ff ff ff", "92 90 81 db ff ff ff ff", "92 90 81 a1 'j' c6 ff ff ff ff",
    ];
    for bytes in claims {
        assert!(
            decoders().iter().all(|decode| !decode(&x(bytes))),
            "{bytes}"
        );
    }
}

/// The runtime's own encoders, as the backplane publishes with them, write exactly the bytes of
/// REDIS-BACKPLANE.md §2.2: a .NET server reads our broadcasts as its own.
#[test]
fn a_broadcast_serialized_by_our_protocols_is_the_aspnet_core_example_byte_for_byte() {
    use crate::protocol::{HubMessage, Invocation, Protocol, Value};
    let call = HubMessage::Invocation(Invocation::new("ReceiveMessage", vec![Value::new("hi")]));
    let entries = Protocol::ALL
        .iter()
        .map(|protocol| (protocol.name().to_owned(), protocol.encode(&call).unwrap()))
        .collect();
    let envelope = InvocationEnvelope {
        excluded: Vec::new(),
        message: SerializedMessage { entries },
        reply: None,
    };
    let (_, golden) = all_hi();
    assert_eq!(golden.len(), 105);
    assert_eq!(envelope.encode().unwrap(), golden);
}
