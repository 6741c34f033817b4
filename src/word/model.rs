//! The trained word segmenter: a linear model over the gaps between syllables.
//!
//! For the gap between tokens `g` and `g + 1` of a sentence, the score is a sum of weights:
//!
//! - n-grams of syllable keys around the gap: unigrams at the four positions `-2 -1 | 0 1`,
//!   bigrams `(-2,-1)`, `(-1,0)`, `(0,1)` and trigrams `(-2,-1,0)`, `(-1,0,1)`;
//! - *dense* features: the shapes of the four syllables (case, foreign, number), what the
//!   dictionaries say (longest word covering the gap, ending before it, starting after it),
//!   and how strongly the two syllables stick together in Wikipedia text (pointwise mutual
//!   information and frequency of the pair, bucketed).
//!
//! A positive score joins the two tokens. Like vaporetto, the weights are stored *by n-gram*:
//! one lookup of a bigram returns its weight for each of the three gaps it can touch, so a
//! sentence costs about one hash lookup per syllable and template instead of one per feature.
//!
//! The model is trained by `vita-train` (see the README) and embedded in the binary; its file
//! starts with [`MAGIC`] and is little-endian throughout.

use crate::document::Document;
use crate::error::{Error, Result};
use crate::table::{Bytes, Record, Table};
use crate::token::{Token, TokenKind};
use rustc_hash::{FxHashMap, FxHasher};
use std::borrow::Cow;
use std::hash::Hasher;
use std::ops::Range;

/// First bytes of a segmenter model file, including the format version.
pub const MAGIC: &[u8] = b"vita-segmenter 2\n";

/// Reserved syllable ids.
pub mod ids {
    /// Padding before the first and after the last token of a sentence.
    pub const BOUNDARY: u32 = 0;
    /// Any number.
    pub const NUMBER: u32 = 1;
    /// Unknown lower-case Vietnamese syllable.
    pub const UNK_LOWER: u32 = 2;
    /// Unknown capitalised Vietnamese syllable.
    pub const UNK_TITLE: u32 = 3;
    /// Unknown all-caps Vietnamese syllable.
    pub const UNK_UPPER: u32 = 4;
    /// Unknown foreign word.
    pub const UNK_FOREIGN: u32 = 5;
    /// Unknown punctuation, symbol, URL, e-mail.
    pub const UNK_OTHER: u32 = 6;
    /// Unknown abbreviation.
    pub const UNK_ABBR: u32 = 7;
    /// First id of the vocabulary.
    pub const FIRST: u32 = 8;
}

/// Token shapes seen by the model.
pub mod shape {
    /// Lower-case Vietnamese syllable.
    pub const LOWER: u8 = 0;
    /// Capitalised Vietnamese syllable.
    pub const TITLE: u8 = 1;
    /// All-caps Vietnamese syllable (two letters or more).
    pub const UPPER: u8 = 2;
    /// Lower-case foreign word.
    pub const F_LOWER: u8 = 3;
    /// Capitalised or mixed-case foreign word.
    pub const F_TITLE: u8 = 4;
    /// All-caps foreign word or abbreviation.
    pub const F_UPPER: u8 = 5;
    /// Number.
    pub const NUMBER: u8 = 6;
    /// Punctuation and everything else.
    pub const OTHER: u8 = 7;
    /// Sentence boundary.
    pub const BOUNDARY: u8 = 8;
    /// Number of shapes.
    pub const COUNT: usize = 9;
}

/// Dictionary sources, one bit each in a dictionary entry.
pub mod source {
    /// The general word list (pyvi).
    pub const LEXICON: u8 = 1;
    /// Words of the treebank the model was trained on.
    pub const TREEBANK: u8 = 2;
    /// Proper names (written with capitals in the word lists); no feature, a rule: see
    /// [`Lexicon::join_lower_case_names`](super::Lexicon::join_lower_case_names).
    pub const PROPER: u8 = 4;
    /// Number of sources with features.
    pub const COUNT: usize = 2;
}

