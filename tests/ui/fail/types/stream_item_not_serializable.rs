use signalr_runtime::hub;
use signalr_runtime::stream::Stream;

struct Tick;

#[hub]
trait Clock {
    fn ticks(&self) -> impl Stream<Item = Tick> + Send;
}

fn main() {}
