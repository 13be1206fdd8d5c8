//! JSON Schemas (the JSON forms; `signalr-codegen-ts` knows the MessagePack ones from them).

use super::{Binary, DateTime};

impl schemars::JsonSchema for Binary {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Binary".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "signalr_runtime::types::Binary".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "contentEncoding": "base64" })
    }
}

impl schemars::JsonSchema for DateTime {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DateTime".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "signalr_runtime::types::DateTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}
