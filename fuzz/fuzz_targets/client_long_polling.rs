//! The client's Long Polling reader: poll statuses and bodies, the handshake answer, then hub messages.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = signalr_runtime::fuzzing::client_long_polling(data) {
        panic!("{broken}");
    }
});
