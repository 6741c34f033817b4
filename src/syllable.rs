//! The Vietnamese syllable: onset, medial, nucleus, coda and tone.
//!
//! Vietnamese is written one syllable at a time, and the orthography of a syllable is regular
//! enough to parse: an optional onset consonant cluster (`ngh`, `qu`, `gi`, ...), a vowel
//! cluster (medial glide + nucleus + off-glide, e.g. `oa`, `uyê`, `ươi`), an optional consonant
//! coda (`c ch m n ng nh p t`) and one of six tones, written as a mark on one vowel.
//!
//! The parser is the single source of truth for three things:
//! - telling a Vietnamese syllable from a foreign word (`Google`, `data`, `Wu` are not);
//! - where the tone mark belongs, in both conventions (traditional `hòa`, modern `hoà`), which
//!   is how wrongly placed marks (`qủa`, `hòang`, `ngừơi`) are repaired;
//! - the lookup key (`norm`): lower case, NFC, one tone placement.
//!
//! It works on `char`s that are already NFC-composed; [`crate::normalize`] composes first.

use std::sync::LazyLock;

/// One of the six Vietnamese tones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tone {
    /// Ngang: no mark (`ma`).
    Level = 0,
    /// Huyền: grave accent (`mà`).
    Grave = 1,
    /// Hỏi: hook above (`mả`).
    Hook = 2,
    /// Ngã: tilde (`mã`).
    Tilde = 3,
    /// Sắc: acute accent (`má`).
    Acute = 4,
    /// Nặng: dot below (`mạ`).
    Dot = 5,
}

impl Tone {
    /// All tones, in the order of their discriminants.
    pub const ALL: [Tone; 6] =
        [Tone::Level, Tone::Grave, Tone::Hook, Tone::Tilde, Tone::Acute, Tone::Dot];

    /// The Vietnamese name of the tone (`ngang`, `huyền`, `hỏi`, `ngã`, `sắc`, `nặng`).
    pub fn name(self) -> &'static str {
        ["ngang", "huyền", "hỏi", "ngã", "sắc", "nặng"][self as usize]
    }

    fn combining(self) -> Option<char> {
        match self {
            Tone::Level => None,
            Tone::Grave => Some('\u{300}'),
            Tone::Hook => Some('\u{309}'),
            Tone::Tilde => Some('\u{303}'),
            Tone::Acute => Some('\u{301}'),
            Tone::Dot => Some('\u{323}'),
        }
    }
}

/// Where the tone mark goes in the open syllables `oa`, `oe`, `uy`, the only ones on which the
/// two Vietnamese conventions disagree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ToneStyle {
    /// On the first vowel: `hòa`, `khỏe`, `thủy` (dictionaries, most print).
    #[default]
    Traditional,
    /// On the second vowel: `hoà`, `khoẻ`, `thuỷ` (the 1980s reform, many keyboards).
    Modern,
    /// Leave the mark where the text has it.
    Keep,
}

/// The twelve vowel letters with their quality marks, lower case.
const VOWELS: [char; 12] = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];

/// Index of a vowel in [`VOWELS`].
type Vowel = u8;
const V_A: Vowel = 0;
const V_O: Vowel = 6;
const V_U: Vowel = 9;
const V_Y: Vowel = 11;

fn has_quality_mark(v: Vowel) -> bool {
    matches!(v, 1 | 2 | 4 | 7 | 8 | 10)
}

/// Tables mapping every precomposed vowel (both cases, all tones) to its parts and back.
struct Tables {
    /// char -> (vowel, tone, upper)
    decompose: rustc_hash::FxHashMap<char, (Vowel, Tone, bool)>,
    /// [upper][vowel][tone] -> char
    compose: [[[char; 6]; 12]; 2],
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    use unicode_normalization::UnicodeNormalization;
    let mut decompose = rustc_hash::FxHashMap::default();
    let mut compose = [[['\0'; 6]; 12]; 2];
    for (vi, &v) in VOWELS.iter().enumerate() {
        for tone in Tone::ALL {
            for upper in [false, true] {
                let base: String = if upper { v.to_uppercase().collect() } else { v.to_string() };
                let mut s = base;
                if let Some(m) = tone.combining() {
                    s.push(m);
                }
                let composed: String = s.nfc().collect();
                let mut it = composed.chars();
                let c = it.next().expect("non-empty");
                debug_assert!(it.next().is_none(), "{composed:?} composes to one char");
                decompose.insert(c, (vi as Vowel, tone, upper));
                compose[upper as usize][vi][tone as usize] = c;
            }
        }
    }
    Tables { decompose, compose }
});

