use signalr_runtime::hub;

#[hub]
trait Chat {
    #[hub(rename = "Send")]
    async fn send(&self, text: String);
}

fn main() {}
