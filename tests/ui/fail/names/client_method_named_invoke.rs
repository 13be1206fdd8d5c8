use signalr_runtime::hub_client;

#[hub_client]
trait ChatClient {
    async fn invoke(&self, text: String) -> bool;
}

fn main() {}
