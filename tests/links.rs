//! The links of the project's documents: every Markdown file of the repository (tracked, or new
//! and not ignored; not under `node_modules` or `target`), and every Markdown file a crate
//! includes in its rustdoc with `include_str!` (the guide, the macro docs).
//!
//! - A relative link must name a file or folder the repository tracks, without leaving the
//!   repository (`../shared/..` does); an absolute path or a `file:` URL is refused.
//! - An `#anchor`, in the same document or in another Markdown file, must name one of its
//!   headings (GitHub's and rustdoc's slugs: lower case, spaces as hyphens, punctuation dropped,
//!   `-1`, `-2` … for repeats) or an explicit `id`/`name`.
//! - A page that rustdoc renders links with intra-doc links (`crate::guide::auth#anchor`),
//!   whose paths rustdoc itself checks (`-D warnings`); their anchors into another guide page
//!   are checked here. It cannot link to repository files, which docs.rs does not have.
//! - A Markdown file named in a code span (`` `CONFORMANCE.md` ``) must exist, beside the
//!   document or at the repository's root: a mention of a document outside the repository is as
//!   broken as a link to it.
//!
//! External `http(s)` links are allowed and not fetched. Fenced code blocks are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// A Markdown document to check.
#[derive(Debug, Clone)]
struct Doc {
    /// Relative to the repository's root, with `/` separators.
    path: String,
    /// Rendered by rustdoc (included with `#[doc = include_str!(..)]`, not only for doc tests).
    rustdoc: bool,
    /// The module whose docs it is, for intra-doc links (`crate::guide::hubs`).
    module: Option<String>,
}

/// What the checker knows of the repository.
#[derive(Debug)]
struct Repo {
    root: PathBuf,
    /// The repository's files (tracked, or new and not ignored), relative to the root.
    files: BTreeSet<String>,
    docs: Vec<Doc>,
}

