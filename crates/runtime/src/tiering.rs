//! The runtime's half of tiering fused groups (see `kite_frontend::tiering`): each instance's
//! `VMGroup`s and counters, the `TierUp` builtin, and the recompiled code, which a module keeps
//! for all its instances. Recompiled groups are saved beside the module's cache entry, and the
//! next run of the module starts in them.

use crate::artifact::{self, SavedGroup};
use crate::code_memory::CodeMemory;
use crate::instance::InstanceData;
use crate::module::Module;
use anyhow::{Context, Result};
use kite_frontend::compile::recompile_group;
use kite_frontend::tiering::{counters_len, hot_elements};
use kite_frontend::vmctx::group;
use kite_frontend::{CompileOptions, CompiledModule};
use std::sync::{Mutex, MutexGuard};

/// A module's fused groups, as far as tiering has taken them.
pub(crate) struct GroupTiers {
    /// The module's bytes, to recompile from; `None` when no group profiles.
    bytes: Option<Box<[u8]>>,
    groups: Vec<Mutex<GroupCode>>,
}

enum GroupCode {
    /// Only the first compilation, in the module's code.
    First,
    /// Recompiled on a profile (now or in an earlier run), with what each site tests first and
    /// the code as compiled, to be saved.
    Recompiled { code: CodeMemory, saved: SavedGroup },
    /// Recompiling failed: the group stays as it is. Never expected; kept so that a failure
    /// costs one attempt and a slower program, not a trap.
    Failed,
}

impl GroupTiers {
    /// `bytes`: the module's, if its groups profile (see `profiles`).
    pub fn new(bytes: Option<Box<[u8]>>, groups: usize) -> GroupTiers {
        GroupTiers { bytes, groups: (0..groups).map(|_| Mutex::new(GroupCode::First)).collect() }
    }

    /// The module's bytes, kept to recompile from.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref()
    }

    /// Group `index`'s state. A panic while it was held (caught by the builtin) left it as it
    /// was: nothing to repair.
    fn lock(&self, index: usize) -> MutexGuard<'_, GroupCode> {
        self.groups[index].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Group `index`'s recompiled code, if it has been recompiled.
    fn recompiled(&self, index: u32) -> Option<*const u8> {
        match &*self.lock(index as usize) {
            GroupCode::Recompiled { code, .. } => Some(code.base()),
            _ => None,
        }
    }

    /// What each recompiled group's sites test first, by group index.
    pub fn report(&self) -> Vec<(u32, Vec<Option<u32>>)> {
        let mut report = vec![];
        for index in 0..self.groups.len() {
            if let GroupCode::Recompiled { saved, .. } = &*self.lock(index) {
                report.push((index as u32, saved.hot.clone()));
            }
        }
        report
    }
}

/// Whether a module compiled under `options` has groups that profile, and so needs its bytes
/// kept (in memory and in its saved form) to recompile from.
pub(crate) fn profiles(options: &CompileOptions, compiled: &CompiledModule) -> bool {
    options.tier_up && compiled.group_code.iter().any(|g| !g.sites.is_empty())
}

/// Group `index` recompiled on `counters`, or as recompiled before (by any instance).
fn tier_up(module: &Module, index: u32, counters: &[u32]) -> Option<*const u8> {
    let tiers = module.tiers();
    let mut state = tiers.lock(index as usize);
    if let GroupCode::First = *state {
        let hot = hot_elements(&module.compiled().group_code[index as usize].sites, counters);
        *state = match recompile(module, index, hot) {
            Ok((code, saved)) => GroupCode::Recompiled { code, saved },
            Err(_) => GroupCode::Failed,
        };
        if let GroupCode::Recompiled { .. } = *state {
            // Saving reads every group's state, this one's included.
            drop(state);
            save_groups(module);
            state = tiers.lock(index as usize);
        }
    }
    match &*state {
        GroupCode::Recompiled { code, .. } => Some(code.base()),
        _ => None,
    }
}

/// Recompiles group `index` to test `hot` first (per site, an element or nothing), and
/// publishes it.
fn recompile(module: &Module, index: u32, hot: Vec<Option<u32>>) -> Result<(CodeMemory, SavedGroup)> {
    let bytes = module.tiers().bytes.as_deref().context("the module's bytes were not kept")?;
    let options = module.engine().compile_options();
    // On a thread of its own: Cranelift needs more stack than Wasm code may have left.
    let recompiled = std::thread::scope(|s| {
        s.spawn(|| recompile_group(bytes, &options, index, hot))
            .join()
            .map_err(|_| anyhow::anyhow!("recompiling panicked"))
    })??;
    let saved = SavedGroup { index, hot: recompiled.hot, blob: recompiled.blob, members: recompiled.members };
    Ok((publish(module, &saved)?, saved))
}

