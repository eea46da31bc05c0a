//! Saved modules (`Module::serialize`, `Module::deserialize`, `precompile`) and the code cache
//! (`Config::cache_dir`): a module loaded either way computes what a fresh compilation does, a
//! damaged or foreign entry is compiled again, and a cache that cannot be written costs a
//! warning, not the module; groups tiered up in one run start recompiled in the next. The spec
//! suite round-trips every module in `spec.rs` (`serialized`).

use crate::tiering::{VM, instantiate, run};
use kite_runtime::{Config, Engine, Module, Target};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kite-cache-api-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The fused convention tiering up after 1000 indirect tail calls, caching in `dir`.
fn config(dir: Option<&Path>) -> Config {
    let mut config = Config::new();
    config.tail_cc("fused").unwrap().tier_up_after(Some(1000)).cache_dir(dir.map(Path::to_path_buf));
    config
}

/// The one cache entry in `dir` (beside which there may be its recompiled groups).
fn entry(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "kite"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().unwrap()
}

/// Runs the VM's counting loop, long enough to tier up; returns whether its group did.
fn counts_and_tiers_up(engine: &Engine, module: &Module) -> bool {
    let (mut store, instance) = instantiate(engine, module);
    assert_eq!(run(&mut store, instance, 0, 100_000).unwrap(), 100_000);
    // Trap table and function names came along.
    let trap = run(&mut store, instance, 16, 3).unwrap_err().to_string();
    assert_eq!(trap, "wasm trap: integer divide by zero (in vm!div <- vm!run)");
    !module.recompiled_groups().is_empty()
}

#[test]
fn a_deserialized_module_runs_and_tiers_up_as_a_compiled_one() {
    let engine = Engine::new(&config(None)).unwrap();
    let saved = Module::new(&engine, VM).unwrap().serialize().unwrap();
    // SAFETY: saved just now by this engine.
    let module = unsafe { Module::deserialize(&engine, &saved) }.unwrap();
    assert!(counts_and_tiers_up(&engine, &module), "the module's bytes were saved to recompile from");
    let path = temp_dir("deserialize_file").join("vm.bin");
    std::fs::write(&path, kite_runtime::precompile(engine.config(), Target::Host, VM.as_bytes()).unwrap())
        .unwrap();
    // SAFETY: as above.
    let module = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    assert!(counts_and_tiers_up(&engine, &module));
}

#[test]
fn a_saved_module_loads_only_under_the_settings_it_was_compiled_with() {
    let saved = Module::new(&Engine::new(&config(None)).unwrap(), VM).unwrap().serialize().unwrap();
    let mut wide = config(None);
    wide.tail_cc("wide").unwrap();
    let mut no_tier_up = config(None);
    no_tier_up.tier_up_after(None);
    for (config, needle) in [(wide, "calling convention `fused`"), (no_tier_up, "tier-up on")] {
        let engine = Engine::new(&config).unwrap();
        // SAFETY: refused before any code is published.
        let error = unsafe { Module::deserialize(&engine, &saved) }.unwrap_err().to_string();
        assert!(error.contains(needle), "{error}");
    }
    let engine = Engine::new(&config(None)).unwrap();
    // SAFETY: as above.
    let error = unsafe { Module::deserialize(&engine, b"\0asm\x01\0\0\0") }.unwrap_err().to_string();
    assert_eq!(error, "not a compiled kite module");
}

#[test]
fn a_cache_hit_loads_the_entry_and_a_miss_writes_it() {
    let dir = temp_dir("hit");
    let engine = Engine::new(&config(Some(&dir))).unwrap();
    assert!(counts_and_tiers_up(&engine, &Module::new(&engine, VM).unwrap()));
    let written = std::fs::metadata(entry(&dir)).unwrap();
    let module = Module::new(&engine, VM).unwrap();
    let read = std::fs::metadata(entry(&dir)).unwrap();
    assert_eq!(read.ino(), written.ino(), "a hit leaves the entry in place");
    assert!(counts_and_tiers_up(&engine, &module));
    assert!(engine.take_warnings().is_empty());
}

/// Damages the cache's one entry with `damage`, then checks that the module still loads and
/// runs right, and that its entry was written again, sound (the next load leaves it in place).
fn recompiles_after(test: &str, damage: impl FnOnce(&Path)) {
    let dir = temp_dir(test);
    let engine = Engine::new(&config(Some(&dir))).unwrap();
    Module::new(&engine, VM).unwrap();
    let path = entry(&dir);
    damage(&path);
    let damaged = std::fs::read(&path).unwrap();
    let module = Module::new(&engine, VM).unwrap();
    assert!(counts_and_tiers_up(&engine, &module));
    let rewritten = std::fs::metadata(entry(&dir)).unwrap();
    assert_ne!(std::fs::read(entry(&dir)).unwrap(), damaged, "the damaged entry was replaced");
    Module::new(&engine, VM).unwrap();
    assert_eq!(std::fs::metadata(entry(&dir)).unwrap().ino(), rewritten.ino(), "then hit");
    assert!(engine.take_warnings().is_empty());
}

#[test]
fn a_truncated_entry_is_compiled_again() {
    recompiles_after("truncated", |path| {
        let data = std::fs::read(path).unwrap();
        std::fs::write(path, &data[..data.len() * 2 / 3]).unwrap();
    });
}

#[test]
fn an_entry_with_a_byte_flipped_is_compiled_again() {
    recompiles_after("flipped", |path| {
        let mut data = std::fs::read(path).unwrap();
        // In the body's last part, the module's saved bytes: only the checksum can tell.
        let middle_of_body = data.len() - 200;
        data[middle_of_body] ^= 0x40;
        std::fs::write(path, data).unwrap();
    });
}

