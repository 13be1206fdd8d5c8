//! A context typed by one client trait refuses the methods of another.

use signalr_runtime::hub::TypedHubContext;
use signalr_runtime::hub_client;

#[hub_client]
trait ChatClient {
    async fn notice(&self, text: String);
}

#[hub_client]
trait AdminClient {
    async fn shutdown_warning(&self, minutes: u32);
}

async fn wrong(chat: TypedHubContext<ChatClientContract>) {
    let _ = chat.all().shutdown_warning(5).await;
}

fn main() {}
