//! TypeScript identifiers from Rust and wire names.

/// Words that cannot name a parameter or a type in TypeScript (reserved and strict-mode words),
/// plus the globals the generated code refers to.
const RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    // Type names the generated code uses, which a user type must not shadow.
    "any",
    "Array",
    "bigint",
    "boolean",
    "Date",
    "never",
    "number",
    "object",
    "Promise",
    "Record",
    "string",
    "symbol",
    "Uint8Array",
    "undefined",
    "unknown",
    "signalR",
    // Names the client registration function uses for its own variables.
    "connection",
    "handlers",
];

/// Whether `name` is a plain JavaScript identifier (ASCII letters, digits, `_`, `$`).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// `name` with every character that cannot be in an identifier replaced by `_`, and a `_`
/// appended to reserved words.
pub(crate) fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// A property key: bare when it is an identifier, a quoted string otherwise.
pub(crate) fn property_key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        string_literal(name)
    }
}

/// A TypeScript string literal (JSON's escaping is valid TypeScript).
pub(crate) fn string_literal(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// `SendMessage` or `send_message` as `sendMessage`, for a parameter (an identifier: reserved
/// words get a `_`).
pub(crate) fn camel_case(name: &str) -> String {
    identifier(&lower_camel(name))
}

/// `Delete` or `import_data` as `delete` or `importData`, for a method: a member name, which
/// TypeScript allows to be a reserved word (`proxy.delete()`, `handlers.import()`), so it is
/// kept as the hub names it.
pub(crate) fn member(name: &str) -> String {
    let out = lower_camel(name);
    if is_identifier(&out) {
        out
    } else {
        identifier(&out)
    }
}

fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper_next = false;
    for c in name.chars() {
        if c == '_' || c == '-' {
            upper_next = !out.is_empty();
        } else if out.is_empty() {
            out.push(c.to_ascii_lowercase());
        } else if upper_next {
            out.push(c.to_ascii_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(camel_case("SendMessage"), "sendMessage");
        assert_eq!(camel_case("get_connection_id"), "getConnectionId");
        assert_eq!(camel_case("Delete"), "delete_");
        assert_eq!(member("Delete"), "delete");
        assert_eq!(member("import"), "import");
        assert_eq!(member("Promise"), "promise");
        assert_eq!(member("send-it"), "sendIt");
        assert_eq!(member("9lives"), "_9lives");
        assert_eq!(identifier("Page<User>"), "Page_User_");
        assert_eq!(identifier("Date"), "Date_");
        assert_eq!(identifier("9lives"), "_9lives");
        assert_eq!(property_key("e-mail"), "\"e-mail\"");
        assert_eq!(property_key("$type"), "$type");
    }
}
