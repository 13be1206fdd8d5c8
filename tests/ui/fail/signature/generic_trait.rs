use signalr_runtime::hub;

#[hub]
trait Chat<T> {
    async fn send(&self, text: String);
}

fn main() {}
