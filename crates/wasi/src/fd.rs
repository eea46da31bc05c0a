//! Operations on descriptors: reading and writing (`fd_read`, `fd_write`, `fd_pread`,
//! `fd_pwrite`), position (`fd_seek`, `fd_tell`), state and metadata (`fd_fdstat_*`,
//! `fd_filestat_*`), durability (`fd_sync`, `fd_datasync`), `fd_advise`, `fd_allocate`,
//! `fd_readdir`, the table itself (`fd_close`, `fd_renumber`) and preopened directories
//! (`fd_prestat_get`, `fd_prestat_dir_name`).
//!
//! Reads and writes go straight to the host descriptor with `readv`/`writev` on the guest's
//! buffers: nothing is buffered on the host side, so whatever the guest wrote is in the file
//! (or on the terminal) even if it traps right after.

use crate::ctx::{Descriptor, Handle, WasiCtx, fd_filetype, fstat};
use crate::errno::{Errno, WasiResult, cvt};
use crate::memory::GuestMemory;
use crate::types::{Filestat, PREOPENTYPE_DIR, advice, fdflags, filetype, fstflags, rights, size, whence};
use cap_std::fs::{Dir, FileTypeExt, MetadataExt};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;

fn offset(value: u64) -> WasiResult<libc::off_t> {
    libc::off_t::try_from(value).map_err(|_| Errno::Inval)
}

/// Retries a call interrupted by a signal.
fn retry<T: PartialEq + From<i8> + Copy>(mut f: impl FnMut() -> T) -> WasiResult<T> {
    loop {
        match cvt(f()) {
            Err(Errno::Intr) => continue,
            other => return other,
        }
    }
}

pub fn fd_advise(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    off: u64,
    len: u64,
    adv: u32,
) -> WasiResult<()> {
    let file = ctx.file(fd, rights::FD_ADVISE)?;
    let adv = match u8::try_from(adv).map_err(|_| Errno::Inval)? {
        advice::NORMAL => libc::POSIX_FADV_NORMAL,
        advice::SEQUENTIAL => libc::POSIX_FADV_SEQUENTIAL,
        advice::RANDOM => libc::POSIX_FADV_RANDOM,
        advice::WILLNEED => libc::POSIX_FADV_WILLNEED,
        advice::DONTNEED => libc::POSIX_FADV_DONTNEED,
        advice::NOREUSE => libc::POSIX_FADV_NOREUSE,
        _ => return Err(Errno::Inval),
    };
    // SAFETY: a plain syscall on an open descriptor.
    let ret = unsafe { libc::posix_fadvise(file.as_raw_fd(), offset(off)?, offset(len)?, adv) };
    if ret != 0 {
        return Err(Errno::from_raw_os_error(ret));
    }
    Ok(())
}

pub fn fd_allocate(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    off: u64,
    len: u64,
) -> WasiResult<()> {
    let file = ctx.file(fd, rights::FD_ALLOCATE)?;
    let (off, len) = (offset(off)?, offset(len)?);
    let end = off.checked_add(len).ok_or(Errno::Fbig)?;
    // SAFETY: a plain syscall on an open descriptor.
    let ret = unsafe { libc::posix_fallocate(file.as_raw_fd(), off, len) };
    match ret {
        0 => Ok(()),
        // A file system that cannot reserve space: make the file long enough at least.
        libc::EOPNOTSUPP => {
            let size = file.metadata().map_err(Errno::from)?.len();
            if (end as u64) > size {
                file.set_len(end as u64).map_err(Errno::from)?;
            }
            Ok(())
        }
        e => Err(Errno::from_raw_os_error(e)),
    }
}

pub fn fd_close(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, fd: u32) -> WasiResult<()> {
    ctx.fds.remove(&fd).map(drop).ok_or(Errno::Badf)
}

/// `fsync` or `fdatasync` on a file or a directory.
fn sync(ctx: &WasiCtx, fd: u32, right: u64, f: unsafe extern "C" fn(i32) -> i32) -> WasiResult<()> {
    let d = ctx.get(fd)?;
    d.require(right)?;
    // SAFETY: a plain syscall on an open descriptor.
    retry(|| unsafe { f(d.raw_fd()) }).map(drop)
}

pub fn fd_datasync(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, fd: u32) -> WasiResult<()> {
    sync(ctx, fd, rights::FD_DATASYNC, libc::fdatasync)
}

