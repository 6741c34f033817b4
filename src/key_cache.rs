//! The tokenizer's cache of letter runs: surface -> key and facts, half a cache line per entry.
//!
//! A few thousand syllables make up almost all of any Vietnamese text, so most tokens are
//! looked up here rather than parsed. The lookup is the tokenizer's hottest path and was bound
//! by memory: a general hash map of boxed strings costs three cache misses per token (the
//! bucket, the surface to compare, the key to copy). Here the surface lives inline in a
//! 32-byte entry of an open-addressed table, and so does the key, in the form of how it is made
//! from the surface (itself, or its ASCII lower case), for all but a few runs (`ĐÀ`, `Hoà`),
//! whose keys are kept apart: a lookup touches one line, mostly.
//! (`hashbrown` with inline keys would need a fixed-size key type and would still keep the
//! key and its facts apart from the table's control bytes; the table below is 60 lines.)

/// Longest surface kept, in bytes: more than any Vietnamese syllable in NFC takes (`nghiêng`,
/// `người`, `trưởng` take seven to nine); longer runs
/// (0.03% of the letter runs of the Wikipedia benchmark) are computed each time.
pub(crate) const SURFACE_MAX: usize = 16;

/// Longest key kept, in bytes.
pub(crate) const MAX: usize = 24;

/// What the tokenizer learns from a letter run that depends on its surface only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    /// A Vietnamese syllable.
    pub syllable: bool,
    /// Case bits (see [`crate::token::case`]).
    pub case: u8,
    /// Hash of the key.
    pub hash: u64,
}

/// One entry: 16 + 8 + 4 + 4 bytes, half a cache line. A key other than the surface (or its
/// ASCII lower case) is kept apart, in [`KeyCache::keys`]: the table of a long text's few tens
/// of thousands of runs is then 2 MB instead of 4, and its entries miss the cache half as
/// often (a quarter of `Tokenizer::push`'s wall time was the miss of its entry).
#[derive(Clone, Copy)]
#[repr(align(32))]
struct Entry {
    /// The surface, zero-padded.
    surface: [u64; 2],
    /// [`Facts::hash`].
    hash: u64,
    /// Where the key is in [`KeyCache::keys`] (when `form` is [`INLINE`]).
    key_at: u32,
    /// Its length.
    key_len: u8,
    /// Length of the surface in bytes; 0 for an empty slot.
    len: u8,
    /// How the key is made: [`INLINE`], [`SURFACE`] or [`ASCII_LOWER`], and bit 2 for
    /// [`Facts::syllable`].
    form: u8,
    /// [`Facts::case`].
    case: u8,
}

const EMPTY: Entry =
    Entry { surface: [0; 2], hash: 0, key_at: 0, key_len: 0, len: 0, form: INLINE, case: 0 };

const _: () = assert!(std::mem::size_of::<Entry>() == 32);

/// The key is kept apart.
const INLINE: u8 = 0;
/// The key is the surface (`người`).
const SURFACE: u8 = 1;
/// The key is the surface with its ASCII letters in lower case (`Việt`, `NAM`): no UTF-8 to
/// check when it is copied out.
const ASCII_LOWER: u8 = 2;
/// The bits of `form` that say how the key is made.
const FORM: u8 = 3;
/// The bit of `form` for [`Facts::syllable`].
const SYLLABLE: u8 = 4;

/// Most entries; the table is emptied when it holds this many (it is then half full).
const CAP: usize = 1 << 16;

/// Surface -> key and facts. Grows by doubling up to `2 * CAP` slots.
#[derive(Default)]
pub(crate) struct KeyCache {
    slots: Vec<Entry>,
    used: usize,
    /// The keys that are not made from their surface.
    keys: String,
}

/// The surface as two words, zero-padded (`s.len() <= SURFACE_MAX`). Loaded by whole words,
/// not copied byte by byte into a buffer first (which stalls the loads that read it back).
#[inline]
fn words(s: &[u8]) -> [u64; 2] {
    let mut w = [0u64; 2];
    let mut chunks = s.chunks_exact(8);
    for (k, c) in (&mut chunks).enumerate() {
        w[k] = u64::from_le_bytes(c.try_into().expect("8 bytes"));
    }
    let r = chunks.remainder();
    let n = r.len();
    if n > 0 {
        // Up to seven bytes from overlapping loads; overlapping bytes are OR-ed with themselves.
        w[s.len() / 8] = if n >= 4 {
            let lo = u64::from(u32::from_le_bytes(r[..4].try_into().expect("4 bytes")));
            let hi = u64::from(u32::from_le_bytes(r[n - 4..].try_into().expect("4 bytes")));
            lo | hi << (8 * (n - 4))
        } else {
            u64::from(r[0])
                | u64::from(r[n / 2]) << (8 * (n / 2))
                | u64::from(r[n - 1]) << (8 * (n - 1))
        };
    }
    w
}

#[inline]
fn mix(w: [u64; 2], len: usize) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let h = (w[0].wrapping_mul(K).rotate_left(26) ^ w[1]).wrapping_mul(K);
    (h.rotate_left(26) ^ len as u64).wrapping_mul(K)
}

impl KeyCache {
    /// Looks `s` up; when found, appends its key to `out` and returns its facts.
    #[inline]
    pub(crate) fn get(&self, s: &str, out: &mut String) -> Option<Facts> {
        if s.len() > SURFACE_MAX || s.is_empty() || self.slots.is_empty() {
            return None;
        }
        let w = words(s.as_bytes());
        let e = &self.slots[self.slot(w, s.len())];
        if e.len == 0 {
            return None;
        }
        match e.form & FORM {
            SURFACE => out.push_str(s),
            ASCII_LOWER => {
                let start = out.len();
                out.push_str(s);
                out[start..].make_ascii_lowercase();
            }
            _ => {
                let at = e.key_at as usize;
                out.push_str(self.keys.get(at..at + usize::from(e.key_len))?);
            }
        }
        Some(Facts { syllable: e.form & SYLLABLE != 0, case: e.case, hash: e.hash })
    }

