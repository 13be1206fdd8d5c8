//! The seam between `#[hub]`-generated code and the runtime. Not public API: it changes without
//! notice, and only generated code should name it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::HubError;
use crate::hub::{Arguments, InvokeError};
use crate::protocol::Value;

/// Types a hub method can take as a parameter.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a hub method parameter",
    label = "the client's argument cannot be deserialized into this type",
    note = "parameters are bound from the client's arguments: derive `serde::Deserialize` for `{Self}`"
)]
pub trait HubParameter: DeserializeOwned + Send + 'static {}

impl<T: DeserializeOwned + Send + 'static> HubParameter for T {}

/// Types that can travel to clients: hub method results and client method arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to clients",
    label = "this type cannot be serialized",
    note = "results and client arguments are serialized for the client: derive `serde::Serialize` for `{Self}`"
)]
pub trait HubValue: Serialize + Send + Sync + 'static {}

impl<T: Serialize + Send + Sync + 'static> HubValue for T {}

/// Error types a fallible hub method may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a hub method's error",
    label = "this error type does not convert into `HubError`",
    note = "return `HubResult<T>`, or an error type that implements `std::error::Error`"
)]
pub trait IntoHubError {
    /// The conversion.
    fn into_hub_error(self) -> HubError;
}

impl<E: Into<HubError>> IntoHubError for E {
    fn into_hub_error(self) -> HubError {
        self.into()
    }
}

/// Binds argument `index` for a parameter of type `T`.
pub fn bind_argument<T: HubParameter>(args: &Arguments, index: usize) -> Result<T, InvokeError> {
    args.decode(index)
}

/// Wraps a method's result.
pub fn result_value<T: HubValue>(value: T) -> Value {
    Value::new(value)
}

/// Wraps an argument of a client method.
pub fn argument_value<T: HubValue>(value: T) -> Value {
    Value::new(value)
}

/// Converts a method's error.
pub fn method_error<E: IntoHubError>(error: E) -> InvokeError {
    InvokeError::Failed(error.into_hub_error())
}
