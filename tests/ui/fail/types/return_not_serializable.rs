use signalr_runtime::hub;

struct Room;

#[hub]
trait Chat {
    async fn room(&self) -> Room;
}

fn main() {}
