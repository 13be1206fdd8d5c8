use signalr_runtime::hub_client;

#[hub_client]
trait Client {
    #[hub(authorize)]
    async fn notify(&self, text: String);
}

fn main() {}
