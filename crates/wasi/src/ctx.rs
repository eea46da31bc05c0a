//! The state WASI functions work on: [`WasiCtx`] (arguments, environment, the descriptor
//! table) and [`WasiCtxBuilder`], which makes one: inherited or given stdio, preopened
//! directories, arguments and environment.
//!
//! Descriptors are host files and cap-std directories with the WASI rights they were given.
//! Rights only ever shrink: a descriptor opened through a directory gets at most the
//! directory's inheriting rights.

use crate::errno::{Errno, WasiResult};
use crate::types::rights;
use anyhow::{Context, Result, bail};
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What a descriptor is.
pub(crate) enum Handle {
    /// A regular file, a device, a pipe: anything read and written as a stream of bytes.
    File(File),
    /// A directory, through which paths are opened beneath it and nowhere else.
    Dir(Dir),
}

pub(crate) struct Descriptor {
    pub handle: Handle,
    pub base: u64,
    pub inheriting: u64,
    /// The guest's name for a preopened directory.
    pub preopen: Option<Vec<u8>>,
}

impl Descriptor {
    pub fn raw_fd(&self) -> RawFd {
        match &self.handle {
            Handle::File(f) => f.as_raw_fd(),
            Handle::Dir(d) => d.as_fd().as_raw_fd(),
        }
    }

    /// `Notcapable` unless every right in `needed` was granted.
    pub fn require(&self, needed: u64) -> WasiResult<()> {
        if self.base & needed == needed { Ok(()) } else { Err(Errno::Notcapable) }
    }
}

/// The WASI state of one store: give it to [`crate::add_to_linker`] through the store's data.
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) fds: BTreeMap<u32, Descriptor>,
}

