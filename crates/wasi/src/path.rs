//! Operations on paths beneath a directory descriptor: `path_open`, `path_create_directory`,
//! `path_remove_directory`, `path_unlink_file`, `path_rename`, `path_link`, `path_symlink`,
//! `path_readlink`, `path_filestat_get`, `path_filestat_set_times`.
//!
//! This is the sandbox. Every path is resolved by cap-std beneath its directory descriptor:
//! an absolute path, a `..` that climbs above the directory, or a symlink whose target lies
//! outside it, is refused however it is spelled ([`Errno::Perm`], as in Wasmtime), and symlinks with an
//! absolute target cannot be created. The guest never names a host path directly.

use crate::ctx::{Descriptor, Handle, WasiCtx, stream_rights};
use crate::errno::{Errno, WasiResult};
use crate::fd::{filetype_of, timespecs};
use crate::memory::GuestMemory;
use crate::types::{Filestat, fdflags, lookupflags, oflags, rights};
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt, SystemTimeSpec,
};
use cap_std::fs::{Dir, Metadata, MetadataExt, OpenOptions};
use std::os::unix::ffi::OsStrExt;

fn follow(flags: u32) -> bool {
    flags & lookupflags::SYMLINK_FOLLOW != 0
}

fn filestat(m: &Metadata) -> Filestat {
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of(m.file_type()),
        nlink: m.nlink(),
        size: m.size(),
        atim: crate::types::timestamp(m.atime(), m.atime_nsec()),
        mtim: crate::types::timestamp(m.mtime(), m.mtime_nsec()),
        ctim: crate::types::timestamp(m.ctime(), m.ctime_nsec()),
    }
}

pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::PATH_CREATE_DIRECTORY)?;
    dir.create_dir(mem.str(path, len)?).map_err(Errno::from)
}

pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    buf: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::PATH_FILESTAT_GET)?;
    let path = mem.str(path, len)?;
    let meta = if follow(flags) { dir.metadata(path) } else { dir.symlink_metadata(path) };
    let stat = filestat(&meta.map_err(Errno::from)?);
    mem.write(buf, &stat.to_bytes())
}

#[allow(clippy::too_many_arguments, reason = "the WASI function's parameters")]
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::PATH_FILESTAT_SET_TIMES)?;
    let path = mem.str(path, len)?;
    let [a, m] = timespecs(atim, mtim, fst)?;
    let spec = |ts: libc::timespec| match ts.tv_nsec {
        libc::UTIME_OMIT => None,
        libc::UTIME_NOW => Some(SystemTimeSpec::SymbolicNow),
        _ => Some(SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(
            std::time::UNIX_EPOCH + std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
        ))),
    };
    let result = if follow(flags) {
        dir.set_times(path, spec(a), spec(m))
    } else {
        dir.set_symlink_times(path, spec(a), spec(m))
    };
    result.map_err(Errno::from)
}

#[allow(clippy::too_many_arguments, reason = "the WASI function's parameters")]
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let old_dir = ctx.dir(old_fd, rights::PATH_LINK_SOURCE)?;
    let new_dir = ctx.dir(new_fd, rights::PATH_LINK_TARGET)?;
    // Following a symlink to link its target would need resolving it ourselves; POSIX
    // `link` does not follow either, and wasi-libc never asks to.
    if follow(old_flags) {
        return Err(Errno::Inval);
    }
    let (old, new) = (mem.str(old_path, old_len)?, mem.str(new_path, new_len)?);
    old_dir.hard_link(old, new_dir, new).map_err(Errno::from)
}

