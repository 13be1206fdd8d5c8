use signalr_runtime::hub;

#[hub]
trait Chat {
    #[hub(name = "")]
    async fn send(&self, text: String);
}

fn main() {}
