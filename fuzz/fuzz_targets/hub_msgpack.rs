//! The MessagePack hub protocol reader, as a framed stream and as one record body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = signalr_runtime::fuzzing::hub_msgpack(data) {
        panic!("{broken}");
    }
});
