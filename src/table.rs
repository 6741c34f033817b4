//! Hash tables keyed by 64-bit hashes that a model file holds ready to use.
//!
//! A model embedded in the binary is read where it lies: a *frozen* table is its slots as
//! bytes (open addressing with linear probing; each slot a little-endian key and a fixed-size
//! record), so start-up parses nothing and a run touches only the pages its lookups reach.
//! Parsing the segmenter, the tagger and the key-phrase background into hash maps took 18 ms
//! of CPU at every start, on the way of the first document.
//!
//! The trainer builds a table *open* (an ordinary hash map it can change) and freezes it when
//! the model is written. Both answer [`Table::get`] alike.

use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A fixed-size value of a table, stored little-endian.
pub trait Record: Copy {
    /// Bytes per value.
    const SIZE: usize;
    /// Reads a value from its `SIZE` bytes.
    fn read(bytes: &[u8]) -> Self;
    /// Appends the value's `SIZE` bytes.
    fn write(&self, out: &mut Vec<u8>);
}

impl Record for u8 {
    const SIZE: usize = 1;
    #[inline]
    fn read(b: &[u8]) -> u8 {
        b[0]
    }
    fn write(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Record for u32 {
    const SIZE: usize = 4;
    #[inline]
    fn read(b: &[u8]) -> u32 {
        u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))
    }
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// Stored as the bits of a `u32`.
impl Record for f32 {
    const SIZE: usize = 4;
    #[inline]
    fn read(b: &[u8]) -> f32 {
        f32::from_bits(u32::read(b))
    }
    fn write(&self, out: &mut Vec<u8>) {
        self.to_bits().write(out);
    }
}

impl<const N: usize> Record for [f32; N] {
    const SIZE: usize = 4 * N;
    #[inline]
    fn read(b: &[u8]) -> [f32; N] {
        std::array::from_fn(|i| f32::read(&b[4 * i..]))
    }
    fn write(&self, out: &mut Vec<u8>) {
        for w in self {
            w.write(out);
        }
    }
}

/// A map from `u64` keys (hashes) to records, open or frozen.
#[derive(Clone, Debug)]
pub struct Table<R> {
    inner: Inner<R>,
}

#[derive(Clone, Debug)]
enum Inner<R> {
    Open(FxHashMap<u64, R>),
    Frozen(Frozen<R>),
}

impl<R> Default for Table<R> {
    fn default() -> Table<R> {
        Table { inner: Inner::Open(FxHashMap::default()) }
    }
}

impl<R: Record> Table<R> {
    /// The record of `key`.
    #[inline]
    pub fn get(&self, key: u64) -> Option<R> {
        match &self.inner {
            Inner::Frozen(f) => f.get(key),
            Inner::Open(m) => open_get(m, key),
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        match &self.inner {
            Inner::Frozen(f) => f.len,
            Inner::Open(m) => m.len(),
        }
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys and records, in no particular order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (u64, R)> + '_> {
        match &self.inner {
            Inner::Frozen(f) => Box::new(f.iter()),
            Inner::Open(m) => Box::new(m.iter().map(|(&k, &r)| (k, r))),
        }
    }

    /// The table as a hash map to change (a frozen one is copied into one first).
    pub fn open(&mut self) -> &mut FxHashMap<u64, R> {
        if let Inner::Frozen(f) = &self.inner {
            self.inner = Inner::Open(f.iter().collect());
        }
        match &mut self.inner {
            Inner::Open(m) => m,
            Inner::Frozen(_) => unreachable!("opened above"),
        }
    }

    /// Sets the record of `key`.
    pub fn insert(&mut self, key: u64, record: R) {
        self.open().insert(key, record);
    }

    /// Appends the frozen form of the table (the same bytes whatever order the keys were
    /// inserted in): the bits of the home-slot count (`u32`), the number of keys (`u32`), the
    /// number of slots (`u32`; past the home slots, those that probing runs into and eight
    /// empty ones), a tag byte per slot (0 for an empty one), then the slots (key and record;
    /// zeros when empty).
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut entries: Vec<(u64, R)> = self.iter().collect();
        entries.sort_unstable_by_key(|e| e.0);
        let bits = bits_for(entries.len());
        let mut tags = vec![0u8; 1 << bits];
        let mut slots: Vec<Option<(u64, R)>> = vec![None; 1 << bits];
        for &(k, r) in &entries {
            let (mut i, tag) = place(k, 64 - bits);
            // Linear probing without wrapping around: the table grows past its end instead.
            while tags.get(i).is_some_and(|&t| t != 0) {
                i += 1;
            }
            if i >= tags.len() {
                tags.resize(i + 1, 0);
                slots.resize(i + 1, None);
            }
            tags[i] = tag;
            slots[i] = Some((k, r));
        }
        // Eight empty slots after the last full one: a group of eight tags read from any slot
        // a probe reaches is in the table, and a probe ends there at the latest.
        let last = tags.iter().rposition(|&t| t != 0).map_or(0, |p| p + 1);
        tags.resize(last.max(1 << bits) + GROUP, 0);
        slots.resize(tags.len(), None);
        bits.write(out);
        (entries.len() as u32).write(out);
        (tags.len() as u32).write(out);
        out.extend_from_slice(&tags);
        let zero = vec![0u8; 8 + R::SIZE];
        for s in slots {
            match s {
                Some((k, r)) => {
                    out.extend_from_slice(&k.to_le_bytes());
                    r.write(out);
                }
                None => out.extend_from_slice(&zero),
            }
        }
    }