/// Splits a precomposed vowel into (vowel, tone, is_upper); `None` for any other char.
#[inline]
pub(crate) fn split_vowel(c: char) -> Option<(u8, Tone, bool)> {
    // Fast path: ASCII consonants and non-letters are never vowels.
    if c.is_ascii()
        && !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'A' | 'E' | 'I' | 'O' | 'U' | 'Y')
    {
        return None;
    }
    TABLES.decompose.get(&c).copied()
}

#[inline]
fn compose_vowel(v: Vowel, tone: Tone, upper: bool) -> char {
    TABLES.compose[upper as usize][v as usize][tone as usize]
}

/// Removes tone and quality marks (`ố` -> `o`, `đ` -> `d`), keeping case.
pub(crate) fn fold_char(c: char) -> char {
    match c {
        'đ' | 'ð' => 'd',
        'Đ' | 'Ð' => 'D',
        _ => match split_vowel(c) {
            Some((v, _, upper)) => {
                let base = b"aaaeeiooouuy"[v as usize] as char;
                if upper { base.to_ascii_uppercase() } else { base }
            }
            None => c,
        },
    }
}

/// The result of parsing one syllable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// Number of chars in the onset (`ngh` = 3, `qu` = 2, `gi` = 2 when it is the onset).
    pub onset_len: u8,
    /// Index (in chars) of the first vowel of the vowel cluster, after the onset.
    pub vowels_start: u8,
    /// Number of vowels in the cluster.
    pub vowels_len: u8,
    /// The tone.
    pub tone: Tone,
    /// Index (in chars) of the vowel that carries the tone mark in the input, if any.
    pub marked: Option<u8>,
}

const ONSETS: &[&str] = &[
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];

/// Every rime of standard Vietnamese orthography, without tone (medial + nucleus + coda).
const RIMES: &[&str] = &[
    "a", "ac", "ach", "ai", "am", "an", "ang", "anh", "ao", "ap", "at", "au", "ay", //
    "ăc", "ăm", "ăn", "ăng", "ăp", "ăt", //
    "âc", "âm", "ân", "âng", "âp", "ât", "âu", "ây", //
    "e", "ec", "em", "en", "eng", "eo", "ep", "et", //
    "ê", "êch", "êm", "ên", "ênh", "êp", "êt", "êu", //
    "i", "ia", "ich", "im", "in", "inh", "ip", "it", "iu", //
    "iêc", "iêm", "iên", "iêng", "iêp", "iêt", "iêu", //
    "y", "yêm", "yên", "yêng", "yêt", "yêu", //
    "o", "oc", "oi", "om", "on", "ong", "op", "ot", //
    "oa", "oac", "oach", "oai", "oam", "oan", "oang", "oanh", "oao", "oap", "oat", "oay", //
    "oăc", "oăm", "oăn", "oăng", "oăt", "oe", "oem", "oen", "oeo", "oet", "oong", "ooc", //
    "ô", "ôc", "ôi", "ôm", "ôn", "ông", "ôp", "ôt", //
    "ơ", "ơi", "ơm", "ơn", "ơp", "ơt", //
    "u", "ua", "uc", "ui", "um", "un", "ung", "up", "ut", //
    "uôc", "uôi", "uôm", "uôn", "uông", "uôt", //
    "uân", "uâng", "uât", "uây", "uê", "uêch", "uênh", "uơ", "uy", "uya", "uych", "uyên", "uyêt",
    "uyn", "uynh", "uyp", "uyt", "uyu", //
    "ư", "ưa", "ưc", "ưi", "ưm", "ưn", "ưng", "ưt", "ưu", //
    "ươc", "ươi", "ươm", "ươn", "ương", "ươp", "ươt", "ươu",
];

