//! Named entities: `PER`, `LOC`, `ORG`, `MISC`, from knowledge, context and name structure.
//!
//! The recognizer walks the words of each sentence left to right. At each word it tries, in
//! order:
//!
//! 1. a **title** that announces a person (`ông`, `bà`, `Chủ tịch`, `Thủ tướng`, `PGS.TS.`):
//!    the capitalised name after it is a person, unless it is a known organisation or place
//!    (`Chủ tịch NVIDIA Jensen Huang`: ORG, then PER);
//! 2. a capitalised **organisation trigger** (`Công ty`, `Tập đoàn`, `Bộ`, `Ngân hàng`,
//!    `Trường Đại học`) followed by capitalised words, joined by `và` or `-`:
//!    `Bộ Thông tin và Truyền thông` is one ORG;
//! 3. a **place trigger** (`tỉnh`, `thành phố`, `huyện`, `sông`) followed by a capitalised
//!    name;
//! 4. the longest **known name** (gazetteers of countries, cities, provinces and districts,
//!    and the project's lists of organisations, products and people), with its label from
//!    context when the name has several (`Chủ tịch Hồ Chí Minh` is PER, `Thành phố Hồ Chí
//!    Minh` LOC);
//! 5. the **structure of Vietnamese names**: a known surname followed by capitalised given
//!    names (`Trần Thị Lan`);
//! 6. **list context**: an unknown capitalised foreign name in a list of entities
//!    (`Tencent, Huawei, SenseTime, iFlytek, Megvil...`) takes its neighbours' label.
//!
//! Capitals carry no information in an all-caps heading, so there only known names count; a
//! capitalised word at the start of a sentence is not a name by itself. In text written all
//! in lower case, well-known places (countries, provinces) are still found.

use crate::document::{Document, Entity, EntityLabel, Word};
use crate::span::Span;
use crate::table::{Bytes, Record};
use crate::token::{TokenKind, is_upper};
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::sync::LazyLock;

static EMBEDDED: &str = include_str!("data/entities.tsv");
static EMBEDDED_TAGGER: &[u8] = include_bytes!("data/ner-tagger.bin");

/// A word list as a set, with the longest phrase in it (in syllables).
struct WordSet {
    set: FxHashSet<&'static str>,
    /// Most syllables of an entry.
    longest: usize,
    /// The list's bit in [`W::triggers`] (see [`TRIGGER_STARTS`]).
    bit: u8,
}

impl WordSet {
    /// Trigger list `k` of [`TRIGGER_LISTS`].
    fn from_triggers(k: usize) -> WordSet {
        let (list, bit) = TRIGGER_LISTS[k];
        WordSet {
            set: list.iter().copied().collect(),
            longest: list.iter().map(|p| p.split(' ').count()).max().unwrap_or(1),
            bit,
        }
    }
    fn contains(&self, key: &str) -> bool {
        self.set.contains(key)
    }
    /// The length in bytes of the longest entry that `key` starts with, ending at a syllable
    /// boundary.
    fn prefix_of(&self, key: &str) -> Option<usize> {
        let mut best = None;
        let ends = key.match_indices(' ').map(|(i, _)| i).chain(std::iter::once(key.len()));
        for end in ends.take(self.longest) {
            if self.set.contains(&key[..end]) {
                best = Some(end);
            }
        }
        best
    }
}

/// The trigger lists and their bits in [`W::triggers`].
const TRIGGER_LISTS: [(&[&str], u8); 4] =
    [(PERSON_TITLES, 1), (ORG_TRIGGERS, 2), (LOC_TRIGGERS, 4), (MISC_TRIGGERS, 8)];

/// A filter in front of a set of key hashes: a bit per value of their 12 high bits, so that
/// most hashes not in the set are ruled out by one load instead of a set lookup.
#[derive(Clone, Debug)]
struct HashFilter([u64; 64]);

impl Default for HashFilter {
    fn default() -> HashFilter {
        HashFilter([0; 64])
    }
}

impl HashFilter {
    fn slot(hash: u64) -> (usize, u64) {
        let b = (hash >> 52) as usize;
        (b / 64, 1 << (b % 64))
    }

    fn insert(&mut self, hash: u64) {
        let (word, bit) = Self::slot(hash);
        self.0[word] |= bit;
    }

    /// False when `hash` was never inserted; true when it may have been.
    #[inline]
    fn may_contain(&self, hash: u64) -> bool {
        let (word, bit) = Self::slot(hash);
        self.0[word] & bit != 0
    }
}

/// Key hash of a first syllable -> the bits of the trigger lists with a phrase starting with it:
/// a word starting otherwise skips the checks of a list (a third of all words start a phrase
/// of some list, far fewer of the one asked about).
#[derive(Default)]
struct TriggerStarts {
    filter: HashFilter,
    bits: FxHashMap<u64, u8>,
}

impl TriggerStarts {
    #[inline]
    fn get(&self, hash: u64) -> u8 {
        if !self.filter.may_contain(hash) {
            return 0;
        }
        self.bits.get(&hash).copied().unwrap_or(0)
    }
}

static TRIGGER_STARTS: LazyLock<TriggerStarts> = LazyLock::new(|| {
    let mut t = TriggerStarts::default();
    for (list, bit) in TRIGGER_LISTS {
        for p in list {
            let h = crate::token::key_hash(p.split(' ').next().unwrap_or(p));
            *t.bits.entry(h).or_insert(0) |= bit;
            t.filter.insert(h);
        }
    }
    t
});

static TITLES: LazyLock<WordSet> = LazyLock::new(|| WordSet::from_triggers(0));
static ORGS: LazyLock<WordSet> = LazyLock::new(|| WordSet::from_triggers(1));
static LOCS: LazyLock<WordSet> = LazyLock::new(|| WordSet::from_triggers(2));
static WORKS: LazyLock<WordSet> = LazyLock::new(|| WordSet::from_triggers(3));
static KNOWLEDGE: LazyLock<Knowledge> =
    LazyLock::new(|| Knowledge::parse_with(EMBEDDED, lower_case_key));

/// Longest known name, in words.
const MAX_NAME_WORDS: usize = 8;

/// Words that announce a person; the title is not part of the entity.
const PERSON_TITLES: &[&str] = &[
    "ông",
    "bà",
    "anh",
    "chị",
    "cô",
    "chú",
    "bác",
    "cụ",
    "ngài",
    "em",
    "chủ tịch",
    "phó chủ tịch",
    "thủ tướng",
    "phó thủ tướng",
    "tổng thống",
    "phó tổng thống",
    "bộ trưởng",
    "thứ trưởng",
    "tổng bí thư",
    "giám đốc",
    "phó giám đốc",
    "tổng giám đốc",
    "chủ nhiệm",
    "viện trưởng",
    "hiệu trưởng",
    "giáo sư",
    "tiến sĩ",
    "gs.",
    "pgs.",
    "ts.",
    "ths.",
    "pgs.ts.",
    "gs.ts.",
    "bs.",
    "ks.",
    "nhà văn",
    "nhà thơ",
    "ca sĩ",
    "nghệ sĩ",
    "ceo",
    "nhà sáng lập",
    "đại sứ",
    "thống đốc",
    "thượng nghị sĩ",
    "cầu thủ",
    "hlv",
    "huấn luyện viên",
    "chủ tịch nước",
    "phó giáo sư",
    "nhà khoa học",
    "kỹ sư",
    "luật sư",
    "bác sĩ",
    "trưởng ban",
    "trưởng phòng",
    "người phát ngôn",
    "tỷ phú",
    "doanh nhân",
    "vua",
    "hoàng đế",
    "tướng",
    "đại tướng",
];

/// Titles after which a given name alone may follow (`ông Đức`, not the country).
const KINSHIP: &[&str] = &["ông", "bà", "anh", "chị", "cô", "chú", "bác", "cụ", "em", "ngài"];

/// Organisation words that are not part of the name (`hãng Apple`, `đội bóng Hoàng Anh Gia Lai`).
const GENERIC_ORG_TRIGGERS: &[&str] = &[
    "hãng",
    "hãng tin",
    "hãng xe",
    "hãng hàng không",
    "đội bóng",
    "đội tuyển",
    "câu lạc bộ",
    "clb",
];

