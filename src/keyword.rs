//! Key phrases: ranked phrases of whole words that a reader would pick.
//!
//! Candidates are runs of one to three *content words* inside a sentence: words made of
//! letters, not stopwords (matched on keys, so `Hoà`/`hòa`, NFC/NFD and case do not matter),
//! not single letters. A phrase therefore never starts or ends with a stopword and never holds
//! a fragment of a word. An all-caps acronym in a normal sentence (`AI`, `GPT`) is a content
//! word even when its lower-case key is a stopword (`ai`, "who").
//!
//! Two signals are combined:
//! - **within the document** (in the spirit of YAKE): how often the phrase occurs, how early it
//!   first appears, over how many sentences it is spread, and whether a multi-word phrase
//!   recurs as a unit;
//! - **against a background** (TF-IDF): the inverse document frequency of the phrase's words in
//!   Vietnamese Wikipedia, compiled by `vita-train background` into a table shipped in the
//!   binary, or, with [`corpus_keywords`], in the input corpus itself.
//!
//! Scores are scaled so the best phrase of a document has 1.0.

use crate::document::{Document, Keyword};
use crate::error::{Error, Result};
use crate::span::Span;
use crate::table::{Bytes, Record, Table};
use crate::token::{TokenKind, case, key_hash};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::sync::LazyLock;

/// First bytes of a background table file, with the format version.
pub const BACKGROUND_MAGIC: &[u8] = b"vita-df 2\n";

static EMBEDDED_BACKGROUND: &[u8] = include_bytes!("data/background.bin");
static EMBEDDED_STOPWORDS: &str = include_str!("data/stopwords.txt");

static BACKGROUND: LazyLock<Background> = LazyLock::new(|| {
    if EMBEDDED_BACKGROUND.is_empty() {
        return Background::default();
    }
    Background::read("embedded background", Bytes::Static(EMBEDDED_BACKGROUND))
        .expect("the embedded background table parses")
});

static STOPWORDS: LazyLock<Stopwords> = LazyLock::new(|| Stopwords::from_keys(EMBEDDED_STOPWORDS));

/// Document frequencies of word keys in a background corpus.
#[derive(Clone, Debug, Default)]
pub struct Background {
    docs: u32,
    /// Key hash -> document frequency.
    df: Table<u32>,
}

impl Background {
    /// The table shipped in the binary (Vietnamese Wikipedia), read in place.
    pub fn embedded() -> &'static Background {
        &BACKGROUND
    }

    /// A table from `(key, document frequency)` pairs over `docs` documents.
    pub fn from_entries<'a>(
        docs: u32,
        entries: impl Iterator<Item = (&'a str, u32)>,
    ) -> Background {
        let mut df = Table::default();
        for (k, d) in entries {
            df.insert(key_hash(k), d);
        }
        Background { docs, df }
    }

    /// Number of documents.
    pub fn docs(&self) -> u32 {
        self.docs
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.df.len()
    }

    /// Whether no key is known.
    pub fn is_empty(&self) -> bool {
        self.df.is_empty()
    }

    /// Smoothed inverse document frequency of a word key's hash: `ln((N + 1) / (df + 1)) + 1`.
    pub fn idf(&self, hash: u64) -> f32 {
        let df = self.df.get(hash).unwrap_or(0);
        ((self.docs as f32 + 1.0) / (df as f32 + 1.0)).ln() + 1.0
    }

    /// Serializes the table: magic, document count (`u32`), then the frequencies by key
    /// hash as a frozen [`Table`] (read in place when embedded).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = BACKGROUND_MAGIC.to_vec();
        self.docs.write(&mut out);
        self.df.write(&mut out);
        out
    }

    /// Parses a table written by [`Background::to_bytes`].
    ///
    /// # Errors
    /// A bad magic header or a truncated file.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Background> {
        Background::read(name, Bytes::Borrowed(bytes))
    }

    fn read(name: &str, bytes: Bytes<'_>) -> Result<Background> {
        let bad = |msg: &str| Error::resource(name, None, msg.to_string());
        let b = bytes.as_slice();
        if !b.starts_with(BACKGROUND_MAGIC) {
            return Err(bad("not a vita background table"));
        }
        let at = BACKGROUND_MAGIC.len();
        let docs = b.get(at..at + 4).ok_or_else(|| bad("truncated"))?;
        let docs = u32::read(docs);
        let (df, used) = Table::read(name, bytes.skip(at + 4))?;
        if at + 4 + used != b.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(Background { docs, df })
    }
}

/// A set of stopword keys.
#[derive(Clone, Debug, Default)]
pub struct Stopwords {
    set: FxHashSet<u64>,
}

impl Stopwords {
    /// The list shipped in the binary.
    pub fn embedded() -> &'static Stopwords {
        &STOPWORDS
    }

    /// One stopword per line (any form: keys are computed); `#` starts a comment line.
    pub fn parse(text: &str) -> Stopwords {
        Stopwords::parse_with(text, |l| key_hash(&crate::normalize::key(l)))
    }

    /// Like [`Stopwords::parse`], for lines that are keys already (what `vita-train
    /// stopwords` writes): hashed as they are, without normalizing them again (2 ms at
    /// start-up for the embedded list).
    fn from_keys(text: &str) -> Stopwords {
        Stopwords::parse_with(text, key_hash)
    }

    /// The lines of `text`, but blank and comment lines, hashed by `hash`.
    fn parse_with(text: &str, hash: impl Fn(&str) -> u64) -> Stopwords {
        let set = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(hash)
            .collect();
        Stopwords { set }
    }

    /// Whether a word, in any form (case, NFC/NFD, tone placement), is a stopword.
    pub fn contains(&self, word: &str) -> bool {
        self.set.contains(&key_hash(&crate::normalize::key(word)))
    }

    /// Whether the word with this key hash is a stopword.
    pub fn contains_hash(&self, hash: u64) -> bool {
        self.set.contains(&hash)
    }

    /// Number of stopwords.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// The candidate phrases of one document, with what scoring needs; owns its data, so a corpus
