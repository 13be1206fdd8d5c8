//! `{Hub}.ts`: a typed proxy class over `HubConnection` for one `#[hub]` trait.

use crate::contract::{Hub, Kind, Method};
use crate::docs::tsdoc;
use crate::error::{Error, Within as _};
use crate::names;
use crate::schema::TypeWriter;

/// Members of the proxy class that a method must not be named after.
const PROXY_MEMBERS: &[&str] = &["connection", "send", "constructor"];

/// One method, ready to print.
struct Signature {
    docs: String,
    ts_name: String,
    wire_name: String,
    kind: Kind,
    /// `name: Type` each.
    params: Vec<String>,
    /// Parameter names, in order.
    args: Vec<String>,
    /// The result (or stream item) type.
    result: String,
}

/// The parameters of `method` in TypeScript, which clients receive (`received`, a client
/// method's) or send (a hub method's); uploads become `signalR.Subject<T>`.
pub(crate) fn parameters(
    writer: &mut TypeWriter<'_>,
    method: &Method,
    received: bool,
) -> Result<(Vec<String>, Vec<String>), Error> {
    writer.receiving(received);
    let mut params = Vec::with_capacity(method.params.len());
    let mut args = Vec::with_capacity(method.params.len());
    for param in &method.params {
        let schema = param
            .ty
            .schema
            .as_ref()
            .ok_or_else(|| missing_schema(&param.ty.rust))?;
        let ty = writer
            .ts(schema)
            .within(|| format!("parameter `{}`", param.name))?;
        let ty = if param.upload {
            format!("signalR.Subject<{ty}>")
        } else {
            ty
        };
        let name = names::camel_case(&param.name);
        if args.contains(&name) {
            return Err(Error::new(format!(
                "two parameters would be `{name}` in TypeScript"
            )));
        }
        params.push(format!("{name}: {ty}"));
        args.push(name);
    }
    Ok((params, args))
}

/// The result type of `method`, `void` when it has none; clients receive it (`received`, a hub
/// method's) or send it (a client method's).
pub(crate) fn result(
    writer: &mut TypeWriter<'_>,
    method: &Method,
    received: bool,
) -> Result<String, Error> {
    writer.receiving(received);
    match &method.result {
        None => Ok("void".to_owned()),
        Some(ty) => {
            let schema = ty.schema.as_ref().ok_or_else(|| missing_schema(&ty.rust))?;
            writer.ts(schema).within(|| "result".to_owned())
        }
    }
}

pub(crate) fn missing_schema(rust: &str) -> Error {
    Error::new(format!(
        "`{rust}` has no JSON Schema: derive `schemars::JsonSchema` for it and write the contract \
         with signalr-runtime's `schema` feature on"
    ))
}

/// The proxy class name of a hub.
pub(crate) fn proxy_name(hub: &Hub) -> String {
    format!("{}Proxy", names::identifier(&hub.name))
}

/// The name of the interface that types the proxy's `send`.
pub(crate) fn send_name(hub: &Hub) -> String {
    format!("{}Send", names::identifier(&hub.name))
}

/// The text of the hub's file (without the banner).
pub(crate) fn hub_file(writer: &mut TypeWriter<'_>, hub: &Hub) -> Result<String, Error> {
    let signatures = signatures(writer, hub)?;
    let send = send_name(hub);
    let mut out = tsdoc(&hub.docs, "");
    out.push_str(&class(hub, &send, &signatures));
    out.push('\n');
    out.push_str(&send_interface(hub, &send, &signatures));
    Ok(out)
}

/// The methods of `hub`, checked not to clash with each other or the proxy's members.
fn signatures(writer: &mut TypeWriter<'_>, hub: &Hub) -> Result<Vec<Signature>, Error> {
    let mut signatures: Vec<Signature> = Vec::with_capacity(hub.methods.len());
    for method in &hub.methods {
        let within = || format!("method `{}`", method.name);
        let (params, args) = parameters(writer, method, false).within(within)?;
        let result = result(writer, method, true).within(within)?;
        let ts_name = names::member(&method.name);
        if PROXY_MEMBERS.contains(&ts_name.as_str())
            || signatures.iter().any(|s| s.ts_name == ts_name)
        {
            return Err(Error::new(format!(
                "method `{}` would be `{ts_name}` in TypeScript, which the proxy already has",
                method.name
            )));
        }
        signatures.push(Signature {
            docs: method.docs.clone(),
            ts_name,
            wire_name: method.name.clone(),
            kind: method.kind,
            params,
            args,
            result,
        });
    }
    Ok(signatures)
}

/// `export class {Hub}Proxy`: `invoke` and `stream` methods, and `send` built in the constructor.
fn class(hub: &Hub, send: &str, signatures: &[Signature]) -> String {
    let mut out = format!("export class {} {{\n", proxy_name(hub));
    out.push_str("  /** The connection the calls go through. */\n");
    out.push_str("  readonly connection: signalR.HubConnection;\n");
    out.push_str(
        "  /** The methods without a stream, sent without waiting for the hub to run them. */\n",
    );
    out.push_str(&format!("  readonly send: {send};\n\n"));
    out.push_str(&format!(
        "  /** Calls `{}` through `connection`, a connection to the hub's URL. */\n",
        hub.name
    ));
    out.push_str("  constructor(connection: signalR.HubConnection) {\n");
    out.push_str("    this.connection = connection;\n    this.send = {\n");
    for s in signatures.iter().filter(|s| s.kind == Kind::Unary) {
        out.push_str(&format!(
            "      {}: ({}): Promise<void> => this.connection.send({}),\n",
            s.ts_name,
            s.params.join(", "),
            call_args(s)
        ));
    }
    out.push_str("    };\n  }\n");
    for s in signatures {
        out.push('\n');
        out.push_str(&tsdoc(&s.docs, "  "));
        let (returns, call) = match s.kind {
            Kind::Unary => (format!("Promise<{}>", s.result), "invoke"),
            Kind::Stream => (format!("signalR.IStreamResult<{}>", s.result), "stream"),
        };
        let params = s.params.join(", ");
        out.push_str(&format!("  {}({params}): {returns} {{\n", s.ts_name));
        out.push_str(&format!(
            "    return this.connection.{call}<{}>({});\n  }}\n",
            s.result,
            call_args(s)
        ));
    }
    out.push_str("}\n");
    out
}

/// `export interface {Hub}Send`: the type of the proxy's `send`.
fn send_interface(hub: &Hub, send: &str, signatures: &[Signature]) -> String {
    let mut out = format!(
        "/** The methods of `{}` that answer with one completion, sent without waiting for it. */\n",
        hub.name
    );
    out.push_str(&format!("export interface {send} {{\n"));
    for s in signatures.iter().filter(|s| s.kind == Kind::Unary) {
        out.push_str(&tsdoc(&s.docs, "  "));
        let params = s.params.join(", ");
        out.push_str(&format!("  {}({params}): Promise<void>;\n", s.ts_name));
    }
    out.push_str("}\n");
    out
}

/// The wire name and the arguments, as passed to `invoke`, `send` and `stream`.
fn call_args(s: &Signature) -> String {
    let mut args = vec![names::string_literal(&s.wire_name)];
    args.extend(s.args.iter().cloned());
    args.join(", ")
}
