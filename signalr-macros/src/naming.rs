//! Wire names from Rust names: `send_message` is `SendMessage` unless the trait says otherwise.

/// How a trait's method names become wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the names are serde's, which users know
pub(crate) enum RenameRule {
    /// `send_message` -> `SendMessage` (ASP.NET Core's habit, the default).
    PascalCase,
    /// `send_message` -> `sendMessage`.
    CamelCase,
    /// `send_message` stays `send_message`.
    SnakeCase,
}

impl RenameRule {
    /// The names accepted by `rename_all`, for error messages.
    pub(crate) const NAMES: &'static str = "`PascalCase`, `camelCase`, `snake_case`";

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "PascalCase" => Some(RenameRule::PascalCase),
            "camelCase" => Some(RenameRule::CamelCase),
            "snake_case" => Some(RenameRule::SnakeCase),
            _ => None,
        }
    }

    pub(crate) fn apply(self, rust_name: &str) -> String {
        let rust_name = rust_name.strip_prefix("r#").unwrap_or(rust_name);
        match self {
            RenameRule::SnakeCase => rust_name.to_owned(),
            RenameRule::PascalCase => pascal(rust_name),
            RenameRule::CamelCase => {
                let pascal = pascal(rust_name);
                let mut chars = pascal.chars();
                match chars.next() {
                    Some(first) => first.to_lowercase().chain(chars).collect(),
                    None => pascal,
                }
            }
        }
    }
}

fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(RenameRule::PascalCase.apply("send_message"), "SendMessage");
        assert_eq!(RenameRule::CamelCase.apply("send_message"), "sendMessage");
        assert_eq!(RenameRule::SnakeCase.apply("send_message"), "send_message");
        assert_eq!(RenameRule::PascalCase.apply("r#type"), "Type");
        assert_eq!(RenameRule::PascalCase.apply("echo2"), "Echo2");
    }
}