/// run can keep these and drop the documents.
///
/// A long document has hundreds of thousands of distinct candidates, so they live in arenas:
/// keys and the texts to display are ranges of two shared strings, and a phrase seen once
/// allocates nothing of its own.
#[derive(Clone, Debug, Default)]
pub struct DocPhrases {
    phrases: Vec<Phrase>,
    /// Phrase keys, words separated by [`SEP`].
    keys: String,
    /// The texts phrases are displayed from, as they are in the document (see
    /// [`push_display`]).
    texts: String,
    sentences: usize,
    /// Key hashes of the content words of the document, ascending, each once (for corpus
    /// document frequencies).
    pub words: Vec<u64>,
    /// Occurrences of each content word, by key hash (surface hash for acronyms), ascending.
    word_counts: Vec<(u64, u32)>,
    /// The phrases of a whole corpus ([`CorpusPhrases`]): their occurrences are counted, not
    /// kept.
    merged: bool,
}

/// The buffers [`DocPhrases`] collects a document's phrases in (each thread keeps them from
/// one document to the next, see [`KEPT`], so a short document allocates almost nothing).
#[derive(Default)]
struct Scratch {
    /// Per word of the document: 1 + its index in `content`, or 0 when it is not a content
    /// word (4 bytes a word: the benchmark's 750,000 words are 3 MB of fresh pages).
    slots: Vec<u32>,
    /// Per sentence: (all caps, word range, index of the first word made of letters).
    sents: Vec<(bool, std::ops::Range<usize>, usize)>,
    /// The content words, in order of first occurrence, and their indices by key hash
    /// (surface hash for an acronym).
    content: Vec<WordStat>,
    stats: FxHashMap<u64, u32>,
    /// The content words by score (and index), then the best of them.
    ranked: Vec<(f32, u64, u32)>,
    /// Phrase key hash -> phrase; a (64-bit) collision is checked and sent to `collided`.
    index: FxHashMap<u64, u32>,
    collided: FxHashMap<String, u32>,
    key_buf: String,
    norm: String,
    /// Embedded-background IDFs of words seen before, by key hash, direct-mapped
    /// ([`IDF_CACHE`] slots, empty until first used): the common words of short documents
    /// are found here rather than in the 850 KB table.
    idf_cache: Vec<(u64, f32)>,
}

/// Slots of [`Scratch::idf_cache`] (64 KB).
const IDF_CACHE: usize = 1 << 12;

/// A content word of a document.
#[derive(Clone, Copy, Debug)]
struct WordStat {
    /// The hash it is counted under: of its key, of its surface for an acronym.
    hash: u64,
    count: u32,
    first_sentence: u32,
    acronym: bool,
    /// Hash of its key (also for an acronym).
    key_hash: u64,
    /// Its IDF in the embedded background, by the hash it is counted under.
    background_idf: f32,
    /// Among the best of the document, which phrases are built around.
    top: bool,
}

/// The embedded background's IDF of key hash `h`, through `cache` (see
/// [`Scratch::idf_cache`]; an empty slot holds NaN, which no IDF is).
fn cached_background_idf(cache: &mut Vec<(u64, f32)>, h: u64) -> f32 {
    if cache.is_empty() {
        *cache = vec![(0, f32::NAN); IDF_CACHE];
    }
    let slot = &mut cache[(h >> 52) as usize & (IDF_CACHE - 1)];
    if slot.1.is_nan() || slot.0 != h {
        *slot = (h, Background::embedded().idf(h));
    }
    slot.1
}

impl Scratch {
    /// Drops the buffers when a long document made them large.
    fn drop_if_large(&mut self) {
        if self.slots.capacity() > KEPT_WORDS || self.index.capacity() > 4 * KEPT_PHRASES {
            *self = Scratch::default();
        }
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.content.clear();
        self.sents.clear();
        self.stats.clear();
        self.ranked.clear();
        self.index.clear();
        self.collided.clear();
        self.key_buf.clear();
        self.norm.clear();
    }
}

/// Separates the words of a phrase key (word keys themselves contain spaces).
const SEP: char = '\u{1}';

#[derive(Clone, Debug)]
struct Phrase {
    key: (u32, u32),
    /// Text to display: while collecting, the span it is taken from; then a range of `texts`.
    text: Span,
    /// How good `text` is for display: 0 inside a normal sentence, 1 at the start of one
    /// (capitalised there), 2 in an all-caps heading.
    text_rank: u8,
    first: Span,
    more: Vec<Span>,
    /// Occurrences counted but not kept: those in the other documents of a corpus (see
    /// [`CorpusPhrases`]); 0 in a document's phrases.
    extra: u32,
    first_sentence: usize,
    sentences: usize,
    last_sentence: usize,
    acronym: bool,
    /// Hashes of its words' keys (an acronym's surface), as in `word_counts`; `n` of them.
    words: [u64; MAX_WORDS],
    n: u8,
}

impl Phrase {
    fn count(&self) -> usize {
        1 + self.more.len() + self.extra as usize
    }
    fn occurrences(&self) -> Vec<Span> {
        let mut v = Vec::with_capacity(self.count());
        v.push(self.first);
        v.extend_from_slice(&self.more);
        v
    }
}

/// Longest phrase, in words.
const MAX_WORDS: usize = 3;

/// How frequency and rarity are balanced: score ~ count^TF_POWER x idf^IDF_POWER.
const TF_POWER: f32 = 0.6;
const IDF_POWER: f32 = 0.7;

/// How early a first occurrence in sentence `first` is: 1 in the first sentence, falling
/// slowly. From a table for the first sentences.
fn position(first: usize) -> f32 {
    fn f(first: usize) -> f32 {
        1.0 / (1.0 + (1.0 + first as f32).ln())
    }
    static SMALL: LazyLock<[f32; 256]> = LazyLock::new(|| std::array::from_fn(f));
    SMALL.get(first).copied().unwrap_or_else(|| f(first))
}

/// `count^TF_POWER`, from a table for the small counts that nearly all phrases have.
fn tf(count: usize) -> f32 {
    static SMALL: LazyLock<[f32; 256]> =
        LazyLock::new(|| std::array::from_fn(|c| (c as f32).powf(TF_POWER)));
    SMALL.get(count).copied().unwrap_or_else(|| (count as f32).powf(TF_POWER))
}

