//! WASI through the embedding API, in-process: each function called directly (a module
//! re-exports its imports next to its memory) to check the errno the specification gives for
//! each case, and a C program of `tests/wasi/` run with its output captured in a file.

use kite_runtime::{Engine, Func, Instance, Linker, Memory, Module, Store, Val};
use kite_wasi::{Errno, I32Exit, WasiCtx, WasiCtxBuilder};
use std::path::{Path, PathBuf};

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kite-wasi-api-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `(name, params, results)` of every `wasi_snapshot_preview1` import, in WAT.
const FUNCTIONS: &[(&str, &str, &str)] = &[
    ("args_get", "i32 i32", "i32"),
    ("args_sizes_get", "i32 i32", "i32"),
    ("environ_get", "i32 i32", "i32"),
    ("environ_sizes_get", "i32 i32", "i32"),
    ("clock_res_get", "i32 i32", "i32"),
    ("clock_time_get", "i32 i64 i32", "i32"),
    ("random_get", "i32 i32", "i32"),
    ("fd_advise", "i32 i64 i64 i32", "i32"),
    ("fd_allocate", "i32 i64 i64", "i32"),
    ("fd_close", "i32", "i32"),
    ("fd_datasync", "i32", "i32"),
    ("fd_fdstat_get", "i32 i32", "i32"),
    ("fd_fdstat_set_flags", "i32 i32", "i32"),
    ("fd_fdstat_set_rights", "i32 i64 i64", "i32"),
    ("fd_filestat_get", "i32 i32", "i32"),
    ("fd_filestat_set_size", "i32 i64", "i32"),
    ("fd_filestat_set_times", "i32 i64 i64 i32", "i32"),
    ("fd_pread", "i32 i32 i32 i64 i32", "i32"),
    ("fd_prestat_get", "i32 i32", "i32"),
    ("fd_prestat_dir_name", "i32 i32 i32", "i32"),
    ("fd_pwrite", "i32 i32 i32 i64 i32", "i32"),
    ("fd_read", "i32 i32 i32 i32", "i32"),
    ("fd_readdir", "i32 i32 i32 i64 i32", "i32"),
    ("fd_renumber", "i32 i32", "i32"),
    ("fd_seek", "i32 i64 i32 i32", "i32"),
    ("fd_sync", "i32", "i32"),
    ("fd_tell", "i32 i32", "i32"),
    ("fd_write", "i32 i32 i32 i32", "i32"),
    ("path_create_directory", "i32 i32 i32", "i32"),
    ("path_filestat_get", "i32 i32 i32 i32 i32", "i32"),
    ("path_filestat_set_times", "i32 i32 i32 i32 i64 i64 i32", "i32"),
    ("path_link", "i32 i32 i32 i32 i32 i32 i32", "i32"),
    ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32", "i32"),
    ("path_readlink", "i32 i32 i32 i32 i32 i32", "i32"),
    ("path_remove_directory", "i32 i32 i32", "i32"),
    ("path_rename", "i32 i32 i32 i32 i32 i32", "i32"),
    ("path_symlink", "i32 i32 i32 i32 i32", "i32"),
    ("path_unlink_file", "i32 i32 i32", "i32"),
    ("poll_oneoff", "i32 i32 i32 i32", "i32"),
    ("proc_exit", "i32", ""),
    ("proc_raise", "i32", "i32"),
    ("sched_yield", "", "i32"),
    ("sock_accept", "i32 i32 i32", "i32"),
    ("sock_recv", "i32 i32 i32 i32 i32 i32", "i32"),
    ("sock_send", "i32 i32 i32 i32 i32", "i32"),
    ("sock_shutdown", "i32 i32", "i32"),
];

/// A guest with one page of memory that exports every WASI function under its own name.
struct Guest {
    store: Store<WasiCtx>,
    instance: Instance,
    memory: Memory,
}

