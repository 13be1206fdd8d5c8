use signalr_runtime::{HubCx, HubResult, hub_client};

#[hub_client]
trait ChatClient {
    async fn receive_message(&self, text: String);
}

async fn broadcast(cx: &HubCx) -> HubResult<()> {
    cx.clients().all().nope().await
}

fn main() {}