impl Repo {
    /// The repository this test lives in: its Markdown, and what its `.rs` files include.
    fn load(root: &Path) -> Result<Repo, String> {
        let output = Command::new("git")
            // Tracked files, and new ones not yet added (not ignored ones): a new document is
            // checked before it is committed.
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(root)
            .output()
            .map_err(|error| format!("git ls-files: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "git ls-files: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let files: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
            .split('\0')
            .filter(|path| !path.is_empty())
            .map(str::to_owned)
            .collect();
        let mut docs: BTreeMap<String, Doc> = files
            .iter()
            .filter(|path| path.ends_with(".md") && !skipped(path))
            .map(|path| {
                let doc = Doc {
                    path: path.clone(),
                    rustdoc: false,
                    module: None,
                };
                (path.clone(), doc)
            })
            .collect();
        for source in files
            .iter()
            .filter(|path| path.ends_with(".rs") && !skipped(path))
        {
            let Ok(text) = std::fs::read_to_string(root.join(source)) else {
                continue;
            };
            for included in included_docs(source, &text) {
                let doc = docs
                    .entry(included.path.clone())
                    .or_insert(included.clone());
                doc.rustdoc |= included.rustdoc;
                if doc.module.is_none() {
                    doc.module = included.module;
                }
            }
        }
        Ok(Repo {
            root: root.to_owned(),
            files,
            docs: docs.into_values().collect(),
        })
    }

    /// Whether `path` (normalized, relative to the root) is a tracked file, a folder of
    /// tracked files, or a document being checked.
    fn has(&self, path: &str) -> bool {
        if path.is_empty() {
            return true;
        }
        let folder = format!("{path}/");
        self.files.contains(path)
            || self.docs.iter().any(|doc| doc.path == path)
            || self
                .files
                .range(folder.clone()..)
                .next()
                .is_some_and(|file| file.starts_with(&folder))
    }

    fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }

    /// Every violation, as `path:line: what`.
    fn check(&self) -> Vec<String> {
        let mut anchors = Anchors::default();
        let mut problems = Vec::new();
        for doc in &self.docs {
            let Some(text) = self.read(&doc.path) else {
                problems.push(format!("{}: cannot be read", doc.path));
                continue;
            };
            for (line, problem) in self.check_doc(doc, &text, &mut anchors) {
                problems.push(format!("{}:{line}: {problem}", doc.path));
            }
        }
        problems
    }

    fn check_doc(&self, doc: &Doc, text: &str, anchors: &mut Anchors) -> Vec<(usize, String)> {
        let mut problems = Vec::new();
        let dir = parent(&doc.path);
        for item in scan(text) {
            match item.kind {
                Kind::Link(target) => {
                    if let Some(problem) = self.check_link(doc, &dir, &target, text, anchors) {
                        problems.push((item.line, format!("`{target}`: {problem}")));
                    }
                }
                Kind::Code(span) => {
                    if let Some(problem) = self.check_mention(&dir, &span) {
                        problems.push((item.line, format!("`{span}`: {problem}")));
                    }
                }
            }
        }
        problems
    }

    fn check_link(
        &self,
        doc: &Doc,
        dir: &str,
        target: &str,
        text: &str,
        anchors: &mut Anchors,
    ) -> Option<String> {
        if target.is_empty() {
            return Some("an empty link".to_owned());
        }
        if let Some(fragment) = target.strip_prefix('#') {
            return (!slugs(text, doc.rustdoc).contains(fragment))
                .then(|| "no such anchor in this document".to_owned());
        }
        if doc.rustdoc && is_rust_path(target) {
            return self.check_intra_doc(doc, target, anchors);
        }
        if let Some(scheme) = scheme(target) {
            return match scheme.to_ascii_lowercase().as_str() {
                "http" | "https" | "mailto" => None,
                _ => Some("points outside the repository".to_owned()),
            };
        }
        if target.starts_with('/') || target.starts_with('\\') {
            return Some("an absolute path: points outside the repository".to_owned());
        }
        let (path, fragment) = match target.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (target, None),
        };
        let path = path.split('?').next().unwrap_or_default();
        let Some(resolved) = join(dir, &percent_decode(path)) else {
            return Some("points outside the repository".to_owned());
        };
        if doc.rustdoc {
            return Some(
                "a page rustdoc renders cannot link to repository files (docs.rs has none): \
                 use an intra-doc link or a code span"
                    .to_owned(),
            );
        }
        if !self.has(&resolved) {
            return Some(format!("no such file in the repository ({resolved})"));
        }
        match fragment {
            Some(fragment) if resolved.ends_with(".md") => {
                (!anchors.of(self, &resolved).contains(fragment))
                    .then(|| format!("no such anchor in {resolved}"))
            }
            _ => None,
        }
    }

    /// An intra-doc link: rustdoc checks its path; an anchor into another included document is
    /// checked here.
    fn check_intra_doc(&self, doc: &Doc, target: &str, anchors: &mut Anchors) -> Option<String> {
        let (path, fragment) = target.split_once('#')?;
        let module = resolve_module(doc.module.as_deref()?, path)?;
        let other = self
            .docs
            .iter()
            .find(|candidate| candidate.module.as_deref() == Some(module.as_str()))?;
        (!anchors.of(self, &other.path).contains(fragment))
            .then(|| format!("no such anchor in {} ({module})", other.path))
    }

    /// A Markdown file named in a code span.
    fn check_mention(&self, dir: &str, span: &str) -> Option<String> {
        let looks_like_path = span.ends_with(".md")
            && span.len() > 3
            && span
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
        if !looks_like_path {
            return None;
        }
        if span.starts_with('/') {
            return Some("an absolute path: names a document outside the repository".to_owned());
        }
        let here = join(dir, span);
        let at_root = join("", span);
        if here.is_none() && at_root.is_none() {
            return Some("names a document outside the repository".to_owned());
        }
        let found = [here, at_root]
            .into_iter()
            .flatten()
            .any(|path| self.has(&path));
        (!found).then(|| "names a document the repository does not have".to_owned())
    }
}

/// Folders whose Markdown is not the project's own.
fn skipped(path: &str) -> bool {
    path.split('/')
        .any(|part| matches!(part, "node_modules" | "target" | ".git"))
}

