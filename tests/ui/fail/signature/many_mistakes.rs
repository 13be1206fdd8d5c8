use signalr_runtime::hub;

#[hub(rename_al = "camelCase")]
trait Chat {
    fn send(&self, text: String);
    async fn leave(room: String);
}

fn main() {}
