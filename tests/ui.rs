//! Compile tests of `#[hub]` and `#[hub_client]`: what must compile, and what must not, with
//! the exact error each mistake produces.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*/*.rs");
}
