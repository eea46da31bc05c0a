//! Builds the few lines of C that Rust cannot express: `setjmp`/`longjmp` around calls into Wasm,
//! and the compiler's icache-flush builtin.
fn main() {
    println!("cargo:rerun-if-changed=src/sys/helpers.c");
    cc::Build::new().file("src/sys/helpers.c").warnings(true).compile("kite_helpers");
}
