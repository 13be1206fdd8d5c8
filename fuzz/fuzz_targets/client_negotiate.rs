//! The client's negotiate response parser: errors, redirects, connection ids and transports.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    signalr_runtime::fuzzing::client_negotiate(data);
});
