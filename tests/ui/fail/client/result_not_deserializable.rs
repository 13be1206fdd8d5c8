//! A result type the client cannot deserialize is an error where the proxy method is called.

use serde::Serialize;
use signalr_runtime::client::{ClientError, HubConnection};
use signalr_runtime::hub;

#[derive(Serialize)]
struct Report {
    lines: u32,
}

#[hub]
trait Reports {
    async fn report(&self) -> Report;
}

async fn call(connection: &HubConnection) -> Result<(), ClientError> {
    ReportsProxy::new(connection).report().await?;
    Ok(())
}

fn main() {
    let _ = call;
}
