use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn send(text: String);
}

fn main() {}
