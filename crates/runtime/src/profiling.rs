//! Telling a profiler what JIT code is where: `perf`'s map file (`/tmp/perf-PID.map`, a line
//! per function) or a jitdump (`jit-PID.dump` in the current directory, for `perf inject
//! --jit`, which also carries each function's bytes so `perf annotate` can show them).
//!
//! The agent is process-wide, as the files are: the first engine that asks for a profiler
//! starts it, and every piece of code published from then on (module functions, fused
//! members' entry stubs, group functions, recompiled groups, trampolines) is announced as it
//! is published. Failing to write is not an error of the guest's: the agent gives up quietly
//! after reporting the first failure on stderr.

use crate::sys;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Mutex;

/// Which profiler to tell about JIT code (`Config::profiler`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProfilingStrategy {
    #[default]
    None,
    /// `/tmp/perf-PID.map`: `START SIZE NAME` per line, in hex, as `perf report` reads it.
    PerfMap,
    /// `jit-PID.dump`: perf's jitdump format, for `perf record -k mono` and `perf inject --jit`.
    JitDump,
}

enum Agent {
    PerfMap(BufWriter<File>),
    JitDump(JitDump),
}

static AGENT: Mutex<Option<Agent>> = Mutex::new(None);

/// Starts the process's agent for `strategy`, unless one is running already.
pub(crate) fn start(strategy: ProfilingStrategy) -> anyhow::Result<()> {
    let mut agent = AGENT.lock().unwrap_or_else(|p| p.into_inner());
    if agent.is_some() || strategy == ProfilingStrategy::None {
        return Ok(());
    }
    let pid = std::process::id();
    *agent = Some(match strategy {
        ProfilingStrategy::None => unreachable!("returned above"),
        ProfilingStrategy::PerfMap => {
            let path = format!("/tmp/perf-{pid}.map");
            let file = File::create(&path).map_err(|e| anyhow::anyhow!("cannot create `{path}`: {e}"))?;
            Agent::PerfMap(BufWriter::new(file))
        }
        ProfilingStrategy::JitDump => {
            let path = format!("jit-{pid}.dump");
            // Readable too: the marker mapping needs it.
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .map_err(|e| anyhow::anyhow!("cannot create `{path}`: {e}"))?;
            Agent::JitDump(JitDump::new(file).map_err(|e| anyhow::anyhow!("cannot write `{path}`: {e}"))?)
        }
    });
    Ok(())
}

/// Announces pieces of one just-published region of code, each `(start, len, name)`, and
/// flushes once: the agent lives in a static, never dropped, so what is written must reach the
/// file before the process ends.
pub(crate) fn announce<N: AsRef<str>>(pieces: impl IntoIterator<Item = (usize, usize, N)>) {
    let mut agent = AGENT.lock().unwrap_or_else(|p| p.into_inner());
    let Some(current) = agent.as_mut() else { return };
    let result = pieces
        .into_iter()
        .try_for_each(|(start, len, name)| match current {
            Agent::PerfMap(out) => writeln!(out, "{start:x} {len:x} {}", name.as_ref()),
            // SAFETY: published code stays mapped readable while its `CodeMemory` lives, and it
            // is announced right after publishing.
            Agent::JitDump(dump) => dump.code_load(
                start,
                unsafe { std::slice::from_raw_parts(start as *const u8, len) },
                name.as_ref(),
            ),
        })
        .and_then(|()| match current {
            Agent::PerfMap(out) => out.flush(),
            Agent::JitDump(dump) => dump.out.flush(),
        });
    if let Err(e) = result {
        eprintln!("warning: profiling stopped: {e}");
        *agent = None;
    }
}

/// A jitdump file: a header, then a `JIT_CODE_LOAD` record per function
/// (tools/perf/Documentation/jitdump-specification.txt in Linux's source).
struct JitDump {
    out: BufWriter<File>,
    next_index: u64,
    // Keeps perf's marker mapping of the file alive.
    _marker: sys::FileMarker,
}

const JITDUMP_MAGIC: u32 = 0x4A69_5444;
const JITDUMP_VERSION: u32 = 1;
const JIT_CODE_LOAD: u32 = 0;
const HEADER_SIZE: u32 = 40;
/// id, total size, timestamp; then pid, tid, vma, code address, code size, code index.
const CODE_LOAD_FIXED_SIZE: usize = 16 + 40;

impl JitDump {
    fn new(file: File) -> std::io::Result<JitDump> {
        let mut out = BufWriter::new(file);
        out.write_all(&JITDUMP_MAGIC.to_ne_bytes())?;
        out.write_all(&JITDUMP_VERSION.to_ne_bytes())?;
        out.write_all(&HEADER_SIZE.to_ne_bytes())?;
        out.write_all(&sys::ELF_MACHINE.to_ne_bytes())?;
        out.write_all(&0u32.to_ne_bytes())?;
        out.write_all(&std::process::id().to_ne_bytes())?;
        out.write_all(&sys::monotonic_nanos().to_ne_bytes())?;
        out.write_all(&0u64.to_ne_bytes())?;
        out.flush()?;
        // perf finds the dump through an executable mapping of it in the recorded process.
        let marker = sys::FileMarker::map(out.get_ref())?;
        Ok(JitDump { out, next_index: 0, _marker: marker })
    }

    fn code_load(&mut self, start: usize, code: &[u8], name: &str) -> std::io::Result<()> {
        let total = CODE_LOAD_FIXED_SIZE + name.len() + 1 + code.len();
        let out = &mut self.out;
        out.write_all(&JIT_CODE_LOAD.to_ne_bytes())?;
        out.write_all(&(total as u32).to_ne_bytes())?;
        out.write_all(&sys::monotonic_nanos().to_ne_bytes())?;
        out.write_all(&std::process::id().to_ne_bytes())?;
        out.write_all(&sys::thread_id().to_ne_bytes())?;
        out.write_all(&(start as u64).to_ne_bytes())?;
        out.write_all(&(start as u64).to_ne_bytes())?;
        out.write_all(&(code.len() as u64).to_ne_bytes())?;
        out.write_all(&self.next_index.to_ne_bytes())?;
        out.write_all(name.as_bytes())?;
        out.write_all(&[0])?;
        out.write_all(code)?;
        self.next_index += 1;
        Ok(())
    }
}
