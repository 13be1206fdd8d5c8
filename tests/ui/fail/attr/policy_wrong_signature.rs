use signalr_runtime::hub;

fn adults_only(age: u32) -> bool {
    age >= 18
}

#[hub]
trait Bar {
    #[hub(policy = adults_only)]
    async fn order(&self) -> u32;
}

fn main() {}