fn is_acronym(doc: &Document, w: &crate::Word, caps_sentence: bool) -> bool {
    if caps_sentence || w.tokens.len() != 1 {
        return false;
    }
    let t = &doc.tokens()[w.tokens.start];
    let c = t.case;
    c & case::MULTI_UPPER != 0 && c & case::HAS_LOWER == 0 && t.span.len() <= 6
}

/// Appends the display form of `span` (whitespace runs, such as PDF line wraps, become one
/// space).
fn push_display(out: &mut String, text: &str) {
    if tidy(text) {
        out.push_str(text);
        return;
    }
    for (k, piece) in text.split_whitespace().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(piece);
    }
}

/// Whether `text` is its own display form: no whitespace but single spaces between other
/// characters. Told from the bytes: no ASCII whitespace but such spaces, and none of the lead
/// bytes of the other Unicode whitespace (`C2` for U+0085 and U+00A0, `E1 9A` for U+1680,
/// `E2` for U+2000..U+205F, `E3` for U+3000), which Vietnamese letters never use.
fn tidy(text: &str) -> bool {
    let b = text.as_bytes();
    let mut prev_space = true; // no space at the start
    for (i, &c) in b.iter().enumerate() {
        match c {
            b' ' if prev_space => return false,
            b' ' => prev_space = true,
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f | 0xc2 | 0xe2 | 0xe3 => return false,
            0xe1 if b.get(i + 1) == Some(&0x9a) => return false,
            _ => prev_space = false,
        }
    }
    !prev_space || b.is_empty()
}

impl DocPhrases {
    /// Occurrences of the content word of key hash `h`.
    fn word_count(&self, h: u64) -> Option<u32> {
        let i = self.word_counts.binary_search_by_key(&h, |e| e.0).ok()?;
        Some(self.word_counts[i].1)
    }

    fn key(&self, p: &Phrase) -> &str {
        &self.keys[p.key.0 as usize..(p.key.0 + p.key.1) as usize]
    }

    fn text(&self, p: &Phrase) -> &str {
        &self.texts[p.text.start..p.text.end]
    }

    /// Collects the candidate phrases of `doc`.
    pub fn new(doc: &Document, stopwords: &Stopwords, k: usize) -> DocPhrases {
        let mut out = DocPhrases::default();
        KEPT.with_borrow_mut(|(_, scratch)| {
            out.collect(doc, stopwords, k, scratch);
            scratch.drop_if_large();
        });
        // Kept, maybe with thousands of others (`vita keywords --corpus`): without the room
        // collecting reserved.
        out.phrases.shrink_to_fit();
        out.keys.shrink_to_fit();
        out.texts.shrink_to_fit();
        out.words.shrink_to_fit();
        out.word_counts.shrink_to_fit();
        out
    }

