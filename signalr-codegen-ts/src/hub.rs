//! `{Hub}.ts`: a typed proxy class over `HubConnection` for one `#[hub]` trait.

use crate::contract::{Hub, Kind, Method};
use crate::error::{Error, Within as _};
use crate::names;
use crate::schema::TypeWriter;
use crate::ts::{
    ArrowBody, Class, ClassMember, Decl, Expr, Interface, Keyword, Member, Param, Stmt, Type,
};

/// Members of the proxy class that a method must not be named after.
const PROXY_MEMBERS: &[&str] = &["connection", "send", "constructor"];

/// One method, ready to declare.
struct Signature {
    docs: String,
    ts_name: String,
    wire_name: String,
    kind: Kind,
    params: Vec<Param>,
    /// The result (or stream item) type.
    result: Type,
}

/// The parameters of `method` in TypeScript, which clients receive (`received`, a client
/// method's) or send (a hub method's); uploads become `signalR.Subject<T>`.
pub(crate) fn parameters(
    writer: &mut TypeWriter<'_>,
    method: &Method,
    received: bool,
) -> Result<Vec<Param>, Error> {
    writer.receiving(received);
    let mut params: Vec<Param> = Vec::with_capacity(method.params.len());
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
            Type::signalr("Subject", vec![ty])
        } else {
            ty
        };
        let name = names::camel_case(&param.name);
        if params.iter().any(|other| other.name == name) {
            return Err(Error::new(format!(
                "two parameters would be `{name}` in TypeScript"
            )));
        }
        params.push(Param::new(name, ty));
    }
    Ok(params)
}

/// The result type of `method`, `void` when it has none; clients receive it (`received`, a hub
/// method's) or send it (a client method's).
pub(crate) fn result(
    writer: &mut TypeWriter<'_>,
    method: &Method,
    received: bool,
) -> Result<Type, Error> {
    writer.receiving(received);
    match &method.result {
        None => Ok(Type::keyword(Keyword::Void)),
        Some(ty) => {
            let schema = ty.schema.as_ref().ok_or_else(|| missing_schema(&ty.rust))?;
            writer.ts(schema).within(|| "result".to_owned())
        }
    }
}

/// The arguments that pass `params` on: their names, in order.
pub(crate) fn arguments(params: &[Param]) -> Vec<Expr> {
    params
        .iter()
        .map(|param| Expr::ident(param.name.clone()))
        .collect()
}

pub(crate) fn missing_schema(rust: &str) -> Error {
    Error::new(format!(
        "`{rust}` has no JSON Schema: derive `schemars::JsonSchema` for it and write the contract \
         with signalr-runtime's `schema` feature on"
    ))
}

/// The declarations of the hub's file: the proxy class, then the interface of its `send`.
pub(crate) fn hub_decls(writer: &mut TypeWriter<'_>, hub: &Hub) -> Result<Vec<Decl>, Error> {
    let signatures = signatures(writer, hub)?;
    let send = format!("{}Send", names::identifier(&hub.name));
    Ok(vec![
        Decl::Class(class(hub, &send, &signatures)),
        Decl::Interface(send_interface(hub, send, &signatures)),
    ])
}

/// The methods of `hub`, checked not to clash with each other or the proxy's members.
fn signatures(writer: &mut TypeWriter<'_>, hub: &Hub) -> Result<Vec<Signature>, Error> {
    let mut signatures: Vec<Signature> = Vec::with_capacity(hub.methods.len());
    for method in &hub.methods {
        let within = || format!("method `{}`", method.name);
        let params = parameters(writer, method, false).within(within)?;
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
            result,
        });
    }
    Ok(signatures)
}

/// `export class {Hub}Proxy`: `invoke` and `stream` methods, and `send` built in the constructor.
fn class(hub: &Hub, send: &str, signatures: &[Signature]) -> Class {
    let connection = || Expr::This.member("connection");
    let hub_connection = || Type::signalr("HubConnection", Vec::new());
    // `this.connection.{call}<T>("Wire", args…)`.
    let call = |s: &Signature, call: &str, type_args: Vec<Type>| {
        let mut args = vec![Expr::Str(s.wire_name.clone())];
        args.extend(arguments(&s.params));
        connection().member(call).call(type_args, args)
    };
    let sends = signatures
        .iter()
        .filter(|s| s.kind == Kind::Unary)
        .map(|s| {
            let arrow = Expr::Arrow {
                params: s.params.clone(),
                returns: Some(Type::promise(Type::keyword(Keyword::Void))),
                body: ArrowBody::Expr(Box::new(call(s, "send", Vec::new()))),
            };
            (s.ts_name.clone(), arrow)
        })
        .collect();
    let mut members = vec![
        ClassMember::Field {
            docs: "The connection the calls go through.".to_owned(),
            name: "connection".to_owned(),
            ty: hub_connection(),
        },
        ClassMember::Field {
            docs: "The methods without a stream, sent without waiting for the hub to run them."
                .to_owned(),
            name: "send".to_owned(),
            ty: Type::local(send),
        },
        ClassMember::Constructor {
            docs: format!(
                "Calls `{}` through `connection`, a connection to the hub's URL.",
                hub.name
            ),
            params: vec![Param::new("connection", hub_connection())],
            body: vec![
                Stmt::Expr(connection().assign(Expr::ident("connection"))),
                Stmt::Expr(Expr::This.member("send").assign(Expr::Object(sends))),
            ],
        },
    ];
    for s in signatures {
        let (returns, method) = match s.kind {
            Kind::Unary => (Type::promise(s.result.clone()), "invoke"),
            Kind::Stream => (
                Type::signalr("IStreamResult", vec![s.result.clone()]),
                "stream",
            ),
        };
        members.push(ClassMember::Method {
            docs: s.docs.clone(),
            name: s.ts_name.clone(),
            params: s.params.clone(),
            returns,
            body: vec![Stmt::Return(call(s, method, vec![s.result.clone()]))],
        });
    }
    Class {
        docs: hub.docs.clone(),
        name: format!("{}Proxy", names::identifier(&hub.name)),
        members,
    }
}

/// `export interface {Hub}Send`: the type of the proxy's `send`.
fn send_interface(hub: &Hub, send: String, signatures: &[Signature]) -> Interface {
    let members = signatures
        .iter()
        .filter(|s| s.kind == Kind::Unary)
        .map(|s| Member::Method {
            docs: s.docs.clone(),
            name: s.ts_name.clone(),
            params: s.params.clone(),
            returns: Type::promise(Type::keyword(Keyword::Void)),
        })
        .collect();
    Interface {
        docs: format!(
            "The methods of `{}` that answer with one completion, sent without waiting for it.",
            hub.name
        ),
        name: send,
        members,
    }
}
