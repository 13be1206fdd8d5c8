//! `{Client}.ts`: typed registration of handlers for one `#[hub_client]` trait.

use crate::contract::{Hub, Kind};
use crate::error::{Error, Within as _};
use crate::hub::{arguments, parameters, result};
use crate::names;
use crate::schema::TypeWriter;
use crate::ts::{
    ArrowBody, Decl, Expr, Function, Interface, Keyword, Layout, Member, Param, Stmt, Type,
};

/// The declarations of the client trait's file: the handlers' interface, then the function
/// that registers them.
pub(crate) fn client_decls(writer: &mut TypeWriter<'_>, hub: &Hub) -> Result<Vec<Decl>, Error> {
    let handlers = format!("{}Handlers", names::identifier(&hub.name));
    let mut members = Vec::with_capacity(hub.methods.len());
    let mut entries = Vec::with_capacity(hub.methods.len());
    let mut seen = Vec::with_capacity(hub.methods.len());
    for method in &hub.methods {
        let within = || format!("method `{}`", method.name);
        // The JavaScript client can neither answer with a stream nor receive one from the
        // server; a contract that says otherwise was not written by `#[hub_client]`.
        if method.kind == Kind::Stream || method.params.iter().any(|param| param.upload) {
            return Err(Error::new("a client method cannot stream").within(within()));
        }
        let params = parameters(writer, method, true).within(within)?;
        let result = result(writer, method, false).within(within)?;
        let ts_name = names::member(&method.name);
        if seen.contains(&ts_name) {
            return Err(Error::new(format!(
                "two methods would be `{ts_name}` in TypeScript"
            )));
        }
        // `["Wire", (params) => handlers.name(args)]`.
        let handler = Expr::Arrow {
            params: params.clone(),
            returns: None,
            body: ArrowBody::Expr(Box::new(
                Expr::ident("handlers")
                    .member(ts_name.clone())
                    .call(Vec::new(), arguments(&params)),
            )),
        };
        entries.push(Expr::Array(
            vec![Expr::Str(method.name.clone()), handler],
            Layout::Inline,
        ));
        // A handler may answer at once or later; the client waits for a promise before it sends
        // the result back (client results), and ignores the value of methods without one.
        members.push(Member::Method {
            docs: method.docs.clone(),
            name: ts_name.clone(),
            params,
            returns: Type::union(vec![result.clone(), Type::promise(result)]),
        });
        seen.push(ts_name);
    }
    let register = register(hub, &handlers, entries);
    Ok(vec![
        Decl::Interface(Interface {
            docs: hub.docs.clone(),
            name: handlers,
            members,
        }),
        Decl::Function(register),
    ])
}

/// `export function register{Client}(connection, handlers): () => void`, which calls
/// `connection.on` for each of `entries` (`[name, handler]` pairs) and returns the function
/// that calls `connection.off` for them.
fn register(hub: &Hub, handlers: &str, entries: Vec<Expr>) -> Function {
    // `(...args: any[]) => unknown`: each handler takes its own parameters.
    let handler = Type::Function(
        vec![Param {
            name: "args".to_owned(),
            ty: Type::array(Type::keyword(Keyword::Any)),
            rest: true,
        }],
        Box::new(Type::UNKNOWN),
    );
    let entry = Type::Tuple(vec![Type::keyword(Keyword::String), handler]);
    // `for (const [name, handler] of entries) connection.{method}(name, handler);`.
    let each = |method: &str| Stmt::ForOf {
        bindings: vec!["name".to_owned(), "handler".to_owned()],
        iterable: Expr::ident("entries"),
        body: Box::new(Stmt::Expr(Expr::ident("connection").member(method).call(
            Vec::new(),
            vec![Expr::ident("name"), Expr::ident("handler")],
        ))),
    };
    let unregister = Expr::Arrow {
        params: Vec::new(),
        returns: None,
        body: ArrowBody::Block(vec![each("off")]),
    };
    Function {
        docs: format!(
            "Registers `handlers` for every method that the server calls as `{}`, and returns a\n\
             function that unregisters them again.",
            hub.name
        ),
        name: format!("register{}", names::identifier(&hub.name)),
        params: vec![
            Param::new("connection", Type::signalr("HubConnection", Vec::new())),
            Param::new("handlers", Type::local(handlers)),
        ],
        returns: Type::Function(Vec::new(), Box::new(Type::keyword(Keyword::Void))),
        body: vec![
            Stmt::Const {
                name: "entries".to_owned(),
                ty: Type::global("Array", vec![entry]),
                init: Expr::Array(entries, Layout::Lines),
            },
            each("on"),
            Stmt::Return(unregister),
        ],
    }
}
