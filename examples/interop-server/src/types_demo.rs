//! `/types`: byte arrays and date-times in the forms .NET clients expect, from
//! `signalr_runtime::types` (not in the official app), for `tests/js/test/types.test.mjs`.
//!
//! The JavaScript client receives [`Binary`] as a base64 string in JSON and a `Uint8Array` in
//! MessagePack, and [`DateTime`] as an ISO 8601 string in JSON and a `Date` in MessagePack; what
//! it sends back in either form reads into the same types. [`Inspection`] reports what the server
//! read in plain numbers and text, so a test can tell a correct read from a consistent misread.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use signalr_runtime::hub;
use signalr_runtime::types::{Binary, DateTime};

/// The bytes [`TypesDemo::bytes`] returns: every base64 alphabet corner (`+`, `/`, padding).
pub(crate) const BYTES: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xfb, 0xfe, 0xff, 0x3e];

/// What the `/types` tests call.
#[hub]
pub(crate) trait TypesDemo {
    /// The eight bytes of `BYTES`.
    async fn bytes(&self) -> Binary;
    /// 2024-02-29T12:34:56.789Z.
    async fn date(&self) -> DateTime;
    /// `DATES_MILLIS`: the MessagePack timestamp forms (32-, 64- and 96-bit), two of each.
    async fn dates(&self) -> Vec<DateTime>;
    /// A struct with both types, and a plain `Vec<u8>` under the `base64` serde helper.
    async fn record(&self) -> Record;
    /// Returns `data` unchanged.
    async fn echo_bytes(&self, data: Binary) -> Binary;
    /// Returns `at` unchanged.
    async fn echo_date(&self, at: DateTime) -> DateTime;
    /// Returns `record` unchanged.
    async fn echo_record(&self, record: Record) -> Record;
    /// What the server read from `data` and `at`.
    async fn inspect(&self, data: Binary, at: DateTime) -> Inspection;
}

/// The `/types` hub. It keeps no state.
#[derive(Debug, Default)]
pub(crate) struct Types;

/// The instants [`TypesDemo::dates`] returns, in milliseconds since the Unix epoch: the
/// 32-bit form (whole seconds, 1970 to 2106), the 64-bit form (with a fraction, or 2106 to
/// 2514) and the 96-bit form (before 1970, or after 2514).
pub(crate) const DATES_MILLIS: [i64; 6] = [
    0,
    1_709_210_096_000,
    1_709_210_096_789,
    4_294_967_296_500,
    -1_500,
    32_503_680_000_000,
];

fn dates() -> Vec<DateTime> {
    DATES_MILLIS
        .iter()
        .filter_map(|&millis| DateTime::from_unix_millis(millis))
        .collect()
}

/// Both types as fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record {
    name: String,
    data: Binary,
    at: DateTime,
    #[serde(with = "signalr_runtime::types::base64")]
    plain: Vec<u8>,
}

/// What the server read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Inspection {
    /// The bytes in lowercase hex.
    hex: String,
    /// The instant, as JavaScript's `Date.getTime()`.
    unix_millis: i64,
    /// The instant in ISO 8601.
    iso: String,
}

impl TypesDemo for Types {
    async fn bytes(&self) -> Binary {
        Binary::from(BYTES)
    }

    async fn date(&self) -> DateTime {
        DateTime::from_unix(1_709_210_096, 789_000_000).unwrap_or_default()
    }

    async fn dates(&self) -> Vec<DateTime> {
        dates()
    }

    async fn record(&self) -> Record {
        Record {
            name: "types".to_owned(),
            data: Binary::from(BYTES),
            at: DateTime::from_unix_millis(-1_500).unwrap_or_default(),
            plain: b"plain".to_vec(),
        }
    }

    async fn echo_bytes(&self, data: Binary) -> Binary {
        data
    }

    async fn echo_date(&self, at: DateTime) -> DateTime {
        at
    }

    async fn echo_record(&self, record: Record) -> Record {
        record
    }

    async fn inspect(&self, data: Binary, at: DateTime) -> Inspection {
        let mut hex = String::with_capacity(data.len() * 2);
        for byte in data.iter() {
            let _ = write!(hex, "{byte:02x}");
        }
        Inspection {
            hex,
            unix_millis: at.unix_millis(),
            iso: at.to_string(),
        }
    }
}

// The interop server builds with feature `schema`: every hub type needs a JSON Schema.

impl schemars::JsonSchema for Record {
    fn schema_name() -> Cow<'static, str> {
        "TypesRecord".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "name": { "type": "string" },
                "data": generator.subschema_for::<Binary>(),
                "at": generator.subschema_for::<DateTime>(),
                "plain": generator.subschema_for::<Binary>(),
            },
            "required": ["name", "data", "at", "plain"],
        })
    }
}

impl schemars::JsonSchema for Inspection {
    fn schema_name() -> Cow<'static, str> {
        "Inspection".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "hex": { "type": "string" },
                "unixMillis": generator.subschema_for::<i64>(),
                "iso": { "type": "string" },
            },
            "required": ["hex", "unixMillis", "iso"],
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use signalr_runtime::contract::Manifest;

    use super::{DATES_MILLIS, TypesDemoContract, dates};

    #[test]
    fn every_date_is_in_range() {
        assert_eq!(dates().len(), DATES_MILLIS.len());
    }

    /// What `signalr-codegen-ts` reads to type the results as `string` (JSON) or
    /// `Uint8Array` / `Date` (MessagePack).
    #[test]
    fn the_contract_describes_the_json_forms() {
        let json = Manifest::new()
            .with::<TypesDemoContract>()
            .to_json()
            .unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&json).unwrap();
        let result = |name: &str| {
            manifest["hubs"][0]["methods"]
                .as_array()
                .unwrap()
                .iter()
                .find(|method| method["name"] == name)
                .unwrap()["result"]["schema"]
                .clone()
        };
        let bytes = json!({ "type": "string", "contentEncoding": "base64" });
        let date = json!({ "type": "string", "format": "date-time" });
        assert_eq!(result("Bytes"), bytes);
        assert_eq!(result("Date"), date);
        assert_eq!(result("Dates"), json!({ "type": "array", "items": date }));
    }
}
