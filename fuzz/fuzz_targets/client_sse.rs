//! The client's Server-Sent Events reader, whole and in pieces, and the JSON messages in the events.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = signalr_runtime::fuzzing::client_sse(data) {
        panic!("{broken}");
    }
});
