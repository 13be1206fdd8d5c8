use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn send<T>(&self, value: T);
}

fn main() {}
