//! The saved form of a compiled module, as `kite compile -o` writes it and the code cache keeps
//! it: everything instantiation needs, so that loading it compiles nothing.
//!
//! ```text
//! magic (8 bytes) | format version (u32 LE) | header length (u32 LE) | header | body
//! ```
//!
//! The header (postcard) names the kite that wrote the file and the [`CodeSettings`] the code
//! was compiled under: target triple, Cranelift's settings with the CPU features, convention,
//! tier-up. A module loads only where all of them equal the engine's. It ends with the body's
//! length and CRC-32, so a damaged file is an error, never code run (a checksum against damage,
//! not forgery: whoever can write the file can write its checksum too). The body (postcard) is
//! the frontend's `CompiledModule` (code, relocations, trap table, names, module info, facts,
//! groups), and the module's bytes when its groups profile (tiering recompiles from them).
//!
//! Beside a cache entry, the groups tiering recompiled ([`SavedGroup`]) are saved in a form of
//! their own: a CRC-32 (u32 LE), then the groups (postcard). The entry's key vouches for the
//! settings.
//!
//! The format version changes whenever the layout or any saved type does; a file of another
//! version or another kite is refused, never read on a guess.

use crate::engine::Config;
use crate::tiering::profiles;
use anyhow::{Context, Result, bail};
use kite_frontend::byte_buf::{ByteBuf, Bytes};
use kite_frontend::{CodeBlob, CodeSettings, CompiledModule, Reloc, Target};
use serde::{Deserialize, Serialize};

/// What every saved module starts with.
pub const MAGIC: [u8; 8] = *b"\0kitemod";

/// The layout's version; see the module's comment. 3: the header holds the Wasm features. 4:
/// the settings say whether code checks memory bounds, and dispatch arrays whether they serve
/// `call_ref` (with a third trap stub).
pub const FORMAT_VERSION: u32 = 5;

/// The version of kite that writes and reads saved modules, with a fingerprint of the sources
/// its code generation and runtime are built from (see `build.rs`): a build that could compile
/// differently is another version.
pub const KITE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("KITE_BUILD_FINGERPRINT"));

#[derive(Serialize, Deserialize)]
struct Header {
    kite_version: String,
    settings: CodeSettings,
    body_len: u64,
    body_crc32: u32,
}

/// A module read back: its compiled form, and its bytes if they were saved.
pub(crate) struct Saved {
    pub compiled: CompiledModule,
    pub bytes: Option<Vec<u8>>,
}

/// Whether `data` starts like a saved module (whether it is a sound one is `read`'s question).
pub fn is_precompiled(data: &[u8]) -> bool {
    data.starts_with(&MAGIC)
}

