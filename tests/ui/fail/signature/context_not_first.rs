use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn send(&self, text: String, cx: &signalr_runtime::HubCx);
}

fn main() {}