/// Organisation words that also announce a name in lower case (`công ty Petrolimex`); the
/// word stays outside the entity then.
const LOWER_ORG_TRIGGERS: &[&str] = &["công ty", "tập đoàn", "ngân hàng", "tổng công ty", "quỹ"];

/// Last words of foreign organisation names.
const ORG_SUFFIXES: &[&str] = &[
    "partners",
    "group",
    "inc",
    "inc.",
    "corp",
    "corp.",
    "corporation",
    "company",
    "co.",
    "ltd",
    "ltd.",
    "llc",
    "plc",
    "holdings",
    "capital",
    "technology",
    "technologies",
    "bank",
    "ventures",
    "airlines",
    "airways",
    "systems",
    "labs",
    "motors",
    "electronics",
    "energy",
    "foundation",
    "institute",
    "university",
    "fund",
    "investment",
    "securities",
    "media",
];

/// Words before the title of a work or an event (`phim Bố Già`, `giải Nobel`).
const MISC_TRIGGERS: &[&str] = &[
    "phim",
    "bộ phim",
    "tác phẩm",
    "tiểu thuyết",
    "cuốn sách",
    "sách",
    "giải",
    "giải thưởng",
    "liên hoan phim",
    "bài hát",
    "ca khúc",
    "vở kịch",
    "album",
    "hệ điều hành",
    "bản",
    "chiến dịch",
    "hiệp định",
    "lễ hội",
];

/// Capitalised words that start an organisation name (`Công ty ABC`).
const ORG_TRIGGERS: &[&str] = &[
    "công ty",
    "tập đoàn",
    "tổng công ty",
    "ngân hàng",
    "bộ",
    "sở",
    "ủy ban",
    "uỷ ban",
    "viện",
    "trường",
    "trường đại học",
    "đại học",
    "học viện",
    "tổng cục",
    "cục",
    "hội",
    "hiệp hội",
    "liên đoàn",
    "quỹ",
    "tổ chức",
    "đài",
    "báo",
    "nhà máy",
    "bệnh viện",
    "trung tâm",
    "văn phòng",
    "tòa án",
    "toà án",
    "đảng",
    "câu lạc bộ",
    "clb",
    "nhà xuất bản",
    "nxb",
    "ban",
    "liên minh",
    "hãng",
    "quân đội",
    "công an",
    "ubnd",
    "hđnd",
];

/// Words before a place name (`tỉnh Sóc Trăng`).
const LOC_TRIGGERS: &[&str] = &[
    "tỉnh",
    "thành phố",
    "tp.",
    "tp",
    "huyện",
    "quận",
    "xã",
    "phường",
    "thị xã",
    "thị trấn",
    "sông",
    "núi",
    "hồ",
    "biển",
    "vịnh",
    "đảo",
    "quần đảo",
    "đèo",
    "cao nguyên",
    "vùng",
    "miền",
    "thủ đô",
    "bang",
    "làng",
    "ấp",
    "khu công nghiệp",
    "khu công nghệ cao",
    "cảng",
    "sân bay",
    "thị trường",
];

/// Words for numbers that a unit or a currency may follow (`hàng tỷ USD`).
const NUMBER_WORDS: &[&str] =
    &["trăm", "nghìn", "ngàn", "vạn", "triệu", "tỷ", "tỉ", "chục", "hàng"];

/// Words that separate the items of a list.
const LIST_SEPARATORS: &[&str] = &[",", "và", "hay", "hoặc", "cùng", "với", "...", "…", "/", ";"];

/// The key of a run of words.
fn key_of<'a>(ws: &[W<'a>]) -> &'a str {
    joined(ws, 0, ws.len())
}

/// Compiled knowledge: known names with their labels, and Vietnamese name parts.
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    /// key -> labels, and which syllables the name writes with a capital (bit i: syllable i).
    names: FxHashMap<String, (Vec<EntityLabel>, u32)>,
    prefixes: FxHashSet<String>,
    /// Known places that also count in lower-case text (countries, provinces).
    well_known: FxHashSet<String>,
    /// Key hashes of the first syllables of the names written with a lower-case start
    /// (`châu Âu`, `iPhone`).
    lower_starts: FxHashSet<u64>,
    /// In front of `lower_starts`: most words are ruled out without a set lookup.
    lower_start_filter: HashFilter,
    surnames: FxHashSet<String>,
    middles: FxHashSet<String>,
    given: FxHashSet<String>,
    /// Words written with a capital that are not names (`Internet`).
    terms: FxHashSet<String>,
}

impl Knowledge {
    /// The knowledge embedded in the binary.
    pub fn embedded() -> &'static Knowledge {
        &KNOWLEDGE
    }

    /// Parses `LABEL<TAB>name` lines (`PER`, `LOC`, `LOC*` for well-known places, `ORG`,
    /// `MISC`; `SURNAME`, `MIDDLE`, `GIVEN` for parts of Vietnamese names; `TERM` for words
    /// written with a capital that are not names); `#` starts a comment
    /// line. The capitals of a name are required in text (`Hòa Bình` the province, not
    /// `hòa bình` peace), except in all-caps headings and in text without capitals.
    pub fn parse(text: &str) -> Knowledge {
        let mut keys = crate::normalize::Keys::default();
        Knowledge::parse_with(text, |name| keys.key(name))
    }

    /// [`Knowledge::parse`] with `key` making the key of a name.
    fn parse_with<'a>(text: &'a str, mut key: impl FnMut(&'a str) -> String) -> Knowledge {
        let mut k = Knowledge::default();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((label, name)) = line.split_once('\t') else { continue };
            let key = key(name);
            let label = match label {
                "PER" => EntityLabel::Per,
                "LOC" => EntityLabel::Loc,
                "LOC*" => {
                    k.well_known.insert(key.clone());
                    EntityLabel::Loc
                }
                "ORG" => EntityLabel::Org,
                "MISC" => EntityLabel::Misc,
                "SURNAME" => {
                    k.surnames.insert(key);
                    continue;
                }
                "MIDDLE" => {
                    k.middles.insert(key);
                    continue;
                }
                "GIVEN" => {
                    k.given.insert(key);
                    continue;
                }
                "TERM" => {
                    k.terms.insert(key);
                    continue;
                }
                _ => continue,
            };
            if !name.chars().next().is_some_and(is_upper) {
                let h = crate::token::key_hash(key.split(' ').next().unwrap_or(""));
                k.lower_starts.insert(h);
                k.lower_start_filter.insert(h);
            }
            let mask = name
                .split_whitespace()
                .enumerate()
                .filter(|(_, s)| s.chars().next().is_some_and(is_upper))
                .fold(0u32, |m, (i, _)| m | (1u32 << i.min(31)));
            let mut prefix = String::new();
            for (i, part) in key.split(' ').enumerate() {
                if i > 0 {
                    prefix.push(' ');
                }
                prefix.push_str(part);
                k.prefixes.insert(prefix.clone());
            }
            let entry = k.names.entry(key).or_insert((Vec::new(), mask));
            if !entry.0.contains(&label) {
                entry.0.push(label);
            }
            // The least demanding spelling of the name counts.
            entry.1 &= mask;
        }
        k
    }

    /// Number of known names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no name is known.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The labels of a known name (by key).
    pub fn labels(&self, key: &str) -> &[EntityLabel] {
        self.names.get(key).map_or(&[], |e| e.0.as_slice())
    }

    /// Whether `key` is a word written with a capital that is not a name (`internet`).
    pub fn is_term(&self, key: &str) -> bool {
        self.terms.contains(key)
    }
}

