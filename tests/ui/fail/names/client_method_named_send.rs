use signalr_runtime::hub_client;

#[hub_client]
trait ChatClient {
    async fn send(&self, text: String);
}

fn main() {}
