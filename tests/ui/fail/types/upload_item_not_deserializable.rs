use signalr_runtime::hub;
use signalr_runtime::hub::ClientStream;

struct Line;

#[hub]
trait Paste {
    async fn paste(&self, lines: ClientStream<Line>) -> u32;
}

fn main() {}