    /// Collects the candidate phrases of `doc` in place of those held, in buffers that keep
    /// their room from the documents before.
    fn collect(&mut self, doc: &Document, stopwords: &Stopwords, k: usize, scratch: &mut Scratch) {
        let out = self;
        out.phrases.clear();
        out.keys.clear();
        out.texts.clear();
        out.words.clear();
        out.word_counts.clear();
        out.sentences = doc.sentences().len();
        scratch.clear();
        let Scratch {
            slots,
            sents,
            content,
            stats,
            ranked,
            index,
            collided,
            key_buf,
            norm,
            idf_cache,
        } = scratch;
        let words = doc.words();
        // Writes the key of word `w` (its surface for an acronym) into `buf`, without
        // allocating.
        let push_key = |buf: &mut String, w: &crate::Word, acronym: bool| {
            if acronym {
                buf.push_str(doc.slice(w.span));
                return;
            }
            for (k, t) in doc.tokens()[w.tokens.clone()].iter().enumerate() {
                if k > 0 {
                    buf.push(' ');
                }
                buf.push_str(doc.norm(t));
            }
        };

        // Pass 1: content words, counted by key hash (one map operation per word).
        slots.reserve(words.len());
        sents.reserve(out.sentences);
        stats.reserve(words.len().min(1 << 12));
        let mut wi = 0;
        for (si, s) in doc.sentences().iter().enumerate() {
            let caps = crate::word::model::is_caps_sentence(&doc.tokens()[s.tokens.clone()]);
            let start = wi;
            let mut first_wordlike = None;
            while wi < words.len() && words[wi].tokens.start < s.tokens.end {
                let w = &words[wi];
                let toks = &doc.tokens()[w.tokens.clone()];
                if first_wordlike.is_none() && toks.iter().any(|t| t.kind.is_wordlike()) {
                    first_wordlike = Some(wi - start);
                }
                wi += 1;
                let letters =
                    toks.iter().all(|t| matches!(t.kind, TokenKind::Syllable | TokenKind::Foreign));
                if !letters {
                    slots.push(0);
                    continue;
                }
                let acronym = is_acronym(doc, w, caps);
                // Single-token words (most of them) have their key hash already.
                let (kh, short) = if toks.len() == 1 {
                    (toks[0].hash, doc.norm(&toks[0]).chars().nth(1).is_none())
                } else if doc.keys_in_place() {
                    (key_hash(&doc.norms()[doc.keys_range(w.tokens.clone())]), false)
                } else {
                    norm.clear();
                    push_key(norm, w, false);
                    (key_hash(norm), false)
                };
                if short || (!acronym && stopwords.contains_hash(kh)) {
                    slots.push(0);
                    continue;
                }
                let h = if acronym { key_hash(doc.slice(w.span)) } else { kh };
                let c = *stats.entry(h).or_insert_with(|| {
                    content.push(WordStat {
                        hash: h,
                        count: 0,
                        first_sentence: si as u32,
                        acronym,
                        key_hash: kh,
                        background_idf: 0.0,
                        top: false,
                    });
                    (content.len() - 1) as u32
                });
                content[c as usize].count += 1;
                slots.push(c + 1);
            }
            sents.push((caps, start..wi, first_wordlike.unwrap_or(wi - start)));
        }
        // The words worth building phrases around: the best by frequency, rarity and position.
        let bg = Background::embedded();
        let docs_bg = bg.docs() as f32;
        ranked.extend(content.iter_mut().enumerate().map(|(c, w)| {
            w.background_idf = cached_background_idf(idf_cache, w.hash);
            let idf = if w.acronym { acronym_idf(docs_bg) } else { w.background_idf };
            let position = position(w.first_sentence as usize);
            (tf(w.count as usize) * idf.powf(IDF_POWER) * (1.0 + position), w.hash, c as u32)
        }));
        let m = (4 * k).max(64);
        if ranked.len() > m {
            ranked.select_nth_unstable_by(m, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            ranked.truncate(m);
        }
        for &(_, _, c) in ranked.iter() {
            content[c as usize].top = true;
        }
        out.word_counts.extend(content.iter().map(|w| (w.hash, w.count)));
        out.word_counts.sort_unstable();
        out.words.extend(content.iter().map(|w| w.key_hash));
        out.words.sort_unstable();
        out.words.dedup();

        // Pass 2: phrases of one to three content words holding at least one of those words.
        // Room for about three phrases per content word (fewer in a long document, where only
        // those holding one of the best words are kept).
        let room = 3 * content.len().min(1 << 12);
        index.reserve(room);
        out.phrases.reserve(room);
        out.keys.reserve(room * 16);
        for (si, (caps, range, first_wordlike)) in sents.iter().enumerate() {
            let sw = &words[range.clone()];
            let ss = &slots[range.clone()];
            // The content word that word `j` of the sentence is.
            let word = |j: usize| ss[j].checked_sub(1).map(|c| &content[c as usize]);
            for i in 0..sw.len() {
                if ss[i] == 0 {
                    continue;
                }
                let mut h: u64 = 0;
                let mut has_top = false;
                let mut word_hashes = [0u64; MAX_WORDS];
                // Words of the phrase starting at `i` that `key_buf` holds.
                let mut built = 0;
                for n in 1..=MAX_WORDS.min(sw.len() - i) {
                    let Some(&WordStat { hash: wh, acronym, top, .. }) = word(i + n - 1) else {
                        break;
                    };
                    // The phrase hash combines its words' hashes (FxHash's mixing step).
                    h = (h.rotate_left(5) ^ wh).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
                    word_hashes[n - 1] = wh;
                    has_top |= top;
                    if !has_top {
                        continue;
                    }
                    // The key, written only for the phrases kept: extended when it holds the
                    // phrase one word shorter, else written from the first word.
                    if built == 0 || built + 1 != n {
                        key_buf.clear();
                        for (m, w) in sw.iter().enumerate().take(i + n - 1).skip(i) {
                            push_key(key_buf, w, word(m).is_some_and(|c| c.acronym));
                            key_buf.push(SEP);
                        }
                    } else {
                        key_buf.push(SEP);
                    }
                    push_key(key_buf, &sw[i + n - 1], acronym);
                    built = n;
                    let span = Span::new(sw[i].span.start, sw[i + n - 1].span.end);
                    let rank = if *caps { 2 } else { u8::from(i <= *first_wordlike) };
                    let found = match index.get(&h) {
                        Some(&pi) if out.key(&out.phrases[pi as usize]) == key_buf => Some(pi),
                        Some(_) => collided.get(key_buf.as_str()).copied(),
                        None => None,
                    };
                    match found {
                        Some(pi) => {
                            let p = &mut out.phrases[pi as usize];
                            p.more.push(span);
                            if p.last_sentence != si {
                                p.sentences += 1;
                                p.last_sentence = si;
                            }
                            if rank < p.text_rank {
                                p.text = span;
                                p.text_rank = rank;
                            }
                        }
                        None => {
                            let id = out.phrases.len() as u32;
                            match index.entry(h) {
                                std::collections::hash_map::Entry::Occupied(_) => {
                                    collided.insert(key_buf.clone(), id);
                                }
                                std::collections::hash_map::Entry::Vacant(v) => {
                                    v.insert(id);
                                }
                            }
                            let k0 = out.keys.len() as u32;
                            out.keys.push_str(key_buf);
                            out.phrases.push(Phrase {
                                key: (k0, key_buf.len() as u32),
                                text: span,
                                text_rank: rank,
                                first: span,
                                more: Vec::new(),
                                extra: 0,
                                first_sentence: si,
                                sentences: 1,
                                last_sentence: si,
                                acronym: n == 1 && acronym,
                                words: word_hashes,
                                n: n as u8,
                            });
                        }
                    }
                }
            }
        }
        // The texts to display, now that the best occurrence of each phrase is known: copied
        // as they are (their whitespace is tidied for the few phrases returned).
        out.texts.reserve(out.phrases.iter().map(|p| p.text.len()).sum());
        for p in &mut out.phrases {
            let t0 = out.texts.len();
            out.texts.push_str(doc.slice(p.text));
            p.text = Span::new(t0, out.texts.len());
        }
    }

    /// Ranks the phrases and returns the best `k`. `idf(hash, acronym)` is the inverse document
    /// frequency of a word of a phrase: `hash` is [`key_hash`] of the word's key (of its
    /// surface for an acronym), `acronym` the surface when the phrase is one acronym alone.
    pub fn rank(&self, k: usize, idf: impl Fn(u64, Option<&str>) -> f32) -> Vec<Keyword> {
        self.rank_by(k, idf, |h| self.word_count(h))
    }

    /// [`rank`](DocPhrases::rank) with the occurrences of each content word from
    /// `word_count` instead of `word_counts`.
    fn rank_by(
        &self,
        k: usize,
        idf: impl Fn(u64, Option<&str>) -> f32,
        word_count: impl Fn(u64) -> Option<u32>,
    ) -> Vec<Keyword> {
        let sentences = self.sentences.max(1) as f32;
        // Occurrences of each single word, for the cohesion of longer phrases.
        let single = |h: &u64| word_count(*h).unwrap_or(1) as usize;
        let mut scored: Vec<(f32, &Phrase)> = self
            .phrases
            .iter()
            .map(|p| {
                let c = p.count() as f32;
                let words = &p.words[..usize::from(p.n)];
                let n = words.len() as f32;
                let acronym = p.acronym.then(|| self.key(p));
                let idf_mean = words.iter().map(|&h| idf(h, acronym)).sum::<f32>() / n;
                // A phrase counts as a unit only as far as it is not just its most frequent word
                // in passing: `AI toàn cầu` (4) beside `AI` (15) is weak.
                let most = words.iter().map(single).max().unwrap_or(1);
                let cohesion = (c / most as f32).min(1.0).sqrt();
                let spread = p.sentences as f32 / sentences;
                let position = position(p.first_sentence);
                let unit = if n > 1.0 {
                    cohesion * if c >= 2.0 { 1.0 + 0.5 * (n - 1.0) } else { 0.7 }
                } else {
                    1.0
                };
                let raw = tf(p.count())
                    * idf_mean.powf(IDF_POWER)
                    * (0.5 + spread)
                    * (1.0 + position)
                    * unit;
                (raw, p)
            })
            .collect();
        let order = |a: &(f32, &Phrase), b: &(f32, &Phrase)| {
            b.0.total_cmp(&a.0)
                .then(a.1.first.start.cmp(&b.1.first.start))
                .then_with(|| self.key(a.1).cmp(self.key(b.1)))
        };
        // Only the head of the ranking is ever read (a few are skipped as parts of longer
        // phrases): select it, then sort it.
        let head = (k * 8).max(64);
        if scored.len() > head {
            scored.select_nth_unstable_by(head, order);
            scored.truncate(head);
        }
        scored.sort_unstable_by(order);
        let best = scored.first().map_or(1.0, |s| s.0).max(f32::MIN_POSITIVE);
        let mut chosen: Vec<(f32, &Phrase)> = Vec::new();
        for (raw, p) in scored {
            if chosen.len() == k {
                break;
            }
            // A phrase all of whose occurrences lie inside a chosen longer phrase adds nothing.
            let pk = self.key(p);
            let inside = chosen.iter().any(|(_, q)| {
                let qk = self.key(q);
                qk.len() > pk.len() && contains_words(qk, pk) && q.count() >= p.count()
            });
            if !inside {
                chosen.push((raw, p));
            }
        }
        chosen
            .into_iter()
            .map(|(raw, p)| Keyword {
                text: {
                    let mut t = String::new();
                    push_display(&mut t, self.text(p));
                    t
                },
                score: raw / best,
                count: p.count(),
                occurrences: if self.merged { Vec::new() } else { p.occurrences() },
            })
            .collect()
    }
}

/// Whether phrase key `hay` holds the words of phrase key `needle` in a row. Keys are short:
/// a plain scan beats setting up a substring searcher. A match of `needle`'s bytes starts at
/// a char boundary (UTF-8 is self-synchronising), and [`SEP`] is one byte.
fn contains_words(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let sep = SEP as u8;
    let word_starts = std::iter::once(0)
        .chain(h.iter().enumerate().filter(|&(_, &b)| b == sep).map(|(i, _)| i + 1));
    n.len() <= h.len()
        && word_starts
            .take_while(|&i| i + n.len() <= h.len())
            .any(|i| h[i..].starts_with(n) && h.get(i + n.len()).is_none_or(|&b| b == sep))
}

/// IDF given to acronyms, whose lower-case key (`ai`) would be looked up as another word:
/// that of a word in one document out of a hundred.
fn acronym_idf(docs: f32) -> f32 {
    ((docs + 1.0) / (docs / 100.0 + 1.0)).ln() + 1.0
}

/// Ranked key phrases of documents, against the embedded background.
#[derive(Clone, Copy, Debug)]
pub struct KeywordExtractor {
    /// How many phrases to keep.
    pub top_k: usize,
}

impl Default for KeywordExtractor {
    fn default() -> KeywordExtractor {
        KeywordExtractor { top_k: 10 }
    }
}

impl KeywordExtractor {
    /// The key phrases of one document, best first.
    pub fn extract(&self, doc: &Document) -> Vec<Keyword> {
        let bg = Background::embedded();
        let docs = bg.docs() as f32;
        KEPT.with_borrow_mut(|(phrases, scratch)| {
            phrases.collect(doc, Stopwords::embedded(), self.top_k, scratch);
            // Every word of a phrase is a content word, whose background IDF is known.
            let best = phrases.rank(self.top_k, |h, acr| match acr {
                Some(_) => acronym_idf(docs),
                None => scratch
                    .stats
                    .get(&h)
                    .map_or_else(|| bg.idf(h), |&c| scratch.content[c as usize].background_idf),
            });
            // What a long document needed is not kept for the next.
            if phrases.phrases.capacity() > KEPT_PHRASES {
                *phrases = DocPhrases::default();
            }
            scratch.drop_if_large();
            best
        })
    }
}

thread_local! {
    /// The phrases of the thread's last document and the buffers they were collected in:
    /// reused, they spare a short document a dozen allocations (up to [`KEPT_PHRASES`] phrases
    /// and [`KEPT_WORDS`] words; a longer document's are dropped).
    static KEPT: RefCell<(DocPhrases, Scratch)> = RefCell::default();
}

/// Most phrases, and words, whose room is kept for the next document.
const KEPT_PHRASES: usize = 1 << 14;
const KEPT_WORDS: usize = 1 << 16;

/// Keywords of a whole corpus, and per document the phrases that set it apart from the rest.
///
/// The corpus keywords treat the input as one document scored against the embedded background;
/// each document's keywords are scored with document frequencies computed over the input.
/// `docs` holds every document's phrases at once: [`CorpusPhrases`] gives the same results
/// for a corpus too large for that.
pub fn corpus_keywords(docs: &[DocPhrases], k: usize) -> (Vec<Keyword>, Vec<Vec<Keyword>>) {
    let mut corpus = CorpusPhrases::default();
    for d in docs {
        corpus.add(d);
    }
    let per_doc = docs.iter().map(|d| corpus.rank_document(d, k)).collect();
    (corpus.keywords(k), per_doc)
}

/// Most distinct phrases a [`CorpusPhrases`] holds (about 160 bytes each, with their keys,
/// texts and index) before it drops the rarest.
pub const MAX_CORPUS_PHRASES: usize = 1 << 18;
/// Most distinct content words a [`CorpusPhrases`] holds (about 17 bytes each, up to twice that
/// as their map grows) before it drops the rarest.
pub const MAX_CORPUS_WORDS: usize = 1 << 20;

/// The phrases of a corpus, merged document by document in bounded memory: [`add`] each
/// document's phrases, then rank each document against the corpus with [`rank_document`]
/// (`vita keywords --corpus` reads its input a second time for that, so that no document's
/// phrases are kept) and the corpus as one document with [`keywords`]; see
/// [`corpus_keywords`].
///
/// Counts are exact up to [`MAX_CORPUS_PHRASES`] distinct phrases and [`MAX_CORPUS_WORDS`]
/// distinct words; beyond, each time a limit is passed the entries seen least often are
/// dropped until half of it is left (lossy counting: an entry that comes back starts again
/// from zero). Only rare phrases and words are ever dropped, so the best phrases of the
/// corpus keep their counts (89 MB of Wikipedia JSON Lines pass the phrase limit, and their
/// keywords come out the same as counted without it); a rare word's document frequency may
/// come out lower than it is, its weight in a document slightly higher.
///
/// [`add`]: CorpusPhrases::add
/// [`rank_document`]: CorpusPhrases::rank_document
/// [`keywords`]: CorpusPhrases::keywords
#[derive(Clone, Debug)]
pub struct CorpusPhrases {
    docs: usize,
    /// Content word (key hash, surface hash for an acronym) -> (documents, occurrences).
    words: FxHashMap<u64, (u32, u32)>,
    /// The corpus as one document: phrases merged by key, sentences numbered through the
    /// documents (its word counts are in `words`).
    all: DocPhrases,
    /// Where each phrase key is in `all`.
    index: crate::lossy::KeyIndex,
    max_phrases: usize,
    max_words: usize,
}

impl Default for CorpusPhrases {
    fn default() -> CorpusPhrases {
        CorpusPhrases::with_limits(MAX_CORPUS_PHRASES, MAX_CORPUS_WORDS)
    }
}

impl CorpusPhrases {
    /// An empty corpus holding at most `phrases` distinct phrases and `words` distinct words
    /// (see the type's documentation).
    pub fn with_limits(phrases: usize, words: usize) -> CorpusPhrases {
        CorpusPhrases {
            docs: 0,
            words: FxHashMap::default(),
            all: DocPhrases { merged: true, ..DocPhrases::default() },
            index: crate::lossy::KeyIndex::default(),
            max_phrases: phrases.max(2),
            max_words: words.max(2),
        }
    }