/// Longest dictionary word, in syllables.
pub const MAX_WORD: usize = 7;
/// Dictionary lengths are capped at this for features.
const LEN_CAP: usize = 5;
const LENS: usize = LEN_CAP + 1;
/// PMI buckets: floor(pmi) clamped to [-3, 9], plus one for "pair never seen".
pub const PMI_BUCKETS: usize = 14;
/// Count buckets: floor(log2(count)), capped.
pub const COUNT_BUCKETS: usize = 16;

/// Offsets of the dense feature templates.
pub mod dense {
    use super::*;
    /// Always on.
    pub const BIAS: usize = 0;
    /// Shapes of (-1, 0).
    pub const SHAPE2: usize = BIAS + 1;
    /// Shapes of (-2, -1, 0, 1).
    pub const SHAPE4: usize = SHAPE2 + shape::COUNT * shape::COUNT;
    /// (cover, ends-before, starts-after) lengths per dictionary source.
    pub const DICT: usize = SHAPE4 + shape::COUNT.pow(4);
    /// PMI bucket of (-1, 0).
    pub const PMI: usize = DICT + source::COUNT * LENS * LENS * LENS;
    /// PMI bucket x count bucket of (-1, 0).
    pub const PMI_COUNT: usize = PMI + PMI_BUCKETS;
    /// PMI bucket x shapes of (-1, 0).
    pub const PMI_SHAPE: usize = PMI_COUNT + PMI_BUCKETS * COUNT_BUCKETS;
    /// Lexicon cover length x shapes of (-1, 0).
    pub const DICT_SHAPE: usize = PMI_SHAPE + PMI_BUCKETS * shape::COUNT * shape::COUNT;
    /// Number of dense weights.
    pub const SIZE: usize = DICT_SHAPE + LENS * shape::COUNT * shape::COUNT;
}

/// Statistics of a syllable pair in raw text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PairStats {
    /// PMI bucket (see [`PMI_BUCKETS`]); `PMI_BUCKETS - 1` means never seen.
    pub pmi: u8,
    /// Count bucket.
    pub count: u8,
}

impl PairStats {
    /// A pair never seen in raw text.
    pub const UNSEEN: PairStats = PairStats { pmi: (PMI_BUCKETS - 1) as u8, count: 0 };

    /// Buckets a pair count `ab` with unigram counts `a`, `b` out of `n` tokens.
    pub fn from_counts(ab: u64, a: u64, b: u64, n: u64) -> PairStats {
        if ab == 0 || a == 0 || b == 0 {
            return PairStats::UNSEEN;
        }
        let pmi = ((ab as f64) * (n as f64) / ((a as f64) * (b as f64))).ln();
        let bucket = (pmi.floor() as i64).clamp(-3, 9) + 3;
        let count = (64 - ab.leading_zeros() as usize - 1).min(COUNT_BUCKETS - 1);
        PairStats { pmi: bucket as u8, count: count as u8 }
    }
}

/// What is known about a syllable pair: its raw-text statistics and, once trained, its
/// weights for the three gaps it touches.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairEntry {
    /// Weights at slots `(-2,-1)`, `(-1,0)`, `(0,1)`.
    pub w: [f32; 3],
    /// Raw-text statistics.
    pub stats: PairStats,
}

const NO_PAIR: PairEntry = PairEntry { w: [0.0; 3], stats: PairStats::UNSEEN };

impl Record for PairEntry {
    const SIZE: usize = 14;
    /// Buckets out of range (a damaged file) are read as the last one.
    #[inline]
    fn read(b: &[u8]) -> PairEntry {
        PairEntry {
            w: <[f32; 3]>::read(&b[..12]),
            stats: PairStats {
                pmi: b[12].min(PMI_BUCKETS as u8 - 1),
                count: b[13].min(COUNT_BUCKETS as u8 - 1),
            },
        }
    }
    fn write(&self, out: &mut Vec<u8>) {
        self.w.write(out);
        out.push(self.stats.pmi);
        out.push(self.stats.count);
    }
}