pub fn fd_sync(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, fd: u32) -> WasiResult<()> {
    sync(ctx, fd, rights::FD_SYNC, libc::fsync)
}

/// The WASI `fdflags` of a host descriptor.
fn host_fdflags(fd: RawFd) -> WasiResult<u16> {
    // SAFETY: a plain syscall on an open descriptor.
    let fl = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let mut flags = 0;
    if fl & libc::O_APPEND != 0 {
        flags |= fdflags::APPEND;
    }
    if fl & libc::O_NONBLOCK != 0 {
        flags |= fdflags::NONBLOCK;
    }
    // O_SYNC includes O_DSYNC's bit on Linux.
    if fl & libc::O_SYNC == libc::O_SYNC {
        flags |= fdflags::SYNC;
    } else if fl & libc::O_DSYNC != 0 {
        flags |= fdflags::DSYNC;
    }
    if fl & libc::O_RSYNC == libc::O_RSYNC && fl & libc::O_SYNC == libc::O_SYNC {
        flags |= fdflags::RSYNC;
    }
    Ok(flags)
}

pub fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, buf: u32) -> WasiResult<()> {
    let d = ctx.get(fd)?;
    let raw = d.raw_fd();
    let (ty, flags) = match &d.handle {
        Handle::Dir(_) => (filetype::DIRECTORY, 0),
        Handle::File(_) => (fd_filetype(raw)?, host_fdflags(raw)?),
    };
    let mut b = [0u8; size::FDSTAT as usize];
    b[0] = ty;
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&d.base.to_le_bytes());
    b[16..24].copy_from_slice(&d.inheriting.to_le_bytes());
    mem.write(buf, &b)
}

pub fn fd_fdstat_set_flags(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
) -> WasiResult<()> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FDSTAT_SET_FLAGS)?;
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !fdflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    // Linux cannot change the synchronized-I/O flags of an open file.
    if flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
        return Err(Errno::Notsup);
    }
    let raw = d.raw_fd();
    // SAFETY: plain syscalls on an open descriptor.
    let mut fl = cvt(unsafe { libc::fcntl(raw, libc::F_GETFL) })?;
    fl &= !(libc::O_APPEND | libc::O_NONBLOCK);
    if flags & fdflags::APPEND != 0 {
        fl |= libc::O_APPEND;
    }
    if flags & fdflags::NONBLOCK != 0 {
        fl |= libc::O_NONBLOCK;
    }
    // SAFETY: as above.
    cvt(unsafe { libc::fcntl(raw, libc::F_SETFL, fl) }).map(drop)
}

pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> WasiResult<()> {
    let d = ctx.get_mut(fd)?;
    // Rights can be dropped, never gained.
    if base & !d.base != 0 || inheriting & !d.inheriting != 0 {
        return Err(Errno::Notcapable);
    }
    d.base = base;
    d.inheriting = inheriting;
    Ok(())
}

pub fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, buf: u32) -> WasiResult<()> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_GET)?;
    mem.check(buf, size::FILESTAT)?;
    let stat = Filestat::from_stat(&fstat(d.raw_fd())?);
    mem.write(buf, &stat.to_bytes())
}

pub fn fd_filestat_set_size(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    size: u64,
) -> WasiResult<()> {
    let file = ctx.file(fd, rights::FD_FILESTAT_SET_SIZE)?;
    offset(size)?;
    file.set_len(size).map_err(Errno::from)
}

/// The two `timespec`s `futimens`/`utimensat` take for WASI's `fstflags`.
pub(crate) fn timespecs(atim: u64, mtim: u64, flags: u32) -> WasiResult<[libc::timespec; 2]> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !fstflags::ALL != 0
        || flags & (fstflags::ATIM | fstflags::ATIM_NOW) == fstflags::ATIM | fstflags::ATIM_NOW
        || flags & (fstflags::MTIM | fstflags::MTIM_NOW) == fstflags::MTIM | fstflags::MTIM_NOW
    {
        return Err(Errno::Inval);
    }
    let spec = |t: u64, set: u16, now: u16| {
        if flags & set != 0 {
            libc::timespec {
                tv_sec: (t / 1_000_000_000) as libc::time_t,
                tv_nsec: (t % 1_000_000_000) as libc::c_long,
            }
        } else if flags & now != 0 {
            libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_NOW }
        } else {
            libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT }
        }
    };
    Ok([spec(atim, fstflags::ATIM, fstflags::ATIM_NOW), spec(mtim, fstflags::MTIM, fstflags::MTIM_NOW)])
}

pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> WasiResult<()> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_SET_TIMES)?;
    let times = timespecs(atim, mtim, flags)?;
    // SAFETY: `times` holds two timespecs, as futimens reads.
    cvt(unsafe { libc::futimens(d.raw_fd(), times.as_ptr()) }).map(drop)
}

/// A file open for reading (`FD_READ`) or writing (`FD_WRITE`). Lacking that right is `Badf`,
/// as POSIX answers a read from a descriptor opened only for writing, and as Wasmtime does.
fn stream(ctx: &WasiCtx, fd: u32, right: u64) -> WasiResult<&std::fs::File> {
    let file = ctx.file(fd, 0)?;
    ctx.get(fd)?.require(right).map_err(|_| Errno::Badf)?;
    Ok(file)
}

fn write_size(mem: &mut GuestMemory<'_>, ptr: u32, n: isize) -> WasiResult<()> {
    mem.write_u32(ptr, u32::try_from(n).map_err(|_| Errno::Overflow)?)
}

/// The shape of `fd_read`, `fd_pread`, `fd_write` and `fd_pwrite`: check the right, the result
/// pointer and the offset (if positioned), gather the iovecs, run the vectored syscall `io` on
/// them (retried on EINTR), and store the byte count. Every iovec points into the guest's memory,
/// which `mem` holds borrowed for the whole call.
#[allow(clippy::too_many_arguments)]
fn vectored(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    right: u64,
    iovs: u32,
    len: u32,
    off: Option<u64>,
    count: u32,
    io: impl Fn(RawFd, *const libc::iovec, i32, libc::off_t) -> isize,
) -> WasiResult<()> {
    let file = stream(ctx, fd, right)?;
    mem.check(count, 4)?;
    let off = off.map(offset).transpose()?.unwrap_or(0);
    let iov = mem.iovecs(iovs, len)?;
    let n = retry(|| io(file.as_raw_fd(), iov.as_ptr(), iov.len() as i32, off))?;
    write_size(mem, count, n)
}

pub fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    len: u32,
    nread: u32,
) -> WasiResult<()> {
    // SAFETY: the iovecs point into guest memory, borrowed for the call (see `vectored`).
    vectored(ctx, mem, fd, rights::FD_READ, iovs, len, None, nread, |f, v, n, _| unsafe {
        libc::readv(f, v, n)
    })
}

pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    len: u32,
    off: u64,
    nread: u32,
) -> WasiResult<()> {
    // SAFETY: as in `fd_read`.
    vectored(ctx, mem, fd, rights::FD_READ, iovs, len, Some(off), nread, |f, v, n, o| unsafe {
        libc::preadv(f, v, n, o)
    })
}

pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    len: u32,
    nwritten: u32,
) -> WasiResult<()> {
    // SAFETY: as in `fd_read`; writev only reads the buffers.
    vectored(ctx, mem, fd, rights::FD_WRITE, iovs, len, None, nwritten, |f, v, n, _| unsafe {
        libc::writev(f, v, n)
    })
}

pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    len: u32,
    off: u64,
    nwritten: u32,
) -> WasiResult<()> {
    // SAFETY: as in `fd_write`.
    vectored(ctx, mem, fd, rights::FD_WRITE, iovs, len, Some(off), nwritten, |f, v, n, o| unsafe {
        libc::pwritev(f, v, n, o)
    })
}

pub fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, buf: u32) -> WasiResult<()> {
    let name = ctx.get(fd)?.preopen.as_ref().ok_or(Errno::Badf)?;
    let len = u32::try_from(name.len()).map_err(|_| Errno::Nametoolong)?;
    let mut b = [0u8; size::PRESTAT as usize];
    b[0] = PREOPENTYPE_DIR;
    b[4..8].copy_from_slice(&len.to_le_bytes());
    mem.write(buf, &b)
}

pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    let name = ctx.get(fd)?.preopen.as_ref().ok_or(Errno::Badf)?;
    if name.len() > len as usize {
        return Err(Errno::Nametoolong);
    }
    mem.write(path, name)
}

