//! `kite run --profile perfmap|jitdump`: what it writes, read back as `perf` reads it.

mod support;

use std::path::{Path, PathBuf};
use support::kite_command;

/// A fused group (`$ping` and `$pong`, indirect tail calls) that tiers up after 10 calls, so
/// that its code is published twice: first compiled, then recompiled.
const WAT: &str = r#"(module $prof
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $ping $pong)
  (func $ping (type $t)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 7))
      (else (return_call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1)))))
  (func $pong (type $t)
    (return_call_indirect (type $t) (local.get 0) (i32.const 0)))
  (func (export "run") (param i32) (result i32) (call $ping (local.get 0))))"#;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kite-profiling-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `run 1000` with `--profile strategy` in `dir`, tiering up after `tier_up_after` calls;
/// returns kite's process id.
fn run_profiled(dir: &Path, strategy: &str, tier_up_after: &str) -> u32 {
    let module = dir.join("prof.wat");
    std::fs::write(&module, WAT).unwrap();
    let child = kite_command()
        .args(["run", "--profile", strategy, "--tier-up-after", tier_up_after])
        .arg(&module)
        .args(["--invoke", "run", "1000"])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kite runs");
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "7\n");
    pid
}

/// How often each name was announced, and that every piece of code is non-empty and apart
/// from the others.
fn check_regions(mut regions: Vec<(u64, u64, String)>) -> std::collections::HashMap<String, usize> {
    regions.sort();
    for pair in regions.windows(2) {
        assert!(pair[0].0 + pair[0].1 <= pair[1].0, "overlap: {pair:?}");
    }
    let mut counts = std::collections::HashMap::new();
    for (_, size, name) in regions {
        assert!(size > 0, "{name} is empty");
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

type Counts = std::collections::HashMap<String, usize>;

/// What both formats must show, from a run that tiered up and one that did not: each member
/// as its entry stub and in the group function (a member's code there may be in several
/// pieces, each named for it), and more of it once the recompiled group is published; the
/// caller once; the trampolines of the exported type.
fn check_names(tiered: &Counts, untiered: &Counts) {
    for member in ["prof!ping", "prof!pong"] {
        let (before, after) =
            (untiered.get(member).copied().unwrap_or(0), tiered.get(member).copied().unwrap_or(0));
        assert!(before >= 2, "{member}: stub and group function: {untiered:?}");
        assert!(after > before, "{member}: the recompiled group too: {tiered:?}");
    }
    for counts in [tiered, untiered] {
        assert_eq!(counts.get("prof!run"), Some(&1), "{counts:?}");
        assert!(counts.keys().any(|n| n.starts_with("entry trampoline")), "{counts:?}");
        assert!(counts.keys().any(|n| n.starts_with("host trampoline")), "{counts:?}");
    }
}

/// The regions of `/tmp/perf-PID.map` of a run.
fn perfmap_of_run(dir: &Path, tier_up_after: &str) -> Counts {
    let pid = run_profiled(dir, "perfmap", tier_up_after);
    let path = PathBuf::from(format!("/tmp/perf-{pid}.map"));
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    // perf's format: START SIZE NAME, the numbers in hex, the name the rest of the line.
    let regions = text
        .lines()
        .map(|line| {
            let mut fields = line.splitn(3, ' ');
            let start = u64::from_str_radix(fields.next().unwrap(), 16).expect(line);
            let size = u64::from_str_radix(fields.next().expect(line), 16).expect(line);
            (start, size, fields.next().expect(line).to_string())
        })
        .collect();
    check_regions(regions)
}

#[test]
fn perfmap_names_every_piece_of_code() {
    let dir = temp_dir("perfmap");
    check_names(&perfmap_of_run(&dir, "10"), &perfmap_of_run(&dir, "never"));
}

/// The regions of the `jit-PID.dump` of a run, checked record by record.
fn jitdump_of_run(dir: &Path, tier_up_after: &str) -> Counts {
    let pid = run_profiled(dir, "jitdump", tier_up_after);
    let bytes = std::fs::read(dir.join(format!("jit-{pid}.dump"))).unwrap();
    let u32_at = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap());
    // The header (Linux's tools/perf/Documentation/jitdump-specification.txt).
    assert_eq!(u32_at(0), 0x4A69_5444, "magic");
    assert_eq!(u32_at(4), 1, "version");
    assert_eq!(u32_at(8), 40, "header size");
    let machine = if cfg!(target_arch = "x86_64") { 62 } else { 183 };
    assert_eq!(u32_at(12), machine, "ELF machine");
    assert_eq!(u32_at(20), pid, "pid");
    // JIT_CODE_LOAD records, one after another to the end of the file.
    let mut at = 40;
    let mut regions = Vec::new();
    let mut last_time = u64_at(24);
    while at < bytes.len() {
        assert_eq!(u32_at(at), 0, "record id at {at}");
        let total = u32_at(at + 4) as usize;
        let time = u64_at(at + 8);
        assert!(time >= last_time, "timestamps go forward");
        last_time = time;
        assert_eq!(u32_at(at + 16), pid);
        let (vma, code_addr, code_size, index) =
            (u64_at(at + 24), u64_at(at + 32), u64_at(at + 40), u64_at(at + 48));
        assert_eq!(vma, code_addr);
        assert_eq!(index as usize, regions.len(), "code indices count up");
        let name_start = at + 56;
        let name_end = name_start + bytes[name_start..].iter().position(|b| *b == 0).unwrap();
        let name = String::from_utf8(bytes[name_start..name_end].to_vec()).unwrap();
        assert_eq!(total, 56 + name.len() + 1 + code_size as usize, "{name}'s record size");
        regions.push((code_addr, code_size, name));
        at += total;
    }
    assert_eq!(at, bytes.len(), "the last record ends the file");
    check_regions(regions)
}

#[test]
fn jitdump_holds_a_code_load_record_per_piece_of_code() {
    let dir = temp_dir("jitdump");
    check_names(&jitdump_of_run(&dir, "10"), &jitdump_of_run(&dir, "never"));
}
