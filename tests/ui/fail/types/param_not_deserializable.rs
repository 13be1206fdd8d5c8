use signalr_runtime::hub;

struct Room;

#[hub]
trait Chat {
    async fn join(&self, room: Room);
}

fn main() {}