    /// Documents added.
    pub fn documents(&self) -> usize {
        self.docs
    }

    /// Adds a document's phrases.
    pub fn add(&mut self, d: &DocPhrases) {
        self.docs += 1;
        for &h in &d.words {
            self.words.entry(h).or_default().0 += 1;
        }
        // An acronym's occurrences are counted under its surface, its documents under its key.
        for &(h, c) in &d.word_counts {
            self.words.entry(h).or_default().1 += c;
        }
        let offset = self.all.sentences;
        for p in &d.phrases {
            let key = d.key(p);
            let h = key_hash(key);
            let all = &self.all;
            match self.index.find(h, key, |i| all.key(&all.phrases[i as usize])) {
                Some(i) => {
                    let q = &mut self.all.phrases[i as usize];
                    q.extra += p.count() as u32;
                    q.sentences += p.sentences;
                }
                None => self.push(d, p, offset, h),
            }
        }
        self.all.sentences += d.sentences;
        if self.all.phrases.len() > self.max_phrases {
            self.drop_rare_phrases();
        }
        if self.words.len() > self.max_words {
            // How often a word was seen: its occurrences, or for an acronym's lower-case key,
            // which counts documents only, its documents.
            let seen = |e: &(u32, u32)| u64::from(e.0.max(e.1));
            let t = crate::lossy::threshold(self.words.values().map(seen), self.max_words / 2);
            self.words.retain(|_, e| seen(e) > t);
        }
    }

