//! Every streaming shape: plain, fallible items, fallible start, with the context, and uploads.

use signalr_runtime::hub::{ClientStream, Hub, MethodKind};
use signalr_runtime::stream::{self, Stream, StreamExt};
use signalr_runtime::{HubCx, HubError, HubResult, hub};

#[derive(Debug)]
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken")
    }
}

impl std::error::Error for Broken {}

#[hub]
trait Streams {
    fn plain(&self, to: u32) -> impl Stream<Item = u32> + Send;
    fn fallible_items(&self) -> impl Stream<Item = Result<String, Broken>> + Send;
    fn hub_result_items(&self) -> impl Stream<Item = HubResult<u8>> + Send;
    fn fallible_start(&self, cx: &HubCx) -> HubResult<impl Stream<Item = u32> + Send>;
    async fn upload(&self, parts: ClientStream<String>, label: String) -> HubResult<String>;
    async fn two_uploads(&self, cx: &HubCx, a: ClientStream<u32>, b: ClientStream<u32>) -> u32;
}

struct Impl;

impl Streams for Impl {
    fn plain(&self, to: u32) -> impl Stream<Item = u32> + Send {
        stream::iter(0..to)
    }
    fn fallible_items(&self) -> impl Stream<Item = Result<String, Broken>> + Send {
        stream::iter([Ok("a".to_owned()), Err(Broken)])
    }
    fn hub_result_items(&self) -> impl Stream<Item = HubResult<u8>> + Send {
        stream::once(async { Err(HubError::new("no")) })
    }
    fn fallible_start(&self, cx: &HubCx) -> HubResult<impl Stream<Item = u32> + Send> {
        let _ = cx.connection_id();
        Ok(stream::empty())
    }
    async fn upload(&self, mut parts: ClientStream<String>, label: String) -> HubResult<String> {
        let mut all = label;
        while let Some(part) = parts.next().await {
            all.push_str(&part?);
        }
        Ok(all)
    }
    async fn two_uploads(&self, cx: &HubCx, a: ClientStream<u32>, b: ClientStream<u32>) -> u32 {
        let _ = cx.is_cancelled();
        a.chain(b).filter_map(|item| async move { item.ok() }).fold(0, |sum, item| async move { sum + item }).await
    }
}

fn main() {
    let kinds: Vec<_> = <StreamsHub<Impl> as Hub>::methods().iter().map(|method| method.kind()).collect();
    assert_eq!(
        kinds,
        [
            MethodKind::Stream,
            MethodKind::Stream,
            MethodKind::Stream,
            MethodKind::Stream,
            MethodKind::Unary,
            MethodKind::Unary
        ]
    );
    let _ = Impl.into_hub();
}
