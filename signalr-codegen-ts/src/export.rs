//! The test-time export: an application's contract and TypeScript, written from one of its own
//! tests (as ts-rs does), or checked in CI.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use signalr_runtime::contract::{self as runtime, Manifest};

use crate::{Contract, Error, Options, generate, output};

/// The environment variable that turns [`Export::run`] into a check: with `SIGNALR_TS_CHECK=1`
/// it writes nothing and fails when a file differs from what it would write. (Set, non-empty,
/// and neither `0` nor `false`.)
pub const CHECK_ENV: &str = "SIGNALR_TS_CHECK";

/// The contract's file name in the export folder (unless [`Export::contract_path`] moves it).
pub const CONTRACT_FILE: &str = "contract.json";

/// Writes the contract of an application's hubs (`contract.json`) and their TypeScript into one
/// folder, from a test of the application, or checks that folder in CI.
///
/// A relative folder is resolved against the `CARGO_MANIFEST_DIR` environment variable, which
/// cargo sets for the tests it runs: the folder of the crate whose test calls this. An absolute
/// one is used as it is (`concat!(env!("CARGO_MANIFEST_DIR"), "/web/generated")` does not
/// depend on how the test is started).
///
/// `cargo test export_typescript` then regenerates everything after a change to the hubs, and
/// `SIGNALR_TS_CHECK=1 cargo test export_typescript` (CI) writes nothing and fails, naming the
/// files, when they are stale:
///
/// ```
/// # mod hubs {
/// # use signalr_runtime::{hub, hub_client};
/// # #[hub] pub trait Chat { async fn send_message(&self, user: String, text: String); }
/// # #[hub_client] pub trait ChatClient { async fn receive_message(&self, user: String, text: String); }
/// # }
/// # use hubs::{ChatClientContract, ChatContract};
/// // tests/typescript.rs
/// use signalr_codegen_ts::{Export, ExportError, Int64, Options};
///
/// #[test]
/// fn export_typescript() -> Result<(), ExportError> {
///     Export::new("web/generated") // next to this crate's Cargo.toml
///         .with::<ChatContract>()
///         .with::<ChatClientContract>()
///         .options(Options::default().int64(Int64::Number))
///         .run()
/// }
/// # fn main() -> Result<(), ExportError> {
/// # // `#[test]` functions are not compiled here: the same export, into a scratch folder.
/// # let dir = std::env::temp_dir().join(format!("signalr-codegen-ts-doc-{}", std::process::id()));
/// # Export::new(&dir)
/// #     .with::<ChatContract>()
/// #     .with::<ChatClientContract>()
/// #     .options(Options::default().int64(Int64::Number))
/// #     .check(false)
/// #     .run()?;
/// # assert!(dir.join("Chat.ts").exists() && dir.join("contract.json").exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(())
/// # }
/// ```
///
/// The contracts come from `#[hub]` and `#[hub_client]` traits with `signalr-runtime`'s
/// `schema` feature on; a parameter or result type without `schemars::JsonSchema` fails the
/// export with an error that names it. Nothing is written when generation fails.
#[allow(
    clippy::test_attr_in_doctest,
    reason = "the example shows the test an application writes; the doc test runs its body"
)]
#[derive(Debug)]
#[must_use = "an export does nothing until `run`"]
pub struct Export {
    dir: PathBuf,
    contract: Option<PathBuf>,
    manifest: Manifest,
    options: Options,
    check: Option<bool>,
}