    /// Reads a table written by [`Table::write`] from the start of `bytes`: a `'static`
    /// buffer is used in place, any other is copied. Returns the table and the bytes it took.
    ///
    /// # Errors
    /// A truncated table or an impossible size, naming the resource `name`.
    pub fn read(name: &str, bytes: Bytes<'_>) -> Result<(Table<R>, usize)> {
        let bad = |what: &str| Error::resource(name, None, format!("hash table: {what}"));
        let b = bytes.as_slice();
        if b.len() < HEADER {
            return Err(bad("truncated header"));
        }
        let word = |at: usize| u32::read(&b[at..]);
        let (bits, len, n) = (word(0), word(4) as usize, word(8) as usize);
        if !(1..=MAX_BITS).contains(&bits) || len >= 1 << bits || n < (1 << bits) + GROUP {
            return Err(bad("impossible size"));
        }
        let size = n * (1 + 8 + R::SIZE);
        if b.len() - HEADER < size {
            return Err(bad("truncated"));
        }
        let frozen = Frozen {
            tags: bytes.range(HEADER..HEADER + n),
            slots: bytes.range(HEADER + n..HEADER + size),
            shift: 64 - bits,
            len,
            _r: PhantomData,
        };
        Ok((Table { inner: Inner::Frozen(frozen) }, HEADER + size))
    }
}

/// A lookup in an open table (the trainer's), kept out of line: the segmenter's hot loops
/// read frozen tables.
#[cold]
#[inline(never)]
fn open_get<R: Record>(m: &FxHashMap<u64, R>, key: u64) -> Option<R> {
    m.get(&key).copied()
}

/// Bytes a table is read from: borrowed for good (embedded in the binary) or for now.
#[derive(Clone, Copy, Debug)]
pub enum Bytes<'a> {
    /// Embedded: used in place.
    Static(&'static [u8]),
    /// Anything else: copied.
    Borrowed(&'a [u8]),
}

impl<'a> Bytes<'a> {
    /// The bytes.
    pub fn as_slice(&self) -> &'a [u8] {
        match *self {
            Bytes::Static(b) => b,
            Bytes::Borrowed(b) => b,
        }
    }

    /// The bytes from `at` on, borrowed the same way.
    pub fn skip(&self, at: usize) -> Bytes<'a> {
        match *self {
            Bytes::Static(b) => Bytes::Static(&b[at..]),
            Bytes::Borrowed(b) => Bytes::Borrowed(&b[at..]),
        }
    }

    /// The bytes `range`, kept: in place if static, else copied.
    pub fn range(&self, range: std::ops::Range<usize>) -> Cow<'static, [u8]> {
        match *self {
            Bytes::Static(b) => Cow::Borrowed(&b[range]),
            Bytes::Borrowed(b) => Cow::Owned(b[range].to_vec()),
        }
    }
}

