//! kite's integration tests, one module per topic, in one test binary.

mod api;
mod cache;
mod exceptions;
mod interrupts;
mod limits;
mod pooling;
mod simd;
mod spec;
mod tiering;
mod traps;
mod typed_dispatch;

/// An engine for each calling convention, for the tests that run under all of them.
fn engines() -> Vec<(&'static str, kite_runtime::Engine)> {
    kite_runtime::conventions()
        .into_iter()
        .map(|cc| {
            let mut config = kite_runtime::Config::new();
            config.tail_cc(cc).unwrap();
            (cc, kite_runtime::Engine::new(&config).unwrap())
        })
        .collect()
}