/// Hash of a sequence of syllable ids (dictionary keys, trigram keys).
#[inline]
pub fn seq_hash(ids: &[u32]) -> u64 {
    let mut h = FxHasher::default();
    h.write_usize(ids.len());
    for &i in ids {
        h.write_u32(i);
    }
    h.finish()
}

#[inline]
fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Dictionary of multi-syllable words over syllable ids. Prefixes are stored too (flag 0x80),
/// so matching stops as soon as no word can continue.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    entries: Table<u8>,
}

const PREFIX: u8 = 0x80;

impl Dict {
    /// Adds a word (two syllables or more) from `source` (a bit of [`source`]).
    pub fn insert(&mut self, ids: &[u32], src: u8) {
        if ids.len() < 2 || ids.len() > MAX_WORD {
            return;
        }
        let entries = self.entries.open();
        for k in 2..ids.len() {
            *entries.entry(seq_hash(&ids[..k])).or_default() |= PREFIX;
        }
        *entries.entry(seq_hash(ids)).or_default() |= src;
    }

    /// Number of entries (words and prefixes).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Calls `f(len, sources)` for every word starting at `ids[0]`.
    #[inline]
    pub fn matches(&self, ids: &[u32], mut f: impl FnMut(usize, u8)) {
        for len in 2..=ids.len().min(MAX_WORD) {
            match self.entries.get(seq_hash(&ids[..len])) {
                None => return,
                Some(flags) => {
                    if flags & !PREFIX != 0 {
                        f(len, flags & !PREFIX);
                    }
                    if flags & PREFIX == 0 {
                        return;
                    }
                }
            }
        }
    }
}

/// What the model knows about each token of a sentence (with two boundary tokens of padding on
/// each side). Built once per sentence; shared by training and inference so the two can never
/// disagree on a feature.
#[derive(Clone, Debug, Default)]
pub struct SentenceFeatures {
    /// Syllable ids, padded: index `k + 2` is token `k`.
    pub ids: Vec<u32>,
    /// Shapes, padded like `ids`.
    pub shapes: Vec<u8>,
    /// Whether each (unpadded) gap may join at all.
    pub joinable: Vec<bool>,
    /// Per gap: longest word covering it, ending before it, starting after it, per source.
    pub dict: Vec<[[u8; 3]; source::COUNT]>,
    /// Per padded token `k`: the pair `(k, k + 1)` (the last entry is unused).
    pub pairs: Vec<PairEntry>,
    /// Per (unpadded) token: the lengths of the [`source::PROPER`] words starting there whose
    /// gaps may all join, bit `len - 2` for `len` syllables.
    pub proper: Vec<u8>,
}

/// The shape of one token from its kind and [case bits](crate::token::case);
/// `caps_sentence` treats all-caps syllables as lower case (headings).
pub fn token_shape(kind: TokenKind, case: u8, caps_sentence: bool) -> u8 {
    use crate::token::case::*;
    let has_lower = case & HAS_LOWER != 0;
    let all_caps = case & HAS_UPPER != 0
        && !has_lower
        && (case & MULTI_UPPER != 0 || kind != TokenKind::Syllable);
    match kind {
        TokenKind::Syllable => {
            let single_capital = case & HAS_UPPER != 0 && case & MULTI_UPPER == 0 && !has_lower;
            if all_caps && !caps_sentence {
                shape::UPPER
            } else if !caps_sentence && (case & FIRST_UPPER != 0 && has_lower || single_capital) {
                shape::TITLE
            } else {
                shape::LOWER
            }
        }
        TokenKind::Foreign | TokenKind::Abbreviation => {
            if all_caps {
                shape::F_UPPER
            } else if case & HAS_UPPER != 0 {
                shape::F_TITLE
            } else {
                shape::F_LOWER
            }
        }
        TokenKind::Number => shape::NUMBER,
        _ => shape::OTHER,
    }
}

