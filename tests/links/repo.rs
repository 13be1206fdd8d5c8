//! The repository's documents, and the checks of their links and mentions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::anchors::{Anchors, slugs};
use crate::includes::{included_docs, is_rust_path, resolve_module};
use crate::markdown::{Kind, scan};
use crate::paths::{join, parent, percent_decode, scheme};

/// A Markdown document to check.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// Relative to the repository's root, with `/` separators.
    pub(crate) path: String,
    /// Rendered by rustdoc (included with `#[doc = include_str!(..)]`, not only for doc tests).
    pub(crate) rustdoc: bool,
    /// The module whose docs it is, for intra-doc links (`crate::guide::hubs`).
    pub(crate) module: Option<String>,
}

/// What the checker knows of the repository.
#[derive(Debug)]
pub(crate) struct Repo {
    pub(crate) root: PathBuf,
    /// The repository's files (tracked, or new and not ignored), relative to the root.
    pub(crate) files: BTreeSet<String>,
    pub(crate) docs: Vec<Doc>,
}

impl Repo {
    /// The repository this test lives in: its Markdown, and what its `.rs` files include.
    pub(crate) fn load(root: &Path) -> Result<Repo, String> {
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

    pub(crate) fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }

    /// Every violation, as `path:line: what`.
    pub(crate) fn check(&self) -> Vec<String> {
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
