//! Doc comments carried over as TSDoc.

/// `docs` as a TSDoc block indented by `indent`, ending in a newline; empty when there are none.
pub(crate) fn tsdoc(docs: &str, indent: &str) -> String {
    // A `*/` inside the text would end the comment early.
    let docs = escape_tags(docs.trim()).replace("*/", "*\\/");
    if docs.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = docs.lines().map(str::trim_end).collect();
    if let [line] = lines.as_slice() {
        return format!("{indent}/** {line} */\n");
    }
    let mut out = format!("{indent}/**\n");
    for line in lines {
        if line.is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{indent} * {line}\n"));
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

/// `text` with a backslash before each `@` that TSDoc would read as a tag (`@param`, `{@link`):
/// Rust docs have no tags, so an `@` there is text. Code spans and blocks are left alone, since
/// TSDoc reads no tags inside them and would show the backslash.
fn escape_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    let mut previous = ' ';
    for c in text.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if c == '@' && !in_code && (previous.is_whitespace() || previous == '{') {
            out.push('\\');
        }
        out.push(c);
        previous = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tsdoc;

    #[test]
    fn blocks() {
        assert_eq!(tsdoc("", "  "), "");
        assert_eq!(tsdoc("One line.", ""), "/** One line. */\n");
        assert_eq!(
            tsdoc("a */ b\n\nc", "  "),
            "  /**\n   * a *\\/ b\n   *\n   * c\n   */\n"
        );
        assert_eq!(
            tsdoc("@deprecated {@link x} a@b.c `@param` @", ""),
            "/** \\@deprecated {\\@link x} a@b.c `@param` \\@ */\n"
        );
    }
}