/// Whether two adjacent tokens (with space between) may form one word: two Vietnamese
/// syllables, or two foreign words or abbreviations (`Sea Games`, `TP. HCM`). Numbers, URLs,
/// punctuation and symbols are words of their own, and a foreign word is never glued to a
/// Vietnamese syllable.
#[inline]
pub fn joinable(a: TokenKind, b: TokenKind) -> bool {
    use TokenKind::*;
    matches!((a, b), (Syllable, Syllable) | (Foreign | Abbreviation, Foreign | Abbreviation))
}

/// Whether a sentence is (mostly) written in capitals, like a heading.
pub fn is_caps_sentence(tokens: &[Token]) -> bool {
    use crate::token::case::*;
    // A heading has at most a third of its words with lower-case letters: more than a third
    // of all tokens settles it (most sentences, after a third of their tokens).
    let (mut words, mut lower) = (0, 0);
    for t in tokens.iter().filter(|t| t.kind == TokenKind::Syllable && t.case & MULTI_CHAR != 0) {
        words += 1;
        if t.case & HAS_LOWER != 0 {
            lower += 1;
            if lower * 3 > tokens.len() {
                return false;
            }
        }
    }
    // Two thirds in capitals: `(words - lower) * 3 >= words * 2`.
    words >= 2 && words >= lower * 3
}

/// Everything the segmenter needs apart from the weights: vocabulary, dictionary, raw-text pair
/// statistics. The trainer builds one, the runtime loads one from the model file.
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    /// The syllable keys in id order (the first has [`ids::FIRST`]), each followed by `\n`.
    vocab: Cow<'static, str>,
    /// Number of keys in `vocab`.
    vocab_len: usize,
    /// [`key_hash`](crate::token::key_hash) of a key -> id: what lookups use.
    by_hash: Table<u32>,
    /// Multi-syllable words.
    pub dict: Dict,
    /// Syllable pairs by `(a << 32) | b`: raw-text statistics (the trainer fills them) and
    /// weights (the trained model).
    pub pairs: Table<PairEntry>,
}

impl Lexicon {
    /// Adds a key to the vocabulary with the next id, which is returned: `ids::FIRST` for
    /// the first key, then one more each time. A key holding a line break is not added
    /// (no token has one); `None`.
    pub fn insert_key(&mut self, key: &str) -> Option<u32> {
        if key.contains('\n') {
            return None;
        }
        let id = ids::FIRST + self.vocab_len as u32;
        self.by_hash.insert(crate::token::key_hash(key), id);
        let v = self.vocab.to_mut();
        v.push_str(key);
        v.push('\n');
        self.vocab_len += 1;
        Some(id)
    }

    /// Number of keys in the vocabulary.
    pub fn vocab_len(&self) -> usize {
        self.vocab_len
    }

    /// The id of a key, if it is in the vocabulary.
    pub fn key_id(&self, key: &str) -> Option<u32> {
        self.by_hash.get(crate::token::key_hash(key))
    }

    /// The id of a token.
    #[inline]
    pub fn id(&self, token: &Token, shape: u8) -> u32 {
        let kind = token.kind;
        if kind == TokenKind::Number {
            return ids::NUMBER;
        }
        if let Some(id) = self.by_hash.get(token.hash) {
            return id;
        }
        match kind {
            TokenKind::Syllable => match shape {
                shape::TITLE => ids::UNK_TITLE,
                shape::UPPER => ids::UNK_UPPER,
                _ => ids::UNK_LOWER,
            },
            TokenKind::Foreign => ids::UNK_FOREIGN,
            TokenKind::Abbreviation => ids::UNK_ABBR,
            _ => ids::UNK_OTHER,
        }
    }