#[test]
fn an_entry_of_another_kite_version_is_compiled_again() {
    recompiles_after("version", |path| {
        let mut data = std::fs::read(path).unwrap();
        let version = env!("CARGO_PKG_VERSION").as_bytes();
        let at =
            data.windows(version.len()).position(|w| w == version).expect("the version is in the header");
        data[at] = if data[at] == b'9' { b'8' } else { b'9' };
        std::fs::write(path, data).unwrap();
    });
}

#[test]
fn an_entry_for_another_target_is_compiled_again() {
    let other = if cfg!(target_arch = "x86_64") { Target::Aarch64 } else { Target::X86_64 };
    recompiles_after("target", |path| {
        std::fs::write(path, kite_runtime::precompile(&config(None), other, VM.as_bytes()).unwrap()).unwrap();
    });
}

#[test]
fn the_least_recently_used_entries_go_past_the_bound() {
    let dir = temp_dir("bound");
    // Three modules whose entries differ only in a constant's value, so are the same size.
    let module = |n: u32| format!("(module (func (export \"f\") (result i32) i32.const {}))", 100 + n);
    let engine = Engine::new(&config(Some(&dir))).unwrap();
    Module::new(&engine, module(1)).unwrap();
    let first = entry(&dir);
    let size = std::fs::metadata(&first).unwrap().len();
    Module::new(&engine, module(2)).unwrap();
    let second: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| *p != first).collect();
    let day = |n: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * n);
    std::fs::File::options().append(true).open(&first).unwrap().set_modified(day(1)).unwrap();
    std::fs::File::options().append(true).open(&second[0]).unwrap().set_modified(day(2)).unwrap();
    let mut bounded = config(Some(&dir));
    bounded.cache_max_size(size * 5 / 2);
    let engine = Engine::new(&bounded).unwrap();
    Module::new(&engine, module(3)).unwrap();
    let left: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(&first) && left.contains(&second[0]), "the oldest went: {left:?}");
}

#[test]
fn an_unwritable_cache_costs_a_warning_not_the_module() {
    // Beneath a file: no directory can be made there, whoever runs the test (root included).
    let file = temp_dir("unwritable").join("file");
    std::fs::write(&file, b"").unwrap();
    let engine = Engine::new(&config(Some(&file.join("cache")))).unwrap();
    let module = Module::new(&engine, VM).unwrap();
    let warnings = engine.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("code cache not written: cannot create"), "{warnings:?}");
    assert!(counts_and_tiers_up(&engine, &module));
    let warnings = engine.take_warnings();
    assert_eq!(warnings.len(), 1, "the first taken, then the recompiled group's: {warnings:?}");
    assert!(
        warnings[0].starts_with("recompiled groups not saved to the code cache: cannot create"),
        "{warnings:?}"
    );
}

#[test]
fn groups_tiered_up_in_one_run_start_recompiled_in_the_next() {
    let dir = temp_dir("profile");
    let engine = Engine::new(&config(Some(&dir))).unwrap();
    let module = Module::new(&engine, VM).unwrap();
    assert!(module.recompiled_groups().is_empty());
    assert!(counts_and_tiers_up(&engine, &module));
    let recompiled = module.recompiled_groups();
    // The next run: another engine, the same cache.
    let engine = Engine::new(&config(Some(&dir))).unwrap();
    let module = Module::new(&engine, VM).unwrap();
    assert_eq!(module.recompiled_groups(), recompiled, "before anything ran");
    assert!(counts_and_tiers_up(&engine, &module));
    assert!(engine.take_warnings().is_empty());
}

#[test]
fn damaged_recompiled_groups_are_dropped() {
    let dir = temp_dir("damaged_groups");
    let engine = Engine::new(&config(Some(&dir))).unwrap();
    assert!(counts_and_tiers_up(&engine, &Module::new(&engine, VM).unwrap()));
    let groups = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "groups"))
        .expect("recompiled groups beside the entry");
    let sound = std::fs::read(&groups).unwrap();
    let mut flipped = sound.clone();
    *flipped.last_mut().unwrap() ^= 1;
    for damaged in [flipped, sound[..sound.len() / 2].to_vec(), vec![1, 7]] {
        std::fs::write(&groups, damaged).unwrap();
        let module = Module::new(&engine, VM).unwrap();
        assert!(module.recompiled_groups().is_empty());
        assert!(!groups.exists(), "dropped");
        assert!(counts_and_tiers_up(&engine, &module), "profiles again");
        assert!(groups.exists(), "and saves its recompiled group");
    }
}

#[test]
fn a_cache_entry_never_admits_a_module_its_config_rejects() {
    // Compiled and cached with multi-memory on, then looked up with it off: the entry is not
    // the config's (the features are part of the key), and the module is rejected.
    let dir = temp_dir("features");
    let two_memories = r#"(module (memory 1) (memory 1))"#;
    let engine = Engine::new(&config(Some(&dir))).unwrap();
    Module::new(&engine, two_memories).unwrap();
    entry(&dir);
    let mut narrower = config(Some(&dir));
    narrower.wasm_multi_memory(false);
    let engine = Engine::new(&narrower).unwrap();
    let error = Module::new(&engine, two_memories).expect_err("rejected");
    assert!(error.to_string().contains("multiple memories"), "{error}");
    // A saved module carries its features the same way.
    let bytes = Module::new(&Engine::new(&config(None)).unwrap(), two_memories).unwrap().serialize().unwrap();
    // SAFETY: bytes from `serialize` just above.
    let error = unsafe { Module::deserialize(&engine, &bytes) }.expect_err("rejected");
    assert!(error.to_string().contains("Wasm features the engine has off: multi_memory"), "{error}");
}
