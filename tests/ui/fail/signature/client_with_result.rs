use signalr_runtime::hub_client;

#[hub_client]
trait ChatClient {
    async fn confirm(&self, question: String) -> signalr_runtime::HubResult<bool>;
}

fn main() {}