/// Header of a frozen table: bits of the home-slot count, number of keys, number of slots
/// (`u32` each).
const HEADER: usize = 12;

/// At most 2^31 home slots.
const MAX_BITS: u32 = 31;

/// Tags read at once.
const GROUP: usize = 8;

/// Home-slot count for `n` keys: a power of two, at most two-thirds full.
fn bits_for(n: usize) -> u32 {
    let want = (n + n / 2 + 1).next_power_of_two().max(2);
    want.trailing_zeros()
}

/// The first slot to probe for `key` in a table of `2^(64 - shift)` home slots, and its tag.
///
/// The slot is the top bits of the key times the golden ratio (Fibonacci hashing: keys such
/// as `(a << 32) | b` spread out as well as hashes do); the tag, seven other bits of it with
/// the top bit set. Tags are a byte per slot in an array of their own, like hashbrown's
/// control bytes, read eight at a time: a lookup finds the candidate slots of a group with a
/// few arithmetic operations, and a key that is not there (most lookups of the segmenter's
/// pairs, trigrams and dictionary) is settled in that small array, which stays in the cache.
#[inline]
fn place(key: u64, shift: u32) -> (usize, u8) {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((h >> shift) as usize, (h >> 24) as u8 | 0x80)
}

/// A byte of ones in each lane of a group of tags.
const LOW: u64 = 0x0101_0101_0101_0101;
/// The top bit of each lane: set in every full slot's tag.
const HIGH: u64 = 0x8080_8080_8080_8080;

#[derive(Clone, Debug)]
struct Frozen<R> {
    /// A byte per slot: 0 if empty, else the tag of its key.
    tags: Cow<'static, [u8]>,
    slots: Cow<'static, [u8]>,
    shift: u32,
    len: usize,
    _r: PhantomData<R>,
}

impl<R: Record> Frozen<R> {
    const SLOT: usize = 8 + R::SIZE;

    #[inline]
    fn key_at(&self, i: usize) -> u64 {
        let at = i * Self::SLOT;
        u64::from_le_bytes(self.slots[at..at + 8].try_into().expect("8 bytes"))
    }

    #[inline]
    fn get(&self, key: u64) -> Option<R> {
        let (tags, slots): (&[u8], &[u8]) = (&self.tags, &self.slots);
        let (mut i, tag) = place(key, self.shift);
        loop {
            // Eight tags; a lane of `x` is zero where the tag is the key's. The zero-lane test
            // may also flag a lane above a true zero: the key comparison sorts that out. A
            // damaged table without an empty slot ends at its last group.
            let group = u64::from_le_bytes(tags.get(i..i + GROUP)?.try_into().expect("8 bytes"));
            let x = group ^ (LOW * u64::from(tag));
            let mut hits = x.wrapping_sub(LOW) & !x & HIGH;
            while hits != 0 {
                let j = i + (hits.trailing_zeros() / 8) as usize;
                let slot = slots.get(j * Self::SLOT..(j + 1) * Self::SLOT)?;
                if u64::from_le_bytes(slot[..8].try_into().expect("8 bytes")) == key {
                    return Some(R::read(&slot[8..]));
                }
                hits &= hits - 1;
            }
            // An empty slot: the key would have been put there or before.
            if !group & HIGH != 0 {
                return None;
            }
            i += GROUP;
        }
    }