/// The key of a name already in NFC with the traditional tone placement and without
/// invisibles, such as every name of the embedded knowledge (tested): its lower case, words
/// separated by one space. The embedded names are read this way at start-up instead of
/// through [`crate::normalize::key`] (3 ms).
fn lower_case_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(part.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Finds named entities: rules over the knowledge, and a trained tagger for the names the
/// rules find but cannot label.
#[derive(Clone)]
pub struct EntityRecognizer {
    /// `None` for the embedded knowledge, parsed the first time it is needed (not when the
    /// recognizer is made: a pipeline is made before its input is read).
    knowledge: Option<&'static Knowledge>,
    tagger: TaggerChoice,
}

/// Which tagger a recognizer uses; the embedded one is parsed the first time it is needed.
#[derive(Clone)]
enum TaggerChoice {
    None,
    Embedded,
    Given(std::sync::Arc<Tagger>),
}

impl Default for EntityRecognizer {
    /// The embedded knowledge and tagger.
    fn default() -> EntityRecognizer {
        EntityRecognizer { knowledge: None, tagger: TaggerChoice::Embedded }
    }
}

impl EntityRecognizer {
    /// Rules only, with the given knowledge (the trainer's silver labeller).
    pub fn rules_only(knowledge: &'static Knowledge) -> EntityRecognizer {
        EntityRecognizer { knowledge: Some(knowledge), tagger: TaggerChoice::None }
    }

    /// Uses `tagger` (one trained by `vita-train ner`) instead of the embedded one.
    pub fn with_tagger(mut self, tagger: Tagger) -> EntityRecognizer {
        self.tagger = TaggerChoice::Given(std::sync::Arc::new(tagger));
        self
    }

    fn knowledge(&self) -> &'static Knowledge {
        self.knowledge.unwrap_or_else(Knowledge::embedded)
    }

    fn tagger(&self) -> Option<&Tagger> {
        match &self.tagger {
            TaggerChoice::None => None,
            TaggerChoice::Embedded => Some(Tagger::embedded()),
            TaggerChoice::Given(t) => Some(t),
        }
    }
}

/// What the recognizer knows about one word of a sentence.
struct W<'a> {
    key: &'a str,
    /// The sentence's key buffer, and where this word's key is in it.
    buf: &'a str,
    ks: usize,
    ke: usize,
    text: &'a str,
    /// The bits of the trigger lists with a phrase that may begin at this word (its first
    /// syllable begins one).
    triggers: u8,
    /// Number of syllables.
    syllables: usize,
    /// Key hash of the first syllable.
    first_hash: u64,
    /// First letter upper case.
    cap: bool,
    /// Made of Vietnamese syllables only.
    vietnamese: bool,
    /// Made of letters (syllables, foreign words, abbreviations).
    letters: bool,
}

impl W<'_> {
    /// Whether the word is a number (`2.000`, `500`, `hàng tỷ`): what a unit may follow.
    fn number(&self) -> bool {
        self.key.as_bytes().first().is_some_and(u8::is_ascii_digit)
            || NUMBER_WORDS.contains(&self.key.rsplit(' ').next().unwrap_or(self.key))
    }
}

/// Whether a sentence is an all-caps heading, and whether it has no capital at all.
fn sentence_case(doc: &Document, sw: &[Word]) -> (bool, bool) {
    let tokens = &doc.tokens()[sw[0].tokens.start..sw[sw.len() - 1].tokens.end];
    let caps = crate::word::model::is_caps_sentence(tokens);
    let lower = !tokens.iter().any(|t| t.case & crate::token::case::HAS_UPPER != 0);
    (caps, lower)
}

/// The recognizer's view of the words of one sentence; their keys are written into `keys`.
fn sentence_words<'a>(
    doc: &'a Document,
    sw: &[Word],
    caps: bool,
    keys: &'a mut String,
) -> Vec<W<'a>> {
    sentence_words_with(doc, sw, caps, keys, doc.keys_in_place())
}

/// [`sentence_words`], with the keys read `in_place` in the document's buffer or written to
/// `keys` (tests compare the two).
fn sentence_words_with<'a>(
    doc: &'a Document,
    sw: &[Word],
    caps: bool,
    keys: &'a mut String,
    in_place: bool,
) -> Vec<W<'a>> {
    // Keys are separated by spaces, so the key of any run of words is a slice of a buffer: the
    // document's own, where each token's key is followed by a space, or else one written here.
    if !in_place {
        for (j, w) in sw.iter().enumerate() {
            if j > 0 {
                keys.push(' ');
            }
            for (k, t) in doc.tokens()[w.tokens.clone()].iter().enumerate() {
                if k > 0 {
                    keys.push(' ');
                }
                keys.push_str(doc.norm(t));
            }
        }
    }
    let buf: &'a str = if in_place { doc.norms() } else { keys };
    let starts = &*TRIGGER_STARTS;
    // Where the next word's key starts in `keys` (when not in place).
    let mut at = 0;
    sw.iter()
        .map(|w| {
            let r = if in_place {
                doc.keys_range(w.tokens.clone())
            } else {
                let len: usize = doc.tokens()[w.tokens.clone()]
                    .iter()
                    .map(|t| doc.norm(t).len() + 1)
                    .sum::<usize>()
                    - 1;
                let r = at..at + len;
                at += len + 1;
                r
            };
            let toks = &doc.tokens()[w.tokens.clone()];
            let first = &toks[0];
            W {
                key: &buf[r.clone()],
                buf,
                ks: r.start,
                ke: r.end,
                text: doc.slice(w.span),
                // The first token's key is the first syllable; its hash is already known.
                triggers: starts.get(first.hash),
                first_hash: first.hash,
                syllables: toks.len(),
                cap: !caps && first.case & crate::token::case::FIRST_UPPER != 0,
                vietnamese: toks.iter().all(|t| t.kind == TokenKind::Syllable),
                letters: toks.iter().all(|t| t.kind.is_wordlike()),
            }
        })
        .collect()
}

/// One sentence as the recognizer reads it.
#[derive(Clone, Copy)]
struct SentenceView<'s, 'a> {
    /// Index of its first word in the document.
    start: usize,
    sw: &'s [Word],
    ws: &'s [W<'a>],
    /// An all-caps heading; no capital at all.
    caps: bool,
    lower: bool,
}

/// Calls `f` with each non-empty sentence of `run`, read by [`sentence_words`].
fn each_sentence(doc: &Document, run: std::ops::Range<usize>, mut f: impl FnMut(SentenceView)) {
    let mut keys = String::new();
    for (start, sw) in doc.words_of_sentences(run) {
        if sw.is_empty() {
            continue;
        }
        let (caps, lower) = sentence_case(doc, sw);
        keys.clear();
        let ws = sentence_words(doc, sw, caps, &mut keys);
        f(SentenceView { start, sw, ws: &ws, caps, lower });
    }
}

/// The key of the `n` words from `i`: a slice of the sentence's key buffer.
fn joined<'a>(ws: &[W<'a>], i: usize, n: usize) -> &'a str {
    &ws[i].buf[ws[i].ks..ws[i + n - 1].ke]
}

impl EntityRecognizer {
    /// The entities of `doc`, in text order, never overlapping.
    pub fn recognize(&self, doc: &Document) -> Vec<Entity> {
        self.recognize_sentences(doc, 0..doc.sentences().len())
    }

    /// The entities of the sentences `run` of `doc` (each sentence is read on its own, so
    /// runs can be recognized in parallel and put together).
    pub fn recognize_sentences(&self, doc: &Document, run: std::ops::Range<usize>) -> Vec<Entity> {
        let mut out = Vec::new();
        each_sentence(doc, run, |s| self.sentence(&s, &mut out));
        out
    }

