use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn send(&mut self, text: String);
}

fn main() {}
