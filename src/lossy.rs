//! Lossy counting: how the frequency tables of a corpus ([`crate::stats`],
//! [`crate::keyword::CorpusPhrases`]) stay within a fixed number of entries. When a table
//! passes its limit, the entries seen least often are dropped until it is down to half; an
//! entry that comes back starts again from zero. Frequent entries keep exact counts, a count is
//! never too high, and memory is bounded whatever the size of the input.

use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// The smallest count `t` such that at most `keep` of `counts` are above it: dropping the
/// entries counted `t` times or fewer leaves at most `keep`.
pub(crate) fn threshold(counts: impl Iterator<Item = u64> + Clone, keep: usize) -> u64 {
    // Counts by value, the small ones (nearly all) one by one.
    const SMALL: usize = 64;
    let mut hist = [0usize; SMALL + 1];
    for c in counts.clone() {
        hist[usize::try_from(c).unwrap_or(SMALL).min(SMALL)] += 1;
    }
    let mut above: usize = hist.iter().sum();
    for (t, &n) in hist.iter().enumerate().take(SMALL) {
        above -= n;
        if above <= keep {
            return t as u64;
        }
    }
    // Past the table: the count at rank `keep` from the top.
    let mut big: Vec<u64> = counts.filter(|&c| c >= SMALL as u64).collect();
    big.sort_unstable_by(|a, b| b.cmp(a));
    big.get(keep).copied().unwrap_or(0)
}

/// Where the entries of a table are, by their key's hash; a key whose hash another key already
/// has is found by the key itself. A table that keeps its keys end to end in one string needs
/// no allocation per key.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyIndex {
    by_hash: FxHashMap<u64, u32>,
    collided: FxHashMap<Box<str>, u32>,
}

impl KeyIndex {
    /// The entry of `key`, whose hash is `h`; `key_of(i)` is the key of entry `i`.
    #[inline]
    pub(crate) fn find<'k>(
        &self,
        h: u64,
        key: &str,
        key_of: impl Fn(u32) -> &'k str,
    ) -> Option<u32> {
        let i = *self.by_hash.get(&h)?;
        if key_of(i) == key {
            return Some(i);
        }
        self.collided.get(key).copied()
    }

    /// Records entry `i`, of key `key` whose hash is `h`, not yet in the index.
    pub(crate) fn insert(&mut self, h: u64, key: &str, i: u32) {
        match self.by_hash.entry(h) {
            Entry::Vacant(e) => {
                e.insert(i);
            }
            Entry::Occupied(_) => {
                self.collided.insert(key.into(), i);
            }
        }
    }

    /// Forgets every entry (keeping the room).
    pub(crate) fn clear(&mut self) {
        self.by_hash.clear();
        self.collided.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `threshold` is the smallest count above which at most `keep` counts are.
        #[test]
        fn threshold_is_the_smallest_that_keeps_few_enough(
            counts in proptest::collection::vec(proptest::prop_oneof![1u64..5, 1u64..200], 0..300),
            keep in 0usize..300,
        ) {
            let t = threshold(counts.iter().copied(), keep);
            let above = |t: u64| counts.iter().filter(|&&c| c > t).count();
            proptest::prop_assert!(above(t) <= keep);
            proptest::prop_assert!(t == 0 || above(t - 1) > keep);
        }
    }
}
