use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn send(&self, text: String);
    #[hub(name = "SEND")]
    async fn other(&self, text: String);
}

fn main() {}
