//! WASI programs under `kite run`, as a user runs them: the C programs of `tests/wasi/` (their
//! committed `.wasm` builds), with arguments, environment, stdin, preopened directories, exit
//! codes and traps. Expected outputs are what the programs are written to print; tests that
//! touch files check the host directory afterwards.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use support::{kite_command, repo, stderr, stdout};

fn program(name: &str) -> String {
    format!("tests/wasi/{name}.wasm")
}

/// Runs `kite ARGS` from the repository root, feeding it `stdin`.
fn kite_with(args: &[&str], stdin: &[u8], envs: &[(&str, &str)]) -> Output {
    let mut child = kite_command()
        .args(args)
        .current_dir(repo())
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kite runs");
    // Fed from another thread, so that a program writing as it reads cannot fill its stdout
    // pipe while we are still writing its stdin.
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("kite finishes");
    feeder.join().unwrap();
    output
}

fn kite(args: &[&str]) -> Output {
    kite_with(args, b"", &[])
}

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kite-wasi-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn arguments_and_environment() {
    let o = kite_with(
        &[
            "run",
            "--env",
            "GREETING=hello there",
            "--env",
            "EMPTY=",
            "--env",
            "KITE_TEST_INHERITED",
            "--env",
            "KITE_TEST_NOT_SET",
            &program("args_env"),
            "one",
            "two words",
            "--flag",
            "-x",
        ],
        b"",
        &[("KITE_TEST_INHERITED", "from the host")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "argc=5\n\
         argv[0]=tests/wasi/args_env.wasm\n\
         argv[1]=one\n\
         argv[2]=two words\n\
         argv[3]=--flag\n\
         argv[4]=-x\n\
         env: GREETING=hello there\n\
         env: EMPTY=\n\
         env: KITE_TEST_INHERITED=from the host\n\
         envc=3\n\
         GREETING=hello there\n"
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn no_arguments_and_an_empty_environment_by_default() {
    let o = kite(&["run", &program("args_env")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "argc=1\nargv[0]=tests/wasi/args_env.wasm\nenvc=0\nGREETING=(unset)\n");
}

#[test]
fn double_dash_passes_kite_options_to_the_program() {
    let o = kite(&["run", &program("args_env"), "--", "--env", "X=1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .starts_with("argc=3\nargv[0]=tests/wasi/args_env.wasm\nargv[1]=--env\nargv[2]=X=1\nenvc=0\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn stdin_stdout_and_stderr_are_inherited() {
    let o = kite_with(&["run", &program("stdio")], b"abc\nHello, World!\n", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ABC\nHELLO, WORLD!\n");
    assert_eq!(stderr(&o), "read 18 bytes, 2 lines\n");

    let big: Vec<u8> = (0..200_000).map(|i| b"abcdefghij\n"[i % 11]).collect();
    let o = kite_with(&["run", &program("stdio")], &big, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, big.to_ascii_uppercase());
    assert_eq!(stderr(&o), "read 200000 bytes, 18181 lines\n");
}

#[test]
fn the_exit_code_is_kites_exit_status() {
    for code in ["0", "1", "3", "42", "125", "255"] {
        let o = kite(&["run", &program("exit"), code]);
        assert_eq!(o.status.code(), Some(code.parse().unwrap()), "{}", stderr(&o));
        // exit() flushes the program's stdout buffer before proc_exit.
        assert_eq!(stdout(&o), format!("exiting with {code}\n"));
        assert_eq!(stderr(&o), "", "proc_exit is no error");
    }
}

#[test]
fn a_trap_exits_134_and_keeps_what_was_written() {
    let dir = temp_dir("trap");
    let arg = format!("{}::/sandbox", dir.display());
    let o = kite(&["run", "--dir", &arg, &program("trap")]);
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert_eq!(stdout(&o), "about to trap\n");
    assert_eq!(read(dir.join("before-trap.txt")), "written before the trap\n");
    assert_eq!(read(dir.join("stdio-before-trap.txt")), "flushed before the trap\n");
}

#[test]
fn clocks_sleep_and_random() {
    let o = kite(&["run", &program("clocks")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    let realtime: i64 = lines
        .next()
        .and_then(|l| l.strip_prefix("realtime="))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    let host = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((host - realtime).abs() < 300, "guest {realtime}, host {host}");
    let checks: Vec<&str> = lines.collect();
    assert_eq!(checks.len(), 12, "{out}");
    assert!(checks.iter().all(|l| l.starts_with("ok: ")), "{out}");
}

const FILES_OUTPUT: &str = "\
ok: create a.txt
ok: read a.txt
read: hello, world
ok: seek to 7 and read 5
at 7: world
tell: 12
end-6: 7
ok: seek before the start fails with EINVAL
ok: append to a.txt
ok: stat a.txt
a.txt size: 22
ok: O_APPEND shows in F_GETFL
ok: write b.bin
ok: ftruncate to 4
ok: size is 4
ok: ftruncate to 8
ok: pwrite XY at 5
ok: pwrite leaves the position alone
ok: pread the 8 bytes
b.bin: 30 31 32 33 00 58 59 00
ok: fsync and fdatasync
ok: truncate by path to 7
ok: mkdir dir
ok: mkdir dir/sub
/sandbox/dir: . .. one.txt sub two.txt
ok: readdir reports entry types
ok: rename one.txt to uno.txt
ok: stat the old name fails with ENOENT
ok: unlink two.txt
ok: unlink it again fails with ENOENT
ok: rmdir a non-empty directory fails with ENOTEMPTY
ok: rmdir dir/sub
/sandbox/dir: . .. uno.txt
ok: chdir to /sandbox/dir
ok: create rel.txt by a relative path
ok: stat ../a.txt from dir
ok: chdir back
ok: symlink link -> a.txt
ok: readlink link
link -> a.txt
ok: lstat sees a symlink
ok: stat follows it
ok: read through the symlink
via link: hello, world
ok: O_NOFOLLOW on a symlink fails with ELOOP
ok: symlink dirlink -> dir
/sandbox/dirlink: . .. rel.txt uno.txt
ok: unlink dirlink
ok: symlink dangling -> nowhere
ok: stat a dangling symlink fails with ENOENT
ok: unlink dangling
ok: link hard.txt to a.txt
ok: a.txt has two links
ok: utimes b.bin
ok: stat shows the new times
ok: futimens on a read-only descriptor
ok: fstat shows them
ok: open a missing file fails with ENOENT
ok: mkdir an existing directory fails with EEXIST
ok: O_EXCL on an existing file fails with EEXIST
ok: open a directory for writing fails with EISDIR
ok: rmdir a file fails with ENOTDIR
ok: a file used as a directory fails with ENOTDIR
ok: open a directory read-only
ok: write to a read-only descriptor fails with EBADF
ok: close it twice fails with EBADF
left: a.txt hard.txt b.bin dir/uno.txt dir/rel.txt link
";

#[test]
fn files_and_directories() {
    let dir = temp_dir("files");
    let arg = format!("{}::/sandbox", dir.display());
    let o = kite(&["run", "--dir", &arg, &program("files")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), FILES_OUTPUT);
    assert_eq!(stderr(&o), "");

    // What the program says it left behind (times first: reading b.bin may touch its atime).
    use std::os::unix::fs::MetadataExt;
    let b = std::fs::metadata(dir.join("b.bin")).unwrap();
    assert_eq!((b.atime(), b.mtime(), b.mtime_nsec()), (1_000_000_000, 1_300_000_000, 250));
    assert_eq!(names(&dir), ["a.txt", "b.bin", "dir", "hard.txt", "link"]);
    assert_eq!(names(&dir.join("dir")), ["rel.txt", "uno.txt"]);
    assert_eq!(read(dir.join("a.txt")), "hello, world\nappended\n");
    assert_eq!(read(dir.join("hard.txt")), "hello, world\nappended\n");
    assert_eq!(read(dir.join("dir/rel.txt")), "relative\n");
    assert_eq!(read(dir.join("dir/uno.txt")), "");
    assert_eq!(std::fs::read(dir.join("b.bin")).unwrap(), b"0123\0XY");
    assert_eq!(std::fs::read_link(dir.join("link")).unwrap(), Path::new("a.txt"));
    let a = std::fs::metadata(dir.join("a.txt")).unwrap();
    assert_eq!(a.ino(), std::fs::metadata(dir.join("hard.txt")).unwrap().ino());
    assert_eq!(a.nlink(), 2);
}

#[test]
fn a_directory_under_its_host_name() {
    let dir = temp_dir("hostname");
    std::fs::write(dir.join("x.txt"), "hi\n").unwrap();
    std::fs::create_dir(dir.join("d")).unwrap();
    std::fs::write(dir.join("d/y.txt"), "there\n").unwrap();
    let root = dir.display().to_string();
    let (x, y) = (format!("{root}/x.txt"), format!("{root}/d/y.txt"));
    let o = kite(&["run", "--dir", &root, &program("cat"), &x, &y]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hi\nthere\n");

    // Without --dir nothing is reachable.
    let o = kite(&["run", &program("cat"), &x]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("cat: {x}: ENOTCAPABLE\n"));
}

#[test]
fn a_missing_directory_is_a_clean_error() {
    let o = kite(&["run", "--dir", "/no/such/dir", &program("cat")]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/no/such/dir"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn sandbox_escapes_fail_and_leave_the_host_untouched() {
    let root = temp_dir("sandbox");
    let inner = root.join("inner");
    std::fs::create_dir_all(inner.join("sub")).unwrap();
    std::fs::write(root.join("outside.txt"), "secret\n").unwrap();
    std::fs::write(inner.join("sub/f.txt"), "f\n").unwrap();
    std::os::unix::fs::symlink("..", inner.join("up")).unwrap();
    std::os::unix::fs::symlink(root.join("outside.txt"), inner.join("abs")).unwrap();
    let before = std::fs::metadata(root.join("outside.txt")).unwrap().modified().unwrap();

    let arg = format!("{}::/sandbox", inner.display());
    let o = kite(&["run", "--dir", &arg, &program("sandbox")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(!out.contains("ESCAPED"), "{out}");
    assert!(out.ends_with("attempts=42 escaped=0\n"), "{out}");
    for line in out.lines().filter(|l| l.starts_with("refused: ")) {
        // wasi-libc itself refuses a path under no preopen; everything kite refuses is EPERM,
        // as in Wasmtime.
        let want = if line.contains("open /etc/passwd") { "(ENOTCAPABLE)" } else { "(EPERM)" };
        assert!(line.ends_with(want), "{line}");
    }
    assert_eq!(out.lines().filter(|l| l.starts_with("refused: ")).count(), 42, "{out}");

    // Nothing outside changed.
    assert_eq!(names(&root), ["inner", "outside.txt"]);
    assert_eq!(read(root.join("outside.txt")), "secret\n");
    assert_eq!(std::fs::metadata(root.join("outside.txt")).unwrap().modified().unwrap(), before);
    // Inside, only the links the program may make (and never follow).
    assert_eq!(names(&inner), ["abs", "sneaky", "sub", "up", "up2"]);
    assert_eq!(names(&inner.join("sub")), ["chain", "f.txt"]);
    assert_eq!(read(inner.join("sub/f.txt")), "f\n");
}

#[test]
fn invoke_still_works_on_a_wasi_module() {
    let o = kite(&["run", &program("exit"), "--invoke", "_start"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "exiting with 0\n");
}

#[test]
fn a_module_without_wasi_still_refuses_arguments_without_invoke() {
    let dir = temp_dir("nowasi");
    let wat = dir.join("start.wat");
    std::fs::write(&wat, r#"(module (func (export "_start")))"#).unwrap();
    let o = kite(&["run", wat.to_str().unwrap(), "30"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("arguments given without --invoke"), "{}", stderr(&o));
}

/// A program run: its name, kite's options, the program's arguments, its stdin.
type Run<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [u8]);

/// Programs run the same compiled afresh (`--no-cache`), compiled into an empty cache, loaded
/// from it, and precompiled by `kite compile -o`.
#[test]
fn programs_run_the_same_from_the_cache_and_precompiled() {
    let dir = temp_dir("cached");
    std::fs::write(dir.join("x.txt"), "hi\n").unwrap();
    let root = dir.display().to_string();
    let cache = dir.join("cache").display().to_string();
    let x = format!("{root}/x.txt");
    let runs: [Run; 3] = [
        ("stdio", &[], &[], b"abc\nHello!\n"),
        ("exit", &[], &["42"], b""),
        ("cat", &["--dir", &root], &[&x], b""),
    ];
    for (name, options, program_args, stdin) in runs {
        let precompiled = dir.join(format!("{name}.compiled")).display().to_string();
        let o = kite(&["compile", &program(name), "-o", &precompiled]);
        assert!(o.status.success(), "{}", stderr(&o));
        let fresh = (vec!["--no-cache"], program(name));
        let cached = (vec!["--cache-dir", cache.as_str()], program(name));
        let outputs: Vec<_> = [fresh, cached.clone(), cached, (vec!["--no-cache"], precompiled)]
            .into_iter()
            .map(|(cache_options, module)| {
                let mut args = vec!["run"];
                args.extend(options);
                args.extend(cache_options);
                args.push(&module);
                args.extend(program_args);
                let o = kite_with(&args, stdin, &[]);
                (o.status.code(), stdout(&o), stderr(&o))
            })
            .collect();
        assert!(outputs[0].1.len() > 2, "{name} printed: {:?}", outputs[0]);
        for output in &outputs[1..] {
            assert_eq!(output, &outputs[0], "{name}");
        }
    }
    let entries = names(&dir.join("cache"));
    assert_eq!(entries.iter().filter(|n| n.ends_with(".kite")).count(), 3, "one per program: {entries:?}");
}

/// A real program that uses exception handling: Lua 5.4 built by clang-22 with its errors
/// (setjmp/longjmp) lowered to Wasm exceptions and C++ frames whose destructors run as errors
/// pass (`benches/programs/lua_eh/`), in both instruction sets: `try_table`/`throw_ref` and the
/// legacy `try`/`catch`/`rethrow`. Its output under every convention is the output Wasmtime
/// 48.0.8 gives for the same module (`expected.txt`, which its build script checks against a
/// native build too).
#[test]
fn lua_with_exceptions_prints_what_wasmtime_prints() {
    let expected = read(repo().join("benches/programs/lua_eh/expected.txt"));
    assert!(expected.lines().count() > 100, "the reference output is there");
    for module in ["lua_eh", "lua_eh_legacy"] {
        for cc in ["baseline", "wide", "fused"] {
            let path = format!("benches/programs/lua_eh/{module}.wasm");
            let o = kite(&["run", "--tail-cc", cc, &path]);
            assert!(o.status.success(), "{module} under {cc}: {}", stderr(&o));
            assert!(
                stdout(&o) == expected,
                "{module} under {cc}: output differs from Wasmtime's:\n{}",
                stdout(&o)
            );
        }
    }
}
