//! `TestHub` of the official functional-test app, method for method.

use signalr_runtime::hub::ClientStream;
use signalr_runtime::stream::{self, Stream, StreamExt};
use signalr_runtime::{HubCx, HubError, HubResult, hub, hub_client};

use crate::types::{ComplexObject, CustomObject};

/// What the official client's functional tests call.
#[hub]
pub(crate) trait Test {
    /// Returns `message` unchanged.
    async fn echo(&self, message: String) -> String;

    /// The caller's connection id, as negotiate reported it.
    async fn get_caller_connection_id(&self, cx: &HubCx) -> String;

    /// The `numRedirects` query parameter of the connection's transport request.
    async fn get_num_redirects(&self, cx: &HubCx) -> HubResult<i32>;

    /// Fails with `message`.
    async fn throw_exception(&self, message: String) -> HubResult<()>;

    /// Calls the caller's `Message(message)`.
    async fn invoke_with_string(&self, cx: &HubCx, message: String) -> HubResult<()>;

    /// Calls the caller's `CustomObject(custom_object)`.
    async fn send_custom_object(&self, cx: &HubCx, custom_object: CustomObject) -> HubResult<()>;

    /// Streams `"a"`, `"b"`, `"c"`.
    #[hub(name = "Stream")]
    fn letters(&self) -> impl Stream<Item = String> + Send;

    /// Never yields; calls the caller's `StreamCanceled()` once cancelled.
    fn infinite_stream(&self, cx: &HubCx) -> impl Stream<Item = String> + Send;

    /// Concatenates the strings the client uploads.
    async fn streaming_concat(&self, stream: ClientStream<String>) -> HubResult<String>;

    /// A stream that ends at once.
    fn empty_stream(&self) -> impl Stream<Item = i32> + Send;

    /// Fails with `message` before streaming anything.
    fn stream_throw_exception(
        &self,
        message: String,
    ) -> HubResult<impl Stream<Item = String> + Send>;

    /// `WebSockets`, `ServerSentEvents` or `LongPolling`.
    async fn get_active_transport_name(&self, cx: &HubCx) -> String;

    /// Returns the object unchanged.
    async fn echo_complex_object(&self, complex_object: ComplexObject) -> ComplexObject;

    /// A fixed object of every type the tests check.
    async fn send_complex_object(&self) -> ComplexObject;

    /// The `Content-Type` header of the connection's transport request.
    async fn get_content_type_header(&self, cx: &HubCx) -> Option<String>;

    /// Header `header_name` of the connection's transport request, or null.
    async fn get_header(&self, cx: &HubCx, header_name: String) -> Option<String>;

    /// Cookie `cookie_name` of the connection's transport request, or null.
    async fn get_cookie(&self, cx: &HubCx, cookie_name: String) -> Option<String>;
}

/// What the test hub calls on clients.
#[hub_client]
pub(crate) trait TestClient {
    /// `InvokeWithString`'s message.
    async fn message(&self, message: String);

    /// `SendCustomObject`'s object.
    async fn custom_object(&self, custom_object: CustomObject);

    /// `InfiniteStream` was cancelled.
    async fn stream_canceled(&self);

    /// Asked by `GET /clientresult/{id}` (a client result).
    async fn result(&self) -> i32;
}

/// `UncreatableHub` of the official test app, whose constructor needs a service that does not
/// exist: every connection fails as it starts.
#[hub]
pub(crate) trait Uncreatable {
    /// Refuses the connection, with ASP.NET Core's text for the missing service.
    async fn on_connected(&self, cx: &HubCx) -> HubResult<()>;
}

/// The hub that cannot be created.
#[derive(Debug, Default)]
pub(crate) struct Unconstructible;

impl Uncreatable for Unconstructible {
    async fn on_connected(&self, _cx: &HubCx) -> HubResult<()> {
        Err(HubError::new(
            "Unable to resolve service for type 'System.Object' while attempting to activate \
             'FunctionalTests.UncreatableHub'.",
        ))
    }
}

/// The test hub. It keeps no state.
#[derive(Debug, Default)]
pub(crate) struct Tester;