const CODAS: &[&str] = &["c", "ch", "m", "n", "ng", "nh", "p", "t"];

static RIME_SET: LazyLock<rustc_hash::FxHashSet<&'static str>> =
    LazyLock::new(|| RIMES.iter().copied().collect());

/// Longest syllable we bother parsing, in chars (`nghiêng` = 7, `khuỷu` = 5).
const MAX_CHARS: usize = 8;

/// A syllable's letters, lower-cased and split into (base letter, tone) for vowels.
#[derive(Clone, Copy)]
struct Letter {
    /// Lower-case letter without tone (vowels keep their quality mark).
    base: char,
    /// Vowel index when the letter is a vowel.
    vowel: Option<Vowel>,
    tone: Tone,
    upper: bool,
}

fn letters(chars: &[char], out: &mut [Letter; MAX_CHARS]) -> Option<usize> {
    if chars.is_empty() || chars.len() > MAX_CHARS {
        return None;
    }
    for (i, &c) in chars.iter().enumerate() {
        out[i] = if let Some((v, tone, upper)) = split_vowel(c) {
            Letter { base: VOWELS[v as usize], vowel: Some(v), tone, upper }
        } else {
            let (base, upper) = match c {
                'a'..='z' => (c, false),
                'A'..='Z' => (c.to_ascii_lowercase(), true),
                'đ' => ('đ', false),
                'Đ' => ('đ', true),
                _ => return None,
            };
            Letter { base, vowel: None, tone: Tone::Level, upper }
        };
    }
    Some(chars.len())
}

fn starts_with_bases(ls: &[Letter], s: &str) -> bool {
    let mut n = 0;
    for (i, c) in s.chars().enumerate() {
        if i >= ls.len() || ls[i].base != c {
            return false;
        }
        n += 1;
    }
    n > 0
}

fn bases_eq(ls: &[Letter], buf: &mut String) -> bool {
    buf.clear();
    buf.extend(ls.iter().map(|l| l.base));
    RIME_SET.contains(buf.as_str())
}

/// Parses a syllable given as NFC chars. Returns `None` for anything that is not a
/// well-formed Vietnamese syllable.
pub fn parse(chars: &[char]) -> Option<Parsed> {
    let mut ls = [Letter { base: ' ', vowel: None, tone: Tone::Level, upper: false }; MAX_CHARS];
    let n = letters(chars, &mut ls)?;
    parse_letters(&ls[..n])
}

fn parse_letters(ls: &[Letter]) -> Option<Parsed> {
    // At most one tone mark.
    let mut tone = Tone::Level;
    let mut marked = None;
    for (i, l) in ls.iter().enumerate() {
        if l.tone != Tone::Level {
            if marked.is_some() {
                return None;
            }
            tone = l.tone;
            marked = Some(i as u8);
        }
    }
    let mut buf = String::new();
    // Candidate onsets, longest first; `gi` and `qu` also try the shorter reading.
    let mut candidates: [usize; 2] = [usize::MAX; 2];
    let mut nc = 0;
    for onset in ONSETS {
        if starts_with_bases(ls, onset) {
            candidates[nc] = onset.chars().count();
            nc += 1;
            if *onset != "gi" || nc == 2 {
                break;
            }
        }
    }
    if nc == 0 {
        candidates[0] = 0;
        nc = 1;
    }
    for &onset_len in &candidates[..nc] {
        if let Some(p) = parse_rime(ls, onset_len, tone, marked, &mut buf) {
            return Some(p);
        }
    }
    None
}

