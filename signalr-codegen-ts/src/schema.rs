//! JSON Schemas (as schemars writes them for serde types) to TypeScript types ([`Type`]).
//!
//! serde's data model reaches the schema as: `type` (one or several), `properties` with
//! `required`, `additionalProperties` for maps, `items` and `prefixItems` for sequences and
//! tuples, `const`/`enum` for unit variants and tags, `oneOf`/`anyOf` for enums in each tagging
//! form, `allOf` for combinations, and `$ref` for named types. Each becomes the TypeScript that
//! accepts exactly the JSON serde writes, so tags become discriminants of unions.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::error::{Error, Within as _};
use crate::options::{Int64, Options, Protocol};
use crate::ts::{Field, Keyword, Type, index_signature};
use crate::views::{TypeNames, definition_name};

/// `format`s that schemars gives integers wider than 53 bits (`int`/`uint` are `isize`/`usize`).
const WIDE_INTEGER_FORMATS: &[&str] = &["int64", "uint64", "int128", "uint128", "int", "uint"];

/// Turns schemas into TypeScript types.
#[derive(Debug)]
pub(crate) struct TypeWriter<'a> {
    options: &'a Options,
    /// Definition name to TypeScript name, per direction.
    names: &'a TypeNames,
    /// Whether the schemas at hand describe what clients receive (the server writes them).
    received: bool,
}

impl<'a> TypeWriter<'a> {
    /// A writer for what clients receive; [`TypeWriter::receiving`] switches direction.
    pub(crate) fn new(options: &'a Options, names: &'a TypeNames) -> Self {
        TypeWriter {
            options,
            names,
            received: true,
        }
    }

    /// Sets the direction of the schemas that follow: `true` for what clients receive,
    /// `false` for what they send.
    pub(crate) fn receiving(&mut self, received: bool) -> &mut Self {
        self.received = received;
        self
    }

    /// The TypeScript type of values matching `schema`.
    pub(crate) fn ts(&mut self, schema: &Value) -> Result<Type, Error> {
        match schema {
            Value::Bool(true) => Ok(Type::UNKNOWN),
            Value::Bool(false) => Ok(Type::keyword(Keyword::Never)),
            Value::Object(map) => self.object_schema(map),
            other => Err(Error::new(format!("`{other}` is not a JSON Schema"))),
        }
    }

    fn object_schema(&mut self, map: &Map<String, Value>) -> Result<Type, Error> {
        if let Some(reference) = map.get("$ref") {
            let named = self.reference(reference)?;
            // Beside a `$ref`, properties add fields: an internally tagged newtype variant is
            // the referred struct plus its tag.
            let rest = without(map, &["$ref", "description", "title"]);
            let adds = ["properties", "oneOf", "anyOf", "allOf"]
                .iter()
                .any(|keyword| rest.contains_key(*keyword));
            if !adds {
                return Ok(named);
            }
            return Ok(Type::intersection(vec![named, self.object_schema(&rest)?]));
        }
        if let Some(value) = map.get("const") {
            return Ok(Type::literal(value));
        }
        if let Some(values) = map.get("enum") {
            let values = values
                .as_array()
                .ok_or_else(|| Error::new("`enum` is not an array"))?;
            return Ok(Type::union(values.iter().map(Type::literal).collect()));
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(variants) = map.get(keyword) {
                let variants = self.each(variants, keyword)?;
                let rest = without(map, &[keyword, "description", "title"]);
                return self.with_base(&rest, Type::union(variants));
            }
        }
        if let Some(parts) = map.get("allOf") {
            let parts = self.each(parts, "allOf")?;
            let rest = without(map, &["allOf", "description", "title"]);
            return self.with_base(&rest, Type::intersection(parts));
        }
        match map.get("type") {
            Some(Value::String(ty)) => self.typed(ty, map),
            Some(Value::Array(types)) => {
                let mut members = Vec::with_capacity(types.len());
                for ty in types {
                    let ty = ty
                        .as_str()
                        .ok_or_else(|| Error::new("`type` lists a non-string"))?;
                    members.push(self.typed(ty, map)?);
                }
                Ok(Type::union(members))
            }
            Some(other) => Err(Error::new(format!("unknown `type` {other}"))),
            None if ["properties", "additionalProperties", "patternProperties"]
                .iter()
                .any(|keyword| map.contains_key(*keyword)) =>
            {
                self.typed("object", map)
            }
            None => Ok(Type::UNKNOWN),
        }
    }