    /// The capitalised names the rules find in `doc` but cannot label (no trigger, not known,
    /// no labelled neighbour in a list), as word ranges: what the tagger decides on.
    pub fn candidates(&self, doc: &Document) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        each_sentence(doc, 0..doc.sentences().len(), |s| {
            for (a, b, label) in self.rules(s.ws, s.sw, s.caps, s.lower) {
                if label.is_none() && open_name(s.ws, a, b, self.knowledge()) {
                    out.push(s.start + a..s.start + b);
                }
            }
        });
        out
    }

    fn sentence(&self, s: &SentenceView, out: &mut Vec<Entity>) {
        let SentenceView { start: offset, sw, ws, caps, lower } = *s;
        let mut found = self.rules(ws, sw, caps, lower);
        // The trained tagger labels the capitalised names the rules found but could not
        // label (`ở Florida`); it may also say they are not names (`dịp Tết`), or not be sure.
        // Only those words are tagged, and the tagger is loaded once a name first needs it
        // (a short text starts faster).
        for f in
            found.iter_mut().filter(|f| f.2.is_none() && open_name(ws, f.0, f.1, self.knowledge()))
        {
            let Some(tagger) = self.tagger() else { break };
            // The label is the one the first word begins (B-); the tag after it is decided
            // with it, so the tagger is asked about the first word only.
            self.each_features(ws, caps, lower, f.0..f.0 + 1, |x| f.2 = tagger.begins(&x));
        }
        for (a, b, label) in found {
            if let Some(label) = label {
                out.push(Entity {
                    span: Span::new(sw[a].span.start, sw[b - 1].span.end),
                    words: offset + a..offset + b,
                    label,
                });
            }
        }
    }

    /// The names the rules find in one sentence, as word ranges; `None` for a capitalised
    /// name they cannot label.
    fn rules(
        &self,
        ws: &[W],
        sw: &[Word],
        caps: bool,
        lower: bool,
    ) -> Vec<(usize, usize, Option<EntityLabel>)> {
        // The first word made of letters: its capital says nothing.
        let first = ws.iter().position(|w| w.letters).unwrap_or(0);
        let mut found: Vec<(usize, usize, Option<EntityLabel>)> = Vec::new(); // (start, end, label)
        // The trigger lists, dereferenced once (each use of a lazy static checks that it is
        // made).
        let (titles, orgs, locs, works): (&WordSet, &WordSet, &WordSet, &WordSet) =
            (&TITLES, &ORGS, &LOCS, &WORKS);
        let kn = self.knowledge();
        let mut i = 0;
        let mut expect_person = false;
        // Whether the last title was a kinship one (`ông Đức`: a given name may follow).
        let mut kinship = false;
        while i < ws.len() {
            // 1. A title: the name after it is a person.
            if let Some(n) = self.phrase_in(ws, i, titles)
                && ws.get(i + n).is_some_and(|w| w.cap)
            {
                expect_person = true;
                kinship = KINSHIP.contains(&ws[i].key);
                i += n;
                continue;
            }
            // 2. An organisation trigger, written with a capital, and a capitalised name.
            // The trigger may also begin a longer word (`Viện_Nghiên_cứu`): then the name
            // starts inside that word, and what follows the trigger there has a capital.
            let inside = ws[i].cap
                && Self::prefix_in(ws, i, orgs).is_some_and(|t| {
                    t < ws[i].key.len() && {
                        // The trigger's syllables, then a capital.
                        let syllables = ws[i].key[..t].split(' ').count();
                        ws[i]
                            .text
                            .split_whitespace()
                            .nth(syllables)
                            .is_some_and(|p| p.chars().next().is_some_and(is_upper))
                    }
                });
            let org_trigger = if inside {
                Some(1)
            } else {
                self.phrase_in(ws, i, orgs)
                    .filter(|&n| ws.get(i + n).is_some_and(|w| w.cap))
                    .filter(|&n| {
                        let k = key_of(&ws[i..i + n]);
                        // In lower case (`công ty Petrolimex`), a name must follow: known, or
                        // written like one; not an acronym used as a noun (`công ty AI`).
                        let named = || {
                            let next = &ws[i + n];
                            self.known_in(kn, ws, i + n, caps, lower).is_some()
                                || next.text.chars().any(char::is_lowercase)
                        };
                        ws[i].cap
                            || ((GENERIC_ORG_TRIGGERS.contains(&k)
                                || LOWER_ORG_TRIGGERS.contains(&k))
                                && named())
                    })
            };
            if let Some(n) = org_trigger {
                // Generic words (`hãng`, `đội bóng`) and lower-case triggers stay outside.
                let outside = !inside
                    && (!ws[i].cap || GENERIC_ORG_TRIGGERS.contains(&key_of(&ws[i..i + n])));
                let name_start = if inside { i } else { i + n };
                let mut end = if inside {
                    if ws.get(i + 1).is_some_and(|w| w.cap) {
                        self.name_end(ws, i + 1, true)
                    } else {
                        i + 1
                    }
                } else {
                    self.name_end(ws, i + n, true)
                };
                let start = if outside { name_start } else { i };
                // A known name may be longer than what capitals show (`Trường Đại học Kinh tế
                // Quốc dân`), or not an organisation at all (`Đài Loan`).
                let mut label = EntityLabel::Org;
                if let Some((kend, labels)) = self.known_in(kn, ws, start, caps, lower)
                    && kend >= end
                {
                    end = kend;
                    if !labels.contains(&EntityLabel::Org) {
                        label = labels[0];
                    }
                }
                found.push((start, end, Some(label)));
                expect_person = false;
                i = end;
                continue;
            }
            // 4. The longest known name (before place triggers: `Thành phố Hồ Chí Minh`).
            // After a kinship title, a one-syllable place is a given name (`ông Đức`).
            let known = self.known_in(kn, ws, i, caps, lower).filter(|(end, labels)| {
                !(expect_person
                    && kinship
                    && *end == i + 1
                    && ws[i].vietnamese
                    && !ws[i].key.contains(' ')
                    && !labels.contains(&EntityLabel::Org))
            });
            if let Some((end, labels)) = known {
                let label = if expect_person && labels.contains(&EntityLabel::Per) {
                    EntityLabel::Per
                } else if i > 0
                    && self.phrase_ending_at(ws, i, locs)
                    && labels.contains(&EntityLabel::Loc)
                {
                    EntityLabel::Loc
                } else {
                    labels[0]
                };
                // `tiếng Anh` is a language, not England.
                let language = i > 0 && ws[i - 1].key == "tiếng";
                if !language {
                    found.push((i, end, Some(label)));
                }
                if label == EntityLabel::Per {
                    expect_person = false;
                }
                i = end;
                continue;
            }
            // 3. A place trigger and a capitalised name (a known one may be longer:
            // `tỉnh Bà Rịa - Vũng Tàu`); a work trigger (`phim`, `tác phẩm`) and its title.
            for (triggers, label) in [(locs, EntityLabel::Loc), (works, EntityLabel::Misc)] {
                if let Some(n) = self.phrase_in(ws, i, triggers)
                    && ws.get(i + n).is_some_and(|w| w.cap && w.letters)
                {
                    let mut end = self.name_end(ws, i + n, false);
                    if let Some((kend, _)) = self.known_in(kn, ws, i + n, caps, lower) {
                        end = end.max(kend);
                    }
                    found.push((i + n, end, Some(label)));
                    expect_person = false;
                    i = end;
                    break;
                }
            }
            // 5. A Vietnamese name: surname and given names; 6. after a title, any capitalised
            // run.
            if i < ws.len() && ws[i].cap && ws[i].letters {
                let end = self.name_end(ws, i, false);
                let syllables: usize = sw[i..end].iter().map(|w| w.tokens.len()).sum();
                let structured = ws[i].vietnamese
                    && ws[i..end].iter().all(|w| w.vietnamese)
                    && self.is_person_name(&ws[i..end], syllables);
                if expect_person || structured {
                    found.push((i, end, Some(EntityLabel::Per)));
                    expect_person = false;
                    i = end;
                    continue;
                }
                // An unknown capitalised name, not at the start of the sentence: a candidate
                // for list context.
                let every_capital = ws[i..end].iter().all(|w| {
                    w.text.split_whitespace().all(|p| p.chars().next().is_some_and(is_upper))
                });
                let title = self.phrase_in(ws, i, titles).is_some();
                // A foreign name ending in `Partners`, `Group`, `Technology`... is an
                // organisation.
                let org_suffix = end - i >= 2
                    && !ws[end - 1].vietnamese
                    && ORG_SUFFIXES.contains(&ws[end - 1].key);
                if org_suffix {
                    found.push((i, end, Some(EntityLabel::Org)));
                    i = end;
                    continue;
                }
                if i != first && end - i <= 3 && every_capital && !title {
                    found.push((i, end, None));
                    i = end;
                    continue;
                }
                // Not a name as a whole: a known name may start inside (`Cả Hoa Kỳ`).
                i += 1;
                continue;
            }
            if i < ws.len() {
                expect_person = false;
                i += 1;
            }
        }
        self.list_context(ws, &mut found);
        found
    }

    /// The number of words of the phrase from `list` starting at `i`, if any (longest).
    /// Inlined: most words cannot start a phrase, and say so with one flag (the call to the
    /// search was 40 instructions per word, three times per word).
    #[inline]
    fn phrase_in(&self, ws: &[W], i: usize, list: &WordSet) -> Option<usize> {
        if ws[i].triggers & list.bit == 0 {
            return None;
        }
        self.phrase_from(ws, i, list)
    }

    /// [`WordSet::prefix_of`] the key of word `i`, for a word whose first syllable may begin
    /// a phrase of `list` (an entry the key starts with begins with its first syllable).
    #[inline]
    fn prefix_in(ws: &[W], i: usize, list: &WordSet) -> Option<usize> {
        if ws[i].triggers & list.bit == 0 {
            return None;
        }
        list.prefix_of(ws[i].key)
    }

    fn phrase_from(&self, ws: &[W], i: usize, list: &WordSet) -> Option<usize> {
        let mut best = None;
        let mut syllables = 0;
        for n in 1..=3.min(ws.len() - i) {
            syllables += ws[i + n - 1].syllables;
            if syllables > list.longest {
                break;
            }
            if list.contains(joined(ws, i, n)) {
                best = Some(n);
            }
        }
        best
    }

    /// Whether a phrase from `list` ends just before word `i`.
    fn phrase_ending_at(&self, ws: &[W], i: usize, list: &WordSet) -> bool {
        (1..=3.min(i)).any(|n| list.contains(joined(ws, i - n, n)))
    }

    /// The end of a capitalised name starting at `i`: capitalised words, and with
    /// `connectors`, `và` or `-` between two of them.
    fn name_end(&self, ws: &[W], i: usize, connectors: bool) -> usize {
        let mut end = i;
        while end < ws.len() {
            // An organisation's name ends where a person's begins (`Bộ Y tế Nguyễn Văn A`).
            if connectors && end > i && self.person_starts_at(ws, end) {
                break;
            }
            if ws[end].cap && ws[end].letters {
                end += 1;
            } else if connectors
                && matches!(ws[end].key, "và" | "-" | "–")
                && ws.get(end + 1).is_some_and(|w| w.cap && w.letters)
                // `A và Trường B` are two organisations.
                && self.phrase_in(ws, end + 1, &ORGS).is_none()
                && Self::prefix_in(ws, end + 1, &ORGS).is_none()
            {
                end += 2;
            } else {
                break;
            }
        }
        end.max(i + 1).min(ws.len())
    }

    /// The longest known name starting at word `i`, with its labels.
    /// Inlined, as [`Self::phrase_in`]: most words are not the start of a known name. Without a
    /// capital (in normal text), only the few names written with a lower-case start can begin
    /// here.
    #[inline]
    fn known(
        &self,
        ws: &[W],
        i: usize,
        caps: bool,
        lower: bool,
    ) -> Option<(usize, &[EntityLabel])> {
        self.known_in(self.knowledge(), ws, i, caps, lower)
    }

    /// [`Self::known`] with the knowledge at hand (the rules look it up once per sentence).
    /// Always inlined: the rules ask at every word, and most are settled by the first test
    /// (a call was a third of its cost).
    #[inline(always)]
    fn known_in<'k>(
        &self,
        k: &'k Knowledge,
        ws: &[W],
        i: usize,
        caps: bool,
        lower: bool,
    ) -> Option<(usize, &'k [EntityLabel])> {
        let h = ws[i].first_hash;
        let lower_start = || k.lower_start_filter.may_contain(h) && k.lower_starts.contains(&h);
        if !caps && !lower && !ws[i].cap && !lower_start() {
            return None;
        }
        self.known_from(k, ws, i, caps, lower)
    }

    fn known_from<'k>(
        &self,
        k: &'k Knowledge,
        ws: &[W],
        i: usize,
        caps: bool,
        lower: bool,
    ) -> Option<(usize, &'k [EntityLabel])> {
        let sentence_start = ws.iter().position(|w| w.letters).unwrap_or(0);
        let mut best = None;
        for n in 1..=MAX_NAME_WORDS.min(ws.len() - i) {
            let key = joined(ws, i, n);
            if !k.prefixes.contains(key) {
                break;
            }
            let Some((labels, mask)) = k.names.get(key) else { continue };
            // Written as a name: the capitals the name has (`châu Âu`, `Hòa Bình`), or an
            // all-caps heading, or a well-known place in text without capitals.
            let capitals_match = || {
                let syllables = ws[i..i + n].iter().flat_map(|w| w.text.split_whitespace());
                syllables.enumerate().all(|(j, s)| {
                    mask & (1 << j.min(31)) == 0 || s.chars().next().is_some_and(is_upper)
                })
            };
            // A lower-case place word in front (`tỉnh Sóc Trăng`) is a trigger, not part of
            // the name; so is a capitalised one at the start of a sentence (`Tỉnh Cà Mau`).
            let trigger_first = Self::prefix_in(ws, i, &LOCS).is_some();
            let lower_trigger = !caps && trigger_first && (!ws[i].cap || i == sentence_start);
            let ok = if lower_trigger {
                false
            } else if caps {
                true
            } else if lower {
                key.contains(' ') && k.well_known.contains(key)
            } else if *mask == 0 {
                // A name without capitals (`iPhone`, `iOS`): a foreign word, not a syllable.
                n == 1 && !ws[i].vietnamese && ws[i].text.chars().any(is_upper)
            } else {
                capitals_match()
            };
            if ok {
                best = Some((i + n, labels.as_slice()));
            }
        }
        best
    }

    /// Whether a person's name (known, or surname + given names) starts at word `i`.
    fn person_starts_at(&self, ws: &[W], i: usize) -> bool {
        if let Some((_, labels)) = self.known(ws, i, false, false)
            && labels.contains(&EntityLabel::Per)
        {
            return true;
        }
        let mut syllables = 0;
        for end in i..ws.len().min(i + 4) {
            if !(ws[end].cap && ws[end].vietnamese) {
                break;
            }
            syllables += ws[end].key.split(' ').count();
            if syllables >= 3 && self.is_person_name(&ws[i..=end], syllables) {
                return true;
            }
        }
        false
    }

    /// Surname + given names, each syllable capitalised: `Trần Thị Lan`, `Lê Quang Đạm`; two
    /// syllables only with a known given name (`Lê Lợi`).
    fn is_person_name(&self, ws: &[W], syllables: usize) -> bool {
        let k = self.knowledge();
        if !(2..=4).contains(&syllables) {
            return false;
        }
        let mut parts = ws.iter().flat_map(|w| w.key.split(' '));
        let texts = ws.iter().flat_map(|w| w.text.split_whitespace());
        let mut n_texts = 0;
        for t in texts {
            n_texts += 1;
            if !t.chars().next().is_some_and(is_upper) {
                return false;
            }
        }
        if n_texts != syllables || !parts.next().is_some_and(|p| k.surnames.contains(p)) {
            return false;
        }
        let rest: Vec<&str> = parts.collect();
        let Some((last, middle)) = rest.split_last() else { return false };
        if syllables == 2 {
            return k.given.contains(*last);
        }
        middle.iter().all(|m| k.middles.contains(*m) || k.given.contains(*m))
            || k.given.contains(*last)
    }

    /// Unknown capitalised names in a list take the label their labelled neighbours agree on.
    fn list_context(&self, ws: &[W], found: &mut [(usize, usize, Option<EntityLabel>)]) {
        let separated = |a: usize, b: usize| {
            // words strictly between two entities are all list separators
            (a..b).all(|k| LIST_SEPARATORS.contains(&ws[k].key))
        };
        for _ in 0..2 {
            for j in 0..found.len() {
                if found[j].2.is_some() {
                    continue;
                }
                let mut votes: Vec<EntityLabel> = Vec::new();
                if j > 0 && separated(found[j - 1].1, found[j].0) {
                    votes.extend(found[j - 1].2);
                }
                if j + 1 < found.len() && separated(found[j].1, found[j + 1].0) {
                    votes.extend(found[j + 1].2);
                }
                if let Some(&l) = votes.first()
                    && votes.iter().all(|&v| v == l)
                {
                    found[j].2 = Some(l);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{LABELS, MIN_MARGIN, TAGS, Tagger};

    /// A tagger whose only weights are the bias feature's scores.
    fn biased(scores: [f32; TAGS]) -> (Tagger, Vec<u32>) {
        let f = super::fhash(&["bias"]);
        let mut weights = vec![0.0; super::BUCKETS * TAGS];
        weights[f as usize * TAGS..(f as usize + 1) * TAGS].copy_from_slice(&scores);
        (Tagger::from_weights(&weights), vec![f])
    }

    #[test]
    fn every_trigger_phrase_starts_where_its_list_is_looked_for() {
        use super::{LOCS, ORGS, TITLES, TRIGGER_STARTS, WORKS};
        for list in [&*TITLES, &*ORGS, &*LOCS, &*WORKS] {
            for p in &list.set {
                let first = p.split(' ').next().unwrap();
                let h = crate::token::key_hash(first);
                assert_ne!(TRIGGER_STARTS.get(h) & list.bit, 0, "{p}");
                // The filter never hides a start; most other words are turned away by it.
                assert!(TRIGGER_STARTS.filter.may_contain(h));
            }
        }
        let others = ["hôm", "nay", "trời", "đẹp", "và", "máy", "tính", "của", "chúng", "tôi"];
        let through = others
            .iter()
            .filter(|w| TRIGGER_STARTS.filter.may_contain(crate::token::key_hash(w)))
            .count();
        assert!(through <= 3, "{through} of {} common words pass the filter", others.len());
    }

    /// The embedded names are read with their lower case as key: for every one of them, that
    /// is the key normalization gives.
    #[test]
    fn word_keys_are_the_same_in_place_or_written() {
        let doc = crate::Pipeline::new().annotate(
            "Ông Nguyễn Văn An đến Thành phố Hồ Chí Minh. Công ty FPT, iPhone 15 và \
             Hoà Bình!\n\nKhổng \nlồ, 2024-10-01 (UNESCO).",
        );
        let mut n = 0;
        for (_, sw) in doc.words_by_sentence() {
            let (mut a, mut b) = (String::new(), String::new());
            let here = super::sentence_words_with(&doc, sw, false, &mut a, true);
            let written = super::sentence_words_with(&doc, sw, false, &mut b, false);
            assert_eq!(here.len(), written.len());
            for i in 0..here.len() {
                assert_eq!(here[i].key, written[i].key);
                assert_eq!(here[i].key, doc.word_norm(&sw[i]));
                for len in 1..=here.len() - i {
                    assert_eq!(super::joined(&here, i, len), super::joined(&written, i, len));
                    n += 1;
                }
            }
        }
        assert!(n > 50, "{n} runs of words compared");
    }

    #[test]
    fn embedded_names_are_their_own_keys_in_lower_case() {
        let mut n = 0;
        for line in super::EMBEDDED.lines().filter(|l| !l.starts_with('#')) {
            if let Some((_, name)) = line.split_once('\t') {
                assert_eq!(super::lower_case_key(name), crate::normalize::key(name), "{line}");
                n += 1;
            }
        }
        assert!(n > 2000, "{n} names");
        assert_eq!(super::lower_case_key("Hoà  Bình"), "hoà bình", "no tone placement");
        let k = super::Knowledge::embedded();
        assert_eq!(k.len(), super::Knowledge::parse(super::EMBEDDED).len());
    }

    #[test]
    fn the_embedded_tagger_reads_and_writes_back_the_same_bytes() {
        let t = Tagger::from_bytes(super::EMBEDDED_TAGGER).unwrap();
        assert_eq!(t.to_bytes(), super::EMBEDDED_TAGGER);
        let e = Tagger::embedded();
        use std::borrow::Cow::Borrowed;
        assert!(matches!((&e.rows, &e.table), (Borrowed(_), Borrowed(_))), "in place");
        assert!(Tagger::from_bytes(&super::EMBEDDED_TAGGER[..100]).is_err());
        let (t, _) = biased([0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.0]);
        assert_eq!(Tagger::from_bytes(&t.to_bytes()).unwrap().to_bytes(), t.to_bytes());
        assert!(Tagger::from_bytes(b"nonsense").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// A damaged tagger file is an error or a tagger that scores without a panic (a row
        /// index past the weights counts as no row).
        #[test]
        fn damaged_taggers_never_panic(
            edits in proptest::collection::vec((0.0f64..1.0, proptest::prelude::any::<u8>()), 1..16),
            feats in proptest::collection::vec(0u32..super::BUCKETS as u32 + 10, 21),
        ) {
            let mut bytes = super::EMBEDDED_TAGGER.to_vec();
            let last = bytes.len() - 1;
            for &(at, b) in &edits {
                bytes[(((at * at) * last as f64) as usize).min(last)] = b;
            }
            if let Ok(t) = Tagger::from_bytes(&bytes) {
                let _ = t.begins(&feats);
            }
        }
    }

    #[test]
    fn tagger_labels_only_a_sure_beginning() {
        // Tags: O, B-PER, I-PER, B-LOC, I-LOC, B-ORG, I-ORG, B-MISC, I-MISC.
        let (t, f) = biased([0.0, 1.0, 0.0, 1.0 + MIN_MARGIN, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(t.begins(&f), Some(LABELS[1]));
        let (t, f) = biased([0.0, 1.0, 0.0, 0.5 + MIN_MARGIN, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(t.begins(&f), None, "not sure");
        let (t, f) = biased([9.0, 1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(t.begins(&f), None, "O wins");
        let (t, f) = biased([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0]);
        assert_eq!(t.begins(&f), None, "I- does not begin a name");
        let (t, f) = biased([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, MIN_MARGIN, 0.0]);
        assert_eq!(t.begins(&f), Some(LABELS[3]));
        let from_bytes = Tagger::from_bytes(&t.to_bytes()).expect("round trip");
        assert_eq!(from_bytes.begins(&f), Some(LABELS[3]));
    }

    fn ents(text: &str) -> Vec<(String, &'static str)> {
        let doc = crate::Pipeline::new().annotate(text);
        doc.entities().iter().map(|e| (doc.slice(e.span).to_string(), e.label.as_str())).collect()
    }

    fn e(list: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        list.iter().map(|(a, b)| (a.to_string(), *b)).collect()
    }

    #[test]
    fn places_companies_people() {
        assert_eq!(
            ents("Hoa Kỳ và Trung Quốc dẫn đầu."),
            e(&[("Hoa Kỳ", "LOC"), ("Trung Quốc", "LOC")])
        );
        assert_eq!(
            ents("Chủ tịch NVIDIA Jensen Huang đến Hà Nội."),
            e(&[("NVIDIA", "ORG"), ("Jensen Huang", "PER"), ("Hà Nội", "LOC")])
        );
        assert_eq!(
            ents("Bộ trưởng Bộ Thông tin và Truyền thông Nguyễn Mạnh Hùng nói."),
            e(&[("Bộ Thông tin và Truyền thông", "ORG"), ("Nguyễn Mạnh Hùng", "PER")])
        );
        assert_eq!(ents("Theo bà Trần Thị Lan, giá tăng."), e(&[("Trần Thị Lan", "PER")]));
        assert_eq!(
            ents("Tổng thống Hoa Kỳ Joe Biden đến."),
            e(&[("Hoa Kỳ", "LOC"), ("Joe Biden", "PER")])
        );
        assert_eq!(
            ents(
                "TS. Nguyễn Văn Minh, Viện trưởng Viện Nghiên cứu Chính sách và Phát triển Truyền thông, nói."
            ),
            e(&[
                ("Nguyễn Văn Minh", "PER"),
                ("Viện Nghiên cứu Chính sách và Phát triển Truyền thông", "ORG")
            ])
        );
        assert_eq!(
            ents("Các trường như Đại học Quốc gia TP.HCM và Trường Đại học Công nghệ mở ngành."),
            e(&[("Đại học Quốc gia TP.HCM", "ORG"), ("Trường Đại học Công nghệ", "ORG")])
        );
        assert_eq!(
            ents("Ông Lộc nói rằng tỉnh Sóc Trăng đã đồng ý."),
            e(&[("Lộc", "PER"), ("Sóc Trăng", "LOC")])
        );
    }

    #[test]
    fn context_decides_the_label() {
        assert_eq!(ents("Chủ tịch Hồ Chí Minh đọc bản tuyên ngôn."), e(&[("Hồ Chí Minh", "PER")]));
        assert_eq!(
            ents("Họ sống ở Thành phố Hồ Chí Minh."),
            e(&[("Thành phố Hồ Chí Minh", "LOC")])
        );
        assert_eq!(
            ents("các công ty như Baidu, Alibaba, Tencent, Megvil... của Trung Quốc"),
            e(&[
                ("Baidu", "ORG"),
                ("Alibaba", "ORG"),
                ("Tencent", "ORG"),
                ("Megvil", "ORG"),
                ("Trung Quốc", "LOC")
            ])
        );
    }

    #[test]
    fn traps() {
        assert_eq!(ents("Nhìn chung, điều này tốt."), e(&[]));
        assert_eq!(ents("Điều này giúp họ."), e(&[]));
        assert_eq!(ents("Siêu máy tính có vai trò lớn."), e(&[]));
        assert_eq!(ents("1. THỐNG TRỊ VỀ SIÊU MÁY TÍNH:"), e(&[]));
        assert_eq!(ents("người dân sử dụng tiếng Anh và tiếng Trung."), e(&[]));
        assert_eq!(ents("du lịch hà nội và đà nẵng"), e(&[("hà nội", "LOC"), ("đà nẵng", "LOC")]));
    }
}

/// BIO tags: 0 is `O`, then `B-` and `I-` for PER, LOC, ORG, MISC.
pub const TAGS: usize = 9;
/// A silver tag not to learn from (see [`EntityRecognizer::training_sentences`]).
pub const UNCERTAIN: u8 = 255;
const LABELS: [EntityLabel; 4] =
    [EntityLabel::Per, EntityLabel::Loc, EntityLabel::Org, EntityLabel::Misc];

fn label_index(l: EntityLabel) -> usize {
    LABELS.iter().position(|&x| x == l).unwrap_or(0)
}

/// Whether the tagger decides on the unlabelled capitalised words `a..b`: not a language
/// (`tiếng Trung`), and not written in capitals only: an unknown acronym is more often a term
/// (`USD`, `FDI`, `GDP`) or a numeral (`quý I`) than a name.
fn open_name(ws: &[W], a: usize, b: usize, knowledge: &Knowledge) -> bool {
    let language = a > 0 && ws[a - 1].key == "tiếng";
    !language
        && !knowledge.is_term(key_of(&ws[a..b]))
        && ws[a..b].iter().any(|w| w.text.chars().any(char::is_lowercase))
}

/// First bytes of a tagger model file, with the format version.
pub const TAGGER_MAGIC: &[u8] = b"vita-ner-tagger 2\n";
/// How much the tagger's best tag must outscore the next for it to label a name: below it, a
/// name is left out rather than risk a wrong label. Chosen on the development gold sets
/// (`ner-gold.txt`, `ner-heldout.txt`: 3 to 15 score within one mention of each other) and on
/// hand-judged samples of what it adds on Wikipedia (right label: about 3 in 4 at 15 and
/// above, 3 in 5 from 10 to 15, 2 in 5 from 6 to 10).
pub const MIN_MARGIN: f32 = 10.0;
/// Hashed feature buckets.
pub const BUCKETS: usize = 1 << 18;

/// A greedy BIO tagger over words: an averaged perceptron with hashed features, trained by
/// `vita-train ner` on silver data: Wikipedia labelled by the rules, with 30% of the known
/// names hidden from its features so that it learns from context, a name labelled once in a
/// document labelled wherever the document repeats it, and capitalised words the rules leave
/// unlabelled not learned from (except those known not to be names: after a number, after
/// `tiếng`, words usually written in lower case).
///
/// Combined with the rules, it tags only the capitalised names the rules find but cannot label
/// (`ở Florida`, `đạo diễn James Cameron`), and may leave them out.
#[derive(Clone, Debug)]
pub struct Tagger {
    /// For each of the `BUCKETS` features, its row in `table` (a little-endian `u32`), or
    /// [`NO_ROW`] for a feature whose weights are all zero (most of them: a dense `BUCKETS x
    /// TAGS` table was 9.4 MB, a third of it in rows of zeros).
    rows: Cow<'static, [u8]>,
    /// The weights of the tags (`TAGS` little-endian `f32`), per feature with any.
    table: Cow<'static, [u8]>,
}

/// A feature without weights.
const NO_ROW: u32 = u32::MAX;

/// Bytes of a row of weights.
const ROW: usize = 4 * TAGS;

/// Features of one word; the previous tag is added while decoding.
pub type WordFeatures = [u32; 21];

fn fhash(parts: &[&str]) -> u32 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    for p in parts {
        h.write(p.as_bytes());
        h.write_u8(0xff);
    }
    (h.finish() as usize % BUCKETS) as u32
}

impl Tagger {
    /// The tagger embedded in the binary (read in place).
    pub fn embedded() -> &'static Tagger {
        static TAGGER: LazyLock<Tagger> = LazyLock::new(|| {
            Tagger::read(Bytes::Static(EMBEDDED_TAGGER)).expect("the embedded tagger is valid")
        });
        &TAGGER
    }

    /// A tagger with `BUCKETS x TAGS` dense weights (feature-major); missing ones are zero.
    pub fn from_weights(weights: &[f32]) -> Tagger {
        let mut t = Tagger::zero();
        for (i, &w) in weights.iter().enumerate().take(BUCKETS * TAGS) {
            if w != 0.0 {
                t.set(i, w);
            }
        }
        t
    }

    /// A tagger whose weights are all zero.
    fn zero() -> Tagger {
        Tagger { rows: Cow::Owned(vec![0xff; 4 * BUCKETS]), table: Cow::Owned(Vec::new()) }
    }

    /// The row of feature `f`'s weights, if it has any.
    #[inline]
    fn row(&self, f: usize) -> Option<&[u8]> {
        let r = u32::read(self.rows.get(4 * f..4 * f + 4)?);
        if r == NO_ROW {
            return None;
        }
        let at = r as usize * ROW;
        self.table.get(at..at + ROW)
    }

    /// Sets weight `i` (feature `i / TAGS`, tag `i % TAGS`), which must be in range.
    fn set(&mut self, i: usize, w: f32) {
        let (f, tag) = (i / TAGS, i % TAGS);
        let r = &mut self.rows.to_mut()[4 * f..4 * f + 4];
        let mut row = u32::read(r);
        let table = self.table.to_mut();
        if row == NO_ROW {
            row = (table.len() / ROW) as u32;
            r.copy_from_slice(&row.to_le_bytes());
            table.resize(table.len() + ROW, 0);
        }
        let at = row as usize * ROW + 4 * tag;
        table[at..at + 4].copy_from_slice(&w.to_le_bytes());
    }

    /// Parses a model written by [`Tagger::to_bytes`] (copied; the embedded one is read in
    /// place).
    ///
    /// # Errors
    /// A bad header or a truncated file.
    pub fn from_bytes(bytes: &[u8]) -> crate::Result<Tagger> {
        Tagger::read(Bytes::Borrowed(bytes))
    }

    fn read(bytes: Bytes<'_>) -> crate::Result<Tagger> {
        let bad = |m: &str| crate::Error::resource("ner tagger", None, m.to_string());
        let b = bytes.as_slice();
        let rest = b.strip_prefix(TAGGER_MAGIC).ok_or_else(|| bad("not a vita tagger"))?;
        let n_rows = rest.get(..4).ok_or_else(|| bad("truncated"))?;
        let n_rows = u32::read(n_rows) as usize;
        let at = TAGGER_MAGIC.len() + 4;
        if rest.len() - 4 != 4 * BUCKETS + n_rows * ROW {
            return Err(bad("truncated, or not the size its row count says"));
        }
        Ok(Tagger {
            rows: bytes.range(at..at + 4 * BUCKETS),
            table: bytes.range(at + 4 * BUCKETS..b.len()),
        })
    }

    /// Serializes the tagger, little-endian: [`TAGGER_MAGIC`], the number of rows of
    /// weights (`u32`), the row of each of the `BUCKETS` features (`u32`, all ones for
    /// none), the rows (`TAGS` `f32` each). The embedded tagger is read where it lies.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = TAGGER_MAGIC.to_vec();
        ((self.table.len() / ROW) as u32).write(&mut out);
        out.extend_from_slice(&self.rows);
        out.extend_from_slice(&self.table);
        out
    }

    /// Scores of the tags of a word, given its features and the previous tag.
    pub fn scores(&self, feats: &[u32], prev: u8, out: &mut [f32; TAGS]) {
        *out = [0.0; TAGS];
        let prev_f = Tagger::prev_feature(prev);
        for &f in feats.iter().chain(std::iter::once(&prev_f)) {
            if let Some(row) = self.row(f as usize) {
                for (o, w) in out.iter_mut().zip(<[f32; TAGS]>::read(row)) {
                    *o += w;
                }
            }
        }
    }

    /// The label of an entity the tagger sees beginning at a word with features `feats`
    /// (after a word outside any entity), if its `B-` tag wins over every other tag by at
    /// least [`MIN_MARGIN`]; `None` if `O` wins or the tagger is not sure.
    pub fn begins(&self, feats: &[u32]) -> Option<EntityLabel> {
        let mut s = [0.0; TAGS];
        self.scores(feats, 0, &mut s);
        let best = (0..TAGS).max_by(|&a, &b| s[a].total_cmp(&s[b]))?;
        let second = (0..TAGS).filter(|&t| t != best).map(|t| s[t]).fold(f32::MIN, f32::max);
        (best % 2 == 1 && s[best] - second >= MIN_MARGIN).then(|| LABELS[best / 2])
    }

    /// The feature of the previous tag (for training).
    pub fn prev_feature(prev: u8) -> u32 {
        static PREV: LazyLock<[u32; TAGS]> =
            LazyLock::new(|| std::array::from_fn(|t| fhash(&["prev", &t.to_string()])));
        PREV.get(usize::from(prev)).copied().unwrap_or_else(|| fhash(&["prev", &prev.to_string()]))
    }
}

impl EntityRecognizer {
    /// Tagger features of every word of a sentence: the word and its neighbours, shapes,
    /// syllables, triggers before it, and what the knowledge says about it.
    fn features(
        &self,
        ws: &[W],
        caps: bool,
        lower: bool,
        range: std::ops::Range<usize>,
    ) -> Vec<WordFeatures> {
        let mut out = Vec::with_capacity(range.len());
        self.each_features(ws, caps, lower, range, |f| out.push(f));
        out
    }

    /// [`EntityRecognizer::features`] handed to `each` one word at a time, without allocating
    /// for a short range (the tagger asks about one word).
    fn each_features(
        &self,
        ws: &[W],
        caps: bool,
        lower: bool,
        range: std::ops::Range<usize>,
        mut each: impl FnMut(WordFeatures),
    ) {
        let shape = |w: &W| -> &'static str {
            match (w.letters, w.vietnamese, w.cap, w.text.chars().any(char::is_lowercase)) {
                (false, _, _, _) => "other",
                (true, true, true, true) => "vn-cap",
                (true, true, true, false) => "vn-upper",
                (true, true, false, _) => "vn-lower",
                (true, false, true, true) => "f-cap",
                (true, false, true, false) => "f-upper",
                (true, false, false, _) => "f-lower",
            }
        };
        // Known-name tags from the knowledge (B-/I- with the first label), for the words from
        // the one before the range.
        let from = range.start.saturating_sub(1);
        let mut short = ["-"; 4];
        let mut long = Vec::new();
        let known: &mut [&str] = if range.end - from <= short.len() {
            &mut short[..range.end - from]
        } else {
            long.resize(range.end - from, "-");
            &mut long
        };
        let mut i = from;
        while i < range.end.min(ws.len()) {
            if let Some((end, labels)) = self.known(ws, i, caps, lower) {
                let (b, inside) = match labels[0] {
                    EntityLabel::Per => ("B-PER", "I-PER"),
                    EntityLabel::Loc => ("B-LOC", "I-LOC"),
                    EntityLabel::Org => ("B-ORG", "I-ORG"),
                    EntityLabel::Misc => ("B-MISC", "I-MISC"),
                };
                known[i - from] = b;
                for k in known.iter_mut().take(end - from).skip(i + 1 - from) {
                    *k = inside;
                }
                i = end;
            } else {
                i += 1;
            }
        }
        let trig = |j: usize| -> &'static str {
            if self.phrase_in(ws, j, &TITLES).is_some() {
                "title"
            } else if self.phrase_in(ws, j, &ORGS).is_some() {
                "org"
            } else if self.phrase_in(ws, j, &LOCS).is_some() {
                "loc"
            } else if self.phrase_in(ws, j, &WORKS).is_some() {
                "work"
            } else {
                "-"
            }
        };
        let key = |j: isize| -> &str {
            if j < 0 || j as usize >= ws.len() { "<s>" } else { ws[j as usize].key }
        };
        let first = ws.iter().position(|w| w.letters).unwrap_or(0);
        for j in range {
            each({
                let w = &ws[j];
                let ji = j as isize;
                let sh = shape(w);
                let s0 = w.key.split(' ').next().unwrap_or("");
                let s_n = w.key.rsplit(' ').next().unwrap_or("");
                let syllables = ["0", "1", "2", "3", "4"][w.syllables.min(4)];
                let prev_shape = if j > 0 { shape(&ws[j - 1]) } else { "<s>" };
                let next_shape = if j + 1 < ws.len() { shape(&ws[j + 1]) } else { "</s>" };
                let t1 = if j > 0 { trig(j - 1) } else { "-" };
                let t2 = if j > 1 { trig(j - 2) } else { "-" };
                let after_number = j > 0 && ws[j - 1].number();
                // Inner capitals (`VNeID`, `iPhone`, `DeepSeek`) and the end of a foreign word.
                let inner =
                    w.text.chars().skip(1).any(is_upper) && w.text.chars().any(char::is_lowercase);
                let suffix = if w.vietnamese {
                    ""
                } else {
                    let k = w.key.char_indices().rev().nth(2).map_or(0, |(i, _)| i);
                    &w.key[k..]
                };
                [
                    fhash(&["bias"]),
                    fhash(&["w", w.key]),
                    fhash(&["w-1", key(ji - 1)]),
                    fhash(&["w+1", key(ji + 1)]),
                    fhash(&["w-2", key(ji - 2)]),
                    fhash(&["w+2", key(ji + 2)]),
                    fhash(&["w-1w", key(ji - 1), w.key]),
                    fhash(&["sh", sh]),
                    fhash(&["sh3", prev_shape, sh, next_shape]),
                    fhash(&["s0", s0]),
                    fhash(&["sN", s_n]),
                    fhash(&["n", syllables, sh]),
                    fhash(&["known", known[j - from]]),
                    fhash(&[
                        "known-1",
                        if j > 0 { known[j - 1 - from] } else { "<s>" },
                        known[j - from],
                    ]),
                    fhash(&["t-1", t1, sh]),
                    fhash(&["t-2", t2]),
                    fhash(&["first", if j == first { "1" } else { "0" }, sh]),
                    fhash(&["num-1", if after_number { "1" } else { "0" }, sh]),
                    fhash(&["inner", if inner { "1" } else { "0" }]),
                    fhash(&["suf", suffix]),
                    fhash(&["w-1t", key(ji - 1), t1]),
                ]
            });
        }
    }

    /// Training data for the tagger: per sentence of `doc`, the features of each word and the
    /// BIO tag that `labels` (the silver entities) give it.
    ///
    /// A capitalised word (not the first of its sentence) that the silver labels leave outside
    /// any entity gets the tag [`UNCERTAIN`]: rules that do not know a name say nothing about
    /// it, so the trainer skips it rather than learn that unknown names are not names.
    ///
    /// Some capitalised words are known not to be names, and are learned as `O`: after a
    /// number (units and currencies: `500 triệu USD`), after `tiếng` (languages), and the
    /// words `common` says are usually written in lower case, and the knowledge's terms.
    pub fn training_sentences(
        &self,
        doc: &Document,
        labels: &[Entity],
        common: &dyn Fn(&str) -> bool,
    ) -> Vec<(Vec<WordFeatures>, Vec<u8>)> {
        let mut out = Vec::new();
        each_sentence(doc, 0..doc.sentences().len(), |s| {
            let SentenceView { start, sw, ws, caps, lower } = s;
            let wi = start + sw.len();
            let mut tags = vec![0u8; ws.len()];
            for e in labels.iter().filter(|e| e.words.start >= start && e.words.end <= wi) {
                let l = label_index(e.label) as u8;
                for (k, t) in
                    tags[e.words.start - start..e.words.end - start].iter_mut().enumerate()
                {
                    *t = if k == 0 { 1 + 2 * l } else { 2 + 2 * l };
                }
            }
            let first = ws.iter().position(|w| w.letters).unwrap_or(0);
            for (j, t) in tags.iter_mut().enumerate() {
                let stop = crate::keyword::Stopwords::embedded().contains(ws[j].key);
                let not_name = stop
                    || common(ws[j].key)
                    || self.knowledge().is_term(ws[j].key)
                    || (j > 0 && (ws[j - 1].number() || ws[j - 1].key == "tiếng"));
                if *t == 0 && j != first && ws[j].cap && ws[j].letters && !not_name {
                    *t = UNCERTAIN;
                }
            }
            out.push((self.features(ws, caps, lower, 0..ws.len()), tags));
        });
        out
    }
}
