//! The guest's linear memory as WASI functions see it: bounds-checked little-endian loads and
//! stores at guest addresses, strings, and iovec lists turned into host `iovec`s.
//!
//! A pointer or length that reaches past the end of memory is [`Errno::Fault`], as in
//! Wasmtime; nothing is ever read or written outside the guest's memory.

use crate::errno::{Errno, WasiResult};
use crate::types::size;

/// Most buffers one `readv`/`writev` takes (Linux's `IOV_MAX`); a longer list is cut there,
/// which WASI allows since reads and writes may be short.
const IOV_MAX: u32 = 1024;

pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    pub fn new(bytes: &'a mut [u8]) -> GuestMemory<'a> {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: u32) -> WasiResult<std::ops::Range<usize>> {
        let start = ptr as usize;
        let end = start + len as usize;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        Ok(start..end)
    }

    /// Fails with `Fault` unless `len` bytes at `ptr` are in memory.
    pub fn check(&self, ptr: u32, len: u32) -> WasiResult<()> {
        self.range(ptr, len).map(|_| ())
    }

    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    pub fn write(&mut self, ptr: u32, data: &[u8]) -> WasiResult<()> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        Ok(self.slice(ptr, N as u32)?.try_into().expect("length checked"))
    }

    pub fn read_u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }

    pub fn read_u16(&self, ptr: u32) -> WasiResult<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    pub fn read_u32(&self, ptr: u32) -> WasiResult<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    pub fn read_u64(&self, ptr: u32) -> WasiResult<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    pub fn write_u8(&mut self, ptr: u32, v: u8) -> WasiResult<()> {
        self.write(ptr, &[v])
    }

    pub fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// A string argument (a path): UTF-8, as WASI's `string` is, or `Ilseq`.
    pub fn str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// The guest's `iovec`/`ciovec` list at `ptr` as host `iovec`s into its memory, every buffer
    /// bounds-checked. The pointers are valid while this memory is borrowed.
    pub fn iovecs(&mut self, ptr: u32, count: u32) -> WasiResult<Vec<libc::iovec>> {
        let count = count.min(IOV_MAX);
        self.check(ptr, count.checked_mul(size::IOVEC).ok_or(Errno::Fault)?)?;
        let base = self.bytes.as_mut_ptr();
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count {
            let at = ptr + i * size::IOVEC;
            let buf = self.read_u32(at)?;
            let len = self.read_u32(at + 4)?;
            let r = self.range(buf, len)?;
            out.push(libc::iovec {
                // SAFETY: `r` lies within the memory, checked just above.
                iov_base: unsafe { base.add(r.start) }.cast(),
                iov_len: r.len(),
            });
        }
        Ok(out)
    }
}
