//! `rename_all` on the trait and `name` on a method.

use signalr_runtime::hub::Hub;
use signalr_runtime::hub_client;

#[signalr_runtime::hub(rename_all = "camelCase")]
trait Camel {
    async fn send_message(&self, text: String);
    #[hub(name = "Custom_Name")]
    async fn renamed(&self) -> u8;
    async fn r#type(&self);
}

#[signalr_runtime::hub(rename_all = "snake_case")]
trait Snake {
    async fn send_message(&self, text: String);
    #[hub(name = "X")]
    async fn x_ray(&self);
}

#[hub_client(rename_all = "camelCase")]
trait CamelClient {
    async fn receive_message(&self, text: String);
}

struct Impl;

impl Camel for Impl {
    async fn send_message(&self, _text: String) {}
    async fn renamed(&self) -> u8 {
        7
    }
    async fn r#type(&self) {}
}

impl Snake for Impl {
    async fn send_message(&self, _text: String) {}
    async fn x_ray(&self) {}
}

fn names<H: Hub>() -> Vec<&'static str> {
    H::methods().iter().map(|method| method.name()).collect()
}

fn main() {
    assert_eq!(
        names::<CamelHub<Impl>>(),
        ["sendMessage", "Custom_Name", "type"]
    );
    assert_eq!(names::<SnakeHub<Impl>>(), ["send_message", "X"]);
    let _ = <signalr_runtime::hub::ClientProxy as CamelClientProxy>::receive_message;
}
