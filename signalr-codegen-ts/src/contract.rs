//! The contract JSON that `signalr_runtime::contract::Manifest::to_json` writes, as read here.
//!
//! The generator depends on the JSON form only, not on `signalr-runtime`, so that it can run on
//! a contract written by any build of an application.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// A manifest: every hub and client trait of an application, and the named types they use.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Contract {
    /// The traits, in the order the application added them.
    pub hubs: Vec<Hub>,
    /// The named types' JSON Schemas (`$ref` targets), by name, as the server reads them: the
    /// targets of what clients send.
    #[serde(default)]
    pub definitions: BTreeMap<String, Value>,
    /// The named types that the server writes differently from how it reads them, as it writes
    /// them: the targets of what clients receive, where a name is here (else `definitions`).
    #[serde(default, rename = "outputDefinitions")]
    pub output_definitions: BTreeMap<String, Value>,
}

impl Contract {
    /// Reads a contract from its JSON text.
    ///
    /// # Errors
    ///
    /// The JSON error when `json` is not a contract.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// Which side implements a trait's methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Role {
    /// The server (`#[hub]`): the generated code calls these methods.
    Hub,
    /// The clients (`#[hub_client]`): the generated code registers handlers for them.
    Client,
}

/// One hub or client trait.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Hub {
    /// The trait's name.
    pub name: String,
    /// Who implements it.
    pub role: Role,
    /// Its doc comment.
    #[serde(default)]
    pub docs: String,
    /// Its methods, in declaration order.
    pub methods: Vec<Method>,
}

/// How a method answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Kind {
    /// One completion, with a result or none.
    Unary,
    /// A stream of items.
    Stream,
}

/// One method.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Method {
    /// The name on the wire.
    pub name: String,
    /// The Rust name.
    #[serde(default)]
    pub rust_name: String,
    /// Its doc comment.
    #[serde(default)]
    pub docs: String,
    /// How it answers.
    pub kind: Kind,
    /// Its parameters, uploads included.
    #[serde(default)]
    pub params: Vec<Param>,
    /// Its result, or a stream's item type; `None` when it returns nothing.
    #[serde(default)]
    pub result: Option<Type>,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Param {
    /// The Rust name.
    pub name: String,
    /// Its type; for an upload, the type of the items.
    #[serde(rename = "type")]
    pub ty: Type,
    /// Whether the client uploads a stream of items for it.
    #[serde(default)]
    pub upload: bool,
}

/// A type: how Rust spells it and its JSON Schema.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Type {
    /// The Rust spelling, for messages.
    pub rust: String,
    /// The JSON Schema; absent when the application was built without the `schema` feature.
    #[serde(default)]
    pub schema: Option<Value>,
}
