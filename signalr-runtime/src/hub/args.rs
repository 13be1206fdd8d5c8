//! Binding an invocation's raw arguments to a method's parameter types.

use serde::de::DeserializeOwned;

use crate::error::HubError;
use crate::protocol::{DecodeError, Value};

use super::streams::{ClientStream, Upload};

/// The arguments of one invocation, still in wire form, and the streams the client uploads
/// with it.
#[derive(Debug)]
pub struct Arguments {
    values: Vec<Value>,
    uploads: Vec<Option<Upload>>,
}

impl Arguments {
    pub(crate) fn new(values: Vec<Value>) -> Self {
        Arguments {
            values,
            uploads: Vec::new(),
        }
    }

    pub(crate) fn with_uploads(values: Vec<Value>, uploads: Vec<Upload>) -> Self {
        Arguments {
            values,
            uploads: uploads.into_iter().map(Some).collect(),
        }
    }

    /// Checks that the client uploads exactly `expected` streams with this invocation.
    ///
    /// # Errors
    ///
    /// [`InvokeError::StreamCount`] otherwise.
    pub fn expect_streams(&self, expected: usize) -> Result<(), InvokeError> {
        if self.uploads.len() == expected {
            Ok(())
        } else {
            Err(InvokeError::StreamCount {
                provided: self.uploads.len(),
                expected,
            })
        }
    }

    /// Takes upload stream `index` (in the order of the invocation's `streamIds`).
    ///
    /// # Errors
    ///
    /// [`InvokeError::StreamCount`] when there is no such stream (or it was taken already).
    pub fn take_stream<T>(&mut self, index: usize) -> Result<ClientStream<T>, InvokeError> {
        let provided = self.uploads.len();
        self.uploads
            .get_mut(index)
            .and_then(Option::take)
            .map(ClientStream::new)
            .ok_or(InvokeError::StreamCount {
                provided,
                expected: index + 1,
            })
    }

    /// How many arguments the client sent.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the client sent no arguments.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Checks that the client sent exactly `expected` arguments.
    ///
    /// # Errors
    ///
    /// [`InvokeError::ArgumentCount`] otherwise.
    pub fn expect_count(&self, expected: usize) -> Result<(), InvokeError> {
        if self.values.len() == expected {
            Ok(())
        } else {
            Err(InvokeError::ArgumentCount {
                provided: self.values.len(),
                expected,
            })
        }
    }

    /// Binds argument `index` to `T`.
    ///
    /// # Errors
    ///
    /// [`InvokeError::ArgumentType`] when the argument is missing or does not fit `T`.
    pub fn decode<T: DeserializeOwned>(&self, index: usize) -> Result<T, InvokeError> {
        let value = self.values.get(index).ok_or(InvokeError::ArgumentCount {
            provided: self.values.len(),
            expected: index + 1,
        })?;
        value
            .decode()
            .map_err(|error| InvokeError::ArgumentType { index, error })
    }
}

impl From<Vec<Value>> for Arguments {
    fn from(values: Vec<Value>) -> Self {
        Arguments::new(values)
    }
}

/// Why an invocation did not produce a result.
#[derive(Debug)]
#[non_exhaustive]
pub enum InvokeError {
    /// The hub has no method at the index it was asked to run.
    UnknownMethod,
    /// The client uploads a different number of streams than the method takes.
    StreamCount {
        /// How many the client sent.
        provided: usize,
        /// How many the method takes.
        expected: usize,
    },
    /// The client sent the wrong number of arguments.
    ArgumentCount {
        /// How many the client sent.
        provided: usize,
        /// How many the method takes.
        expected: usize,
    },
    /// An argument does not fit its parameter's type.
    ArgumentType {
        /// The argument's position.
        index: usize,
        /// What the deserializer said.
        error: DecodeError,
    },
    /// The method ran and failed.
    Failed(HubError),
}

impl From<HubError> for InvokeError {
    fn from(error: HubError) -> Self {
        InvokeError::Failed(error)
    }
}
