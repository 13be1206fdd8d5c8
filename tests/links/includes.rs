//! The Markdown files the crates' sources include in their rustdoc, and the modules whose docs
//! they are (for intra-doc links).

use crate::paths::{join, parent};
use crate::repo::Doc;

/// The Markdown files `source` includes with `include_str!`, and whether rustdoc renders them.
pub(crate) fn included_docs(source: &str, text: &str) -> Vec<Doc> {
    let dir = parent(source);
    let mut docs = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find("include_str!(\"") {
        let start = at + "include_str!(\"".len();
        let Some(end) = rest.get(start..).and_then(|tail| tail.find('"')) else {
            break;
        };
        let argument = rest.get(start..start + end).unwrap_or_default();
        let before = text.get(..offset + at).unwrap_or_default();
        if argument.ends_with(".md")
            && let Some(path) = join(&dir, argument)
        {
            docs.push(Doc {
                path,
                rustdoc: !attributes_before(before).contains("cfg(doctest)"),
                module: module_of(source, before),
            });
        }
        offset += start + end;
        rest = rest.get(start + end..).unwrap_or_default();
    }
    docs
}

/// The attribute lines right above the end of `before` (the `#[..]` lines of the item whose
/// attribute is being read).
fn attributes_before(before: &str) -> String {
    let mut lines: Vec<&str> = before.lines().collect();
    let mut attributes = lines.pop().unwrap_or_default().to_owned();
    while let Some(line) = lines.pop() {
        let line = line.trim();
        if !line.starts_with("#[") && !line.starts_with("#![") {
            break;
        }
        attributes.push_str(line);
    }
    attributes
}

/// The module whose docs an `include_str!` at the end of `before` is: the source file's module,
/// plus the inline `mod name {` it is the first inner attribute of, if any.
fn module_of(source: &str, before: &str) -> Option<String> {
    let mut module = file_module(source)?;
    let last_code = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("#![") && !line.starts_with("//"));
    if let Some(name) = last_code
        .and_then(|line| line.strip_suffix('{'))
        .and_then(|line| line.trim().rsplit_once("mod "))
        .map(|(_, name)| name.trim())
    {
        module.push_str("::");
        module.push_str(name);
    }
    Some(module)
}

/// `crate::a::b` for `<crate>/src/a/b.rs` (and `src/lib.rs`, `src/a.rs`, `src/a/mod.rs`).
fn file_module(source: &str) -> Option<String> {
    let (_, inside) = source.split_once("src/")?;
    let inside = inside.strip_suffix(".rs")?;
    let mut parts: Vec<&str> = inside.split('/').collect();
    if matches!(parts.last(), Some(&"lib" | &"main" | &"mod")) {
        parts.pop();
    }
    Some(
        std::iter::once("crate")
            .chain(parts)
            .collect::<Vec<_>>()
            .join("::"),
    )
}

/// The module `path` names from module `from` (`crate::…`, `super::…`, `self::…`).
pub(crate) fn resolve_module(from: &str, path: &str) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = match segments.first() {
        Some(&"crate") => {
            segments.remove(0);
            vec!["crate"]
        }
        Some(&"self") => {
            segments.remove(0);
            from.split("::").collect()
        }
        Some(&"super") => from.split("::").collect(),
        _ => return None,
    };
    for segment in segments {
        if segment == "super" {
            base.pop()?;
        } else {
            base.push(segment);
        }
    }
    Some(base.join("::"))
}

/// Whether a link target is a Rust path (an intra-doc link), with an optional anchor.
pub(crate) fn is_rust_path(target: &str) -> bool {
    let path = target.split('#').next().unwrap_or_default();
    let path = path.split_once('@').map_or(path, |(_, path)| path);
    !path.is_empty()
        && !path.contains('/')
        && !path.ends_with(".md")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '!' | '(' | ')'))
        && path.split("::").all(|segment| {
            !segment.is_empty() && !segment.starts_with(|c: char| c.is_ascii_digit())
        })
}
