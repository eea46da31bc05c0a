//! Tiering of fused groups: compile once with profiling, then recompile on the profile.
//!
//! A tail-calling interpreter spends its time in its dispatch: the `br_table` of each handler's
//! indirect tail call, a bounds check, a table load and an indirect jump. Most handlers have
//! one successor far more often than any other (`op_lt` is nearly always followed by `op_jz`),
//! and a compare and a direct jump to it is several times cheaper than the `br_table`. Which
//! successor is the program's business, not the module's, so it takes a profile:
//!
//! 1. The first compilation counts, at each `br_table` site, how often each table element is
//!    taken, in counters the instance holds, and counts down a budget of calls per group.
//! 2. When the budget runs out the code calls the runtime's `TierUp`, which recompiles the
//!    group with `compile::recompile_group`: each site first tests the element that took at
//!    least a quarter of its calls ([`hot_elements`]), if one did. The runtime publishes the
//!    new code and points the instance's `VMGroup` at it; entry stubs go through it.
//! 3. The call that ran out of budget leaves with a real tail call to its callee's entry stub,
//!    which leads into the new code. An interpreter's state is all in the call's arguments, so
//!    this moves a running loop to the new code (on-stack replacement for free).
//!
//! Sites are numbered in translation order, which is the same in both compilations. Every group
//! with a site tiers (a set of functions too large to fuse stays `wide`, see `groups`). This
//! module is the design and the arithmetic of profiles; the code each tier puts before a site's
//! `br_table` is `translate::dispatch`'s, and the second compilation `compile::recompile_group`.

use crate::groups::TailGroup;

/// How a fused group is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupTier<'p> {
    /// Once, without a profile.
    Plain,
    /// Counting, to tier up later.
    Profiling,
    /// Per site in order, the table element to test first, if any.
    Speculating(&'p [Option<u32>]),
}

impl<'p> GroupTier<'p> {
    /// The tier `group` gets: groups without their own `br_table` per site stay plain.
    pub fn for_group(self, group: &TailGroup) -> GroupTier<'p> {
        if group.indirect_sites == 0 { GroupTier::Plain } else { self }
    }
}

/// How many counters a group with these sites needs: one per element of each site's table,
/// and one more per site for indices out of bounds.
pub fn counters_len(sites: &[u32]) -> usize {
    sites.iter().map(|elements| *elements as usize + 1).sum()
}

/// Per site, the element to test first: the most frequent, if it took at least a quarter of the
/// site's calls. A compare that fails costs little next to the `br_table` that follows it.
pub fn hot_elements(sites: &[u32], counters: &[u32]) -> Vec<Option<u32>> {
    let mut rows = counters;
    sites
        .iter()
        .map(|elements| {
            let (row, rest) = rows.split_at((*elements as usize + 1).min(rows.len()));
            rows = rest;
            let total: u64 = row.iter().map(|n| u64::from(*n)).sum();
            let in_bounds = &row[..row.len().min(*elements as usize)];
            let (element, count) = in_bounds.iter().enumerate().max_by_key(|(i, n)| (**n, usize::MAX - i))?;
            (*count > 0 && u64::from(*count) * 4 >= total).then_some(element as u32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_site_speculates_on_an_element_with_a_quarter_of_its_calls() {
        // Three sites over tables of 3, 2 and 4 elements; the last column is out of bounds.
        let sites = [3, 2, 4];
        let counters = [
            10, 70, 20, 0, // element 1 dominates
            0, 0, 0, // never ran
            20, 20, 19, 21, 20, // the most frequent, 21 of 100, is short of a quarter
        ];
        assert_eq!(hot_elements(&sites, &counters), [Some(1), None, None]);
        // Ties go to the lower element; out-of-bounds calls count in the total only.
        assert_eq!(hot_elements(&[2], &[30, 30, 40]), [Some(0)]);
        assert_eq!(hot_elements(&[2], &[10, 10, 80]), [None]);
    }
}
