//! `types.ts`: one exported type per named schema of the contract (two for a type whose sent
//! and received forms differ), sorted by name.

use serde_json::Value;

use crate::error::{Error, Within as _};
use crate::options::Options;
use crate::schema::{TypeWriter, description};
use crate::ts::{Alias, AliasBody, Decl, Interface, Member, Module, Variant, index_signature};
use crate::views::{Declaration, TypeNames};

/// The module of `types.ts`; `types` is its own specifier (it imports nothing).
pub(crate) fn types_module(
    declarations: &[Declaration<'_>],
    names: &TypeNames,
    options: &Options,
    types: &str,
) -> Result<Module, Error> {
    let mut decls = Vec::with_capacity(declarations.len());
    for Declaration {
        name,
        ts_name,
        schema,
        received,
    } in declarations
    {
        let mut writer = TypeWriter::new(options, names);
        writer.receiving(*received);
        let decl = declaration(&mut writer, ts_name, schema).within(|| {
            let form = if *received { "" } else { " (as sent)" };
            format!("type `{name}`{form}")
        })?;
        decls.push(decl);
    }
    if decls.is_empty() {
        // Still a module, so that `export * from "./types.js"` type-checks.
        decls.push(Decl::ExportNothing);
    }
    Ok(Module::new(decls, types))
}

/// `export interface` for plain structs, `export type` for everything else.
fn declaration(writer: &mut TypeWriter<'_>, name: &str, schema: &Value) -> Result<Decl, Error> {
    let docs = description(schema);
    let name = name.to_owned();
    if let Some(map) = schema.as_object().filter(|map| is_plain_struct(map)) {
        let properties = writer.properties(map)?;
        let extra = writer.additional(map)?;
        let fields: Vec<_> = properties.iter().map(|p| p.field.clone()).collect();
        let mut members: Vec<Member> = properties
            .into_iter()
            .map(|property| Member::Property {
                docs: property.docs,
                field: property.field,
            })
            .collect();
        if let Some(extra) = extra {
            // A flattened map: its keys beside the fields.
            members.push(Member::Index(index_signature(&fields, &extra)));
        }
        return Ok(Decl::Interface(Interface {
            docs,
            name,
            members,
        }));
    }
    let variants = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
        .filter(|_| is_only_variants(schema));
    let body = if let Some(variants) = variants {
        // One variant a line, each with its doc comment: enums read like their Rust source.
        let mut members = Vec::with_capacity(variants.len());
        for (index, variant) in variants.iter().enumerate() {
            members.push(Variant {
                docs: description(variant),
                ty: writer.ts(variant).within(|| format!("variant {index}"))?,
            });
        }
        AliasBody::Variants(members)
    } else {
        AliasBody::Type(writer.ts(schema)?)
    };
    Ok(Decl::Alias(Alias { docs, name, body }))
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