    /// The slot holding the surface `w` of `len` bytes, or the empty slot where it would go
    /// (linear probing; the table is never more than half full). Always inlined: it is on
    /// every token's path (callgrind: 3% more instructions in the tokenizer when it was not).
    #[inline(always)]
    fn slot(&self, w: [u64; 2], len: usize) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = mix(w, len) as usize & mask;
        loop {
            let e = &self.slots[i];
            if e.len == 0 || (usize::from(e.len) == len && e.surface == w) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Remembers `s` with its key and facts (ignored when either is too long).
    pub(crate) fn insert(&mut self, s: &str, key: &str, facts: Facts) {
        if s.len() > SURFACE_MAX || key.len() > MAX || s.is_empty() {
            return;
        }
        if self.used >= CAP {
            self.slots.fill(EMPTY);
            self.keys.clear();
            self.used = 0;
        }
        if (self.used + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let w = words(s.as_bytes());
        let i = self.slot(w, s.len());
        if self.slots[i].len != 0 {
            return; // already there
        }
        let mut e =
            Entry { surface: w, len: s.len() as u8, hash: facts.hash, case: facts.case, ..EMPTY };
        e.form = if key == s {
            SURFACE
        } else if key.len() == s.len() && key == s.to_ascii_lowercase() {
            ASCII_LOWER
        } else {
            // At most `CAP` keys of `MAX` bytes: the offset fits.
            e.key_at = self.keys.len() as u32;
            e.key_len = key.len() as u8;
            self.keys.push_str(key);
            INLINE
        };
        if facts.syllable {
            e.form |= SYLLABLE;
        }
        self.slots[i] = e;
        self.used += 1;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1 << 10);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        for e in old.into_iter().filter(|e| e.len != 0) {
            let i = self.slot(e.surface, usize::from(e.len));
            self.slots[i] = e;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(n: u64) -> Facts {
        Facts { syllable: n.is_multiple_of(2), case: (n % 7) as u8, hash: n }
    }

    #[test]
    fn finds_what_it_holds_and_nothing_else() {
        let mut c = KeyCache::default();
        let mut out = String::new();
        assert_eq!(c.get("hoà", &mut out), None);
        c.insert("Hoà", "hòa", facts(1));
        c.insert("người", "người", facts(2));
        c.insert("a", "a", facts(3));
        c.insert("ĐÀ", "đà", facts(4));
        c.insert("Việt", "việt", facts(5));
        assert_eq!(c.get("Hoà", &mut out), Some(facts(1)));
        assert_eq!(c.get("người", &mut out), Some(facts(2)));
        assert_eq!(c.get("a", &mut out), Some(facts(3)));
        assert_eq!(c.get("ĐÀ", &mut out), Some(facts(4)));
        assert_eq!(c.get("Việt", &mut out), Some(facts(5)));
        assert_eq!(out, "hòangườiađàviệt");
        // Prefixes, zero padding and other lengths are not confused.
        // Too long to be kept: a surface of 17 bytes, a key of 25.
        c.insert("abcdefghijklmnopq", "abcdefghijklmnopq", facts(6));
        c.insert("ab", &"x".repeat(25), facts(8));
        // The longest kept: a surface of 16 bytes, a key of 24 made apart from it.
        c.insert("ĐĐĐĐĐĐĐĐ", "đđđđđđđđxxxxxxxx", facts(7));
        let mut key = String::new();
        assert_eq!(c.get("ĐĐĐĐĐĐĐĐ", &mut key), Some(facts(7)));
        assert_eq!(key, "đđđđđđđđxxxxxxxx");
        for miss in [
            "Ho",
            "ngườ",
            "a\0",
            "",
            "aa",
            "người người người người người",
            "abcdefghijklmnopq",
            "ab",
        ] {
            assert_eq!(c.get(miss, &mut out), None, "{miss:?}");
        }
        assert_eq!(out, "hòangườiađàviệt");
    }

    #[test]
    fn words_are_the_zero_padded_bytes() {
        let text = "abcdefghijklmnop";
        for n in 0..=SURFACE_MAX {
            let s = &text.as_bytes()[..n];
            let mut buf = [0u8; SURFACE_MAX];
            buf[..n].copy_from_slice(s);
            let want: Vec<u64> =
                buf.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
            assert_eq!(words(s).to_vec(), want, "{n}");
        }
    }

    #[test]
    fn grows_and_empties_when_full() {
        let mut c = KeyCache::default();
        let mut out = String::new();
        for n in 0..(CAP as u64 + 10) {
            let s = format!("w{n}");
            c.insert(&s, &s.to_uppercase(), facts(n));
        }
        // Emptied once at CAP, then refilled with the last ten.
        assert_eq!(c.len(), 10);
        let last = CAP as u64 + 9;
        assert_eq!(c.get(&format!("w{last}"), &mut out), Some(facts(last)));
        assert_eq!(out, format!("W{last}"));
        for n in 0..1000u64 {
            let s = format!("x{n}");
            c.insert(&s, &s, facts(n));
        }
        for n in 0..1000u64 {
            assert_eq!(c.get(&format!("x{n}"), &mut out), Some(facts(n)));
        }
    }
}