    /// `combined` alone, or intersected with what the rest of the schema says.
    fn with_base(&mut self, rest: &Map<String, Value>, combined: Type) -> Result<Type, Error> {
        let constrains = ["type", "properties", "$ref", "const", "enum", "items"]
            .iter()
            .any(|keyword| rest.contains_key(*keyword));
        if !constrains {
            return Ok(combined);
        }
        let base = self.object_schema(rest)?;
        if base == Type::UNKNOWN {
            return Ok(combined);
        }
        Ok(Type::intersection(vec![base, combined]))
    }

    fn each(&mut self, schemas: &Value, keyword: &str) -> Result<Vec<Type>, Error> {
        let schemas = schemas
            .as_array()
            .ok_or_else(|| Error::new(format!("`{keyword}` is not an array")))?;
        let mut out = Vec::with_capacity(schemas.len());
        for (index, schema) in schemas.iter().enumerate() {
            out.push(self.ts(schema).within(|| format!("{keyword}[{index}]"))?);
        }
        Ok(out)
    }

    fn reference(&self, reference: &Value) -> Result<Type, Error> {
        let reference = reference
            .as_str()
            .ok_or_else(|| Error::new("`$ref` is not a string"))?;
        let name = definition_name(reference)?;
        let names = if self.received {
            &self.names.received
        } else {
            &self.names.sent
        };
        let ts = names
            .get(&name)
            .ok_or_else(|| Error::new(format!("`$ref` `{reference}` names no definition")))?;
        Ok(Type::local(ts.clone()))
    }

    /// The type for one JSON type of the schema.
    fn typed(&mut self, ty: &str, map: &Map<String, Value>) -> Result<Type, Error> {
        match ty {
            "null" => Ok(Type::keyword(Keyword::Null)),
            "boolean" => Ok(Type::keyword(Keyword::Boolean)),
            "string" => Ok(self.string(map)),
            "number" => Ok(Type::keyword(Keyword::Number)),
            "integer" => self.integer(map),
            "array" => self.array(map),
            "object" => self.object(map),
            other => Err(Error::new(format!("unknown JSON type `{other}`"))),
        }
    }

    fn string(&self, map: &Map<String, Value>) -> Type {
        let string = Type::keyword(Keyword::String);
        let msgpack = if map.get("format").and_then(Value::as_str) == Some("date-time") {
            "Date"
        } else if map.get("contentEncoding").and_then(Value::as_str) == Some("base64") {
            "Uint8Array"
        } else {
            return string;
        };
        let msgpack = Type::global(msgpack, Vec::new());
        match self.options.protocol_type() {
            Protocol::Json => string,
            Protocol::MessagePack => msgpack,
            Protocol::Both => Type::union(vec![string, msgpack]),
        }
    }

    fn integer(&self, map: &Map<String, Value>) -> Result<Type, Error> {
        let format = map.get("format").and_then(Value::as_str).unwrap_or("");
        if !WIDE_INTEGER_FORMATS.contains(&format) {
            return Ok(Type::keyword(Keyword::Number));
        }
        let mapped = || match self.options.int64_type() {
            Some(Int64::Number) => Ok(Type::keyword(Keyword::Number)),
            Some(Int64::BigInt) => Ok(Type::keyword(Keyword::BigInt)),
            None => Err(Error::new(format!(
                "a 64-bit or wider integer (format `{format}`) does not fit a JavaScript number; \
                 choose a mapping with `--int64 number` or `--int64 bigint` (Options::int64)"
            ))),
        };
        // The runtime's MessagePack writer (rmp-serde) writes 128-bit integers as their 16
        // big-endian bytes, a `bin`; JSON has them as numbers.
        let bytes = matches!(format, "int128" | "uint128");
        let uint8array = || Type::global("Uint8Array", Vec::new());
        match (self.options.protocol_type(), bytes) {
            (Protocol::MessagePack, true) => Ok(uint8array()),
            (Protocol::Both, true) => Ok(Type::union(vec![mapped()?, uint8array()])),
            _ => mapped(),
        }
    }

