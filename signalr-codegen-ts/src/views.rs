//! The two views of the contract's named types: as the server reads them (what clients send,
//! `definitions`) and as it writes them (what clients receive, `outputDefinitions` where it has
//! the name, else `definitions`), and the TypeScript names each view's `$ref`s resolve to.
//!
//! A type whose views differ, or that refers to one whose views differ, is emitted twice: the
//! received form under its plain name, the sent form under `{Name}Input`. Any other type is
//! emitted once, under its plain name, for both directions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::contract::Contract;
use crate::error::Error;
use crate::names;

/// One `export`ed type of `types.ts`.
#[derive(Debug)]
pub(crate) struct Declaration<'a> {
    /// The definition's name in the contract.
    pub(crate) name: &'a str,
    /// Its TypeScript name.
    pub(crate) ts_name: String,
    pub(crate) schema: &'a Value,
    /// Whether this is the form clients receive (its `$ref`s resolve in the received view).
    pub(crate) received: bool,
}

/// Definition name to TypeScript name, per direction.
#[derive(Debug, Default)]
pub(crate) struct TypeNames {
    /// For `$ref`s of what clients send.
    pub(crate) sent: BTreeMap<String, String>,
    /// For `$ref`s of what clients receive.
    pub(crate) received: BTreeMap<String, String>,
}

impl TypeNames {
    /// The same names in both directions (a contract with one view).
    #[cfg(test)]
    pub(crate) fn same(names: BTreeMap<String, String>) -> Self {
        TypeNames {
            sent: names.clone(),
            received: names,
        }
    }
}

/// The declarations of `types.ts`, sorted by definition name (the received form first), and the
/// names that `$ref`s resolve to, checked to be distinct.
pub(crate) fn declarations(
    contract: &Contract,
) -> Result<(Vec<Declaration<'_>>, TypeNames), Error> {
    let sent = &contract.definitions;
    let received: BTreeMap<&String, &Value> =
        sent.iter().chain(&contract.output_definitions).collect();
    let split = split(contract, &received)?;
    let mut declarations = Vec::new();
    let mut names = TypeNames::default();
    let mut taken = BTreeMap::new();
    for (name, schema) in &received {
        let ts = names::identifier(name);
        let mut claim = |ts: String| match taken.insert(ts.clone(), (*name).clone()) {
            Some(other) => Err(Error::new(format!(
                "types `{other}` and `{name}` would both be `{ts}` in TypeScript"
            ))),
            None => Ok(ts),
        };
        let ts = claim(ts)?;
        names.received.insert((*name).clone(), ts.clone());
        declarations.push(Declaration {
            name,
            ts_name: ts.clone(),
            schema,
            received: true,
        });
        let Some(sent_schema) = sent.get(*name) else {
            continue;
        };
        if split.contains(name.as_str()) {
            let input = claim(format!("{ts}Input"))?;
            names.sent.insert((*name).clone(), input.clone());
            declarations.push(Declaration {
                name,
                ts_name: input,
                schema: sent_schema,
                received: false,
            });
        } else {
            names.sent.insert((*name).clone(), ts);
        }
    }
    Ok((declarations, names))
}

/// The names whose two views differ, directly or through the types they refer to.
fn split<'a>(
    contract: &'a Contract,
    received: &BTreeMap<&'a String, &'a Value>,
) -> Result<BTreeSet<&'a str>, Error> {
    let mut split: BTreeSet<&str> = BTreeSet::new();
    let mut refers: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, sent) in &contract.definitions {
        let Some(output) = received.get(name) else {
            continue;
        };
        if sent != *output {
            split.insert(name);
        }
        let mut targets = BTreeSet::new();
        references(sent, &mut targets)?;
        references(output, &mut targets)?;
        refers.insert(name, targets);
    }
    // Until nothing changes: a type that refers to a split type is split too.
    loop {
        let more: Vec<&str> = refers
            .iter()
            .filter(|(name, targets)| {
                !split.contains(**name) && targets.iter().any(|t| split.contains(t.as_str()))
            })
            .map(|(name, _)| *name)
            .collect();
        if more.is_empty() {
            return Ok(split);
        }
        split.extend(more);
    }
}

/// The definition names of every `$ref` in `schema`.
fn references(schema: &Value, out: &mut BTreeSet<String>) -> Result<(), Error> {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        out.insert(definition_name(reference)?);
                    }
                    // Example values and constants hold data, not schemas.
                    ("const" | "enum" | "default" | "examples", _) => {}
                    _ => references(value, out)?,
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                references(item, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The definition a `$ref` names.
pub(crate) fn definition_name(reference: &str) -> Result<String, Error> {
    let name = ["#/$defs/", "#/definitions/"]
        .iter()
        .find_map(|prefix| reference.strip_prefix(prefix))
        .ok_or_else(|| Error::new(format!("`$ref` `{reference}` is not into the definitions")))?;
    // A URI fragment (schemars percent-encodes `Page<string>` as `Page%3Cstring%3E`) holding
    // a JSON Pointer token.
    Ok(percent_decoded(name)
        .ok_or_else(|| Error::new(format!("`$ref` `{reference}` is badly percent-encoded")))?
        .replace("~1", "/")
        .replace("~0", "~"))
}

/// `text` with each `%XX` replaced by its byte; `None` when that is not UTF-8 or a `%` is not
/// followed by two hex digits.
fn percent_decoded(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        if byte != b'%' {
            bytes.push(byte);
            continue;
        }
        let hex = std::str::from_utf8(rest.get(..2)?).ok()?;
        bytes.push(u8::from_str_radix(hex, 16).ok()?);
        rest = rest.get(2..)?;
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn types_that_refer_to_split_types_are_split_too() {
        let contract = Contract::from_json(
            r##"{ "hubs": [], "definitions": {
                "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } } },
                "B": { "type": "object", "properties": { "x": { "type": "string", "writeOnly": true } } },
                "C": { "type": "string" }
              }, "outputDefinitions": {
                "B": { "type": "object", "properties": {} },
                "D": { "type": "number" }
              } }"##,
        )
        .unwrap();
        let (declarations, names) = declarations(&contract).unwrap();
        let emitted: Vec<(&str, bool)> = declarations
            .iter()
            .map(|d| (d.ts_name.as_str(), d.received))
            .collect();
        assert_eq!(
            emitted,
            [
                ("A", true),
                ("AInput", false),
                ("B", true),
                ("BInput", false),
                ("C", true),
                ("D", true)
            ]
        );
        assert_eq!(names.sent["A"], "AInput");
        assert_eq!(names.sent["C"], "C");
        assert!(!names.sent.contains_key("D"));
        assert_eq!(names.received["A"], "A");
    }

    #[test]
    fn an_input_name_may_clash() {
        let contract = Contract::from_json(
            r#"{ "hubs": [], "definitions": { "A": { "type": "string" }, "AInput": { "type": "number" } },
                "outputDefinitions": { "A": { "type": "boolean" } } }"#,
        )
        .unwrap();
        let error = declarations(&contract).unwrap_err();
        assert!(error.to_string().contains("`AInput`"), "{error}");
    }
}