impl Guest {
    fn new(builder: &mut WasiCtxBuilder) -> Guest {
        let mut wat = String::from("(module\n");
        for (name, params, results) in FUNCTIONS {
            let results = if results.is_empty() { String::new() } else { format!("(result {results})") };
            wat += &format!(
                "(import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {params}) {results}))\n\
                 (export \"{name}\" (func ${name}))\n"
            );
        }
        wat += "(memory (export \"memory\") 1))";
        let engine = Engine::default();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, builder.build());
        let mut linker = Linker::new(&engine);
        kite_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let memory = instance.get_memory(&store, "memory").unwrap();
        Guest { store, instance, memory }
    }

    fn func(&self, name: &str) -> Func {
        self.instance.get_func(&self.store, name).unwrap()
    }

    /// Calls WASI function `name`; `args` are i32s but for the positions its type says i64.
    fn call(&mut self, name: &str, args: &[i64]) -> anyhow::Result<Vec<Val>> {
        let f = self.func(name);
        let ty = f.ty(&self.store);
        let args: Vec<Val> = ty
            .params
            .iter()
            .zip(args)
            .map(|(t, a)| match t {
                kite_runtime::ValType::I64 => Val::I64(*a),
                _ => Val::I32(*a as i32),
            })
            .collect();
        assert_eq!(args.len(), ty.params.len(), "{name} takes {} arguments", ty.params.len());
        f.call(&mut self.store, &args)
    }

    /// Calls `name` and returns its errno.
    fn errno(&mut self, name: &str, args: &[i64]) -> u16 {
        self.call(name, args).unwrap()[0].unwrap_i32() as u16
    }

    fn write(&mut self, at: u32, bytes: &[u8]) {
        self.memory.write(&mut self.store, at as usize, bytes).unwrap();
    }

    fn read(&self, at: u32, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        self.memory.read(&self.store, at as usize, &mut buf).unwrap();
        buf
    }

    fn u32(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.read(at, 4).try_into().unwrap())
    }

    fn u64(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.read(at, 8).try_into().unwrap())
    }

    /// Writes `path` at 1000 and opens it beneath `dir`; returns the errno and the descriptor.
    fn open(&mut self, dir: u32, path: &str, oflags: u16, rights: u64, fdflags: u16) -> (u16, u32) {
        self.write(1000, path.as_bytes());
        let e = self.errno(
            "path_open",
            &[dir as i64, 1, 1000, path.len() as i64, oflags as i64, rights as i64, 0, fdflags as i64, 996],
        );
        (e, self.u32(996))
    }

    /// Writes `data` to `fd` through one iovec at 2000 (data at 2100).
    fn fd_write(&mut self, fd: u32, data: &[u8]) -> u16 {
        self.write(2100, data);
        self.write(2000, &[2100u32.to_le_bytes(), (data.len() as u32).to_le_bytes()].concat());
        self.errno("fd_write", &[fd as i64, 2000, 1, 2008])
    }
}

const E: fn(Errno) -> u16 = |e| e as u16;
const ALL_RIGHTS: u64 = (1 << 30) - 1;
const FD_READ: u64 = 1 << 1;
const FD_WRITE: u64 = 1 << 6;
const FD_SEEK: u64 = 1 << 2;