    /// Fills `f` for the tokens `range` of `doc`. `extra` is a dictionary whose words count as
    /// [`source::TREEBANK`] on top of the built-in one (used when training with held-out
    /// folds).
    pub fn features(
        &self,
        doc: &Document,
        range: Range<usize>,
        extra: Option<&Dict>,
        f: &mut SentenceFeatures,
    ) {
        let tokens = &doc.tokens()[range];
        let caps = is_caps_sentence(tokens);
        f.ids.clear();
        f.shapes.clear();
        f.ids.extend([ids::BOUNDARY; 2]);
        f.shapes.extend([shape::BOUNDARY; 2]);
        for t in tokens {
            let sh = token_shape(t.kind, t.case, caps);
            f.ids.push(self.id(t, sh));
            f.shapes.push(sh);
        }
        f.ids.extend([ids::BOUNDARY; 2]);
        f.shapes.extend([shape::BOUNDARY; 2]);
        let n = tokens.len();
        let gaps = n.saturating_sub(1);
        f.joinable.clear();
        f.joinable.extend(
            tokens
                .windows(2)
                .map(|w| joinable(w[0].kind, w[1].kind) && w[0].span.end < w[1].span.start),
        );
        f.pairs.clear();
        f.pairs.extend(
            f.ids.windows(2).map(|w| self.pairs.get(pair_key(w[0], w[1])).unwrap_or(NO_PAIR)),
        );
        f.pairs.push(NO_PAIR);
        f.dict.clear();
        f.dict.resize(gaps, [[0; 3]; source::COUNT]);
        let ids = &f.ids[2..2 + n];
        let dict_out = &mut f.dict;
        f.proper.clear();
        f.proper.resize(n, 0);
        let proper = &mut f.proper;
        let mut record = |start: usize, len: usize, srcs: u8| {
            if srcs & source::PROPER != 0 {
                proper[start] |= 1 << (len - 2);
            }
            let l = len.min(LEN_CAP) as u8;
            let end = start + len - 1; // the gap after the word
            for s in (0..source::COUNT).filter(|s| srcs & (1 << s) != 0) {
                for gap in &mut dict_out[start..end] {
                    gap[s][0] = gap[s][0].max(l);
                }
                if start > 0 {
                    let e = &mut dict_out[start - 1][s][2];
                    *e = (*e).max(l);
                }
                if end < gaps {
                    let e = &mut dict_out[end][s][1];
                    *e = (*e).max(l);
                }
            }
        };
        for start in 0..n {
            if start + 1 < n && !f.joinable[start] {
                continue;
            }
            self.dict.matches(&ids[start..], |len, srcs| {
                if (start..start + len - 1).all(|g| f.joinable[g]) {
                    record(start, len, srcs)
                }
            });
            if let Some(x) = extra {
                x.matches(&ids[start..], |len, _| {
                    if (start..start + len - 1).all(|g| f.joinable[g]) {
                        record(start, len, source::TREEBANK)
                    }
                });
            }
        }
    }
}

impl Lexicon {
    /// Joins the gaps inside proper names the dictionary knows (`hà nội`, `hoa kỳ`) where they
    /// are written all in lower case (or in an all-caps heading): there the capitals that
    /// mark a name are missing, so the model alone would miss it.
    pub fn join_lower_case_names(&self, f: &SentenceFeatures, gaps: &mut [bool]) {
        let n = gaps.len() + 1;
        let shapes = &f.shapes[2..2 + n];
        for start in 0..gaps.len() {
            // The words were matched by `features` (gaps all joinable).
            let mut lens = f.proper.get(start).copied().unwrap_or(0);
            if lens == 0 || shapes[start] != shape::LOWER {
                continue;
            }
            // The longest written all in lower case.
            while lens != 0 {
                let len = 9 - lens.leading_zeros() as usize; // highest bit `len - 2`
                if shapes[start..start + len].iter().all(|&s| s == shape::LOWER) {
                    gaps[start..start + len - 1].fill(true);
                    break;
                }
                lens &= !(1 << (len - 2));
            }
        }
    }
}