    /// Adds phrase `p` of `d`, seen for the first time: the corpus keeps its first text and
    /// occurrence, and counts the others.
    /// `h` is its key's hash.
    fn push(&mut self, d: &DocPhrases, p: &Phrase, offset: usize, h: u64) {
        let key = d.key(p);
        self.index.insert(h, key, self.all.phrases.len() as u32);
        let all = &mut self.all;
        let k0 = all.keys.len() as u32;
        all.keys.push_str(key);
        let t0 = all.texts.len();
        all.texts.push_str(d.text(p));
        all.phrases.push(Phrase {
            key: (k0, key.len() as u32),
            text: Span::new(t0, all.texts.len()),
            more: Vec::new(),
            extra: (p.count() - 1) as u32,
            first_sentence: p.first_sentence + offset,
            ..p.clone()
        });
    }

    /// Drops the phrases seen least often, until at most half the limit is left (in place:
    /// the phrases are not copied, their keys and texts are, compacted).
    fn drop_rare_phrases(&mut self) {
        let counts = self.all.phrases.iter().map(|p| p.count() as u64);
        let t = crate::lossy::threshold(counts, self.max_phrases / 2);
        let DocPhrases { phrases, keys, texts, .. } = &mut self.all;
        phrases.retain(|p| p.count() as u64 > t);
        let (old_keys, old_texts) = (std::mem::take(keys), std::mem::take(texts));
        self.index.clear();
        for (i, p) in phrases.iter_mut().enumerate() {
            let key = &old_keys[p.key.0 as usize..(p.key.0 + p.key.1) as usize];
            self.index.insert(key_hash(key), key, i as u32);
            p.key.0 = keys.len() as u32;
            keys.push_str(key);
            let t0 = texts.len();
            texts.push_str(&old_texts[p.text.start..p.text.end]);
            p.text = Span::new(t0, texts.len());
        }
    }

    /// The inverse document frequency of a content word in the corpus (`Some(surface)` for
    /// an acronym, looked up by its lower-case key).
    fn idf(&self, h: u64, acronym: Option<&str>) -> f32 {
        let h = acronym.map_or(h, |w| key_hash(&w.to_lowercase()));
        let f = self.words.get(&h).map_or(0, |e| e.0) as f32;
        ((self.docs as f32 + 1.0) / (f + 1.0)).ln() + 1.0
    }

    /// The best `k` phrases of one document of the corpus, with document frequencies over
    /// the documents added.
    pub fn rank_document(&self, d: &DocPhrases, k: usize) -> Vec<Keyword> {
        d.rank(k, |h, acr| self.idf(h, acr))
    }