pub fn fd_renumber(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, from: u32, to: u32) -> WasiResult<()> {
    ctx.get(from)?;
    ctx.get(to)?;
    if from != to {
        let d: Descriptor = ctx.fds.remove(&from).expect("checked");
        // Replacing the old descriptor closes it.
        ctx.fds.insert(to, d);
    }
    Ok(())
}

pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    off: i64,
    wh: u32,
    newoffset: u32,
) -> WasiResult<()> {
    // Asking where we are needs only the right to tell.
    let needed = if off == 0 && wh == u32::from(whence::CUR) { rights::FD_TELL } else { rights::FD_SEEK };
    let d = ctx.get(fd)?;
    let Handle::File(file) = &d.handle else { return Err(Errno::Badf) };
    if d.require(needed).is_err() && d.require(rights::FD_SEEK).is_err() {
        return Err(Errno::Notcapable);
    }
    let wh = match u8::try_from(wh).map_err(|_| Errno::Inval)? {
        whence::SET => libc::SEEK_SET,
        whence::CUR => libc::SEEK_CUR,
        whence::END => libc::SEEK_END,
        _ => return Err(Errno::Inval),
    };
    mem.check(newoffset, 8)?;
    // SAFETY: a plain syscall on an open descriptor.
    let pos = cvt(unsafe { libc::lseek(file.as_raw_fd(), off, wh) })?;
    mem.write_u64(newoffset, pos as u64)
}

pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, ptr: u32) -> WasiResult<()> {
    let file = ctx.file(fd, rights::FD_TELL)?;
    mem.check(ptr, 8)?;
    // SAFETY: a plain syscall on an open descriptor.
    let pos = cvt(unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_CUR) })?;
    mem.write_u64(ptr, pos as u64)
}

/// One directory entry as `fd_readdir` reports it.
struct Entry {
    name: Vec<u8>,
    ino: u64,
    ty: u8,
}

pub(crate) fn filetype_of(ty: cap_std::fs::FileType) -> u8 {
    if ty.is_dir() {
        filetype::DIRECTORY
    } else if ty.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if ty.is_file() {
        filetype::REGULAR_FILE
    } else if ty.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if ty.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if ty.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

/// The entries of `dir`, `.` and `..` first, in the order the host lists them.
fn entries(dir: &Dir) -> WasiResult<Vec<Entry>> {
    let here = dir.dir_metadata().map_err(Errno::from)?;
    let mut out = vec![
        Entry { name: b".".to_vec(), ino: here.ino(), ty: filetype::DIRECTORY },
        // The parent may lie outside the sandbox: report no more than that it is a directory.
        Entry { name: b"..".to_vec(), ino: here.ino(), ty: filetype::DIRECTORY },
    ];
    for entry in dir.entries().map_err(Errno::from)? {
        let entry = entry.map_err(Errno::from)?;
        let ty = entry.file_type().map(filetype_of).unwrap_or(filetype::UNKNOWN);
        out.push(Entry {
            name: entry.file_name().as_bytes().to_vec(),
            ino: std::os::unix::fs::DirEntryExt::ino(&entry),
            ty,
        });
    }
    Ok(out)
}

pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> WasiResult<()> {
    let dir = ctx.dir(fd, rights::FD_READDIR)?;
    mem.check(buf, buf_len)?;
    mem.check(bufused, 4)?;
    let mut used: u32 = 0;
    for (i, entry) in
        entries(dir)?.into_iter().enumerate().skip(usize::try_from(cookie).unwrap_or(usize::MAX))
    {
        let mut record = Vec::with_capacity(size::DIRENT as usize + entry.name.len());
        record.extend_from_slice(&(i as u64 + 1).to_le_bytes());
        record.extend_from_slice(&entry.ino.to_le_bytes());
        record.extend_from_slice(&(entry.name.len() as u32).to_le_bytes());
        record.extend_from_slice(&[entry.ty, 0, 0, 0]);
        record.extend_from_slice(&entry.name);
        // The last entry is cut when the buffer is full: the guest sees `bufused == buf_len`
        // and asks again with a bigger buffer or the same cookie.
        let room = (buf_len - used) as usize;
        let take = record.len().min(room);
        mem.write(buf + used, &record[..take])?;
        used += take as u32;
        if used == buf_len {
            break;
        }
    }
    mem.write_u32(bufused, used)
}
