use signalr_runtime::hub;

#[hub]
trait Room {
    async fn on_connected(&self) -> u32;
}

fn main() {}
