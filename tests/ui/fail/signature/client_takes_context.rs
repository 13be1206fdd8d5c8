use signalr_runtime::hub_client;

#[hub_client]
trait ChatClient {
    async fn receive(&self, cx: &signalr_runtime::HubCx, text: String);
}

fn main() {}