/// Calls `emit` with the index of every dense feature of gap `g`.
#[inline]
pub fn dense_features(f: &SentenceFeatures, g: usize, mut emit: impl FnMut(usize)) {
    let s = |k: usize| f.shapes[k] as usize;
    let (sm2, sm1, s0, s1) = (s(g), s(g + 1), s(g + 2), s(g + 3)); // padded indices
    let c = shape::COUNT;
    let sh2 = sm1 * c + s0;
    emit(dense::BIAS);
    emit(dense::SHAPE2 + sh2);
    emit(dense::SHAPE4 + ((sm2 * c + sm1) * c + s0) * c + s1);
    for (src, d) in f.dict[g].iter().enumerate() {
        emit(
            dense::DICT
                + ((src * LENS + d[0] as usize) * LENS + d[1] as usize) * LENS
                + d[2] as usize,
        );
    }
    let st = f.pairs[g + 2].stats; // the pair (-1, 0): padded tokens g + 2, g + 3
    emit(dense::PMI + st.pmi as usize);
    emit(dense::PMI_COUNT + st.pmi as usize * COUNT_BUCKETS + st.count as usize);
    emit(dense::PMI_SHAPE + st.pmi as usize * c * c + sh2);
    emit(dense::DICT_SHAPE + f.dict[g][0][0] as usize * c * c + sh2);
}

/// A feature of one gap, in the form the trainer keeps weights for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Syllable at position 0..4 (= -2, -1, 0, 1).
    Uni(u8, u32),
    /// Pair at slot 0..3 (= (-2,-1), (-1,0), (0,1)).
    Pair(u8, u32, u32),
    /// Triple at slot 0..2 (= (-2,-1,0), (-1,0,1)).
    Tri(u8, u32, u32, u32),
    /// A dense feature.
    Dense(u32),
}

/// Calls `emit` with every feature of gap `g` (training form).
pub fn gap_features(f: &SentenceFeatures, g: usize, mut emit: impl FnMut(Feature)) {
    let id = |k: usize| f.ids[k];
    let p = g; // padded index of token g - 1
    for pos in 0..4u8 {
        emit(Feature::Uni(pos, id(p + pos as usize)));
    }
    for slot in 0..3u8 {
        let k = p + slot as usize;
        emit(Feature::Pair(slot, id(k), id(k + 1)));
    }
    for slot in 0..2u8 {
        let k = p + slot as usize;
        emit(Feature::Tri(slot, id(k), id(k + 1), id(k + 2)));
    }
    dense_features(f, g, |i| emit(Feature::Dense(i as u32)));
}

/// The trained model: lexicon plus weights, laid out by n-gram.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Vocabulary, dictionary and pair statistics.
    pub lexicon: Lexicon,
    uni: Vec<[f32; 4]>,
    triples: Table<[f32; 2]>,
    dense: Vec<f32>,
}

impl Model {
    /// Builds a model from trained weights.
    pub fn from_weights(lexicon: Lexicon, weights: &FxHashMap<Feature, f32>) -> Model {
        let n_ids = ids::FIRST as usize + lexicon.vocab_len;
        let mut m = Model {
            uni: vec![[0.0; 4]; n_ids],
            dense: vec![0.0; dense::SIZE],
            triples: Table::default(),
            lexicon,
        };
        let pairs = m.lexicon.pairs.open();
        for e in pairs.values_mut() {
            e.w = [0.0; 3];
        }
        let triples = m.triples.open();
        for (&f, &w) in weights {
            if w == 0.0 {
                continue;
            }
            match f {
                Feature::Uni(pos, id) => m.uni[id as usize][pos as usize] += w,
                Feature::Pair(slot, a, b) => {
                    pairs.entry(pair_key(a, b)).or_insert(NO_PAIR).w[slot as usize] += w;
                }
                Feature::Tri(slot, a, b, c) => {
                    triples.entry(seq_hash(&[a, b, c])).or_default()[slot as usize] += w
                }
                Feature::Dense(i) => m.dense[i as usize] += w,
            }
        }
        m
    }

