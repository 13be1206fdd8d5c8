use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn move_to(&self, (x, y): (i32, i32));
}

fn main() {}
