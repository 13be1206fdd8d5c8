use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn send(&self, text: String) {
        drop(text);
    }
}

fn main() {}