    fn array(&mut self, map: &Map<String, Value>) -> Result<Type, Error> {
        if let Some(prefix) = map.get("prefixItems") {
            return Ok(Type::Tuple(self.each(prefix, "prefixItems")?));
        }
        let item = match map.get("items") {
            // A tuple in drafts before 2020-12 (schemars' draft-07 settings).
            Some(tuple @ Value::Array(_)) => return Ok(Type::Tuple(self.each(tuple, "items")?)),
            Some(items) => self.ts(items).within(|| "items".to_owned())?,
            None => Type::UNKNOWN,
        };
        Ok(Type::array(item))
    }

    /// An object type, written on one line: `{ a: string; b?: number }`.
    fn object(&mut self, map: &Map<String, Value>) -> Result<Type, Error> {
        let fields: Vec<Field> = self
            .properties(map)?
            .into_iter()
            .map(|property| property.field)
            .collect();
        let extra = self.additional(map)?;
        let index = match (fields.is_empty(), extra) {
            // An index signature, not `Record`, so that recursive types (`Json`) type-check.
            (true, Some(value)) => value,
            (true, None) if map.get("additionalProperties") == Some(&Value::Bool(false)) => {
                return Ok(Type::global(
                    "Record",
                    vec![
                        Type::keyword(Keyword::String),
                        Type::keyword(Keyword::Never),
                    ],
                ));
            }
            (true, None) => Type::UNKNOWN,
            (false, None) => {
                return Ok(Type::Object {
                    fields,
                    index: None,
                });
            }
            (false, Some(value)) => index_signature(&fields, &value),
        };
        Ok(Type::Object {
            fields,
            index: Some(Box::new(index)),
        })
    }

    /// The properties of an object schema, in the contract's (sorted) order.
    pub(crate) fn properties(&mut self, map: &Map<String, Value>) -> Result<Vec<Property>, Error> {
        let Some(properties) = map.get("properties") else {
            return Ok(Vec::new());
        };
        let properties = properties
            .as_object()
            .ok_or_else(|| Error::new("`properties` is not an object"))?;
        let required: BTreeSet<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(properties.len());
        for (name, schema) in properties {
            let field = Field {
                key: name.clone(),
                // A field the schema does not require may be left out: serde reads it as
                // absent (`Option`, `#[serde(default)]`), or writes it only sometimes
                // (`skip_serializing_if`). A `writeOnly` one (`#[serde(skip_serializing)]`)
                // is never written; only a contract without received forms describes it in
                // what clients receive.
                optional: !required.contains(name.as_str())
                    || (self.received && schema.get("writeOnly") == Some(&Value::Bool(true))),
                ty: self.ts(schema).within(|| format!("property `{name}`"))?,
            };
            out.push(Property {
                field,
                docs: description(schema),
            });
        }
        Ok(out)
    }

    /// The type of the values under other keys than the properties: a map's values
    /// (`additionalProperties` that is a schema), or those of its keys' patterns
    /// (`patternProperties`, which schemars writes for maps with integer keys).
    pub(crate) fn additional(&mut self, map: &Map<String, Value>) -> Result<Option<Type>, Error> {
        let mut members = Vec::new();
        match map.get("additionalProperties") {
            None | Some(Value::Bool(false)) => {}
            Some(schema) => members.push(
                self.ts(schema)
                    .within(|| "additionalProperties".to_owned())?,
            ),
        }
        if let Some(patterns) = map.get("patternProperties") {
            let patterns = patterns
                .as_object()
                .ok_or_else(|| Error::new("`patternProperties` is not an object"))?;
            for (pattern, schema) in patterns {
                members.push(
                    self.ts(schema)
                        .within(|| format!("patternProperties `{pattern}`"))?,
                );
            }
        }
        Ok((!members.is_empty()).then(|| Type::union(members)))
    }
}

/// One property of an object schema: the field and its doc comment (which only an interface
/// shows).
#[derive(Debug)]
pub(crate) struct Property {
    pub(crate) field: Field,
    pub(crate) docs: String,
}

