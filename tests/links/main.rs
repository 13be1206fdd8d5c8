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
use std::path::Path;

mod anchors;
mod includes;
mod markdown;
mod paths;
mod repo;

use repo::Repo;

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
mod checker;
