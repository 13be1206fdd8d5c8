use crate::includes::included_docs;
use crate::repo::{Doc, Repo};

/// A repository of a few files in a temporary folder, checked as the real one is.
fn sample(files: &[(&str, &str)], rustdoc: &[(&str, &str)]) -> Vec<String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let root = std::env::temp_dir().join(format!("signalr-links-{}-{unique}", std::process::id()));
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
