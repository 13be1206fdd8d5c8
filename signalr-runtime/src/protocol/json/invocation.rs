//! A fast path for the message the JSON protocol carries most: a plain Invocation.
//!
//! Serde's derived reader handles every message type, in any property order, with escapes and
//! unknown properties; it is also most of the cost of a small call (optional fields, a string
//! per key, a vector of raw arguments copied into another). This reader accepts only the common
//! shape — `type` 1, `invocationId`, `target` and `arguments`, strings without escapes, each
//! property once — and says `None` for anything else, which then goes to the full reader. So it
//! never has to produce an error itself, and every error text stays the full reader's.

use serde::Deserialize;
use serde::de::{SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::super::Value;
use super::super::message::{Headers, Invocation};

/// The arguments, read straight into [`Value`]s: no intermediate vector of raw values.
struct Arguments(Vec<Value>);

impl<'de> Deserialize<'de> for Arguments {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items;
        impl<'de> Visitor<'de> for Items {
            type Value = Arguments;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of arguments")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Arguments, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
                    values.push(Value::raw_json(raw));
                }
                Ok(Arguments(values))
            }
        }
        deserializer.deserialize_seq(Items)
    }
}

/// A cursor over one record.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn skip_whitespace(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    /// Consumes `byte` after optional whitespace.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// The bytes of a string without escapes or control characters, which are the full
    /// reader's business; one pass over them.
    fn plain_bytes(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = self.bytes.get(self.at..)?;
        for (len, &byte) in rest.iter().enumerate() {
            match byte {
                b'"' => {
                    self.at += len + 1;
                    return rest.get(..len);
                }
                b'\\' | 0..0x20 => return None,
                _ => {}
            }
        }
        None
    }

    /// A plain string (see [`Cursor::plain_bytes`]) that is valid UTF-8.
    fn plain_string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.plain_bytes()?).ok()
    }

    /// The arguments array, read by serde_json from here; the cursor moves past it.
    fn arguments(&mut self) -> Option<Vec<Value>> {
        self.skip_whitespace();
        let rest = self.bytes.get(self.at..)?;
        if rest.first() != Some(&b'[') {
            return None;
        }
        // A stream reader, for the offset where the array ended.
        let mut reader = serde_json::Deserializer::from_slice(rest).into_iter::<Arguments>();
        let Arguments(values) = reader.next()?.ok()?;
        self.at += reader.byte_offset();
        Some(values)
    }

    fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.at == self.bytes.len()
    }
}

/// Reads `record` if it is a plain Invocation; `None` sends it to the full reader.
pub(super) fn parse(record: &[u8]) -> Option<Invocation> {
    let mut cursor = Cursor {
        bytes: record,
        at: 0,
    };
    cursor.eat(b'{')?;
    let (mut kind, mut id, mut target, mut arguments) = (false, None, None, None);
    loop {
        // Keys are compared as bytes: only these four matter, and they are ASCII.
        let key = cursor.plain_bytes()?;
        cursor.eat(b':')?;
        match key {
            b"type" if !kind => {
                cursor.eat(b'1')?;
                kind = true;
            }
            b"invocationId" if id.is_none() => id = Some(cursor.plain_string()?),
            b"target" if target.is_none() => target = Some(cursor.plain_string()?),
            b"arguments" if arguments.is_none() => arguments = Some(cursor.arguments()?),
            // Another property, or one seen twice (an error the full reader reports).
            _ => return None,
        }
        if cursor.eat(b'}').is_some() {
            break;
        }
        cursor.eat(b',')?;
    }
    // `1` must have been the whole number, not the start of `10` or `1.5`: the next byte was a
    // separator, which the loop checked. Trailing bytes are the full reader's error.
    if !kind || !cursor.at_end() {
        return None;
    }
    let target = target.filter(|target| !target.is_empty())?;
    Some(Invocation {
        headers: Headers::new(),
        // An empty id means "no result wanted", as in the full reader.
        invocation_id: id.filter(|id| !id.is_empty()).map(str::to_owned),
        target: target.to_owned(),
        arguments: arguments?,
        stream_ids: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::HubMessage;

    /// The fast reader either declines or agrees with the full one.
    fn agrees(record: &str) -> bool {
        let fast = parse(record.as_bytes());
        let full = super::super::parse_message(record.as_bytes());
        match (fast, full) {
            (None, _) => false,
            (Some(fast), Ok(Some(HubMessage::Invocation(full)))) => {
                assert_eq!(fast.invocation_id, full.invocation_id, "{record}");
                assert_eq!(fast.target, full.target, "{record}");
                assert_eq!(fast.headers, full.headers, "{record}");
                assert!(full.stream_ids.is_none(), "{record}");
                let args = |values: &[Value]| format!("{values:?}");
                assert_eq!(args(&fast.arguments), args(&full.arguments), "{record}");
                true
            }
            (Some(fast), full) => panic!("{record}: fast {fast:?}, full {full:?}"),
        }
    }

    #[test]
    fn reads_plain_invocations_as_the_full_reader_does() {
        assert!(agrees(
            r#"{"type":1,"invocationId":"7","target":"Echo","arguments":["x"]}"#
        ));
        assert!(agrees(
            r#" { "arguments" : [1, {"a":[2,"]"]}, null] , "target":"Send","type":1 } "#
        ));
        assert!(agrees(
            r#"{"type":1,"invocationId":"","target":"Echo","arguments":[]}"#
        ));
        assert!(agrees(r#"{"type":1,"target":"É","arguments":["\"q\""]}"#));
    }

    #[test]
    fn leaves_everything_else_to_the_full_reader() {
        for record in [
            r#"{"type":10,"target":"Echo","arguments":[]}"#,
            r#"{"type":1.5,"target":"Echo","arguments":[]}"#,
            r#"{"type":4,"invocationId":"1","target":"Echo","arguments":[]}"#,
            r#"{"type":1,"target":"Echo","arguments":[],"streamIds":["a"]}"#,
            r#"{"type":1,"target":"Echo","arguments":[],"headers":{"a":"b"}}"#,
            r#"{"type":1,"target":"Ec\u0068o","arguments":[]}"#,
            r#"{"type":1,"target":"Echo","target":"Echo","arguments":[]}"#,
            r#"{"type":1,"target":"","arguments":[]}"#,
            r#"{"type":1,"target":"Echo"}"#,
            r#"{"target":"Echo","arguments":[]}"#,
            r#"{"type":1,"target":"Echo","arguments":[]} x"#,
            r#"{"type":1,"target":"Echo","arguments":[1,]}"#,
            r#"{"type":1,"target":"Echo","arguments":[],}"#,
            r#"{"type":1,"invocationId":7,"target":"Echo","arguments":[]}"#,
            r#"[1,"7","Echo",[]]"#,
        ] {
            assert!(parse(record.as_bytes()).is_none(), "{record}");
        }
    }
}
