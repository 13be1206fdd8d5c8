//! Negotiate (`negotiateVersion`) and the query strings of transport requests (`id`, `access_token`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    signalr_runtime::fuzzing::negotiate_query(data);
});
