//! Record-separator and VarInt framing, read whole and in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = signalr_runtime::fuzzing::framing(data) {
        panic!("{broken}");
    }
});
