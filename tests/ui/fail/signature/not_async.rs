use signalr_runtime::hub;

#[hub]
trait Chat {
    fn count(&self) -> u32;
}

fn main() {}
