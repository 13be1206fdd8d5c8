//! The anchors of Markdown documents: their headings' slugs and explicit ids.

use std::collections::{BTreeMap, BTreeSet};

use crate::markdown::prose_lines;
use crate::repo::Repo;

/// The anchors of Markdown files, read once each.
#[derive(Debug, Default)]
pub(crate) struct Anchors(BTreeMap<String, BTreeSet<String>>);

impl Anchors {
    pub(crate) fn of(&mut self, repo: &Repo, path: &str) -> &BTreeSet<String> {
        let rustdoc = repo.docs.iter().any(|doc| doc.path == path && doc.rustdoc);
        self.0.entry(path.to_owned()).or_insert_with(|| {
            repo.read(path)
                .map(|text| slugs(&text, rustdoc))
                .unwrap_or_default()
        })
    }
}

/// Ids rustdoc gives its own page elements: a heading with one of these gets `-1` appended.
const RUSTDOC_IDS: &[&str] = &[
    "main-content",
    "search",
    "help",
    "settings",
    "modules",
    "macros",
    "structs",
    "enums",
    "functions",
    "traits",
    "types",
    "constants",
    "statics",
    "unions",
    "fields",
    "variants",
    "implementations",
    "trait-implementations",
    "required-methods",
    "provided-methods",
    "implementors",
];

/// Every anchor of a Markdown document: its headings' slugs and explicit ids.
pub(crate) fn slugs(text: &str, rustdoc: bool) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    if rustdoc {
        for id in RUSTDOC_IDS {
            seen.insert((*id).to_owned(), 1);
        }
    }
    let mut anchors = BTreeSet::new();
    for heading in headings(text) {
        let slug = slugify(&heading);
        let count = seen.entry(slug.clone()).or_insert(0);
        anchors.insert(if *count == 0 {
            slug
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    for line in prose_lines(text) {
        for attribute in ["id=\"", "name=\""] {
            let mut rest = line.1;
            while let Some(at) = rest.find(attribute) {
                let tail = rest.get(at + attribute.len()..).unwrap_or_default();
                if let Some((id, _)) = tail.split_once('"') {
                    anchors.insert(id.to_owned());
                }
                rest = tail;
            }
        }
    }
    anchors
}

/// GitHub's (and, for ASCII, rustdoc's) heading slug.
fn slugify(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().next().unwrap_or(c))
            } else if c == ' ' {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The text of every heading, inline markup removed: ATX (`## Title`) and setext (a line
/// underlined with `===` or `---`).
fn headings(text: &str) -> Vec<String> {
    let lines = prose_lines(text);
    let mut found = Vec::new();
    for (index, (_, line)) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if line.len() - trimmed.len() > 3 {
            continue;
        }
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) {
            let rest = trimmed.get(hashes..).unwrap_or_default();
            if rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t') {
                let title = rest.trim().trim_end_matches('#').trim_end();
                found.push(plain(title));
            }
            continue;
        }
        let underline = trimmed.trim_end();
        let is_underline = !underline.is_empty()
            && (underline.chars().all(|c| c == '=') || underline.chars().all(|c| c == '-'));
        if is_underline
            && let Some((number, previous)) = index.checked_sub(1).and_then(|i| lines.get(i))
        {
            let previous_trimmed = previous.trim_start();
            // The line must directly precede, and be a paragraph's text.
            let adjacent = lines.get(index).is_some_and(|(n, _)| *n == number + 1);
            let paragraph = !previous_trimmed.is_empty()
                && !previous_trimmed.starts_with(['#', '|', '-', '*', '+', '>', '<'])
                && !previous_trimmed.starts_with(|c: char| c.is_ascii_digit());
            if adjacent && paragraph {
                found.push(plain(previous_trimmed.trim_end()));
            }
        }
    }
    found
}

/// Heading text as rendered: code spans' and links' text kept, markup dropped.
fn plain(markdown: &str) -> String {
    let mut out = String::new();
    let mut chars = markdown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '*' | '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                // Skip the link's destination.
                let mut depth = 0;
                for next in chars.by_ref() {
                    match next {
                        '(' => depth += 1,
                        ')' if depth <= 1 => break,
                        ')' => depth -= 1,
                        _ => {}
                    }
                }
            }
            ']' => {}
            '<' => {
                // An HTML tag.
                for next in chars.by_ref() {
                    if next == '>' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}
