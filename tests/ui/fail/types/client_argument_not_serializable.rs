use signalr_runtime::hub_client;

struct Room;

#[hub_client]
trait ChatClient {
    async fn moved(&self, room: Room);
}

fn main() {}
