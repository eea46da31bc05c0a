//! The code cache: compiled modules saved on disk (in `artifact`'s format), so that a module is
//! compiled once, not at every run.
//!
//! An entry is named by a SHA-256 of the module's bytes and of everything a saved module's
//! header holds (format and kite versions, target, CPU features, convention, tier-up), so an
//! engine only ever looks up entries compiled its way. Entries are written to a temporary file
//! in the same directory and renamed into place: a reader, in this process or another, sees a
//! whole entry or none. A damaged entry is the loader's to find (its checksum); it is then
//! removed and the module compiled again. Failing to write costs the entry, never the run.
//!
//! Beside an entry, `KEY.groups` holds the module's fused groups as tiering recompiled them on
//! their profile (`tiering`), so that the next run starts in them.
//!
//! The directory is bounded: after each write, the least recently used entries (by
//! modification time, which a hit refreshes) go until the total is under the bound.

use crate::artifact::{FORMAT_VERSION, KITE_VERSION};
use anyhow::{Context, Result};
use kite_frontend::CodeSettings;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The default bound on a cache directory's size.
pub const DEFAULT_CACHE_MAX_SIZE: u64 = 1 << 30;

/// What an entry's file name ends with.
const ENTRY_SUFFIX: &str = ".kite";

/// What the recompiled groups saved beside an entry end with (see `tiering`). They are not
/// counted against the bound (they are a fraction of the entry); they go with their entry.
const GROUPS_SUFFIX: &str = ".groups";

/// What a file being written ends with; one older than [`STALE_TEMP`] was left by a process
/// that died writing it.
const TEMP_SUFFIX: &str = ".tmp";
const STALE_TEMP: Duration = Duration::from_secs(600);

/// `$XDG_CACHE_HOME/kite`, else `$HOME/.cache/kite`, as the XDG base directory rules have it.
pub fn default_cache_dir() -> Option<PathBuf> {
    let absolute = |var| std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_absolute());
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|base| base.join("kite"))
}

/// A cache directory and its bound.
#[derive(Clone, Debug)]
pub(crate) struct Cache {
    dir: PathBuf,
    max_size: u64,
}

impl Cache {
    pub fn new(dir: PathBuf, max_size: u64) -> Cache {
        Cache { dir, max_size }
    }

    /// The entry's name for a module's `bytes` compiled under `settings`.
    pub fn key(bytes: &[u8], settings: &CodeSettings) -> String {
        let mut hash = Sha256::new();
        hash.update(FORMAT_VERSION.to_le_bytes());
        hash.update(KITE_VERSION.as_bytes());
        hash.update([0]);
        // Encoded whole, so that a setting added later is part of the key; encoding strings
        // and a flag cannot fail.
        hash.update(postcard::to_stdvec(settings).unwrap_or_default());
        hash.update(bytes);
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}{ENTRY_SUFFIX}"))
    }

    /// The entry's contents, if there is one; a hit makes it the most recently used.
    pub fn load(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.path(key);
        let data = std::fs::read(&path).ok()?;
        // Only the trimming order depends on it: a read-only entry stays where it was.
        if let Ok(file) = std::fs::File::options().append(true).open(&path) {
            let _ = file.set_modified(SystemTime::now());
        }
        Some(data)
    }

    /// Drops an entry found damaged or foreign.
    pub fn remove(&self, key: &str) {
        let _ = std::fs::remove_file(self.path(key));
    }

    /// Writes an entry atomically, then trims the directory to its bound.
    pub fn store(&self, key: &str, data: &[u8]) -> Result<()> {
        self.write_atomically(key, &self.path(key), data)?;
        self.trim();
        Ok(())
    }

    fn groups_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}{GROUPS_SUFFIX}"))
    }

    /// The recompiled groups saved beside an entry (see `tiering`), if any.
    pub fn load_groups(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.groups_path(key)).ok()
    }

    /// Saves recompiled groups beside an entry, atomically; they go when the entry does.
    pub fn store_groups(&self, key: &str, data: &[u8]) -> Result<()> {
        self.write_atomically(key, &self.groups_path(key), data)
    }

    /// Drops recompiled groups found damaged or not fitting their module.
    pub fn remove_groups(&self, key: &str) {
        let _ = std::fs::remove_file(self.groups_path(key));
    }

    /// Writes `data` to a temporary file, then renames it to `path`.
    fn write_atomically(&self, key: &str, path: &Path, data: &[u8]) -> Result<()> {
        let dir = &self.dir;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let temp = dir.join(format!(".{key}.{}.{}{TEMP_SUFFIX}", std::process::id(), next_temp_id()));
        let written = write_file(&temp, data).and_then(|()| {
            std::fs::rename(&temp, path).with_context(|| format!("cannot rename `{}`", temp.display()))
        });
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }

    /// Removes the least recently used entries until the directory is within its bound, and
    /// temporary files whose writer died.
    fn trim(&self) {
        let Ok(read_dir) = std::fs::read_dir(&self.dir) else { return };
        let now = SystemTime::now();
        let mut entries = Vec::new();
        let mut total = 0;
        for entry in read_dir.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(meta) = entry.metadata() else { continue };
            let modified = meta.modified().unwrap_or(now);
            if name.ends_with(TEMP_SUFFIX) {
                if now.duration_since(modified).is_ok_and(|age| age > STALE_TEMP) {
                    let _ = std::fs::remove_file(entry.path());
                }
            } else if name.ends_with(ENTRY_SUFFIX) && meta.is_file() {
                total += meta.len();
                entries.push((modified, meta.len(), entry.path()));
            }
        }
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_size {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
                let _ = std::fs::remove_file(path.with_extension(&GROUPS_SUFFIX[1..]));
            }
        }
    }
}

/// Distinguishes the temporary files of one process's threads.
fn next_temp_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    let mut file =
        std::fs::File::create_new(path).with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(data).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}
