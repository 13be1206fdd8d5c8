//! `types.ts`: one exported type per named schema of the contract (two for a type whose sent
//! and received forms differ), sorted by name.

use serde_json::Value;

use crate::docs::tsdoc;
use crate::error::{Error, Within as _};
use crate::options::Options;
use crate::schema::{TypeWriter, description, index_signature};
use crate::views::{Declaration, TypeNames};

/// The text of `types.ts` (without the banner).
pub(crate) fn types_file(
    declarations: &[Declaration<'_>],
    names: &TypeNames,
    options: &Options,
) -> Result<String, Error> {
    let mut out = String::new();
    for Declaration {
        name,
        ts_name,
        schema,
        received,
    } in declarations
    {
        let mut writer = TypeWriter::new(options, names);
        writer.receiving(*received);
        let declaration = declaration(&mut writer, ts_name, schema).within(|| {
            let form = if *received { "" } else { " (as sent)" };
            format!("type `{name}`{form}")
        })?;
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&tsdoc(&description(schema), ""));
        out.push_str(&declaration);
    }
    if out.is_empty() {
        // Still a module, so that `export * from "./types.js"` type-checks.
        out.push_str("export {};\n");
    }
    Ok(out)
}

/// `export interface` for plain structs, `export type` for everything else.
fn declaration(writer: &mut TypeWriter<'_>, name: &str, schema: &Value) -> Result<String, Error> {
    if let Some(map) = schema.as_object().filter(|map| is_plain_struct(map)) {
        let mut out = format!("export interface {name} {{\n");
        let properties = writer.properties(map)?;
        for property in &properties {
            out.push_str(&tsdoc(&property.docs, "  "));
            let optional = if property.optional { "?" } else { "" };
            out.push_str(&format!("  {}{optional}: {};\n", property.key, property.ty));
        }
        if let Some(extra) = writer.additional(map)? {
            // A flattened map: its keys beside the fields.
            out.push_str(&format!("  {};\n", index_signature(&properties, &extra)));
        }
        out.push_str("}\n");
        return Ok(out);
    }
    let variants = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
        .filter(|_| is_only_variants(schema));
    if let Some(variants) = variants {
        // One variant a line, each with its doc comment: enums read like their Rust source.
        let mut members = Vec::with_capacity(variants.len());
        for (index, variant) in variants.iter().enumerate() {
            let ty = writer.ts(variant).within(|| format!("variant {index}"))?;
            members.push(format!("{}  | {ty}", tsdoc(&description(variant), "  ")));
        }
        if members.is_empty() {
            members.push("  never".to_owned());
        }
        let out = format!("export type {name} =\n{};\n", members.join("\n"));
        return Ok(out);
    }
    Ok(format!("export type {name} = {};\n", writer.ts(schema)?))
}

/// An object with properties (and maybe an index signature) and nothing that makes it more
/// than an interface.
fn is_plain_struct(map: &serde_json::Map<String, Value>) -> bool {
    let combinators = ["oneOf", "anyOf", "allOf", "$ref", "enum", "const"];
    map.get("type").and_then(Value::as_str) == Some("object")
        && map.contains_key("properties")
        && !combinators.iter().any(|key| map.contains_key(*key))
}

/// A `oneOf`/`anyOf` schema with nothing but docs beside it.
fn is_only_variants(schema: &Value) -> bool {
    schema.as_object().is_some_and(|map| {
        map.keys().all(|key| {
            matches!(
                key.as_str(),
                "oneOf" | "anyOf" | "description" | "title" | "$schema"
            )
        })
    })
}
