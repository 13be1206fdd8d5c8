use signalr_runtime::hub;

#[hub]
trait Chat {
    fn ticks(&self) -> impl Stream<Item = u32>;
}

fn main() {}
