//! A trait the macro rejects draws the macro's errors and nothing else: the imports it uses
//! stay used, and code naming the trait still finds it.

use std::collections::HashMap;

use signalr_runtime::hub;

#[hub]
trait Inventory {
    async fn counts(&self) -> HashMap<String, u32>;
    fn total(&self) -> u32;
}

struct Store;

impl Inventory for Store {
    async fn counts(&self) -> HashMap<String, u32> {
        HashMap::new()
    }
}

fn main() {}