    /// Scores every gap of a sentence into `scores` (positive: join).
    pub fn score(&self, f: &SentenceFeatures, scores: &mut Vec<f32>) {
        let n = f.ids.len() - 4;
        let gaps = n.saturating_sub(1);
        scores.clear();
        if gaps == 0 {
            return;
        }
        // Padded token k (0..n+4) is at position `pos` of gap g when k = g + pos; it adds its
        // weights to every gap it touches. The gaps are written from index `PAD`, with room
        // on both sides for the positions of the padding tokens, so that each token adds to
        // four neighbouring slots without a check per slot; each gap gets the same additions
        // in the same order as when they were checked one by one.
        const PAD: usize = 3;
        scores.resize(gaps + 2 * PAD + 2, 0.0);
        for k in 0..f.ids.len() {
            // The slots of gaps k - 3 ..= k, in that order.
            let Some(slots) = scores.get_mut(k..k + 4) else { break };
            let u = self.uni.get(f.ids[k] as usize).copied().unwrap_or_default();
            for (pos, &w) in u.iter().enumerate() {
                slots[PAD - pos] += w;
            }
            for (slot, &w) in f.pairs[k].w.iter().enumerate() {
                slots[PAD - slot] += w;
            }
            if k + 2 < f.ids.len()
                && let Some(t) = self.triples.get(seq_hash(&f.ids[k..k + 3]))
            {
                for (slot, &w) in t.iter().enumerate() {
                    slots[PAD - slot] += w;
                }
            }
        }
        scores.drain(..PAD);
        scores.truncate(gaps);
        for (g, s) in scores.iter_mut().enumerate() {
            dense_features(f, g, |i| *s += self.dense[i]);
        }
    }

    /// Serializes the model, little-endian throughout: [`MAGIC`]; the vocabulary (`u32`
    /// count, `u32` byte length, the keys in id order each followed by `\n`); the unigram
    /// weights (four `f32` per id, from id 0); the vocabulary by key hash, the pairs and the
    /// trigrams as frozen [`Table`]s; the dense weights (`u32` count, `f32`s); the dictionary
    /// as a frozen table. The tables are used where they lie when the model is embedded.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        let put_u32 =
            |out: &mut Vec<u8>, v: usize| u32::try_from(v).expect("fits a u32").write(out);
        put_u32(&mut out, self.lexicon.vocab_len);
        put_u32(&mut out, self.lexicon.vocab.len());
        out.extend_from_slice(self.lexicon.vocab.as_bytes());
        for u in &self.uni {
            u.write(&mut out);
        }
        self.lexicon.by_hash.write(&mut out);
        self.lexicon.pairs.write(&mut out);
        self.triples.write(&mut out);
        put_u32(&mut out, self.dense.len());
        for w in &self.dense {
            w.write(&mut out);
        }
        self.lexicon.dict.entries.write(&mut out);
        out
    }

    /// Parses a model file (its tables are copied).
    ///
    /// # Errors
    /// A wrong magic header or a truncated or inconsistent file.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Model> {
        Model::parse(name, Bytes::Borrowed(bytes))
    }

    /// Parses a model embedded in the binary: its tables are used in place.
    ///
    /// # Errors
    /// As [`Model::from_bytes`].
    pub fn from_static(name: &str, bytes: &'static [u8]) -> Result<Model> {
        Model::parse(name, Bytes::Static(bytes))
    }

    fn parse(name: &str, bytes: Bytes<'_>) -> Result<Model> {
        let bad = |what: String| Error::resource(name, None, what);
        let mut r = Reader { name, bytes, pos: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(bad("not a vita segmenter model (bad magic or version)".into()));
        }
        let vocab_len = r.u32()? as usize;
        let vocab_bytes = r.u32()? as usize;
        let not_utf8 = || bad("the vocabulary is not UTF-8".into());
        let vocab: Cow<'static, str> = match r.keep(vocab_bytes)? {
            Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).map_err(|_| not_utf8())?),
            Cow::Owned(v) => Cow::Owned(String::from_utf8(v).map_err(|_| not_utf8())?),
        };
        if vocab.bytes().filter(|&b| b == b'\n').count() != vocab_len
            || !vocab.ends_with('\n') && vocab_len > 0
        {
            return Err(bad("the vocabulary does not hold its count of keys".into()));
        }
        let n_ids = ids::FIRST as usize + vocab_len;
        let uni = r.take(16 * n_ids)?.chunks_exact(16).map(<[f32; 4]>::read).collect();
        let by_hash = r.table()?;
        let pairs = r.table()?;
        let triples = r.table()?;
        let n_dense = r.u32()? as usize;
        if n_dense != dense::SIZE {
            return Err(bad(format!("expected {} dense weights, found {n_dense}", dense::SIZE)));
        }
        let dense_w = r.take(4 * n_dense)?.chunks_exact(4).map(f32::read).collect();
        let entries = r.table()?;
        if r.pos != r.bytes.as_slice().len() {
            return Err(bad("trailing bytes after the model".into()));
        }
        Ok(Model {
            lexicon: Lexicon { vocab, vocab_len, by_hash, dict: Dict { entries }, pairs },
            uni,
            triples,
            dense: dense_w,
        })
    }
}