fn parse_rime(
    ls: &[Letter],
    onset_len: usize,
    tone: Tone,
    marked: Option<u8>,
    buf: &mut String,
) -> Option<Parsed> {
    let rest = &ls[onset_len..];
    if rest.is_empty() {
        // `gi` alone is g + i; any other bare onset is not a syllable.
        return None;
    }
    if onset_len > 0 && rest[0].vowel.is_none() {
        return None;
    }
    let nv = rest.iter().take_while(|l| l.vowel.is_some()).count();
    if nv == 0 {
        return None;
    }
    let coda = &rest[nv..];
    if !coda.is_empty() {
        buf.clear();
        buf.extend(coda.iter().map(|l| l.base));
        if !CODAS.contains(&buf.as_str()) {
            return None;
        }
    }
    let is_qu = onset_len == 2 && ls[0].base == 'q';
    let is_gi = onset_len == 2 && ls[0].base == 'g' && ls[1].base == 'i';
    let valid = if is_qu {
        // `qu` + rime, where the rime may begin with the medial `u` already spelled by `qu`.
        (rest[0].base != 'u' && rest[0].base != 'ư' && bases_eq(rest, buf)) || {
            let mut s = String::from("u");
            s.extend(rest.iter().map(|l| l.base));
            RIME_SET.contains(s.as_str())
        }
    } else if ls[0].base == 'q' {
        false
    } else {
        bases_eq(rest, buf)
    };
    if !valid {
        return None;
    }
    if is_gi && rest[0].base == 'i' {
        return None;
    }
    // Stop codas (p, t, c, ch) only take the sắc and nặng tones.
    if let Some(last) = coda.last()
        && matches!(last.base, 'p' | 't' | 'c' | 'h')
        && (coda.len() == 1 || last.base == 'h' && coda[0].base == 'c')
        && !matches!(tone, Tone::Acute | Tone::Dot)
    {
        return None;
    }
    // A tone mark on the onset's `u`/`i` (`qủa`, `gìa`) belongs to the nucleus: accepted here
    // and repaired by `tone_position`.
    Some(Parsed {
        onset_len: onset_len as u8,
        vowels_start: onset_len as u8,
        vowels_len: nv as u8,
        tone,
        marked,
    })
}

/// The index (in chars, from the start of the syllable) of the vowel that must carry the tone
/// mark, under `style` (`Keep` is treated as traditional here).
fn tone_position(ls: &[Letter], p: &Parsed, style: ToneStyle) -> usize {
    let vs = p.vowels_start as usize;
    let vowels: &[Letter] = &ls[vs..vs + p.vowels_len as usize];
    let has_coda = vs + vowels.len() < ls.len();
    let v = |i: usize| vowels[i].vowel.unwrap_or(V_A);
    // A vowel with a quality mark takes the tone (`ươ` -> on `ơ`, the last one).
    if let Some(i) = (0..vowels.len()).rev().find(|&i| has_quality_mark(v(i))) {
        return vs + i;
    }
    if has_coda {
        return vs + vowels.len() - 1;
    }
    match vowels.len() {
        1 => vs,
        2 => {
            let pair = (v(0), v(1));
            let glide_first = matches!(pair, (V_O, V_A) | (V_O, 3) | (V_U, V_Y));
            if glide_first && style == ToneStyle::Modern { vs + 1 } else { vs }
        }
        _ => vs + 1,
    }
}

/// Rewrites one syllable (NFC chars) with its tone mark in the canonical place for `style`.
///
/// Appends the result to `out` and returns `true` when `chars` is a Vietnamese syllable;
/// returns `false` and appends nothing otherwise. `lower` also lower-cases the syllable.
pub(crate) fn place_tone(chars: &[char], style: ToneStyle, lower: bool, out: &mut String) -> bool {
    let mut ls = [Letter { base: ' ', vowel: None, tone: Tone::Level, upper: false }; MAX_CHARS];
    let Some(n) = letters(chars, &mut ls) else { return false };
    let ls = &ls[..n];
    let Some(p) = parse_letters(ls) else { return false };
    let target = match (style, p.marked) {
        (ToneStyle::Keep, Some(m)) => m as usize,
        _ => tone_position(ls, &p, style),
    };
    for (i, l) in ls.iter().enumerate() {
        let upper = l.upper && !lower;
        match l.vowel {
            Some(v) => {
                let t = if i == target { p.tone } else { Tone::Level };
                out.push(compose_vowel(v, t, upper));
            }
            None => {
                if upper {
                    out.extend(l.base.to_uppercase());
                } else {
                    out.push(l.base);
                }
            }
        }
    }
    true
}