/// Header `name` of the connection's transport request, if it is text.
fn header(cx: &HubCx, name: &str) -> Option<String> {
    cx.headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

impl Test for Tester {
    async fn echo(&self, message: String) -> String {
        message
    }

    async fn get_caller_connection_id(&self, cx: &HubCx) -> String {
        cx.connection_id().to_string()
    }

    async fn get_num_redirects(&self, cx: &HubCx) -> HubResult<i32> {
        let text = cx
            .query("numRedirects")
            .ok_or_else(|| HubError::new("The request has no 'numRedirects' query parameter."))?;
        text.parse()
            .map_err(|_| HubError::new(format!("'{text}' is not a number of redirects.")))
    }

    async fn throw_exception(&self, message: String) -> HubResult<()> {
        Err(HubError::new(message))
    }

    async fn invoke_with_string(&self, cx: &HubCx, message: String) -> HubResult<()> {
        cx.clients().caller().message(message).await
    }

    async fn send_custom_object(&self, cx: &HubCx, custom_object: CustomObject) -> HubResult<()> {
        cx.clients().caller().custom_object(custom_object).await
    }

    fn letters(&self) -> impl Stream<Item = String> + Send {
        stream::iter(["a", "b", "c"].map(str::to_owned))
    }

    fn infinite_stream(&self, cx: &HubCx) -> impl Stream<Item = String> + Send {
        let cx = cx.clone();
        tokio::spawn(async move {
            cx.cancelled().await;
            // The connection may be gone already (cancellation by disconnect): nothing to tell.
            let _ = cx.clients().caller().stream_canceled().await;
        });
        stream::pending()
    }

    async fn streaming_concat(&self, mut stream: ClientStream<String>) -> HubResult<String> {
        let mut all = String::new();
        while let Some(part) = stream.next().await {
            all.push_str(&part?);
        }
        Ok(all)
    }

    fn empty_stream(&self) -> impl Stream<Item = i32> + Send {
        stream::empty()
    }

    fn stream_throw_exception(
        &self,
        message: String,
    ) -> HubResult<impl Stream<Item = String> + Send> {
        Err::<stream::Empty<String>, _>(HubError::new(message))
    }

    async fn get_active_transport_name(&self, cx: &HubCx) -> String {
        cx.transport().name().to_owned()
    }

    async fn echo_complex_object(&self, complex_object: ComplexObject) -> ComplexObject {
        complex_object
    }

    async fn send_complex_object(&self) -> ComplexObject {
        ComplexObject::sample()
    }

    async fn get_content_type_header(&self, cx: &HubCx) -> Option<String> {
        header(cx, "content-type")
    }

    async fn get_header(&self, cx: &HubCx, header_name: String) -> Option<String> {
        header(cx, &header_name)
    }

    async fn get_cookie(&self, cx: &HubCx, cookie_name: String) -> Option<String> {
        cx.cookie(&cookie_name)
    }
}

#[cfg(test)]
mod tests {
    use signalr_runtime::contract::{HubContract, Manifest};

    use super::{TestClientContract, TestContract};

    #[test]
    fn the_hub_has_every_method_of_the_official_test_hub() {
        let manifest = Manifest::new()
            .with::<TestContract>()
            .with::<TestClientContract>();
        let names = |hub: &HubContract| -> Vec<String> {
            hub.methods
                .iter()
                .map(|method| method.name.clone())
                .collect()
        };
        assert_eq!(
            names(&manifest.hubs()[0]),
            [
                "Echo",
                "GetCallerConnectionId",
                "GetNumRedirects",
                "ThrowException",
                "InvokeWithString",
                "SendCustomObject",
                "Stream",
                "InfiniteStream",
                "StreamingConcat",
                "EmptyStream",
                "StreamThrowException",
                "GetActiveTransportName",
                "EchoComplexObject",
                "SendComplexObject",
                "GetContentTypeHeader",
                "GetHeader",
                "GetCookie",
            ]
        );
        assert_eq!(
            names(&manifest.hubs()[1]),
            ["Message", "CustomObject", "StreamCanceled", "Result"]
        );
    }
}
