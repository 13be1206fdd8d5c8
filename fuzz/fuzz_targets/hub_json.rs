//! The JSON hub protocol reader (records ended by 0x1E), as the server reads a client.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = signalr_runtime::fuzzing::hub_json(data) {
        panic!("{broken}");
    }
});
