//! Builds the few lines of C that Rust cannot express: `setjmp`/`longjmp` around calls into Wasm,
//! and the compiler's icache-flush builtin.
//!
//! Also fingerprints the sources that decide what compiled code looks like and what it expects
//! of the runtime (the frontend, the runtime, kite's Cranelift, the locked dependency versions),
//! for saved modules' headers (`artifact`): between releases kite's version stays the same while
//! code generation and the `VMContext` change, and a module saved by another build must not load.
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src/sys/helpers.c");
    cc::Build::new().file("src/sys/helpers.c").warnings(true).compile("kite_helpers");

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut hasher = DefaultHasher::new();
    for source in ["crates/frontend/src", "crates/runtime/src", "vendor/cranelift-codegen/src", "Cargo.lock"]
    {
        let path = root.join(source);
        println!("cargo:rerun-if-changed={}", path.display());
        let mut files = vec![];
        collect_files(&path, &mut files);
        files.sort();
        for file in files {
            hasher.write(file.strip_prefix(&root).unwrap_or(&file).to_string_lossy().as_bytes());
            hasher.write(&std::fs::read(&file).unwrap_or_default());
        }
    }
    println!("cargo:rustc-env=KITE_BUILD_FINGERPRINT={:016x}", hasher.finish());
}

/// Every file at or beneath `path`.
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => entries.flatten().for_each(|entry| collect_files(&entry.path(), files)),
        Err(_) if path.is_file() => files.push(path.to_path_buf()),
        Err(_) => {}
    }
}
