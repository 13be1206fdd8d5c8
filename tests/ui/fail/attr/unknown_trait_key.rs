use signalr_runtime::hub;

#[hub(rename = "camelCase")]
trait Chat {
    async fn send(&self, text: String);
}

fn main() {}