#[allow(clippy::too_many_arguments, reason = "the WASI function's parameters")]
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    len: u32,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    fd_ptr: u32,
) -> WasiResult<()> {
    let oflags = u16::try_from(oflags).map_err(|_| Errno::Inval)?;
    let fdflags = u16::try_from(fdflags).map_err(|_| Errno::Inval)?;
    if oflags & !oflags::ALL != 0 || fdflags & !fdflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    let mut needed = rights::PATH_OPEN;
    if oflags & oflags::CREAT != 0 {
        needed |= rights::PATH_CREATE_FILE;
    }
    if oflags & oflags::TRUNC != 0 {
        needed |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let parent = ctx.get(fd)?;
    let Handle::Dir(dir) = &parent.handle else { return Err(Errno::Notdir) };
    parent.require(needed)?;
    // What the new descriptor may do: what was asked, within what the directory passes on.
    let base = base & parent.inheriting;
    let inheriting = inheriting & parent.inheriting;
    let path = mem.str(path, len)?;
    mem.check(fd_ptr, 4)?;
    let follow = if follow(dirflags) { FollowSymlinks::Yes } else { FollowSymlinks::No };

    let handle = if oflags & oflags::DIRECTORY != 0 {
        if oflags & (oflags::CREAT | oflags::TRUNC) != 0 {
            return Err(Errno::Inval);
        }
        let opened = match follow {
            FollowSymlinks::Yes => dir.open_dir(path),
            FollowSymlinks::No => dir.open_dir_nofollow(path),
        };
        Handle::Dir(opened.map_err(Errno::from)?)
    } else {
        let mut write = base & rights::WRITING != 0;
        let read = base & rights::READING != 0 || !write;
        // POSIX lets `O_RDONLY | O_CREAT` create a file, the host's `open` only with write
        // access; the descriptor still lacks the right to write.
        if oflags & (oflags::CREAT | oflags::TRUNC) != 0 {
            write = true;
        }
        let mut options = OpenOptions::new();
        options.read(read).write(write);
        if fdflags & fdflags::APPEND != 0 {
            options.append(true);
        }
        if oflags & oflags::CREAT != 0 {
            if oflags & oflags::EXCL != 0 {
                options.create_new(true);
            } else {
                options.create(true);
            }
        }
        options.truncate(oflags & oflags::TRUNC != 0);
        options.follow(follow);
        options.maybe_dir(!write);
        options.dsync(fdflags & fdflags::DSYNC != 0);
        options.rsync(fdflags & fdflags::RSYNC != 0);
        options.sync(fdflags & fdflags::SYNC != 0);
        options.nonblock(fdflags & fdflags::NONBLOCK != 0);
        let file = dir.open_with(path, &options).map_err(Errno::from)?;
        let is_dir = file.metadata().map_err(Errno::from)?.is_dir();
        if is_dir { Handle::Dir(Dir::from_std_file(file.into_std())) } else { Handle::File(file.into_std()) }
    };
    let (base, inheriting) = match &handle {
        Handle::Dir(_) => (base & rights::DIRECTORY, inheriting),
        Handle::File(f) => (base & stream_rights(f), 0),
    };
    let new_fd = ctx.insert(Descriptor { handle, base, inheriting, preopen: None })?;
    mem.write_u32(fd_ptr, new_fd)
}

#[allow(clippy::too_many_arguments, reason = "the WASI function's parameters")]
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::PATH_READLINK)?;
    let target = dir.read_link(mem.str(path, len)?).map_err(Errno::from)?;
    let bytes = target.as_os_str().as_bytes();
    // Like POSIX `readlink`, a target longer than the buffer is cut.
    let n = bytes.len().min(buf_len as usize);
    mem.check(bufused, 4)?;
    mem.write(buf, &bytes[..n])?;
    mem.write_u32(bufused, n as u32)
}

pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::PATH_REMOVE_DIRECTORY)?;
    dir.remove_dir(mem.str(path, len)?).map_err(Errno::from)
}

#[allow(clippy::too_many_arguments, reason = "the WASI function's parameters")]
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let old_dir = ctx.dir(fd, rights::PATH_RENAME_SOURCE)?;
    let new_dir = ctx.dir(new_fd, rights::PATH_RENAME_TARGET)?;
    let (old, new) = (mem.str(old_path, old_len)?, mem.str(new_path, new_len)?);
    old_dir.rename(old, new_dir, new).map_err(Errno::from)
}

pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_path: u32,
    old_len: u32,
    fd: u32,
    new_path: u32,
    new_len: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::PATH_SYMLINK)?;
    let (target, link) = (mem.str(old_path, old_len)?, mem.str(new_path, new_len)?);
    // cap-std refuses an absolute target; a relative one is only ever followed beneath a
    // directory descriptor, where climbing out is refused.
    dir.symlink(target, link).map_err(Errno::from)
}

pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::PATH_UNLINK_FILE)?;
    dir.remove_file(mem.str(path, len)?).map_err(Errno::from)
}
