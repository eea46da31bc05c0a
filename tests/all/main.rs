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
