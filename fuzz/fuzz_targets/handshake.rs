//! The server's handshake: record, request, protocol choice, then the chosen protocol's reader.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    signalr_runtime::fuzzing::handshake(data);
});
