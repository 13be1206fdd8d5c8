//! Generation errors, with where in the contract they arose.

use std::fmt;

/// Why a contract cannot be turned into TypeScript, and where: the trail names the hub, method,
/// parameter and `$ref`s that led to the offending schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    /// Outermost first.
    trail: Vec<String>,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            trail: Vec::new(),
        }
    }

    /// Adds an outer step of the trail (called while the error travels outwards).
    #[must_use]
    pub(crate) fn within(mut self, step: impl Into<String>) -> Self {
        self.trail.insert(0, step.into());
        self
    }

    /// What went wrong, without the trail.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.trail.is_empty() {
            write!(f, "{}: ", self.trail.join(" > "))?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Adds a trail step to the error of a result.
pub(crate) trait Within<T> {
    fn within(self, step: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> Within<T> for Result<T, Error> {
    fn within(self, step: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|error| error.within(step()))
    }
}