/// Whether `s` (NFC) is one well-formed Vietnamese syllable, in any case.
///
/// ```
/// use vita::syllable::is_vietnamese;
/// assert!(is_vietnamese("người"));
/// assert!(is_vietnamese("KHUỶU"));
/// assert!(is_vietnamese("ngừơi")); // misplaced mark, still a syllable (and repairable)
/// assert!(!is_vietnamese("Google"));
/// assert!(!is_vietnamese("data"));
/// ```
pub fn is_vietnamese(s: &str) -> bool {
    let mut buf = [' '; MAX_CHARS];
    let mut n = 0;
    for c in s.chars() {
        if n == MAX_CHARS {
            return false;
        }
        buf[n] = c;
        n += 1;
    }
    parse(&buf[..n]).is_some()
}

/// The tone of a Vietnamese syllable (NFC), or `None` if `s` is not one.
///
/// ```
/// use vita::syllable::{tone_of, Tone};
/// assert_eq!(tone_of("hỏi"), Some(Tone::Hook));
/// assert_eq!(tone_of("AI"), Some(Tone::Level));
/// assert_eq!(tone_of("iPhone"), None);
/// ```
pub fn tone_of(s: &str) -> Option<Tone> {
    let chars: Vec<char> = s.chars().collect();
    parse(&chars).map(|p| p.tone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(s: &str, style: ToneStyle) -> String {
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::new();
        assert!(place_tone(&chars, style, false, &mut out), "{s} should parse");
        out
    }

    macro_rules! t {
        ($name:ident, $style:expr, [$(($input:expr, $want:expr)),* $(,)?]) => {
            #[test]
            fn $name() {
                $(assert_eq!(placed($input, $style), $want, "input {:?}", $input);)*
            }
        };
    }

    t!(
        traditional,
        ToneStyle::Traditional,
        [
            ("hoà", "hòa"),
            ("khoẻ", "khỏe"),
            ("thuỷ", "thủy"),
            ("hòa", "hòa"),
            ("qủa", "quả"),
            ("hòang", "hoàng"),
            ("ngừơi", "người"),
            ("mùa", "mùa"),
            ("của", "của"),
            ("thuở", "thuở"),
            ("giữ", "giữ"),
            ("khuỷu", "khuỷu"),
            ("gìa", "già"),
            ("quýt", "quýt"),
            ("Quốc", "Quốc"),
            ("HOÀ", "HÒA"),
            ("tiếng", "tiếng"),
            ("giếng", "giếng"),
            ("gì", "gì"),
            ("uyển", "uyển"),
            ("huỳnh", "huỳnh"),
            ("ngoài", "ngoài"),
            ("rượu", "rượu"),
            ("khuya", "khuya"),
            ("tuý", "túy"),
            ("Thuỵ", "Thụy"),
            ("nghiêng", "nghiêng"),
            ("kìa", "kìa"),
        ]
    );

    t!(
        modern,
        ToneStyle::Modern,
        [
            ("hòa", "hoà"),
            ("khỏe", "khoẻ"),
            ("thủy", "thuỷ"),
            ("hoàng", "hoàng"),
            ("mùa", "mùa"),
            ("quả", "quả"),
            ("túy", "tuý"),
            ("ngoài", "ngoài"),
        ]
    );

    t!(keep, ToneStyle::Keep, [("hoà", "hoà"), ("hòa", "hòa"), ("thuỷ", "thuỷ")]);

    #[test]
    fn foreign_words_are_not_syllables() {
        for w in ["Google", "data", "Wu", "Megvil", "OpenAI", "iFlytek", "bat", "xyz", "ngh"] {
            assert!(!is_vietnamese(w), "{w}");
        }
        for w in ["Dao", "AI", "Việt", "nghiêng", "đường", "Đ", "ĐỒNG", "oái", "ý", "yêu"]
        {
            let ok = is_vietnamese(w);
            assert_eq!(ok, w != "Đ", "{w}");
        }
    }

    #[test]
    fn tables_cover_all_vowels() {
        assert_eq!(TABLES.decompose.len(), 12 * 6 * 2);
        assert_eq!(split_vowel('ữ'), Some((10, Tone::Tilde, false)));
        assert_eq!(split_vowel('Ệ'), Some((4, Tone::Dot, true)));
        assert_eq!(fold_char('Ữ'), 'U');
    }
}
