//! Doc comments carried over as TSDoc.

/// `docs` as a TSDoc block indented by `indent`, ending in a newline; empty when there are none.
pub(crate) fn tsdoc(docs: &str, indent: &str) -> String {
    // A `*/` inside the text would end the comment early.
    let docs = docs.trim().replace("*/", "*\\/");
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
    }
}
