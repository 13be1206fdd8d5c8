//! The Redis backplane codec: the four envelopes a hub channel may carry, and their round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = signalr_runtime::fuzzing::redis_codec(data) {
        panic!("{broken}");
    }
});