/// The `description` of a schema, if it is an object with one.
pub(crate) fn description(schema: &Value) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A copy of `map` without `keys`.
fn without(map: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    map.iter()
        .filter(|(key, _)| !keys.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::ts::type_text;

    fn ts(schema: &Value) -> Result<String, Error> {
        let options = Options::default();
        let names = TypeNames::same(BTreeMap::from([
            ("User".to_owned(), "User".to_owned()),
            ("Page<string>".to_owned(), "Page_string_".to_owned()),
            ("a/b~c d".to_owned(), "a_b_c_d".to_owned()),
        ]));
        TypeWriter::new(&options, &names)
            .ts(schema)
            .map(|ty| type_text(&ty))
    }

    #[test]
    fn shapes() {
        assert_eq!(
            ts(&json!({"type": ["string", "null"]})).unwrap(),
            "string | null"
        );
        assert_eq!(
            ts(&json!({"type": "array", "items": {"anyOf": [{"$ref": "#/$defs/User"}, {"type": "null"}]}}))
                .unwrap(),
            "Array<User | null>"
        );
        assert_eq!(
            ts(&json!({"type": "object", "additionalProperties": {"type": "integer", "format": "int32"}}))
                .unwrap(),
            "{ [key: string]: number }"
        );
        assert_eq!(
            ts(&json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}]}))
                .unwrap(),
            "[string, boolean]"
        );
        assert_eq!(
            ts(&json!({"type": "array", "items": [{"type": "string"}, {"type": "null"}]})).unwrap(),
            "[string, null]"
        );
        assert_eq!(
            ts(&json!({"type": "string", "enum": ["a", "b"]})).unwrap(),
            "\"a\" | \"b\""
        );
        assert_eq!(
            ts(&json!({"type": "object", "properties": {"a|b": {"const": "x|y"}}, "required": []}))
                .unwrap(),
            "{ \"a|b\"?: \"x|y\" }"
        );
        assert_eq!(
            ts(
                &json!({"type": "object", "required": ["a", "b"], "properties": {
                "a": {"type": "string", "writeOnly": true}, "b": {"type": "string"}}})
            )
            .unwrap(),
            "{ a?: string; b: string }"
        );
    }

    #[test]
    fn references_are_uri_fragments() {
        assert_eq!(
            ts(&json!({"$ref": "#/$defs/Page%3Cstring%3E"})).unwrap(),
            "Page_string_"
        );
        assert_eq!(
            ts(&json!({"$ref": "#/$defs/a~1b~0c%20d"})).unwrap(),
            "a_b_c_d"
        );
        assert!(ts(&json!({"$ref": "#/$defs/User%2"})).is_err());
        assert!(ts(&json!({"$ref": "#/$defs/%FF"})).is_err());
    }

    #[test]
    fn maps_with_integer_keys_and_flattened_maps() {
        // `HashMap<u32, String>`: schemars writes the keys' pattern, and no other keys.
        assert_eq!(
            ts(&json!({"type": "object", "additionalProperties": false,
                "patternProperties": {"^\\d+$": {"type": "string"}}}))
            .unwrap(),
            "{ [key: string]: string }"
        );
        // A map flattened into a struct: the index signature admits the fields' types too.
        assert_eq!(
            ts(
                &json!({"type": "object", "additionalProperties": {"type": "string"},
                "properties": {"id": {"type": "integer", "format": "uint32"},
                    "user": {"$ref": "#/$defs/User"}},
                "required": ["id"]})
            )
            .unwrap(),
            "{ id: number; user?: User; [key: string]: string | number | User | undefined }"
        );
    }

    #[test]
    fn wide_integers_need_a_mapping() {
        let error = ts(&json!({"type": "integer", "format": "uint64"})).unwrap_err();
        assert!(error.message().contains("--int64"), "{error}");
        let error = ts(&json!({"type": "array", "items": {"type": "integer", "format": "int64"}}))
            .unwrap_err();
        assert!(error.to_string().starts_with("items: "), "{error}");
        assert_eq!(
            ts(&json!({"type": "integer", "format": "uint32"})).unwrap(),
            "number"
        );
        let names = TypeNames::default();
        let msgpack = Options::default().protocol(Protocol::MessagePack);
        let both = Options::default()
            .protocol(Protocol::Both)
            .int64(Int64::Number);
        let u128 = json!({"type": "integer", "format": "uint128"});
        let ts_for = |options: &Options| {
            TypeWriter::new(options, &names)
                .ts(&u128)
                .map(|ty| type_text(&ty))
        };
        assert_eq!(ts_for(&msgpack).unwrap(), "Uint8Array");
        assert_eq!(ts_for(&both).unwrap(), "number | Uint8Array");
    }
}
