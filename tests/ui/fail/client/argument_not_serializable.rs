//! An argument type the client cannot serialize is an error where the proxy method is called.

use serde::Deserialize;
use signalr_runtime::client::{ClientError, HubConnection};
use signalr_runtime::hub;

#[derive(Deserialize)]
struct Order {
    amount: u32,
}

#[hub]
trait Shop {
    async fn place(&self, order: Order);
}

async fn call(connection: &HubConnection) -> Result<(), ClientError> {
    ShopProxy::new(connection).place(Order { amount: 1 }).await
}

fn main() {
    let _ = call;
}
