//! `{Client}.ts`: typed registration of handlers for one `#[hub_client]` trait.

use crate::contract::{Hub, Kind};
use crate::docs::tsdoc;
use crate::error::{Error, Within as _};
use crate::hub::{parameters, result};
use crate::names;
use crate::schema::TypeWriter;

/// The handlers interface name of a client trait.
pub(crate) fn handlers_name(hub: &Hub) -> String {
    format!("{}Handlers", names::identifier(&hub.name))
}

/// The registration function name of a client trait.
pub(crate) fn register_name(hub: &Hub) -> String {
    format!("register{}", names::identifier(&hub.name))
}

/// The text of the client trait's file (without the banner).
pub(crate) fn client_file(writer: &mut TypeWriter<'_>, hub: &Hub) -> Result<String, Error> {
    let handlers = handlers_name(hub);
    let register = register_name(hub);
    let mut interface = String::new();
    let mut entries = String::new();
    let mut seen = Vec::with_capacity(hub.methods.len());
    for method in &hub.methods {
        let within = || format!("method `{}`", method.name);
        // The JavaScript client can neither answer with a stream nor receive one from the
        // server; a contract that says otherwise was not written by `#[hub_client]`.
        if method.kind == Kind::Stream || method.params.iter().any(|param| param.upload) {
            return Err(Error::new("a client method cannot stream").within(within()));
        }
        let (params, args) = parameters(writer, method, true).within(within)?;
        let result = result(writer, method, false).within(within)?;
        let ts_name = names::member(&method.name);
        if seen.contains(&ts_name) {
            return Err(Error::new(format!(
                "two methods would be `{ts_name}` in TypeScript"
            )));
        }
        interface.push_str(&tsdoc(&method.docs, "  "));
        // A handler may answer at once or later; the client waits for a promise before it sends
        // the result back (client results), and ignores the value of methods without one.
        interface.push_str(&format!(
            "  {ts_name}({}): {result} | Promise<{result}>;\n",
            params.join(", ")
        ));
        entries.push_str(&format!(
            "    [{}, ({}) => handlers.{ts_name}({})],\n",
            names::string_literal(&method.name),
            params.join(", "),
            args.join(", ")
        ));
        seen.push(ts_name);
    }
    let mut out = tsdoc(&hub.docs, "");
    out.push_str(&format!(
        "export interface {handlers} {{\n{interface}}}\n\n"
    ));
    out.push_str(&format!(
        "/**\n * Registers `handlers` for every method that the server calls as `{}`, and returns a\n \
         * function that unregisters them again.\n */\n",
        hub.name
    ));
    out.push_str(&format!(
        "export function {register}(connection: signalR.HubConnection, handlers: {handlers}): () => void {{\n"
    ));
    out.push_str("  const entries: Array<[string, (...args: any[]) => unknown]> = [\n");
    out.push_str(&entries);
    out.push_str("  ];\n");
    out.push_str("  for (const [name, handler] of entries) connection.on(name, handler);\n");
    out.push_str("  return () => {\n");
    out.push_str("    for (const [name, handler] of entries) connection.off(name, handler);\n");
    out.push_str("  };\n}\n");
    Ok(out)
}