/// Publishes a recompiled group's code, its calls going to the module's functions.
fn publish(module: &Module, group: &SavedGroup) -> Result<CodeMemory> {
    let code = CodeMemory::publish(
        &group.blob,
        |_, func| module.defined_func_code(func),
        group.members.clone(),
        module.function_names(),
    )?;
    code.announce();
    Ok(code)
}

/// Saves the module's recompiled groups beside its cache entry (`artifact::write_groups`), so
/// that the next run of the module starts in them. Failing costs a warning, as the cache's
/// failures do.
fn save_groups(module: &Module) {
    let Some((cache, key)) = module.cache_entry() else { return };
    let tiers = module.tiers();
    let groups: Vec<SavedGroup> = (0..tiers.groups.len())
        .filter_map(|index| match &*tiers.lock(index) {
            GroupCode::Recompiled { saved, .. } => Some(saved.clone()),
            _ => None,
        })
        .collect();
    if let Err(e) = artifact::write_groups(&groups).and_then(|data| cache.store_groups(key, &data)) {
        module.engine().warn(format!("recompiled groups not saved to the code cache: {e:#}"));
    }
}

/// Publishes the groups an earlier run recompiled and saved beside the module's cache entry,
/// before any instance runs: they start in their recompiled code, and nothing is compiled.
/// Saved groups that are damaged or do not fit the module (a group it lacks, a site's element
/// past its table) are dropped: they only ever cost speed.
pub(crate) fn start_from_saved_groups(module: &Module) {
    let Some((cache, key)) = module.cache_entry() else { return };
    let Some(data) = cache.load_groups(key) else { return };
    let groups = &module.compiled().group_code;
    let fits = |saved: &SavedGroup| {
        groups.get(saved.index as usize).is_some_and(|group| {
            group.sites.len() == saved.hot.len()
                && saved.hot.iter().zip(&group.sites).all(|(hot, elements)| hot.is_none_or(|e| e < *elements))
        })
    };
    let saved = match artifact::read_groups(&data) {
        Ok(saved) if module.tiers().bytes.is_some() && saved.iter().all(fits) => saved,
        _ => return cache.remove_groups(key),
    };
    for group in saved {
        let mut state = module.tiers().lock(group.index as usize);
        if let GroupCode::First = *state
            && let Ok(code) = publish(module, &group)
        {
            *state = GroupCode::Recompiled { code, saved: group };
        }
    }
}

/// One instance's profile of one group.
pub(crate) type Counters = Box<[u32]>;

/// Fills an instance's `VMGroup`s: each group starts in its recompiled code if the module has
/// it, and otherwise in its first code, profiling with a budget of `budget` calls. Returns the
/// instance's counters, which must live as long as it.
pub(crate) fn init_groups(instance: &mut InstanceData, budget: Option<u32>) -> Vec<Counters> {
    let module = instance.module.clone();
    let compiled = module.compiled();
    let mut all = Vec::with_capacity(compiled.group_code.len());
    for (index, code) in compiled.group_code.iter().enumerate() {
        let index = index as u32;
        let profiling = budget.is_some() && module.tiers().bytes.is_some() && !code.sites.is_empty();
        let (start, countdown, mut counters): (_, i64, Counters) = match module.tiers().recompiled(index) {
            Some(recompiled) => (recompiled, i64::MAX, Box::default()),
            None if profiling => (
                module.group_code(index),
                i64::from(budget.unwrap_or(u32::MAX)),
                vec![0; counters_len(&code.sites)].into(),
            ),
            None => (module.group_code(index), i64::MAX, Box::default()),
        };
        let slot = compiled.offsets.group(index);
        instance.write(slot + group::CODE, start);
        instance.write(slot + group::COUNTDOWN, countdown);
        instance.write(slot + group::COUNTERS, counters.as_mut_ptr());
        all.push(counters);
    }
    all
}

/// The `TierUp` builtin: recompiles the group on this instance's profile (or takes the code
/// another instance had recompiled) and points the instance at it. The budget goes to zero, so
/// every call out of the first code tiers up and leaves: a first-code activation still on the
/// stack moves to the new code at its next dispatch. If recompiling failed, the group stays in
/// its first code and never asks again.
pub(crate) unsafe extern "C" fn tier_up_builtin(vmctx: *mut u8, index: u32) {
    // SAFETY: called from the code of `vmctx`'s instance.
    let instance = unsafe { InstanceData::from_vmctx(vmctx) };
    let module = instance.module.clone();
    let counters = &instance.group_counters[index as usize];
    // Nothing may unwind into generated code; a panic counts as a failure.
    let recompile = std::panic::AssertUnwindSafe(|| tier_up(&module, index, counters));
    let code = std::panic::catch_unwind(recompile).ok().flatten();
    let slot = module.compiled().offsets.group(index);
    match code {
        Some(code) => {
            instance.write(slot + group::CODE, code);
            instance.write(slot + group::COUNTDOWN, 0i64);
        }
        None => instance.write(slot + group::COUNTDOWN, i64::MAX),
    }
}