#[test]
fn arguments_and_environment_lie_as_the_abi_says() {
    let mut g = Guest::new(WasiCtx::builder().args(["prog", "a b", ""]).unwrap().env("K", "V=W").unwrap());
    assert_eq!(g.errno("args_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32(0), g.u32(4)), (3, 5 + 4 + 1));
    assert_eq!(g.errno("args_get", &[100, 200]), 0);
    assert_eq!((g.u32(100), g.u32(104), g.u32(108)), (200, 205, 209));
    assert_eq!(g.read(200, 10), b"prog\0a b\0\0");
    assert_eq!(g.errno("environ_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32(0), g.u32(4)), (1, 6));
    assert_eq!(g.errno("environ_get", &[100, 200]), 0);
    assert_eq!(g.read(200, 6), b"K=V=W\0");
    // A pointer past the end of memory is a fault, not a trap.
    assert_eq!(g.errno("args_get", &[65534, 200]), E(Errno::Fault));
    assert_eq!(g.errno("args_sizes_get", &[65536, 0]), E(Errno::Fault));
}

#[test]
fn the_builder_refuses_nul_bytes_and_bad_names() {
    assert!(WasiCtx::builder().arg("a\0b").is_err());
    assert!(WasiCtx::builder().env("A=B", "c").is_err());
    assert!(WasiCtx::builder().env("", "c").is_err());
    assert!(WasiCtx::builder().preopened_dir("/no/such/dir", "/x").is_err());
}

#[test]
fn stdout_goes_to_the_given_file() {
    let dir = temp_dir("stdout");
    let out = std::fs::File::create(dir.join("out")).unwrap();
    let mut g = Guest::new(WasiCtx::builder().stdout(out));
    assert_eq!(g.fd_write(1, b"hello\n"), 0);
    assert_eq!(g.u32(2008), 6);
    // Two iovecs, one of them empty.
    g.write(2100, b"abcdef");
    g.write(2000, &[2100u32, 3, 3000, 0, 2103, 3].map(u32::to_le_bytes).concat());
    assert_eq!(g.errno("fd_write", &[1, 2000, 3, 2030]), 0);
    assert_eq!(g.u32(2030), 6);
    assert_eq!(std::fs::read(dir.join("out")).unwrap(), b"hello\nabcdef");
    // The default stdin is empty, the default stderr discards.
    g.write(2000, &[2100u32, 10].map(u32::to_le_bytes).concat());
    assert_eq!(g.errno("fd_read", &[0, 2000, 1, 2008]), 0);
    assert_eq!(g.u32(2008), 0);
    assert_eq!(g.fd_write(2, b"x"), 0);
    // A buffer outside memory.
    g.write(2000, &[65530u32, 10].map(u32::to_le_bytes).concat());
    assert_eq!(g.errno("fd_write", &[1, 2000, 1, 2008]), E(Errno::Fault));
    assert_eq!(g.fd_write(7, b"x"), E(Errno::Badf));
}

#[test]
fn preopens_are_described_by_prestat() {
    let dir = temp_dir("prestat");
    let mut g = Guest::new(WasiCtx::builder().preopened_dir(&dir, "/sandbox").unwrap());
    assert_eq!(g.errno("fd_prestat_get", &[3, 0]), 0);
    assert_eq!((g.read(0, 1)[0], g.u32(4)), (0, 8));
    assert_eq!(g.errno("fd_prestat_dir_name", &[3, 100, 8]), 0);
    assert_eq!(g.read(100, 8), b"/sandbox");
    assert_eq!(g.errno("fd_prestat_dir_name", &[3, 100, 7]), E(Errno::Nametoolong));
    // Not a preopen, or not open: the guest's preopen scan stops at EBADF.
    assert_eq!(g.errno("fd_prestat_get", &[1, 0]), E(Errno::Badf));
    assert_eq!(g.errno("fd_prestat_get", &[4, 0]), E(Errno::Badf));
    // fdstat of a directory: its type and rights.
    assert_eq!(g.errno("fd_fdstat_get", &[3, 0]), 0);
    assert_eq!(g.read(0, 1)[0], 3, "directory");
    assert_ne!(g.u64(8) & (1 << 13), 0, "path_open right");
}

#[test]
fn paths_cannot_leave_the_preopen() {
    let root = temp_dir("escape");
    std::fs::create_dir_all(root.join("in/d")).unwrap();
    std::fs::write(root.join("secret"), "s").unwrap();
    std::os::unix::fs::symlink("../secret", root.join("in/out")).unwrap();
    let mut g = Guest::new(WasiCtx::builder().preopened_dir(root.join("in"), "/").unwrap());
    for path in ["../secret", "/etc/passwd", "d/../../secret", "out", "./../in/../secret", "..", "d/../.."] {
        let (e, _) = g.open(3, path, 0, FD_READ, 0);
        assert_eq!(e, E(Errno::Perm), "{path}");
    }
    g.write(1000, b"../x");
    assert_eq!(g.errno("path_create_directory", &[3, 1000, 4]), E(Errno::Perm));
    assert_eq!(g.errno("path_unlink_file", &[3, 1000, 4]), E(Errno::Perm));
    g.write(1000, b"/abs");
    g.write(1100, b"link");
    assert_eq!(g.errno("path_symlink", &[1000, 4, 3, 1100, 4]), E(Errno::Perm));
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 2);
    assert_eq!(std::fs::read_dir(root.join("in")).unwrap().count(), 2);
}

#[test]
fn path_errors() {
    let root = temp_dir("patherrors");
    std::fs::write(root.join("file"), "0123456789").unwrap();
    let mut g = Guest::new(WasiCtx::builder().preopened_dir(&root, ".").unwrap());
    assert_eq!(g.open(3, "missing", 0, FD_READ, 0).0, E(Errno::Noent));
    assert_eq!(g.open(3, "file", 1 | 4, FD_WRITE, 0).0, E(Errno::Exist), "creat|excl");
    assert_eq!(g.open(3, "file", 2, FD_READ, 0).0, E(Errno::Notdir), "directory");
    assert_eq!(g.open(3, "file", 1 << 4, FD_READ, 0).0, E(Errno::Inval), "unknown oflag");
    // Not UTF-8, or not in memory.
    g.write(1000, b"\xff\xfe");
    assert_eq!(g.errno("path_open", &[3, 1, 1000, 2, 0, FD_READ as i64, 0, 0, 996]), E(Errno::Ilseq));
    assert_eq!(g.errno("path_open", &[3, 1, 65530, 10, 0, FD_READ as i64, 0, 0, 996]), E(Errno::Fault));
    // A file is not a directory to open paths under; a closed descriptor is bad.
    let (e, file) = g.open(3, "file", 0, FD_READ, 0);
    assert_eq!(e, 0);
    g.write(1000, b"x");
    assert_eq!(g.errno("path_open", &[file as i64, 1, 1000, 1, 0, 0, 0, 0, 996]), E(Errno::Notdir));
    assert_eq!(g.errno("path_create_directory", &[99, 1000, 1]), E(Errno::Badf));
    // readlink of something that is no symlink.
    g.write(1000, b"file");
    assert_eq!(g.errno("path_readlink", &[3, 1000, 4, 1100, 10, 996]), E(Errno::Inval));
    // path_link with symlink following is not offered.
    g.write(1100, b"copy");
    assert_eq!(g.errno("path_link", &[3, 1, 1000, 4, 3, 1100, 4]), E(Errno::Inval));
    assert_eq!(g.errno("path_link", &[3, 0, 1000, 4, 3, 1100, 4]), 0);
    assert_eq!(std::fs::read(root.join("copy")).unwrap(), b"0123456789");
}

#[test]
fn rights_only_shrink() {
    let root = temp_dir("rights");
    std::fs::write(root.join("file"), "0123456789").unwrap();
    let mut g = Guest::new(WasiCtx::builder().preopened_dir(&root, ".").unwrap());
    // Opened for reading only: writing is EBADF, as POSIX says.
    let (e, fd) = g.open(3, "file", 0, FD_READ | FD_SEEK, 0);
    assert_eq!(e, 0);
    assert_eq!(g.fd_write(fd, b"x"), E(Errno::Badf));
    assert_eq!(g.errno("fd_fdstat_get", &[fd as i64, 0]), 0);
    assert_eq!(g.read(0, 1)[0], 4, "regular file");
    assert_eq!(g.u64(8), FD_READ | FD_SEEK);
    // Dropping a right works; taking one back, or a new one, is NOTCAPABLE.
    assert_eq!(g.errno("fd_fdstat_set_rights", &[fd as i64, FD_READ as i64, 0]), 0);
    assert_eq!(g.errno("fd_seek", &[fd as i64, 2, 0, 0]), E(Errno::Notcapable));
    assert_eq!(
        g.errno("fd_fdstat_set_rights", &[fd as i64, (FD_READ | FD_SEEK) as i64, 0]),
        E(Errno::Notcapable)
    );
    assert_eq!(g.errno("fd_filestat_get", &[fd as i64, 0]), E(Errno::Notcapable));
    // A directory whose rights lack path_open cannot open anything.
    let (e, sub) = g.open(3, ".", 2, ALL_RIGHTS, 0);
    assert_eq!(e, 0);
    assert_eq!(g.errno("fd_fdstat_set_rights", &[sub as i64, 1 << 14, 0]), 0);
    assert_eq!(g.open(sub, "file", 0, FD_READ, 0).0, E(Errno::Notcapable));
    // Asking for more than the directory passes on gives what it passes on.
    let (e, rw) = g.open(3, "file", 0, ALL_RIGHTS, 0);
    assert_eq!(e, 0);
    assert_eq!(g.fd_write(rw, b"AB"), 0);
    assert_eq!(std::fs::read(root.join("file")).unwrap(), b"AB23456789");
}

#[test]
fn seek_tell_pread_pwrite_sizes_and_times() {
    let root = temp_dir("fileops");
    let mut g = Guest::new(WasiCtx::builder().preopened_dir(&root, ".").unwrap());
    let (e, fd) = g.open(3, "f", 1, ALL_RIGHTS, 1 /* append */);
    assert_eq!(e, 0);
    let fd = fd as i64;
    assert_eq!(g.fd_write(fd as u32, b"hello"), 0);
    assert_eq!(g.errno("fd_fdstat_get", &[fd, 0]), 0);
    assert_eq!(u16::from_le_bytes(g.read(2, 2).try_into().unwrap()), 1, "append flag");
    assert_eq!(g.errno("fd_fdstat_set_flags", &[fd, 0]), 0);
    assert_eq!(g.errno("fd_fdstat_set_flags", &[fd, 1 << 4]), E(Errno::Notsup), "sync");
    assert_eq!(g.errno("fd_fdstat_set_flags", &[fd, 1 << 5]), E(Errno::Inval));
    assert_eq!(g.errno("fd_seek", &[fd, 1, 0, 0]), 0);
    assert_eq!(g.u64(0), 1);
    assert_eq!(g.errno("fd_seek", &[fd, -1, 2, 0]), 0);
    assert_eq!(g.u64(0), 4);
    assert_eq!(g.errno("fd_seek", &[fd, 0, 3, 0]), E(Errno::Inval), "whence");
    assert_eq!(g.errno("fd_seek", &[fd, -10, 0, 0]), E(Errno::Inval));
    assert_eq!(g.errno("fd_tell", &[fd, 0]), 0);
    assert_eq!(g.u64(0), 4);
    // pwrite and pread leave the position alone.
    g.write(2100, b"XY");
    g.write(2000, &[2100u32, 2].map(u32::to_le_bytes).concat());
    assert_eq!(g.errno("fd_pwrite", &[fd, 2000, 1, 1, 2008]), 0);
    g.write(2000, &[2200u32, 16].map(u32::to_le_bytes).concat());
    assert_eq!(g.errno("fd_pread", &[fd, 2000, 1, 0, 2008]), 0);
    assert_eq!(g.read(2200, g.u32(2008) as usize), b"hXYlo");
    assert_eq!(g.errno("fd_tell", &[fd, 0]), 0);
    assert_eq!(g.u64(0), 4);
    // Sizes.
    assert_eq!(g.errno("fd_filestat_set_size", &[fd, 3]), 0);
    assert_eq!(g.errno("fd_allocate", &[fd, 0, 100]), 0);
    assert_eq!(g.errno("fd_filestat_get", &[fd, 0]), 0);
    assert_eq!((g.read(16, 1)[0], g.u64(24), g.u64(32)), (4, 1, 100), "type, nlink, size");
    assert_eq!(g.errno("fd_advise", &[fd, 0, 0, 2]), 0);
    assert_eq!(g.errno("fd_advise", &[fd, 0, 0, 9]), E(Errno::Inval));
    assert_eq!(g.errno("fd_sync", &[fd]), 0);
    assert_eq!(g.errno("fd_datasync", &[fd]), 0);
    // Times: set both, then only mtime to now, then a contradiction.
    assert_eq!(g.errno("fd_filestat_set_times", &[fd, 5_000_000_123, 7_000_000_000, 1 | 4]), 0);
    assert_eq!(g.errno("fd_filestat_get", &[fd, 0]), 0);
    assert_eq!((g.u64(40), g.u64(48)), (5_000_000_123, 7_000_000_000));
    assert_eq!(g.errno("fd_filestat_set_times", &[fd, 0, 0, 8]), 0);
    assert_eq!(g.errno("fd_filestat_get", &[fd, 0]), 0);
    assert_eq!(g.u64(40), 5_000_000_123, "atime omitted");
    assert!(g.u64(48) > 1_600_000_000_000_000_000, "mtime now");
    assert_eq!(g.errno("fd_filestat_set_times", &[fd, 0, 0, 1 | 2]), E(Errno::Inval));
    g.write(1000, b"f");
    assert_eq!(g.errno("path_filestat_set_times", &[3, 1, 1000, 1, 0, 9_000_000_000, 2 | 4]), 0);
    assert_eq!(g.errno("path_filestat_get", &[3, 1, 1000, 1, 0]), 0);
    assert_eq!(g.u64(48), 9_000_000_000);
    // Seeking a directory.
    assert_eq!(g.errno("fd_seek", &[3, 0, 0, 0]), E(Errno::Badf));
}

#[test]
fn readdir_continues_from_a_cookie_and_cuts_the_last_entry() {
    let root = temp_dir("readdir");
    for name in ["alpha", "beta", "gamma"] {
        std::fs::write(root.join(name), name).unwrap();
    }
    std::fs::create_dir(root.join("dir")).unwrap();
    let mut g = Guest::new(WasiCtx::builder().preopened_dir(&root, ".").unwrap());
    let parse = |g: &Guest, len: u32| {
        let mut at = 0;
        let mut out = vec![];
        while at + 24 <= len {
            let next = g.u64(3000 + at);
            let namlen = g.u32(3000 + at + 16);
            let ty = g.read(3000 + at + 20, 1)[0];
            if at + 24 + namlen > len {
                break;
            }
            let name = String::from_utf8(g.read(3000 + at + 24, namlen as usize)).unwrap();
            out.push((next, name, ty));
            at += 24 + namlen;
        }
        out
    };
    assert_eq!(g.errno("fd_readdir", &[3, 3000, 4096, 0, 0]), 0);
    let used = g.u32(0);
    assert!(used < 4096);
    let mut all = parse(&g, used);
    all.sort_by(|a, b| a.1.cmp(&b.1));
    let names: Vec<_> = all.iter().map(|e| (e.1.as_str(), e.2)).collect();
    assert_eq!(names, [(".", 3), ("..", 3), ("alpha", 4), ("beta", 4), ("dir", 3), ("gamma", 4)]);
    // A buffer too small for everything: full, the last entry cut.
    assert_eq!(g.errno("fd_readdir", &[3, 3000, 60, 0, 0]), 0);
    assert_eq!(g.u32(0), 60);
    let first = parse(&g, 60);
    assert_eq!(first.len(), 2);
    // Continue after the second entry.
    assert_eq!(g.errno("fd_readdir", &[3, 3000, 4096, first[1].0 as i64, 0]), 0);
    assert_eq!(parse(&g, g.u32(0)).len(), 4);
    // Past the end: nothing.
    assert_eq!(g.errno("fd_readdir", &[3, 3000, 4096, 100, 0]), 0);
    assert_eq!(g.u32(0), 0);
    // Not a directory.
    assert_eq!(g.errno("fd_readdir", &[1, 3000, 4096, 0, 0]), E(Errno::Notdir));
}

#[test]
fn close_and_renumber() {
    let root = temp_dir("renumber");
    let mut g = Guest::new(WasiCtx::builder().preopened_dir(&root, ".").unwrap());
    let (_, a) = g.open(3, "a", 1, ALL_RIGHTS, 0);
    let (_, b) = g.open(3, "b", 1, ALL_RIGHTS, 0);
    assert_eq!((a, b), (4, 5), "lowest free numbers");
    assert_eq!(g.errno("fd_renumber", &[4, 5]), 0);
    assert_eq!(g.fd_write(5, b"to a"), 0);
    assert_eq!(g.fd_write(4, b"x"), E(Errno::Badf));
    assert_eq!(g.errno("fd_renumber", &[4, 5]), E(Errno::Badf));
    assert_eq!(g.errno("fd_renumber", &[5, 9]), E(Errno::Badf));
    assert_eq!(g.errno("fd_close", &[5]), 0);
    assert_eq!(g.errno("fd_close", &[5]), E(Errno::Badf));
    assert_eq!(std::fs::read(root.join("a")).unwrap(), b"to a");
    assert_eq!(std::fs::read(root.join("b")).unwrap(), b"");
    let (_, c) = g.open(3, "c", 1, ALL_RIGHTS, 0);
    assert_eq!(c, 4, "a freed number is used again");
}

#[test]
fn clocks_random_and_process() {
    let mut g = Guest::new(&mut WasiCtx::builder());
    for clock in 0..4 {
        assert_eq!(g.errno("clock_res_get", &[clock, 0]), 0);
        assert!(g.u64(0) > 0);
        assert_eq!(g.errno("clock_time_get", &[clock, 1, 8]), 0);
    }
    assert_eq!(g.errno("clock_time_get", &[0, 1, 8]), 0);
    let host = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    assert!(host.as_nanos().abs_diff(g.u64(8) as u128) < 60_000_000_000);
    assert_eq!(g.errno("clock_time_get", &[4, 1, 8]), E(Errno::Inval));
    assert_eq!(g.errno("clock_res_get", &[9, 0]), E(Errno::Inval));
    assert_eq!(g.errno("random_get", &[100, 64]), 0);
    assert_ne!(g.read(100, 64), vec![0; 64]);
    assert_eq!(g.errno("random_get", &[65500, 64]), E(Errno::Fault));
    assert_eq!(g.errno("sched_yield", &[]), 0);
    assert_eq!(g.errno("proc_raise", &[0]), 0);
    assert_eq!(g.errno("proc_raise", &[6]), E(Errno::Nosys));
    assert_eq!(g.errno("proc_raise", &[31]), E(Errno::Inval));
    for (name, args) in [
        ("sock_accept", &[0i64, 0, 0][..]),
        ("sock_recv", &[0, 0, 0, 0, 0, 0]),
        ("sock_send", &[0, 0, 0, 0, 0]),
        ("sock_shutdown", &[0, 0]),
    ] {
        assert_eq!(g.errno(name, args), E(Errno::Notsock), "{name}");
        let mut bad = args.to_vec();
        bad[0] = 42;
        assert_eq!(g.errno(name, &bad), E(Errno::Badf), "{name}");
    }
    let error = g.call("proc_exit", &[7]).unwrap_err();
    assert_eq!(error.downcast_ref::<I32Exit>(), Some(&I32Exit(7)));
}

/// Writes a `subscription` at `at`.
fn subscription(g: &mut Guest, at: u32, userdata: u64, tag: u8, a: u32, timeout: u64, flags: u16) {
    let mut b = [0u8; 48];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8] = tag;
    b[16..20].copy_from_slice(&a.to_le_bytes());
    b[24..32].copy_from_slice(&timeout.to_le_bytes());
    b[40..42].copy_from_slice(&flags.to_le_bytes());
    g.write(at, &b);
}

#[test]
fn poll_clocks_and_descriptors() {
    let dir = temp_dir("poll");
    let out = std::fs::File::create(dir.join("out")).unwrap();
    let mut g = Guest::new(WasiCtx::builder().stdout(out));
    assert_eq!(g.errno("poll_oneoff", &[0, 4096, 0, 0]), E(Errno::Inval), "no subscriptions");

    // A relative 20ms timeout.
    subscription(&mut g, 0, 11, 0, 1, 20_000_000, 0);
    let start = std::time::Instant::now();
    assert_eq!(g.errno("poll_oneoff", &[0, 4096, 1, 8000]), 0);
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
    assert_eq!(g.u32(8000), 1);
    assert_eq!((g.u64(4096), g.read(4104, 3)), (11, vec![0, 0, 0]), "userdata, errno, clock");

    // An absolute deadline already past on the realtime clock returns at once.
    subscription(&mut g, 0, 12, 0, 0, 1, 1);
    assert_eq!(g.errno("poll_oneoff", &[0, 4096, 1, 8000]), 0);
    assert_eq!((g.u32(8000), g.u64(4096)), (1, 12));

    // A writable file beats a long timeout; a bad descriptor is reported in its event.
    subscription(&mut g, 0, 21, 0, 1, 60_000_000_000, 0);
    subscription(&mut g, 48, 22, 2, 1, 0, 0);
    subscription(&mut g, 96, 23, 1, 99, 0, 0);
    let start = std::time::Instant::now();
    assert_eq!(g.errno("poll_oneoff", &[0, 4096, 3, 8000]), 0);
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let n = g.u32(8000);
    let events: Vec<(u64, u16, u8)> = (0..n)
        .map(|i| {
            let at = 4096 + 32 * i;
            (g.u64(at), u16::from_le_bytes(g.read(at + 8, 2).try_into().unwrap()), g.read(at + 10, 1)[0])
        })
        .collect();
    assert!(events.contains(&(23, E(Errno::Badf), 1)), "{events:?}");
    assert!(!events.iter().any(|e| e.0 == 21), "{events:?}");
    // An unknown subscription type.
    subscription(&mut g, 0, 1, 7, 0, 0, 0);
    assert_eq!(g.errno("poll_oneoff", &[0, 4096, 1, 8000]), E(Errno::Inval));
}

#[test]
fn a_function_without_memory_export_is_an_error_not_a_crash() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "wasi_snapshot_preview1" "fd_close" (func $c (param i32) (result i32)))
                   (func (export "f") (result i32) (call $c (i32.const 9))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, WasiCtx::builder().build());
    let mut linker = Linker::new(&engine);
    kite_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let error = instance.get_func(&store, "f").unwrap().call(&mut store, &[]).unwrap_err();
    assert!(error.to_string().contains("memory"), "{error}");
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn a_c_program_runs_in_process() {
    let dir = temp_dir("cprogram");
    let out = std::fs::File::create(dir.join("stdout")).unwrap();
    let engine = Engine::default();
    let module = Module::from_file(&engine, repo().join("tests/wasi/args_env.wasm")).unwrap();
    let wasi = WasiCtx::builder()
        .args(["args_env", "first"])
        .unwrap()
        .env("GREETING", "hi")
        .unwrap()
        .stdout(out)
        .build();
    let mut store = Store::new(&engine, wasi);
    let mut linker = Linker::new(&engine);
    kite_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    // wasi-libc's _start ends in proc_exit only for a nonzero status.
    match start.call(&mut store, ()) {
        Ok(()) => {}
        Err(e) => assert_eq!(e.downcast_ref::<I32Exit>(), Some(&I32Exit(0)), "{e}"),
    }
    drop(store);
    assert_eq!(
        std::fs::read_to_string(dir.join("stdout")).unwrap(),
        "argc=2\nargv[0]=args_env\nargv[1]=first\nenv: GREETING=hi\nenvc=1\nGREETING=hi\n"
    );
}