impl Export {
    /// An export into `dir`, of no hubs yet, with the default [`Options`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Export {
            dir: dir.into(),
            contract: None,
            manifest: Manifest::new(),
            options: Options::default(),
            check: None,
        }
    }

    /// Adds the contract of a `#[hub]` or `#[hub_client]` trait (`{Trait}Contract`).
    pub fn with<C: runtime::Contract>(mut self) -> Self {
        self.manifest = self.manifest.with::<C>();
        self
    }

    /// The generator's options (64-bit integers, protocol).
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Writes the contract to `path` instead of `contract.json` in the folder (a relative path
    /// is resolved as the folder is).
    pub fn contract_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.contract = Some(path.into());
        self
    }

    /// Checks (`true`) or writes (`false`) whatever [`CHECK_ENV`] says.
    pub fn check(mut self, check: bool) -> Self {
        self.check = Some(check);
        self
    }

    /// Generates, then writes the files (only those that changed, and removes generated
    /// TypeScript files the hubs no longer need), or with [`CHECK_ENV`] set compares them.
    ///
    /// # Errors
    ///
    /// [`ExportError::Stale`] when checking finds files to rewrite; otherwise a generation
    /// error (a type without a schema, a 64-bit integer without [`Options::int64`]), an I/O
    /// error, or a relative folder without `CARGO_MANIFEST_DIR`.
    pub fn run(self) -> Result<(), ExportError> {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR");
        let dir = resolve(&self.dir, manifest_dir.as_ref())?;
        let (contract_shown, contract_path) = match &self.contract {
            Some(path) => (path.clone(), resolve(path, manifest_dir.as_ref())?),
            None => (self.dir.join(CONTRACT_FILE), dir.join(CONTRACT_FILE)),
        };
        // Ends with a newline, as a text file should (and as the CLI's users write it).
        let json = self
            .manifest
            .to_json()
            .map_err(|error| ExportError::Contract(error.to_string()))?
            + "\n";
        let contract =
            Contract::from_json(&json).map_err(|error| ExportError::Contract(error.to_string()))?;
        let output = generate(&contract, &self.options).map_err(ExportError::Generate)?;

        if self.check.unwrap_or_else(check_requested) {
            let mut stale: Vec<PathBuf> = output
                .stale(&dir)
                .map_err(|source| ExportError::io(&dir, source))?
                .into_iter()
                .map(|name| self.dir.join(name))
                .collect();
            if output::differs(&contract_path, &json)
                .map_err(|source| ExportError::io(&contract_path, source))?
            {
                stale.push(contract_shown);
            }
            if stale.is_empty() {
                return Ok(());
            }
            let test = std::thread::current()
                .name()
                .filter(|name| *name != "main")
                .map(str::to_owned);
            return Err(ExportError::Stale { files: stale, test });
        }

        output
            .write(&dir)
            .map_err(|source| ExportError::io(&dir, source))?;
        if let Some(parent) = contract_path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ExportError::io(parent, source))?;
        }
        output::write_if_changed(&contract_path, &json)
            .map_err(|source| ExportError::io(&contract_path, source))
    }
}

/// Whether [`CHECK_ENV`] asks for a check.
fn check_requested() -> bool {
    std::env::var_os(CHECK_ENV).is_some_and(|value| {
        let value = value.to_string_lossy();
        !matches!(value.trim(), "" | "0" | "false")
    })
}

/// `path` itself when absolute, else under `manifest_dir`.
fn resolve(path: &Path, manifest_dir: Option<&OsString>) -> Result<PathBuf, ExportError> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    match manifest_dir {
        Some(root) => Ok(Path::new(root).join(path)),
        None => Err(ExportError::NoManifestDir(path.to_owned())),
    }
}

/// Why [`Export::run`] failed.
///
/// Its `Debug` is its message, so that a test returning `Result<(), ExportError>` (or calling
/// `unwrap`) prints something a person can act on.
#[non_exhaustive]
pub enum ExportError {
    /// Checking ([`CHECK_ENV`]) found these files missing, different from what would be
    /// written, or generated earlier and no longer produced.
    Stale {
        /// The files, as given to [`Export`] (relative to the crate when the folder was).
        files: Vec<PathBuf>,
        /// The test that ran the export, when the test harness named its thread.
        test: Option<String>,
    },
    /// The contract cannot be turned into TypeScript (the error names the type and where it
    /// is used).
    Generate(Error),
    /// The contract could not be written as JSON or read back (a bug, not a user error).
    Contract(String),
    /// Reading or writing a file failed.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A relative folder, but no `CARGO_MANIFEST_DIR` to resolve it against.
    NoManifestDir(PathBuf),
}

impl ExportError {
    fn io(path: &Path, source: io::Error) -> Self {
        ExportError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Stale { files, test } => {
                let files: Vec<String> = files
                    .iter()
                    .map(|file| file.display().to_string())
                    .collect();
                let rerun = match test {
                    Some(test) => format!("`cargo test {test}`"),
                    None => "the export test".to_owned(),
                };
                write!(
                    f,
                    "the TypeScript export is stale ({CHECK_ENV} is set, so nothing was written): \
                     {}; run {rerun} without {CHECK_ENV} to regenerate, and commit the result",
                    files.join(", ")
                )
            }
            ExportError::Generate(error) => write!(f, "cannot generate TypeScript: {error}"),
            ExportError::Contract(error) => write!(f, "cannot write the hub contract: {error}"),
            ExportError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ExportError::NoManifestDir(path) => write!(
                f,
                "cannot resolve {}: CARGO_MANIFEST_DIR is not set (cargo sets it for `cargo \
                 test`); give an absolute folder, such as \
                 concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/web/generated\")",
                path.display()
            ),
        }
    }
}