    fn iter(&self) -> impl Iterator<Item = (u64, R)> + '_ {
        (0..self.tags.len()).filter(|&i| self.tags[i] & 0x80 != 0).map(move |i| {
            let at = i * Self::SLOT + 8;
            (self.key_at(i), R::read(&self.slots[at..at + R::SIZE]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frozen<R: Record>(t: &Table<R>) -> (Vec<u8>, Table<R>) {
        let mut bytes = Vec::new();
        t.write(&mut bytes);
        let (f, used) = Table::<R>::read("t", Bytes::Borrowed(&bytes)).unwrap();
        assert_eq!(used, bytes.len());
        (bytes, f)
    }

    proptest! {
        /// A frozen table answers every lookup as the open one does, and its bytes do not
        /// depend on the order the keys went in.
        #[test]
        fn frozen_answers_as_open(
            keys in prop::collection::vec(any::<u64>(), 0..300),
            probes in prop::collection::vec(any::<u64>(), 0..100),
            edge in prop::collection::vec(prop::sample::select(vec![0u64, 1, u64::MAX, u64::MAX - 1, 1 << 32]), 0..4),
        ) {
            let mut t: Table<u32> = Table::default();
            for (i, &k) in keys.iter().chain(&edge).enumerate() {
                t.insert(k, i as u32);
            }
            let (bytes, f) = frozen(&t);
            prop_assert_eq!(f.len(), t.len());
            for k in keys.iter().chain(&edge).chain(&probes).copied().chain([u64::MAX, 0]) {
                prop_assert_eq!(f.get(k), t.get(k));
            }
            let mut back: Vec<(u64, u32)> = f.iter().collect();
            let mut want: Vec<(u64, u32)> = t.iter().collect();
            back.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(back, want);
            // The same keys inserted in reverse order freeze to the same bytes.
            let mut r: Table<u32> = Table::default();
            for (k, v) in t.iter().collect::<Vec<_>>().into_iter().rev() {
                r.insert(k, v);
            }
            prop_assert_eq!(frozen(&r).0, bytes);
        }
    }

    proptest! {
        /// Any bytes read as a table give an error or a table whose lookups and iteration
        /// end without a panic.
        #[test]
        fn any_bytes_read_as_a_table_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..400),
            header in (1u32..12, 0u32..64, 0u32..64),
            probes in prop::collection::vec(any::<u64>(), 0..20),
        ) {
            let mut framed = Vec::new();
            framed.extend_from_slice(&header.0.to_le_bytes());
            framed.extend_from_slice(&header.1.to_le_bytes());
            framed.extend_from_slice(&((1u32 << header.0) + header.2).to_le_bytes());
            framed.extend_from_slice(&bytes);
            for b in [&bytes, &framed] {
                if let Ok((t, used)) = Table::<[f32; 3]>::read("t", Bytes::Borrowed(b)) {
                    prop_assert!(used <= b.len());
                    for &k in &probes {
                        let _ = t.get(k);
                    }
                    prop_assert!(t.iter().count() <= b.len());
                }
            }
        }
    }

    #[test]
    fn damaged_tables_are_errors_or_answer_without_looping() {
        let mut t: Table<[f32; 2]> = Table::default();
        for k in 0..100u64 {
            t.insert(k * 7, [k as f32, 1.0]);
        }
        let (mut bytes, f) = frozen(&t);
        assert_eq!(f.get(21), Some([3.0, 1.0]));
        assert!(Table::<[f32; 2]>::read("t", Bytes::Borrowed(&bytes[..bytes.len() - 1])).is_err());
        assert!(Table::<[f32; 2]>::read("t", Bytes::Borrowed(&bytes[..10])).is_err());
        // Every slot tagged (a damaged file): lookups of absent keys still end.
        let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        bytes[HEADER..HEADER + n].fill(0xff);
        let (g, _) = Table::<[f32; 2]>::read("t", Bytes::Borrowed(&bytes)).unwrap();
        assert_eq!(g.get(1_000_003), None);
        // A size field past what the slot count holds.
        let mut big = Vec::new();
        t.write(&mut big);
        big[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Table::<[f32; 2]>::read("t", Bytes::Borrowed(&big)).is_err());
    }

    #[test]
    fn static_bytes_are_used_in_place() {
        let mut t: Table<u8> = Table::default();
        t.insert(42, 7);
        let mut bytes = Vec::new();
        t.write(&mut bytes);
        let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let (f, _) = Table::<u8>::read("t", Bytes::Static(leaked)).unwrap();
        let Inner::Frozen(fr) = &f.inner else { panic!("a read table is frozen") };
        assert!(matches!(fr.slots, Cow::Borrowed(_)));
        assert_eq!(f.get(42), Some(7));
        assert_eq!(f.get(43), None);
    }
}
