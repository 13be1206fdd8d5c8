use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn into_hub(&self);
}

fn main() {}