impl fmt::Debug for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Generate(error) => Some(error),
            ExportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use signalr_runtime::{hub, hub_client};

    use super::{CONTRACT_FILE, Export, ExportError, resolve};
    use crate::{BANNER, Int64, Options};

    /// A line.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct Line {
        author_name: String,
        text: String,
    }

    /// Has no schema.
    #[derive(Serialize, Deserialize)]
    struct Opaque(u32);

    /// The board.
    #[allow(dead_code, reason = "only its contract is used")]
    #[hub]
    trait Board {
        /// Posts a line.
        async fn post(&self, line: Line) -> u64;
    }

    /// Board clients.
    #[hub_client]
    trait BoardClient {
        /// A posted line.
        async fn posted(&self, line: Line);
    }

    #[allow(dead_code, reason = "only its contract is used")]
    #[hub]
    trait Vault {
        async fn store(&self, item: Opaque);
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "signalr-codegen-ts-export-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn board(dir: &std::path::Path) -> Export {
        Export::new(dir)
            .with::<BoardContract>()
            .with::<BoardClientContract>()
            .options(Options::default().int64(Int64::Number))
    }

    fn stale_files(error: ExportError) -> Vec<PathBuf> {
        match error {
            ExportError::Stale { files, .. } => files,
            other => panic!("not stale: {other}"),
        }
    }

    #[test]
    fn writes_the_contract_and_the_typescript_then_checks_them() {
        let dir = scratch("write");
        let error = board(&dir).check(true).run().unwrap_err();
        assert!(!dir.exists(), "a check writes nothing");
        let names: Vec<_> = stale_files(error)
            .into_iter()
            .map(|file| file.strip_prefix(&dir).unwrap().to_owned())
            .collect();
        let expected = [
            "Board.ts",
            "BoardClient.ts",
            "index.ts",
            "types.ts",
            CONTRACT_FILE,
        ];
        assert_eq!(names, expected.map(PathBuf::from));

        board(&dir).check(false).run().unwrap();
        for name in expected {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            assert!(name == CONTRACT_FILE || text.starts_with(BANNER), "{name}");
        }
        let contract = std::fs::read_to_string(dir.join(CONTRACT_FILE)).unwrap();
        assert!(
            contract.contains("\"Post\"") && contract.ends_with("}\n"),
            "{contract}"
        );
        let types = std::fs::read_to_string(dir.join("types.ts")).unwrap();
        assert!(types.contains("authorName: string"), "{types}");
        board(&dir).check(true).run().unwrap();

        // A changed contract and a leftover generated file are stale; hand-written files are not.
        std::fs::write(dir.join(CONTRACT_FILE), "{}\n").unwrap();
        std::fs::write(dir.join("Old.ts"), format!("{BANNER}\n")).unwrap();
        std::fs::write(dir.join("main.ts"), "// mine\n").unwrap();
        let error = board(&dir).check(true).run().unwrap_err();
        let message = error.to_string();
        assert!(message.contains("SIGNALR_TS_CHECK"), "{message}");
        assert!(
            message.contains("writes_the_contract_and_the_typescript_then_checks_them"),
            "names the test to rerun: {message}"
        );
        assert_eq!(format!("{error:?}"), message, "Debug is the message");
        assert_eq!(
            stale_files(error),
            [dir.join("Old.ts"), dir.join(CONTRACT_FILE)]
        );

        board(&dir).check(false).run().unwrap();
        assert!(!dir.join("Old.ts").exists());
        assert!(dir.join("main.ts").exists());
        board(&dir).check(true).run().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_contract_may_live_elsewhere() {
        let dir = scratch("elsewhere");
        let contract = dir.join("contract.json");
        let generated = dir.join("generated");
        let export = || board(&generated).contract_path(&contract);
        export().check(false).run().unwrap();
        assert!(contract.exists());
        assert!(!generated.join(CONTRACT_FILE).exists());
        export().check(true).run().unwrap();
        std::fs::remove_file(&contract).unwrap();
        assert_eq!(
            stale_files(export().check(true).run().unwrap_err()),
            [contract]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_type_without_a_schema_is_named_and_nothing_is_written() {
        let dir = scratch("opaque");
        let error = Export::new(&dir)
            .with::<VaultContract>()
            .check(false)
            .run()
            .unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, ExportError::Generate(_)), "{message}");
        assert!(message.contains("`Opaque` has no JSON Schema"), "{message}");
        assert!(
            message.contains("derive `schemars::JsonSchema`"),
            "{message}"
        );
        assert!(message.contains("Store"), "names the method: {message}");
        assert!(!dir.exists());
    }

    #[test]
    fn relative_folders_are_under_the_manifest_dir() {
        let root = std::ffi::OsString::from("/crate");
        assert_eq!(
            resolve("web/generated".as_ref(), Some(&root)).unwrap(),
            PathBuf::from("/crate/web/generated")
        );
        assert_eq!(
            resolve("/abs".as_ref(), None).unwrap(),
            PathBuf::from("/abs")
        );
        let message = resolve("web".as_ref(), None).unwrap_err().to_string();
        assert!(message.contains("CARGO_MANIFEST_DIR"), "{message}");

        // cargo sets it for this test: a check of a folder that is not there names its files
        // as they were given.
        let error = board("no-such-folder".as_ref())
            .check(true)
            .run()
            .unwrap_err();
        assert!(stale_files(error).contains(&PathBuf::from("no-such-folder/types.ts")));
        assert!(
            !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("no-such-folder")
                .exists()
        );
    }
}