impl std::fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args.len())
            .field("env", &self.env.len())
            .field("fds", &self.fds.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl WasiCtx {
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    pub(crate) fn get(&self, fd: u32) -> WasiResult<&Descriptor> {
        self.fds.get(&fd).ok_or(Errno::Badf)
    }

    pub(crate) fn get_mut(&mut self, fd: u32) -> WasiResult<&mut Descriptor> {
        self.fds.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// A file descriptor with rights `needed`: `Badf` if it is not open or is a directory.
    pub(crate) fn file(&self, fd: u32, needed: u64) -> WasiResult<&File> {
        let d = self.get(fd)?;
        let Handle::File(f) = &d.handle else { return Err(Errno::Badf) };
        d.require(needed)?;
        Ok(f)
    }

    /// A directory descriptor with rights `needed`: `Notdir` if it is a file.
    pub(crate) fn dir(&self, fd: u32, needed: u64) -> WasiResult<&Dir> {
        let d = self.get(fd)?;
        let Handle::Dir(dir) = &d.handle else { return Err(Errno::Notdir) };
        d.require(needed)?;
        Ok(dir)
    }

    /// Puts `d` at the lowest free descriptor number, as POSIX `open` does.
    pub(crate) fn insert(&mut self, d: Descriptor) -> WasiResult<u32> {
        let mut fd = 0;
        for &used in self.fds.keys() {
            if used != fd {
                break;
            }
            fd = used.checked_add(1).ok_or(Errno::Mfile)?;
        }
        self.fds.insert(fd, d);
        Ok(fd)
    }
}

/// Builds a [`WasiCtx`], in the spirit of `wasmtime_wasi::WasiCtxBuilder`.
///
/// By default the guest has no arguments, no environment, no directories, reads end of file
/// from stdin and writes stdout and stderr nowhere.
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdio: [Option<File>; 3],
    preopens: Vec<(Dir, Vec<u8>)>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    pub fn new() -> WasiCtxBuilder {
        WasiCtxBuilder { args: Vec::new(), env: Vec::new(), stdio: [None, None, None], preopens: Vec::new() }
    }

    /// Appends one argument; the first is the program's name (`argv[0]`).
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> Result<&mut Self> {
        let bytes = arg.as_ref().as_bytes();
        if bytes.contains(&0) {
            bail!("argument {:?} contains a NUL byte", arg.as_ref());
        }
        self.args.push(bytes.to_vec());
        Ok(self)
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&mut self, args: I) -> Result<&mut Self> {
        for a in args {
            self.arg(a)?;
        }
        Ok(self)
    }

    /// Adds `name=value` to the environment.
    pub fn env(&mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Result<&mut Self> {
        let (name, value) = (name.as_ref().as_bytes(), value.as_ref().as_bytes());
        if name.is_empty() || name.contains(&b'=') || name.contains(&0) || value.contains(&0) {
            bail!("invalid environment variable {:?}", String::from_utf8_lossy(name));
        }
        self.env.push([name, b"=", value].concat());
        Ok(self)
    }

    /// Gives the guest this process's stdin, stdout and stderr (duplicated descriptors, so the
    /// guest closing them leaves ours open).
    pub fn inherit_stdio(&mut self) -> &mut Self {
        let dup = |fd: std::os::fd::BorrowedFd<'_>| fd.try_clone_to_owned().ok().map(File::from);
        self.stdio =
            [dup(std::io::stdin().as_fd()), dup(std::io::stdout().as_fd()), dup(std::io::stderr().as_fd())];
        self
    }

    pub fn stdin(&mut self, file: impl Into<OwnedFd>) -> &mut Self {
        self.stdio[0] = Some(File::from(file.into()));
        self
    }

    pub fn stdout(&mut self, file: impl Into<OwnedFd>) -> &mut Self {
        self.stdio[1] = Some(File::from(file.into()));
        self
    }

    pub fn stderr(&mut self, file: impl Into<OwnedFd>) -> &mut Self {
        self.stdio[2] = Some(File::from(file.into()));
        self
    }

    /// Lets the guest reach the host directory `host` (and everything beneath it, nothing
    /// above) under the name `guest`.
    pub fn preopened_dir(&mut self, host: impl AsRef<Path>, guest: impl AsRef<OsStr>) -> Result<&mut Self> {
        let host = host.as_ref();
        let dir = Dir::open_ambient_dir(host, ambient_authority())
            .with_context(|| format!("cannot open directory `{}`", host.display()))?;
        self.preopens.push((dir, guest.as_ref().as_bytes().to_vec()));
        Ok(self)
    }

    pub fn build(&mut self) -> WasiCtx {
        let mut fds = BTreeMap::new();
        for (fd, file) in std::mem::take(&mut self.stdio).into_iter().enumerate() {
            let file = match file {
                Some(f) => f,
                // The default: an empty stdin and stdouts that discard.
                None => match std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") {
                    Ok(f) => f,
                    Err(_) => continue,
                },
            };
            let base = stream_rights(&file);
            fds.insert(
                fd as u32,
                Descriptor { handle: Handle::File(file), base, inheriting: 0, preopen: None },
            );
        }
        for (i, (dir, name)) in std::mem::take(&mut self.preopens).into_iter().enumerate() {
            fds.insert(
                3 + i as u32,
                Descriptor {
                    handle: Handle::Dir(dir),
                    base: rights::DIRECTORY,
                    inheriting: rights::DIRECTORY | rights::FILE,
                    preopen: Some(name),
                },
            );
        }
        WasiCtx { args: std::mem::take(&mut self.args), env: std::mem::take(&mut self.env), fds }
    }
}

/// The rights of a file that is not reached through a directory (stdio): all of a file's,
/// except that a terminal cannot seek. wasi-libc's `isatty` is exactly "a character device
/// without the seek and tell rights", so this decides whether the guest's stdout is line
/// buffered.
pub(crate) fn stream_rights(file: &File) -> u64 {
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is open for as long as `file` is.
    if unsafe { libc::isatty(fd) } == 1 {
        rights::FILE & !(rights::FD_SEEK | rights::FD_TELL)
    } else {
        rights::FILE
    }
}

/// The WASI type of an open file, from `fstat`.
pub(crate) fn fd_filetype(fd: RawFd) -> WasiResult<u8> {
    Ok(crate::types::filetype_of_mode(fstat(fd)?.st_mode))
}

pub(crate) fn fstat(fd: RawFd) -> WasiResult<libc::stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is a valid buffer for one `stat`.
    crate::errno::cvt(unsafe { libc::fstat(fd, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled the buffer.
    Ok(unsafe { st.assume_init() })
}
