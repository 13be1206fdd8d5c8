use signalr_runtime::hub;

#[hub]
struct Chat {
    rooms: u32,
}

fn main() {}