struct Reader<'a> {
    name: &'a str,
    bytes: Bytes<'a>,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let all = self.bytes.as_slice();
        let end = self.pos.checked_add(n).filter(|&e| e <= all.len());
        let Some(end) = end else {
            return Err(Error::resource(
                self.name,
                None,
                format!("truncated at byte {}", self.pos),
            ));
        };
        let s = &all[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::read(self.take(4)?))
    }
    /// The next `n` bytes, kept (in place if the model is embedded).
    fn keep(&mut self, n: usize) -> Result<Cow<'static, [u8]>> {
        let at = self.pos;
        self.take(n)?;
        Ok(self.bytes.range(at..at + n))
    }
    /// A frozen table (in place if the model is embedded).
    fn table<R: Record>(&mut self) -> Result<Table<R>> {
        let (t, used) = Table::read(self.name, self.bytes.skip(self.pos))?;
        self.pos += used;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, counted over every token.
    fn caps_by_definition(tokens: &[Token]) -> bool {
        use crate::token::case::*;
        let words: Vec<&Token> = tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Syllable && t.case & MULTI_CHAR != 0)
            .collect();
        let caps = words.iter().filter(|t| t.case & HAS_LOWER == 0).count();
        words.len() >= 2 && caps * 3 >= words.len() * 2
    }

    proptest::proptest! {
        #[test]
        fn caps_sentences_as_defined(
            words in proptest::collection::vec(
                // Mostly capitals, so that the sentences near the threshold come up.
                proptest::sample::select(vec![
                    "HÀ", "NỘI", "ĐÂY", "UNESCO", "VIỆT", "NAM", "Hà", "nội", "đây", "A", "a",
                    "iPhone", "2024", ",", "-", "Tp",
                ]),
                0..12,
            )
        ) {
            let text = words.join(" ");
            let doc = crate::Pipeline::new()
                .with_layers(crate::pipeline::Layers::parse("tokens").unwrap())
                .annotate(text.as_str());
            proptest::prop_assert_eq!(
                is_caps_sentence(doc.tokens()),
                caps_by_definition(doc.tokens()),
                "{}", text
            );
        }
    }
}