/// Saves `compiled`, compiled under `settings`, with the module's `bytes` if tiering needs them.
pub(crate) fn write(
    compiled: &CompiledModule,
    bytes: Option<&[u8]>,
    settings: &CodeSettings,
) -> Result<Vec<u8>> {
    let bytes = bytes.map(Bytes);
    let body = postcard::to_stdvec(&(compiled, bytes)).context("encoding the compiled module")?;
    let header = Header {
        kite_version: KITE_VERSION.to_string(),
        settings: settings.clone(),
        body_len: body.len() as u64,
        body_crc32: crc32fast::hash(&body),
    };
    let header = postcard::to_stdvec(&header).context("encoding the header")?;
    let mut out = Vec::with_capacity(16 + header.len() + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads a saved module that must have been compiled under `expected`. Every error is one
/// sentence saying what is wrong with the file.
pub(crate) fn read(data: &[u8], expected: &CodeSettings) -> Result<Saved> {
    let rest = data.strip_prefix(&MAGIC).context("not a compiled kite module")?;
    let (version, rest) = take_u32(rest)?;
    if version != FORMAT_VERSION {
        bail!("compiled module of format version {version}, this kite reads version {FORMAT_VERSION}");
    }
    let (header_len, rest) = take_u32(rest)?;
    let (header, body) = rest.split_at_checked(header_len as usize).context("truncated compiled module")?;
    let header: Header = postcard::from_bytes(header).ok().context("damaged compiled module header")?;
    if header.kite_version != KITE_VERSION {
        bail!("module compiled by kite {}, this is kite {KITE_VERSION}", header.kite_version);
    }
    check_settings(&header.settings, expected)?;
    if body.len() as u64 != header.body_len {
        bail!("truncated compiled module ({} of {} bytes of code and tables)", body.len(), header.body_len);
    }
    if crc32fast::hash(body) != header.body_crc32 {
        bail!("damaged compiled module (checksum mismatch)");
    }
    let (mut compiled, bytes): (CompiledModule, Option<ByteBuf>) =
        postcard::from_bytes(body).ok().context("damaged compiled module body")?;
    let bytes = bytes.map(|b| b.0);
    check_bounds(&compiled)?;
    compiled.convention = kite_frontend::cc::by_name(&expected.convention)
        .context("compiled module of an unknown calling convention")?
        .name();
    Ok(Saved { compiled, bytes })
}

/// Compiles a module (binary or text) for `target` under `config` and saves it, to be loaded by
/// `Module::deserialize` on a machine of that target (`kite compile -o`).
pub fn precompile(config: &Config, target: Target, bytes: &[u8]) -> Result<Vec<u8>> {
    let bytes = wat::parse_bytes(bytes)?;
    let options = config.compile_options_for(target);
    let compiled = kite_frontend::compile_module(&bytes, &options)?;
    let kept = profiles(&options, &compiled).then_some(&bytes[..]);
    write(&compiled, kept, &options.code_settings()?)
}

fn take_u32(data: &[u8]) -> Result<(u32, &[u8])> {
    let (word, rest) = data.split_first_chunk::<4>().context("truncated compiled module")?;
    Ok((u32::from_le_bytes(*word), rest))
}

/// Why code compiled under `saved` cannot run where `expected` holds, if it cannot.
fn check_settings(saved: &CodeSettings, expected: &CodeSettings) -> Result<()> {
    if saved.triple != expected.triple {
        bail!("module compiled for {}, not for this host ({})", saved.triple, expected.triple);
    }
    if saved.convention != expected.convention {
        bail!(
            "module compiled under calling convention `{}`, the engine uses `{}` (--tail-cc)",
            saved.convention,
            expected.convention
        );
    }
    if saved.tier_up != expected.tier_up {
        let on = |tier_up| if tier_up { "on" } else { "off" };
        bail!(
            "module compiled with tier-up {}, the engine has it {} (--tier-up-after)",
            on(saved.tier_up),
            on(expected.tier_up)
        );
    }
    // Code without fuel or epoch checks would let a guest run unmetered under `--fuel` or
    // `--timeout`; code with them would trap where none were asked for.
    if saved.interrupts != expected.interrupts {
        let checks = |i: kite_frontend::Interrupts| match (i.fuel, i.epochs) {
            (false, false) => "no fuel or epoch checks",
            (true, false) => "fuel checks",
            (false, true) => "epoch checks",
            (true, true) => "fuel and epoch checks",
        };
        bail!(
            "module compiled with {}, the engine wants {} (--fuel, --timeout)",
            checks(saved.interrupts),
            checks(expected.interrupts)
        );
    }
    // As Wasmtime does: a module validated under features the engine has off may use them.
    // Fewer features are fine: what validates under them validates under more.
    let missing = saved.features & !expected.features;
    if missing != 0 {
        let names: Vec<String> = wasmparser::WasmFeatures::from_bits_truncate(missing)
            .iter_names()
            .map(|(name, _)| name.to_lowercase())
            .collect();
        bail!("module compiled with Wasm features the engine has off: {}", names.join(", "));
    }
    // Code that leaves a CPU feature unused runs where the feature is present, as a module
    // compiled with `--target aarch64` elsewhere does on an AArch64 host with more features.
    let usable = |flag: &&String| {
        expected.flags.contains(flag)
            || flag.strip_suffix("=false").is_some_and(|name| name.starts_with("has_"))
    };
    let unusable: Vec<&str> = saved.flags.iter().filter(|f| !usable(f)).map(String::as_str).collect();
    if !unusable.is_empty() || saved.flags.len() != expected.flags.len() {
        bail!("module compiled with Cranelift settings this host does not have: {}", unusable.join(", "));
    }
    Ok(())
}

/// A fused group recompiled on a profile (see `tiering`), saved to be published again instead of
/// recompiled: position-independent code whose calls to the module's functions are relocations.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SavedGroup {
    pub index: u32,
    /// Per site, the table element tested first.
    pub hot: Vec<Option<u32>>,
    pub blob: CodeBlob,
    /// (start, end, function index) of each member's code.
    pub members: Vec<(u32, u32, u32)>,
}

/// Saves recompiled groups, for `read_groups`.
pub(crate) fn write_groups(groups: &[SavedGroup]) -> Result<Vec<u8>> {
    let body = postcard::to_stdvec(groups).context("encoding the recompiled groups")?;
    let mut out = crc32fast::hash(&body).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads groups saved by `write_groups`, checking their checksum and that their tables lie
/// within their code; whether they fit the module is the caller's question.
pub(crate) fn read_groups(data: &[u8]) -> Result<Vec<SavedGroup>> {
    let (crc32, body) = data.split_first_chunk::<4>().context("truncated recompiled groups")?;
    if crc32fast::hash(body) != u32::from_le_bytes(*crc32) {
        bail!("damaged recompiled groups (checksum mismatch)");
    }
    let groups: Vec<SavedGroup> = postcard::from_bytes(body).ok().context("damaged recompiled groups")?;
    for group in &groups {
        let len = group.blob.code.len() as u64;
        let members = group.members.iter().all(|(start, end, _)| start <= end && u64::from(*end) <= len);
        if !(blob_within(&group.blob) && members) {
            bail!("damaged recompiled groups (tables pointing outside their code)");
        }
    }
    Ok(groups)
}

/// Whether the relocations, trap sites and exception handlers of `blob` lie within its code.
fn blob_within(blob: &CodeBlob) -> bool {
    let len = blob.code.len() as u64;
    let within = |offset: u32, size: u64| u64::from(offset) + size <= len;
    let relocs = blob.relocs.iter().all(|r| within(r.offset, if r.kind == Reloc::Abs8 { 8 } else { 4 }));
    relocs
        && blob.traps.iter().all(|t| within(t.offset, 0))
        && blob.handlers.iter().all(|h| within(h.return_offset, 0) && within(h.landing_offset, 1))
}

/// Checks that every offset the tables give lies within the code, so that a file which passed
/// its checksum but was written wrong cannot make publishing write outside the code.
fn check_bounds(compiled: &CompiledModule) -> Result<()> {
    let len = compiled.blob.code.len() as u64;
    let within = |offset: u32, size: u64| u64::from(offset) + size <= len;
    let functions = compiled.functions.iter().all(|f| within(f.offset, f.len.into()));
    let groups = compiled.group_code.iter().all(|g| within(g.offset, g.len.into()));
    let stubs = compiled
        .trap_stubs
        .is_none_or(|t| within(t.null, 1) && within(t.bad_signature, 1) && within(t.null_reference, 1));
    let defined = compiled.info.num_defined_funcs() as usize == compiled.functions.len();
    if !(functions && groups && blob_within(&compiled.blob) && stubs && defined) {
        bail!("damaged compiled module (its tables point outside its code)");
    }
    Ok(())
}
