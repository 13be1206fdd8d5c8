use signalr_runtime::hub;

#[hub(rename_all = "kebab-case")]
trait Chat {
    async fn send(&self, text: String);
}

fn main() {}