    /// The best `k` phrases of the corpus as one document, against the embedded background.
    /// Their [`occurrences`](Keyword::occurrences) are empty (they lie in many documents);
    /// [`count`](Keyword::count) counts them.
    pub fn keywords(&self, k: usize) -> Vec<Keyword> {
        let bg = Background::embedded();
        let bdocs = bg.docs() as f32;
        self.all.rank_by(
            k,
            |h, acr| if acr.is_some() { acronym_idf(bdocs) } else { bg.idf(h) },
            // (An acronym's key counts its documents, not its occurrences.)
            |h| self.words.get(&h).map(|e| e.1).filter(|&c| c > 0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_resources_parse() {
        assert!(Stopwords::embedded().len() > 1000);
        assert!(Stopwords::embedded().contains("của"));
        assert!(Stopwords::embedded().contains("CÁC"));
        // The embedded list is keys already: read as they are, they make the same set.
        for line in EMBEDDED_STOPWORDS.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                assert_eq!(crate::normalize::key(line), line, "a stopword line is its own key");
            }
        }
        assert_eq!(Stopwords::embedded().set, Stopwords::parse(EMBEDDED_STOPWORDS).set);
        assert!(Background::embedded().docs() > 1000);
    }

    /// The IDF `extract` uses, straight from the background.
    fn background_idf(h: u64, acronym: Option<&str>) -> f32 {
        let bg = Background::embedded();
        if acronym.is_some() { acronym_idf(bg.docs() as f32) } else { bg.idf(h) }
    }

    /// The key phrases of `doc` collected in fresh buffers.
    fn alone(doc: &Document, k: usize) -> Vec<Keyword> {
        let mut phrases = DocPhrases::default();
        phrases.collect(doc, Stopwords::embedded(), k, &mut Scratch::default());
        phrases.rank(k, background_idf)
    }

    proptest::proptest! {
        /// The display form is the text's words joined by single spaces, whether or not the
        /// text is found tidy already.
        #[test]
        fn display_joins_the_words(text in "[a-zà-ỹ \\t\\n\u{a0}\u{2003}\u{3000}\u{1680}\u{1c}]{0,12}") {
            let mut out = String::new();
            push_display(&mut out, &text);
            proptest::prop_assert_eq!(out, text.split_whitespace().collect::<Vec<_>>().join(" "));
        }

        /// Documents in any order get, through the buffers kept between them, the key phrases
        /// each gets alone.
        #[test]
        fn documents_in_a_row_rank_as_alone(texts in proptest::collection::vec(
            "(Hà Nội|AI|GPU|máy tính|trí tuệ|Mỹ|dữ liệu|và|của|[A-ZĐ][a-zơư]{1,4}|[.,\n ]){0,40}",
            1..6,
        )) {
            let p = crate::Pipeline::new().with_layers(crate::Layers::WORDS);
            let ex = KeywordExtractor { top_k: 5 };
            for text in &texts {
                let d = p.annotate(text.as_str());
                proptest::prop_assert_eq!(ex.extract(&d), alone(&d, 5));
            }
        }
    }

    fn corpus_texts() -> Vec<String> {
        // Every document: the same few phrases, and a name of its own (rare phrases and words).
        let names = ["Ba", "Bích", "Cường", "Dũng", "Giang", "Hải", "Lan", "Minh", "Nam", "Tâm"];
        let mut texts = Vec::new();
        for (i, a) in names.iter().enumerate() {
            for (j, b) in names.iter().enumerate() {
                let (c, d) = (names[(i + j) % 10], names[(i * 3 + j) % 10]);
                texts.push(format!(
                    "Trí tuệ nhân tạo thay đổi kinh tế. Ông {a} {b} {c} {d} nói về dữ liệu lớn.\n\
                     Bà {d} {c} {b} đến Hà Nội học trí tuệ nhân tạo."
                ));
            }
        }
        texts
    }

    fn corpus_docs(texts: &[String]) -> Vec<DocPhrases> {
        let p = crate::Pipeline::new().with_layers(crate::Layers::WORDS);
        texts
            .iter()
            .map(|t| DocPhrases::new(&p.annotate(t.as_str()), Stopwords::embedded(), 5))
            .collect()
    }

    /// A corpus counts each phrase's occurrences and sentences over all the documents and
    /// each word's documents; its keywords carry their counts and no spans, a document's its
    /// spans.
    #[test]
    fn corpus_counts_over_documents() {
        let docs = corpus_docs(&corpus_texts());
        let mut c = CorpusPhrases::default();
        for d in &docs {
            c.add(d);
        }
        assert_eq!(c.documents(), docs.len());
        let mut want: FxHashMap<&str, (usize, usize)> = FxHashMap::default();
        for d in &docs {
            for p in &d.phrases {
                let e = want.entry(d.key(p)).or_default();
                e.0 += p.count();
                e.1 += p.sentences;
            }
        }
        assert_eq!(c.all.phrases.len(), want.len());
        for p in &c.all.phrases {
            assert_eq!((p.count(), p.sentences), want[c.all.key(p)], "{}", c.all.key(p));
        }
        for d in &docs {
            for w in &d.words {
                let n = docs.iter().filter(|e| e.words.contains(w)).count();
                assert_eq!(c.words[w].0 as usize, n);
            }
        }
        let best = c.keywords(5);
        assert_eq!(best.len(), 5);
        let top = best.iter().find(|k| k.text == "trí tuệ nhân tạo").expect("the common phrase");
        assert_eq!((top.count, top.occurrences.len()), (200, 0));
        for d in &docs {
            for k in c.rank_document(d, 5) {
                assert_eq!(k.count, k.occurrences.len());
            }
        }
    }

    /// With room for few phrases and words, a corpus drops the rare ones and keeps what it
    /// holds within its limits; the frequent ones keep their counts, so its best keywords are
    /// those counted without limits, and no count is too high.
    #[test]
    fn a_full_corpus_drops_only_rare_entries() {
        let docs = corpus_docs(&corpus_texts());
        let mut small = CorpusPhrases::with_limits(40, 64);
        let mut full = CorpusPhrases::default();
        for d in &docs {
            small.add(d);
            full.add(d);
            assert!(small.all.phrases.len() <= 40 && small.words.len() <= 64);
        }
        let sizes = (full.all.phrases.len(), full.words.len());
        assert!(sizes.0 > 4 * 40 && sizes.1 > 2 * 64, "the limits are hit: {sizes:?}");
        // The four frequent phrases come out the same; a rarer one may have lost occurrences
        // dropped before it came back.
        assert_eq!(small.keywords(4), full.keywords(4));
        let full_counts: FxHashMap<&str, usize> =
            full.all.phrases.iter().map(|p| (full.all.key(p), p.count())).collect();
        for p in &small.all.phrases {
            assert!(p.count() <= full_counts[small.all.key(p)]);
        }
        assert_eq!(small.rank_document(&docs[7], 3).len(), 3);
    }

    /// An acronym's lower-case key counts documents, not occurrences: dropping rare words
    /// keeps it while it is frequent, so its weight in each document stays what it is.
    #[test]
    fn a_full_corpus_keeps_frequent_acronyms() {
        let texts: Vec<String> =
            corpus_texts().iter().map(|t| format!("Công nghệ AI mới. {t}")).collect();
        let docs = corpus_docs(&texts);
        let mut small = CorpusPhrases::with_limits(1 << 20, 16);
        let mut full = CorpusPhrases::default();
        for d in &docs {
            small.add(d);
            full.add(d);
        }
        let ai = key_hash("ai");
        assert_eq!(full.words[&ai], (100, 0), "documents under the key, occurrences under AI");
        assert_eq!(small.words.get(&ai), full.words.get(&ai));
        assert_eq!(small.idf(ai, Some("AI")), full.idf(ai, Some("AI")));
    }

    /// The buffers `extract` keeps from one document to the next change nothing: each
    /// document gets the key phrases it gets alone, long documents (whose buffers are dropped)
    /// and short ones in any order.
    #[test]
    fn kept_buffers_change_no_result() {
        let p = crate::Pipeline::new().with_layers(crate::Layers::WORDS);
        // A frequent word beside rare made-up ones: more phrases than the buffers keep.
        let made_up = |mut i: usize| {
            let mut w = String::from("zq");
            while i > 0 {
                w.push(char::from(b'a' + (i % 26) as u8));
                i /= 26;
            }
            w
        };
        let long: String = (1..12_000)
            .map(|i| format!("Máy tính {} {}. ", made_up(i), made_up(i + 100_000)))
            .collect();
        let p_long = DocPhrases::new(&p.annotate(long.as_str()), Stopwords::embedded(), 10);
        assert!(p_long.phrases.len() > KEPT_PHRASES, "{}", p_long.phrases.len());
        let texts = [
            "Mỹ và Trung Quốc dẫn đầu về trí tuệ nhân tạo. AI cần dữ liệu khổng lồ.",
            long.as_str(),
            "Hà Nội là thủ đô. Hà Nội có nhiều hồ.",
            "",
            "Mỹ và Trung Quốc dẫn đầu về trí tuệ nhân tạo. AI cần dữ liệu khổng lồ.",
            "GPU, GPU và GPU: máy tính, siêu máy tính.",
        ];
        let ex = KeywordExtractor::default();
        for text in texts {
            let d = p.annotate(text);
            assert_eq!(ex.extract(&d), alone(&d, ex.top_k), "{:?}", &text[..text.len().min(40)]);
            // `DocPhrases::new` shares the thread's buffers too.
            let via_new = DocPhrases::new(&d, Stopwords::embedded(), ex.top_k);
            assert_eq!(via_new.rank(ex.top_k, background_idf), alone(&d, ex.top_k));
        }
        assert!(!ex.extract(&p.annotate(texts[0])).is_empty());
    }

    /// The IDF cache answers as the background does, for hashes sharing a slot and for the
    /// hash 0 an empty slot is keyed by.
    #[test]
    fn cached_idf_is_the_background_idf() {
        let bg = Background::embedded();
        let mut cache = Vec::new();
        let same_slot = |i: u64| (i << 52) | 0x1234;
        let hashes = [0, 1, key_hash("máy tính"), key_hash("của"), same_slot(3), same_slot(3) ^ 1];
        for _ in 0..2 {
            for h in hashes {
                assert_eq!(cached_background_idf(&mut cache, h), bg.idf(h), "{h:x}");
            }
        }
        assert_eq!(cache.len(), IDF_CACHE);
    }

    #[test]
    fn tidy_texts() {
        assert!(tidy("máy tính") && tidy("") && tidy("AI"));
        for untidy in [" a", "a ", "a  b", "a\nb", "a\u{a0}b", "a\u{3000}b", "a\u{1680}b"] {
            assert!(!tidy(untidy), "{untidy:?}");
        }
    }

    #[test]
    fn sub_phrases_match_whole_words() {
        let k = |ws: &[&str]| ws.join(&SEP.to_string());
        assert!(contains_words(&k(&["siêu", "máy tính"]), &k(&["máy tính"])));
        assert!(!contains_words(&k(&["siêu", "máy tính"]), "máy"));
        assert!(contains_words(&k(&["a", "b", "c"]), &k(&["a", "b"])));
    }

    #[test]
    fn background_round_trips() {
        let b = Background::from_entries(10, [("hà nội", 3), ("máy tính", 1)].into_iter());
        let c = Background::from_bytes("t", &b.to_bytes()).unwrap();
        assert_eq!(c.docs(), 10);
        assert_eq!(c.idf(key_hash("hà nội")), b.idf(key_hash("hà nội")));
        assert!(c.idf(key_hash("máy tính")) > c.idf(key_hash("hà nội")));
        assert!(Background::from_bytes("t", b"nope").is_err());
        let e = Background::embedded();
        assert_eq!(e.to_bytes(), EMBEDDED_BACKGROUND, "the embedded table is written back as is");
        assert!(e.len() > 10_000);
        assert!(e.idf(key_hash("của")) < e.idf(key_hash("siêu máy tính")));
        let cut = &EMBEDDED_BACKGROUND[..EMBEDDED_BACKGROUND.len() - 1];
        assert!(Background::from_bytes("t", cut).is_err());
    }
}
