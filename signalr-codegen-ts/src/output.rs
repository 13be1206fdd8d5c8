//! The generated files, written to a folder or compared with one.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use crate::BANNER;

/// Generated files by name (`types.ts`, `{Hub}.ts`, `index.ts`), each starting with [`BANNER`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    files: BTreeMap<String, String>,
}

impl Output {
    pub(crate) fn new(files: BTreeMap<String, String>) -> Self {
        Output { files }
    }

    /// The files, sorted by name.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// Writes every file into `dir` (created if needed) and removes the generated files there
    /// that this output no longer has. Files without the banner are left alone.
    ///
    /// # Errors
    ///
    /// The first I/O error.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, text) in &self.files {
            write_if_changed(&dir.join(name), text)?;
        }
        for name in self.leftovers(dir)? {
            std::fs::remove_file(dir.join(name))?;
        }
        Ok(())
    }

    /// The names of the files in `dir` that differ from this output: missing, changed, or
    /// generated earlier and no longer produced. Empty when `dir` is up to date.
    ///
    /// # Errors
    ///
    /// An I/O error other than a missing file or folder.
    pub fn stale(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut stale = Vec::new();
        for (name, text) in &self.files {
            if differs(&dir.join(name), text)? {
                stale.push(name.clone());
            }
        }
        stale.extend(self.leftovers(dir)?);
        Ok(stale)
    }

    /// Generated `.ts` files in `dir` that are not part of this output, sorted.
    fn leftovers(&self, dir: &Path) -> io::Result<Vec<String>> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let mut leftovers = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".ts") || self.files.contains_key(&name) {
                continue;
            }
            let generated =
                std::fs::read_to_string(entry.path()).is_ok_and(|text| text.starts_with(BANNER));
            if generated {
                leftovers.push(name);
            }
        }
        leftovers.sort();
        Ok(leftovers)
    }
}

/// Whether the file at `path` is missing or holds other text than `text`.
///
/// # Errors
///
/// An I/O error other than a missing file.
pub(crate) fn differs(path: &Path, text: &str) -> io::Result<bool> {
    match std::fs::read_to_string(path) {
        Ok(existing) => Ok(existing != text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(error),
    }
}

/// Writes `text` to `path` unless it holds it already: rewriting an identical file would wake
/// watchers and bundlers for nothing. The parent folder must exist.
///
/// # Errors
///
/// The I/O error of writing.
pub(crate) fn write_if_changed(path: &Path, text: &str) -> io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text)?;
    }
    Ok(())
}
