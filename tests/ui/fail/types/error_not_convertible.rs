use signalr_runtime::hub;

#[derive(Debug)]
struct NotAnError;

#[hub]
trait Chat {
    async fn join(&self, room: String) -> Result<u32, NotAnError>;
}

fn main() {}