/// The Markdown files `source` includes with `include_str!`, and whether rustdoc renders them.
fn included_docs(source: &str, text: &str) -> Vec<Doc> {
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
fn resolve_module(from: &str, path: &str) -> Option<String> {
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
fn is_rust_path(target: &str) -> bool {
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

/// The URL scheme of a link target, if it has one.
fn scheme(target: &str) -> Option<&str> {
    let (scheme, _) = target.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// The folder of `path`, `""` at the root.
fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(dir, _)| dir.to_owned())
        .unwrap_or_default()
}

/// `relative` resolved from folder `dir`, normalized; `None` when it leaves the repository.
fn join(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<String> = dir
        .split('/')
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                index += 3;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The anchors of Markdown files, read once each.
#[derive(Debug, Default)]
struct Anchors(BTreeMap<String, BTreeSet<String>>);

impl Anchors {
    fn of(&mut self, repo: &Repo, path: &str) -> &BTreeSet<String> {
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
fn slugs(text: &str, rustdoc: bool) -> BTreeSet<String> {
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

/// The lines outside fenced code blocks and HTML comments, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut comment = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'));
        let run = marker.map_or(0, |m| trimmed.chars().take_while(|&c| c == m).count());
        match (fence, marker) {
            (None, Some(m)) if run >= 3 => {
                fence = Some((m, run));
                continue;
            }
            (Some((m, open)), Some(close)) if close == m && run >= open => {
                if trimmed.trim_end().chars().all(|c| c == m) {
                    fence = None;
                }
                continue;
            }
            (Some(_), _) => continue,
            _ => {}
        }
        if comment {
            if line.contains("-->") {
                comment = false;
            }
            continue;
        }
        if trimmed.starts_with("<!--") && !line.contains("-->") {
            comment = true;
            continue;
        }
        lines.push((index + 1, line));
    }
    lines
}

/// Something found in a document's prose.
#[derive(Debug, PartialEq)]
enum Kind {
    /// A link's destination.
    Link(String),
    /// A code span's text.
    Code(String),
}

#[derive(Debug)]
struct Item {
    line: usize,
    kind: Kind,
}

/// The links and code spans of a document, outside fenced code blocks.
fn scan(text: &str) -> Vec<Item> {
    let mut items = Vec::new();
    for (line, content) in prose_lines(text) {
        // Code spans first: what is inside them is not a link.
        let mut prose = String::new();
        let mut rest = content;
        while let Some(open) = rest.find('`') {
            let ticks = rest
                .get(open..)
                .unwrap_or_default()
                .chars()
                .take_while(|&c| c == '`')
                .count();
            prose.push_str(rest.get(..open).unwrap_or_default());
            let after = rest.get(open + ticks..).unwrap_or_default();
            let closing = "`".repeat(ticks);
            match after.find(&closing) {
                Some(close) => {
                    let span = after.get(..close).unwrap_or_default().trim();
                    let following = after.get(close + ticks..).unwrap_or_default();
                    // The whole text of a link (`` [`path`](url) ``) names what the link does.
                    let link_text = prose.ends_with('[') && following.starts_with("](");
                    if !link_text {
                        items.push(Item {
                            line,
                            kind: Kind::Code(span.to_owned()),
                        });
                    }
                    prose.push(' ');
                    rest = following;
                }
                None => {
                    prose.push_str(rest.get(open..open + ticks).unwrap_or_default());
                    rest = after;
                }
            }
        }
        prose.push_str(rest);
        for target in link_targets(&prose) {
            items.push(Item {
                line,
                kind: Kind::Link(target),
            });
        }
    }
    items
}

/// The destinations of one line's inline links and images (`[text](dest "title")`), reference
/// definitions (`[id]: dest`) and HTML `href`/`src` attributes.
fn link_targets(prose: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let trimmed = prose.trim_start();
    if trimmed.starts_with('[')
        && let Some((label, dest)) = trimmed.split_once("]:")
        && !label.contains(']')
    {
        if label.starts_with("[^") {
            // A footnote, not a link.
            return targets;
        }
        if let Some(dest) = dest.split_whitespace().next() {
            targets.push(unwrap_angle(dest));
        }
        return targets;
    }
    let mut rest = prose;
    while let Some(at) = rest.find("](") {
        let tail = rest.get(at + 2..).unwrap_or_default();
        let mut depth = 1;
        let mut end = tail.len();
        for (index, c) in tail.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = index;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inside = tail.get(..end).unwrap_or_default().trim();
        let dest = if inside.starts_with('<') {
            inside.split_once('>').map_or(inside, |(dest, _)| dest)
        } else {
            inside.split_whitespace().next().unwrap_or_default()
        };
        targets.push(unwrap_angle(dest));
        rest = tail.get(end..).unwrap_or_default();
    }
    for attribute in ["href=\"", "src=\""] {
        let mut rest = prose;
        while let Some(at) = rest.find(attribute) {
            let tail = rest.get(at + attribute.len()..).unwrap_or_default();
            if let Some((dest, _)) = tail.split_once('"') {
                targets.push(dest.to_owned());
            }
            rest = tail;
        }
    }
    targets
}

fn unwrap_angle(dest: &str) -> String {
    dest.trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

#[test]
fn every_link_of_the_project_documents_resolves_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace");
    let repo = Repo::load(root).expect("the workspace is a git checkout");
    assert!(
        repo.docs.iter().any(|doc| doc.path == "README.md")
            && repo
                .docs
                .iter()
                .any(|doc| doc.path == "signalr-runtime/guide/hubs.md" && doc.rustdoc),
        "the checker sees the README and the guide: {:?}",
        repo.docs
    );
    let problems = repo.check();
    assert!(
        problems.is_empty(),
        "broken links in the project's documents:\n{}",
        problems.join("\n")
    );
}

/// Every page of the guide is included in the runtime's rustdoc, so that `cargo test --doc`
/// compiles its examples and docs.rs renders it.
#[test]
fn every_guide_page_is_rendered_by_rustdoc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace");
    let repo = Repo::load(root).expect("the workspace is a git checkout");
    let pages: Vec<String> = std::fs::read_dir(root.join("signalr-runtime/guide"))
        .expect("the guide's folder")
        .map(|entry| {
            entry
                .expect("a guide page")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .collect();
    assert!(pages.len() >= 10, "the guide has its pages: {pages:?}");
    for page in pages {
        let path = format!("signalr-runtime/guide/{page}");
        let module = format!("crate::guide::{}", page.trim_end_matches(".md"));
        assert!(
            repo.docs.iter().any(|doc| doc.path == path
                && doc.rustdoc
                && doc.module.as_deref() == Some(module.as_str())),
            "{path} is not included as the docs of {module} (signalr-runtime/src/guide.rs)"
        );
    }
}

/// The checker itself: it passes good links and fails broken ones.
#[cfg(test)]
mod checker {
    use super::*;

    /// A repository of a few files in a temporary folder, checked as the real one is.
    fn sample(files: &[(&str, &str)], rustdoc: &[(&str, &str)]) -> Vec<String> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root =
            std::env::temp_dir().join(format!("signalr-links-{}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let docs = files
            .iter()
            .filter(|(path, _)| path.ends_with(".md"))
            .map(|(path, _)| {
                let module = rustdoc
                    .iter()
                    .find(|(doc, _)| doc == path)
                    .map(|(_, module)| (*module).to_owned());
                Doc {
                    path: (*path).to_owned(),
                    rustdoc: module.is_some(),
                    module,
                }
            })
            .collect();
        let repo = Repo {
            root: root.clone(),
            files: files.iter().map(|(path, _)| (*path).to_owned()).collect(),
            docs,
        };
        let problems = repo.check();
        let _ = std::fs::remove_dir_all(&root);
        problems
    }

    #[test]
    fn good_links_pass() {
        let problems = sample(
            &[
                (
                    "README.md",
                    "# Title\n\n## Two words, `code` and [a link](https://example.com)\n\n\
                     See [the docs](docs/GUIDE.md#setup), [below](#two-words-code-and-a-link),\n\
                     [a folder](docs/), [the code](src/lib.rs), `docs/GUIDE.md` and\n\
                     <https://example.com>; [`src/specs/Other.md`](https://example.com/Other.md).\n\n```sh\ncat [not](a/link.md)\n```\n",
                ),
                (
                    "docs/GUIDE.md",
                    "# Guide\n\nSetup\n=====\n\n[Back](../README.md#title), `GUIDE.md`, `README.md`\n",
                ),
                ("src/lib.rs", "//! Nothing.\n"),
            ],
            &[],
        );
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn broken_links_fail() {
        let problems = sample(
            &[
                (
                    "README.md",
                    "# Title\n\n[gone](docs/MISSING.md)\n[anchor](#nowhere)\n\
                     [other anchor](docs/GUIDE.md#nowhere)\n[outside](../shared/docs/INTEROP.md)\n\
                     [absolute](/etc/hosts)\n[file](file:///etc/hosts)\n\
                     See `shared/docs/INTEROP.md` and `/work/shared/docs/PROTOCOL.md`.\n\n\
                     [ref]: docs/ALSO_MISSING.md\n",
                ),
                ("docs/GUIDE.md", "# Guide\n"),
            ],
            &[],
        );
        let expected = [
            "README.md:3: `docs/MISSING.md`: no such file in the repository (docs/MISSING.md)",
            "README.md:4: `#nowhere`: no such anchor in this document",
            "README.md:5: `docs/GUIDE.md#nowhere`: no such anchor in docs/GUIDE.md",
            "README.md:6: `../shared/docs/INTEROP.md`: points outside the repository",
            "README.md:7: `/etc/hosts`: an absolute path: points outside the repository",
            "README.md:8: `file:///etc/hosts`: points outside the repository",
            "README.md:9: `shared/docs/INTEROP.md`: names a document the repository does not have",
            "README.md:9: `/work/shared/docs/PROTOCOL.md`: an absolute path: names a document outside the repository",
            "README.md:11: `docs/ALSO_MISSING.md`: no such file in the repository (docs/ALSO_MISSING.md)",
        ];
        assert_eq!(problems, expected);
    }

    #[test]
    fn rustdoc_pages_use_intra_doc_links_whose_anchors_are_checked() {
        let problems = sample(
            &[
                (
                    "crate/guide/one.md",
                    "# One\n\n## Errors\n\n[two](crate::guide::two#setup), [up](super::two#setup),\n\
                     [item](crate::HubOptions), [here](#errors), [macro](macro@hub)\n\
                     [bad](crate::guide::two#teardown)\n[file](../src/lib.rs)\n[missing](#fields)\n",
                ),
                ("crate/guide/two.md", "# Two\n\n## Setup\n"),
                ("crate/src/lib.rs", "//! Nothing.\n"),
            ],
            &[
                ("crate/guide/one.md", "crate::guide::one"),
                ("crate/guide/two.md", "crate::guide::two"),
            ],
        );
        let expected = [
            "crate/guide/one.md:7: `crate::guide::two#teardown`: no such anchor in crate/guide/two.md (crate::guide::two)",
            "crate/guide/one.md:8: `../src/lib.rs`: a page rustdoc renders cannot link to repository files (docs.rs has none): use an intra-doc link or a code span",
            "crate/guide/one.md:9: `#fields`: no such anchor in this document",
        ];
        assert_eq!(problems, expected);
    }

    #[test]
    fn included_docs_are_found_with_their_modules() {
        let source = "//! Docs.\n\npub mod hubs {\n    #![doc = include_str!(\"../guide/hubs.md\")]\n}\n\n\
                      #[cfg(doctest)]\n#[doc = include_str!(\"../../README.md\")]\npub struct ReadmeDoctests;\n";
        let docs = included_docs("signalr-runtime/src/guide.rs", source);
        let found: Vec<(&str, bool, Option<&str>)> = docs
            .iter()
            .map(|doc| (doc.path.as_str(), doc.rustdoc, doc.module.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "signalr-runtime/guide/hubs.md",
                    true,
                    Some("crate::guide::hubs")
                ),
                ("README.md", false, Some("crate::guide")),
            ]
        );
    }
}
