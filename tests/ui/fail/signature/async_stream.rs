use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn ticks(&self) -> impl Stream<Item = u32> + Send;
}

fn main() {}
