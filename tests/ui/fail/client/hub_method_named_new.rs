//! `new` creates the generated client proxy, so a hub method cannot be called that.

use signalr_runtime::hub;

#[hub]
trait Factory {
    async fn new(&self, name: String) -> String;
}

fn main() {}
