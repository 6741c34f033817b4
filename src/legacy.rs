//! Legacy Vietnamese encodings: VNI (Windows), TCVN3 (ABC) and VIQR, to Unicode and back, and
//! the detection of which one a text uses.
//!
//! Before Unicode, Vietnamese text was written in 8-bit font encodings. Two survive in old
//! documents and web pages:
//! - **VNI** writes a letter as its base letter plus one or two bytes for the marks
//!   (`Vieät` is `Việt`: `e` + `ä`, the byte for circumflex and dot below);
//! - **TCVN3** (the ABC fonts) gives each lower-case letter with its marks one byte
//!   (`ViÖt`: `Ö` is the byte of `ệ`). It has no upper-case letters with tone marks: ABC fonts
//!   drew capitals with a separate font, so they read back as lower case.
//!
//! **VIQR** (RFC 1456) is plain ASCII: marks are typed after the letter (`Vie^.t Nam`,
//! `ddu+o+.c`). A mark applies to the vowel before it only when that syllable has no tone yet;
//! `\` before a mark character keeps it literal (`dda^u\?` is `đâu?`).
//!
//! Text can reach vita either as the raw bytes of the old file (not UTF-8) or as *mojibake*:
//! the bytes already read as Windows-1252 and saved as UTF-8 (`Vieät Nam` in a UTF-8 file).
//! [`decode`] and [`convert`] accept both: a character up to U+00FF stands for the byte of the
//! same value.
//!
//! ```
//! use vita::legacy::{convert, detect, Encoding};
//! assert_eq!(convert("Tieáng Vieät", Encoding::Vni), "Tiếng Việt");
//! assert_eq!(convert("TiÕng ViÖt", Encoding::Tcvn3), "Tiếng Việt");
//! assert_eq!(convert("Tie^'ng Vie^.t", Encoding::Viqr), "Tiếng Việt");
//! assert_eq!(detect("Ngöôøi Vieät noùi tieáng Vieät").encoding, Encoding::Vni);
//! ```

use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::decompose_canonical;

/// A text encoding of Vietnamese.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Unicode (UTF-8), nothing to convert.
    Unicode,
    /// VNI for Windows: base letter + mark bytes.
    Vni,
    /// TCVN 5712:1993 VN3 (the ABC fonts): one byte per lower-case letter.
    Tcvn3,
    /// VIQR (RFC 1456): ASCII with marks typed after the letter.
    Viqr,
}

impl Encoding {
    /// The name users type (`unicode`, `vni`, `tcvn3`, `viqr`).
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Unicode => "unicode",
            Encoding::Vni => "vni",
            Encoding::Tcvn3 => "tcvn3",
            Encoding::Viqr => "viqr",
        }
    }

    /// Parses a name as [`Encoding::name`] gives it (case-insensitive; `abc` for TCVN3).
    pub fn parse(s: &str) -> Option<Encoding> {
        Some(match s.to_ascii_lowercase().as_str() {
            "unicode" | "utf-8" | "utf8" => Encoding::Unicode,
            "vni" => Encoding::Vni,
            "tcvn3" | "abc" | "tcvn" => Encoding::Tcvn3,
            "viqr" => Encoding::Viqr,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Unicode => "Unicode",
            Encoding::Vni => "VNI",
            Encoding::Tcvn3 => "TCVN3",
            Encoding::Viqr => "VIQR",
        })
    }
}

/// The vowel modifier of a Vietnamese letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Modifier {
    None,
    Circumflex,
    Breve,
    Horn,
}

/// Combining marks: modifiers, then tones (acute, grave, hook, tilde, dot below).
const MODIFIER_MARKS: [char; 4] = ['\0', '\u{302}', '\u{306}', '\u{31B}'];
const TONE_MARKS: [char; 6] = ['\0', '\u{301}', '\u{300}', '\u{309}', '\u{303}', '\u{323}'];

/// A Vietnamese vowel letter taken apart: lower-case ASCII base, modifier, tone (0 = level,
/// 1 acute, 2 grave, 3 hook, 4 tilde, 5 dot below), upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Vowel {
    base: char,
    modifier: Modifier,
    tone: u8,
    upper: bool,
}

impl Vowel {
    fn of(c: char) -> Option<Vowel> {
        let mut parts = ['\0'; 4];
        let mut n = 0;
        decompose_canonical(c, |d| {
            if n < 4 {
                parts[n] = d;
            }
            n += 1;
        });
        if n > 3 {
            return None;
        }
        let base = parts[0];
        if !matches!(base.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
            return None;
        }
        let mut v = Vowel {
            base: base.to_ascii_lowercase(),
            modifier: Modifier::None,
            tone: 0,
            upper: base.is_ascii_uppercase(),
        };
        for &m in &parts[1..n] {
            if let Some(i) = MODIFIER_MARKS.iter().position(|&x| x == m).filter(|&i| i > 0) {
                if v.modifier != Modifier::None {
                    return None;
                }
                v.modifier =
                    [Modifier::None, Modifier::Circumflex, Modifier::Breve, Modifier::Horn][i];
            } else if let Some(i) = TONE_MARKS.iter().position(|&x| x == m).filter(|&i| i > 0) {
                if v.tone != 0 {
                    return None;
                }
                v.tone = i as u8;
            } else {
                return None;
            }
        }
        v.valid().then_some(v)
    }

    fn valid(self) -> bool {
        match self.modifier {
            Modifier::None => true,
            Modifier::Circumflex => matches!(self.base, 'a' | 'e' | 'o'),
            Modifier::Breve => self.base == 'a',
            Modifier::Horn => matches!(self.base, 'o' | 'u'),
        }
    }

    fn to_char(self) -> Option<char> {
        if !self.valid() {
            return None;
        }
        let base = if self.upper { self.base.to_ascii_uppercase() } else { self.base };
        // NFC rather than pairwise composition: the dot below (class 220) sorts before the
        // modifiers (230), so `ê` + dot below is not a primary composite but `ệ` exists.
        let marks = [MODIFIER_MARKS[self.modifier as usize], TONE_MARKS[usize::from(self.tone)]];
        let mut nfc = std::iter::once(base).chain(marks.into_iter().filter(|&m| m != '\0')).nfc();
        let c = nfc.next()?;
        nfc.next().is_none().then_some(c)
    }
}

/// Windows-1252 in 0x80..=0x9F (the bytes it does not define stay C1 controls).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// The character a single byte stands for in Windows-1252 (Latin-1 where 1252 is silent).
pub fn cp1252(b: u8) -> char {
    if (0x80..0xA0).contains(&b) { CP1252_HIGH[usize::from(b - 0x80)] } else { char::from(b) }
}

/// The byte a character is in Windows-1252, if it is one: also the byte it stands for when
/// legacy text went through Windows-1252.
fn cp1252_byte(c: char) -> Option<u8> {
    match u32::from(c) {
        0..=0x7F | 0xA0..=0xFF => Some(u32::from(c) as u8),
        _ => CP1252_HIGH.iter().position(|&x| x == c).map(|i| 0x80 + i as u8),
    }
}

/// The TCVN3 letters from 0xA1: `None` where TCVN3 keeps the Latin-1 character.
const TCVN3_HIGH: &str = "ĂÂÊÔƠƯĐăâêôơưđ\
    ······\
    àảãáạ·ằẳẵắ·······ặầẩẫấậè·ẻẽéẹềểễếệìỉ···ĩíịò·ỏõóọồổỗốộờởỡớợù·ủũúụừửữứựỳỷỹýỵ·";

fn tcvn3_table() -> &'static [Option<char>; 256] {
    static TABLE: OnceLock<[Option<char>; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [None; 256];
        for (i, c) in TCVN3_HIGH.chars().enumerate() {
            if c != '·' {
                t[0xA1 + i] = Some(c);
            }
        }
        t
    })
}

/// Converts text in a legacy encoding to Unicode (NFC). A character up to U+00FF stands for
/// the byte of that value, so mojibake (legacy bytes read as Windows-1252 or Latin-1) converts
/// too. Anything that is not part of the encoding is kept as it is. Converting
/// [`Encoding::Unicode`] returns the text unchanged.
pub fn convert(text: &str, from: Encoding) -> String {
    match from {
        Encoding::Unicode => text.to_string(),
        Encoding::Vni => vni_to_unicode(text.chars()),
        Encoding::Tcvn3 => tcvn3_to_unicode(text.chars()),
        Encoding::Viqr => viqr_to_unicode(text),
    }
}

/// Decodes a file's bytes: UTF-8 if they are valid UTF-8 (legacy text saved as UTF-8 mojibake
/// converts as in [`convert`]), otherwise one byte at a time as the encoding says (bytes it does
/// not use as Windows-1252).
pub fn decode(bytes: &[u8], from: Encoding) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return convert(s, from);
    }
    let chars = bytes.iter().map(|&b| cp1252(b));
    match from {
        Encoding::Vni => vni_to_unicode(chars),
        Encoding::Tcvn3 => tcvn3_to_unicode(chars),
        Encoding::Unicode | Encoding::Viqr => {
            let s: String = chars.collect();
            convert(&s, from)
        }
    }
}

fn tcvn3_to_unicode(chars: impl Iterator<Item = char>) -> String {
    let table = tcvn3_table();
    chars
        .map(|c| match cp1252_byte(c) {
            Some(b) => table[usize::from(b)].unwrap_or(c),
            None => c,
        })
        .collect()
}

/// What a VNI byte does: a whole letter, or marks added to the vowel before it.
#[derive(Clone, Copy)]
enum VniByte {
    Letter(char),
    /// Modifier and tone added to the preceding vowel.
    Marks(Modifier, u8),
}

fn vni_byte(b: u8) -> Option<VniByte> {
    use Modifier::{Breve, Circumflex, None as No};
    use VniByte::{Letter, Marks};
    Some(match b {
        0xF1 => Letter('đ'),
        0xD1 => Letter('Đ'),
        0xF4 => Letter('ơ'),
        0xD4 => Letter('Ơ'),
        0xF6 => Letter('ư'),
        0xD6 => Letter('Ư'),
        0xED => Letter('í'),
        0xCD => Letter('Í'),
        0xEC => Letter('ì'),
        0xCC => Letter('Ì'),
        0xE6 => Letter('ỉ'),
        0xC6 => Letter('Ỉ'),
        0xF3 => Letter('ĩ'),
        0xD3 => Letter('Ĩ'),
        0xF2 => Letter('ị'),
        0xD2 => Letter('Ị'),
        0xEE => Letter('ỵ'),
        0xCE => Letter('Ỵ'),
        // Tone alone: acute, grave, hook, tilde, dot below.
        0xF9 | 0xD9 => Marks(No, 1),
        0xF8 | 0xD8 => Marks(No, 2),
        0xFB | 0xDB => Marks(No, 3),
        0xF5 | 0xD5 => Marks(No, 4),
        0xEF | 0xCF => Marks(No, 5),
        // Circumflex, alone and with each tone.
        0xE2 | 0xC2 => Marks(Circumflex, 0),
        0xE1 | 0xC1 => Marks(Circumflex, 1),
        0xE0 | 0xC0 => Marks(Circumflex, 2),
        0xE5 | 0xC5 => Marks(Circumflex, 3),
        0xE3 | 0xC3 => Marks(Circumflex, 4),
        0xE4 | 0xC4 => Marks(Circumflex, 5),
        // Breve, alone and with each tone.
        0xEA | 0xCA => Marks(Breve, 0),
        0xE9 | 0xC9 => Marks(Breve, 1),
        0xE8 | 0xC8 => Marks(Breve, 2),
        0xFA | 0xDA => Marks(Breve, 3),
        0xFC | 0xDC => Marks(Breve, 4),
        0xEB | 0xCB => Marks(Breve, 5),
        _ => return None,
    })
}

/// Adds a modifier and a tone to a vowel, if the result is a Vietnamese letter.
fn add_marks(c: char, modifier: Modifier, tone: u8) -> Option<char> {
    let mut v = Vowel::of(c)?;
    if modifier != Modifier::None {
        if v.modifier != Modifier::None {
            return None;
        }
        v.modifier = modifier;
    }
    if tone != 0 {
        if v.tone != 0 {
            return None;
        }
        v.tone = tone;
    }
    v.to_char()
}

fn vni_to_unicode(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut last: Option<char> = None;
    for c in chars {
        let action = cp1252_byte(c).filter(|&b| b >= 0x80).and_then(vni_byte);
        let emitted = match action {
            Some(VniByte::Letter(l)) => l,
            Some(VniByte::Marks(m, t)) => {
                match last.and_then(|p| add_marks(p, m, t)) {
                    Some(composed) => {
                        out.pop();
                        composed
                    }
                    // No vowel to carry the marks: the byte was meant as itself.
                    None => c,
                }
            }
            None => c,
        };
        out.push(emitted);
        last = Some(emitted);
    }
    out
}

fn viqr_modifier(vowel: char, m: char) -> Option<Modifier> {
    let v = Vowel::of(vowel)?;
    if v.modifier != Modifier::None || v.tone != 0 {
        return None;
    }
    let modifier = match m {
        '^' => Modifier::Circumflex,
        '(' => Modifier::Breve,
        '+' => Modifier::Horn,
        _ => return None,
    };
    Vowel { modifier, ..v }.valid().then_some(modifier)
}

fn viqr_tone(m: char) -> Option<u8> {
    Some(match m {
        '\'' => 1,
        '`' => 2,
        '?' => 3,
        '~' => 4,
        '.' => 5,
        _ => return None,
    })
}

const VIQR_MARKS: &str = "^(+'`?~.";

/// Whether `dd` (`DD`, `Dd`) is đ after the letters `word` of the current word: at the start
/// of a word, or after capital consonants (`NDD-CP` is `NĐ-CP`), not inside `Buddha` or `ADD`.
fn viqr_dd_allowed(word: &str, c: char) -> bool {
    word.is_empty()
        || (c == 'D'
            && word
                .chars()
                .all(|w| w.is_uppercase() && !matches!(w, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y')))
}

fn viqr_to_unicode(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    // The letters of the current syllable and whether one already carries a tone.
    let mut in_word = false;
    let mut toned = false;
    let mut last_vowel = false;
    // The current word's letters so far (for `dd`).
    let mut word = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !in_word {
            word.clear();
        }
        if c == '\\'
            && let Some(&n) = chars.get(i + 1)
            && (VIQR_MARKS.contains(n) || n == '\\' || n == 'd' || n == 'D')
        {
            out.push(n);
            in_word = n.is_alphabetic();
            last_vowel = false;
            i += 2;
            continue;
        }
        if last_vowel {
            let prev = out.chars().next_back().unwrap_or(' ');
            if let Some(m) = viqr_modifier(prev, c) {
                let composed = add_marks(prev, m, 0).unwrap_or(prev);
                out.pop();
                out.push(composed);
                i += 1;
                continue;
            }
            if let Some(t) = viqr_tone(c).filter(|_| !toned)
                && let Some(composed) = add_marks(prev, Modifier::None, t)
            {
                out.pop();
                out.push(composed);
                toned = true;
                i += 1;
                continue;
            }
        }
        if matches!(c, 'd' | 'D')
            && matches!(chars.get(i + 1), Some('d' | 'D'))
            && viqr_dd_allowed(&word, c)
        {
            out.push(if c == 'd' { 'đ' } else { 'Đ' });
            word.push('Đ');
            in_word = true;
            toned = false;
            last_vowel = false;
            i += 2;
            continue;
        }
        if c.is_alphabetic() {
            if !in_word {
                toned = false;
            }
            in_word = true;
            word.push(c);
            last_vowel = Vowel::of(c).is_some();
            if let Some(v) = Vowel::of(c)
                && v.tone != 0
            {
                toned = true;
            }
        } else {
            in_word = false;
            last_vowel = false;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Converts Unicode text to a legacy encoding, the inverse of [`decode`] for text the encoding
/// can hold. VNI and TCVN3 give bytes (other characters as Windows-1252, `?` when they have
/// none; TCVN3 writes upper-case letters with tone marks in lower case, as ABC fonts did);
/// VIQR gives ASCII-compatible UTF-8 with `\` before literal mark characters.
pub fn encode(text: &str, to: Encoding) -> Vec<u8> {
    let text: String = text.nfc().collect();
    match to {
        Encoding::Unicode => text.into_bytes(),
        Encoding::Vni => encode_vni(&text),
        Encoding::Tcvn3 => encode_tcvn3(&text),
        Encoding::Viqr => encode_viqr(&text).into_bytes(),
    }
}

fn encode_vni(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some(b) = vni_letter_byte(c) {
            out.push(b);
            continue;
        }
        match Vowel::of(c) {
            Some(v) if v.modifier != Modifier::None || v.tone != 0 => {
                let base = if v.upper { v.base.to_ascii_uppercase() } else { v.base };
                // ơ and ư are letters of their own; their tone follows them.
                let (lead, modifier) = match v.modifier {
                    Modifier::Horn => {
                        let l = Vowel { tone: 0, ..v }.to_char().unwrap_or(base);
                        (vni_letter_byte(l).unwrap_or(b'?'), Modifier::None)
                    }
                    m => (base as u8, m),
                };
                out.push(lead);
                if modifier != Modifier::None || v.tone != 0 {
                    let marks = (0x80..=0xFFu8).find(|&b| {
                        matches!(vni_byte(b), Some(VniByte::Marks(m, t))
                            if m == modifier && t == v.tone && (b >= 0xE0) != v.upper)
                    });
                    out.extend(marks);
                }
            }
            _ => push_cp1252(&mut out, c),
        }
    }
    out
}

/// The VNI byte that is the letter `c` by itself (`ñ` for đ, `ô` for ơ...).
fn vni_letter_byte(c: char) -> Option<u8> {
    (0x80..=0xFFu8).find(|&b| matches!(vni_byte(b), Some(VniByte::Letter(x)) if x == c))
}

/// Appends `c` in Windows-1252, `?` if it has no byte there.
fn push_cp1252(out: &mut Vec<u8>, c: char) {
    out.push(cp1252_byte(c).unwrap_or(b'?'));
}

fn encode_tcvn3(text: &str) -> Vec<u8> {
    let table = tcvn3_table();
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let find = |c: char| table.iter().position(|&x| x == Some(c)).map(|i| i as u8);
        if let Some(b) = find(c) {
            out.push(b);
            continue;
        }
        if Vowel::of(c).is_some_and(|v| v.upper)
            && let Some(b) = c.to_lowercase().next().and_then(find)
        {
            out.push(b);
            continue;
        }
        if cp1252_byte(c).is_some_and(|b| table[usize::from(b)].is_some()) {
            // A Latin-1 letter whose byte TCVN3 gives to a Vietnamese one (`Ø` is `ỉ`).
            out.push(b'?');
            continue;
        }
        push_cp1252(&mut out, c);
    }
    out
}

fn encode_viqr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    // The current word's letters so far, as the decoder will see them.
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let last = out.chars().next_back();
        let after_letter = last.is_some_and(|l| l.is_ascii_alphabetic() || VIQR_MARKS.contains(l));
        if c == '\\' || (VIQR_MARKS.contains(c) && after_letter) {
            out.push('\\');
            out.push(c);
            word.clear();
            continue;
        }
        if matches!(c, 'd' | 'D')
            && matches!(chars.peek(), Some('d' | 'D'))
            && viqr_dd_allowed(&word, c)
        {
            // A literal "dd" the decoder would read as đ.
            out.push(c);
            out.push('\\');
            if let Some(n) = chars.next() {
                out.push(n);
            }
            word.push(c);
            word.push(c);
            continue;
        }
        if c.is_alphabetic() {
            word.push(if c == 'đ' || c == 'Đ' { 'Đ' } else { c });
        } else {
            word.clear();
        }
        match c {
            'đ' => out.push_str("dd"),
            'Đ' => out.push_str("DD"),
            _ => match Vowel::of(c) {
                Some(v) if v.modifier != Modifier::None || v.tone != 0 => {
                    out.push(if v.upper { v.base.to_ascii_uppercase() } else { v.base });
                    match v.modifier {
                        Modifier::None => {}
                        Modifier::Circumflex => out.push('^'),
                        Modifier::Breve => out.push('('),
                        Modifier::Horn => out.push('+'),
                    }
                    if v.tone != 0 {
                        out.push(['\0', '\'', '`', '?', '~', '.'][usize::from(v.tone)]);
                    }
                }
                _ => out.push(c),
            },
        }
    }
    out
}

/// What [`detect`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detection {
    /// The encoding that makes the most words Vietnamese ([`Encoding::Unicode`] on a tie).
    pub encoding: Encoding,
    /// Words read as Vietnamese syllables with diacritics in that encoding.
    pub words: usize,
    /// The same count when the text is read as Unicode.
    pub unicode_words: usize,
}

impl Detection {
    /// Whether the text is plainly legacy text read as Unicode: converting it turns at least
    /// 8 more words, and twice as many, into Vietnamese syllables.
    pub fn is_mojibake(&self) -> bool {
        self.encoding != Encoding::Unicode
            && self.words >= self.unicode_words + 8
            && self.words >= 2 * self.unicode_words
    }
}

/// How many whitespace-separated words of `text` read as Vietnamese syllables with a diacritic
/// in `enc`. In VIQR a word's last `.` or `?` is taken as punctuation, so plain ASCII (`I go.`)
/// does not count.
fn vietnamese_words(text: &str, enc: Encoding) -> usize {
    let converted;
    let text = match enc {
        Encoding::Vni | Encoding::Tcvn3 => {
            converted = convert(text, enc);
            converted.as_str()
        }
        Encoding::Unicode | Encoding::Viqr => text,
    };
    text.split_whitespace()
        .filter(|w| {
            let viqr;
            let w = if enc == Encoding::Viqr {
                viqr = convert(w.trim_end_matches(|c: char| c.is_ascii_punctuation()), enc);
                viqr.as_str()
            } else {
                w
            };
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            !w.is_ascii() && {
                let nfc: String = w.nfc().collect();
                crate::syllable::is_vietnamese(&nfc)
            }
        })
        .count()
}

/// The most text [`detect`] looks at.
const SAMPLE_BYTES: usize = 64 << 10;

/// Detects the encoding of `text` (looking at its first 64 KB): the encoding that turns the
/// most words into Vietnamese syllables with diacritics, if it at least doubles their number
/// (otherwise [`Encoding::Unicode`]).
pub fn detect(text: &str) -> Detection {
    let mut end = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    let unicode_words = vietnamese_words(sample, Encoding::Unicode);
    let mut best = Detection { encoding: Encoding::Unicode, words: unicode_words, unicode_words };
    for enc in [Encoding::Vni, Encoding::Tcvn3, Encoding::Viqr] {
        let words = vietnamese_words(sample, enc);
        // A legacy reading must at least double the Vietnamese words: plain ASCII read as
        // VIQR gains a word from a sentence-final `go.` (gọ), not a text's worth.
        if words > best.words && words >= 2 * unicode_words.max(1) {
            best = Detection { encoding: enc, words, unicode_words };
        }
    }
    best
}

/// Detects the encoding of a file's bytes, as [`decode`] would read them.
pub fn detect_bytes(bytes: &[u8]) -> Detection {
    match std::str::from_utf8(bytes) {
        Ok(s) => detect(s),
        Err(_) => {
            let s: String =
                bytes[..bytes.len().min(SAMPLE_BYTES)].iter().map(|&b| cp1252(b)).collect();
            detect(&s)
        }
    }
}

/// A cheap first look for [`mojibake`], over the first 64 KB: characters that VNI or TCVN3
/// text shows and Vietnamese Unicode text does not (`ö`, `ï`, `µ`, `¸`...), or VIQR marks after
/// vowels, and more of them than letters that only Vietnamese Unicode has (`ă`, `đ`, `ơ`, `ư`,
/// `ạ`...): legacy text has none of those.
///
/// Every document is looked at, so the look is cheap: each pair of bytes is counted by table
/// lookups and arithmetic, with one branch, taken only at a VIQR mark after a vowel. A `match`
/// on the first byte, whose arms Vietnamese text takes in no predictable order, was 3.6% of
/// the `perf` samples of a run over short documents; this is 1.0%.
fn suspicious(text: &str) -> bool {
    let bytes = &text.as_bytes()[..text.len().min(SAMPLE_BYTES)];
    let (mut latin, mut viqr, mut vietnamese) = (0u64, 0usize, 0u64);
    for (i, w) in bytes.windows(2).enumerate() {
        let (lead, next) = (usize::from(w[0]), w[1]);
        // A second byte after a lead byte continues its character: its low six bits tell
        // which it is.
        let bit = u32::from(next & 0x3F);
        latin += (LATIN1_PAIRS[lead] >> bit) & 1;
        vietnamese += (VIETNAMESE_PAIRS[lead] >> bit) & 1;
        if (BYTE_CLASS[lead] & VOWEL != 0) & (BYTE_CLASS[usize::from(next)] & VIQR_MARK != 0)
            && bytes.get(i + 2).is_some_and(|&n| BYTE_CLASS[usize::from(n)] & VIQR_NEXT != 0)
        {
            viqr += 1;
        }
    }
    let (latin, vietnamese) = (latin as usize, vietnamese as usize);
    (latin >= 8 && latin > vietnamese) || (viqr >= 8 && viqr > vietnamese)
}

/// Classes of ASCII bytes for [`suspicious`] (bits).
const VOWEL: u8 = 1; // a e o u A E O U
const VIQR_MARK: u8 = 2; // ^ ( +
const VIQR_NEXT: u8 = 4; // ASCII letters and ' ` ? ~ .

static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphabetic() || matches!(c, b'\'' | b'`' | b'?' | b'~' | b'.') {
            t[b] |= VIQR_NEXT;
        }
        if matches!(c, b'a' | b'e' | b'o' | b'u' | b'A' | b'E' | b'O' | b'U') {
            t[b] |= VOWEL;
        }
        if matches!(c, b'^' | b'(' | b'+') {
            t[b] |= VIQR_MARK;
        }
        b += 1;
    }
    t
};

/// For each lead byte, bit `b & 0x3F` is set when it and a second byte `b` make a Latin-1
/// character from U+00A1 that Vietnamese does not share (`ö`, `µ`; not `à`, `é`, `ô`).
static LATIN1_PAIRS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut c = 0xA1u32;
    while c <= 0xFF {
        let shared = matches!(
            c,
            0xC0..=0xC3 | 0xC8..=0xCA | 0xCC | 0xCD | 0xD2..=0xD5 | 0xD9 | 0xDA | 0xDD
                | 0xE0..=0xE3 | 0xE8..=0xEA | 0xEC | 0xED | 0xF2..=0xF5 | 0xF9 | 0xFA | 0xFD
        );
        if !shared {
            t[0xC0 | (c >> 6) as usize] |= 1 << (c & 0x3F);
        }
        c += 1;
    }
    t
};

/// For each lead byte, bit `b & 0x3F` is set when it and a second byte `b` start a letter
/// only Vietnamese has: ă Ă đ Đ (C4 ..), ơ Ơ ư Ư (C6 ..), Ạ..ỹ (E1 BA .., E1 BB ..).
static VIETNAMESE_PAIRS: [u64; 256] = {
    let mut t = [0u64; 256];
    t[0xC4] = u64::MAX;
    t[0xC6] = u64::MAX;
    t[0xE1] = 1 << (0xBA & 0x3F) | 1 << (0xBB & 0x3F);
    t
};

/// If `text` looks like a legacy encoding read as Unicode (mojibake such as `Vieät` or
/// `ViÖt`, or VIQR such as `Vie^.t`), which encoding it is.
pub fn mojibake(text: &str) -> Option<Detection> {
    if !suspicious(text) {
        return None;
    }
    let d = detect(text);
    d.is_mojibake().then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`suspicious`] as it was first written, a `match` on each byte.
    fn suspicious_by_match(text: &str) -> bool {
        let bytes = &text.as_bytes()[..text.len().min(SAMPLE_BYTES)];
        let (mut latin, mut viqr, mut vietnamese) = (0usize, 0usize, 0usize);
        for (i, w) in bytes.windows(2).enumerate() {
            match w[0] {
                0xC2 | 0xC3 => {
                    let c = (u32::from(w[0] & 0x1F) << 6) | u32::from(w[1] & 0x3F);
                    // Letters Vietnamese shares with Latin-1 (à, é, ô...).
                    let shared = matches!(
                        c,
                        0xC0..=0xC3 | 0xC8..=0xCA | 0xCC | 0xCD | 0xD2..=0xD5 | 0xD9 | 0xDA | 0xDD
                            | 0xE0..=0xE3 | 0xE8..=0xEA | 0xEC | 0xED | 0xF2..=0xF5 | 0xF9 | 0xFA | 0xFD
                    );
                    if !shared && c >= 0xA1 {
                        latin += 1;
                    }
                }
                // ă Ă đ Đ (U+0102..U+0111), ơ Ơ ư Ư (U+01A0..U+01B0), Ạ..ỹ (U+1EA0..U+1EF9).
                0xC4 | 0xC6 => vietnamese += 1,
                0xE1 if matches!(w[1], 0xBA | 0xBB) => vietnamese += 1,
                b'a' | b'e' | b'o' | b'u' | b'A' | b'E' | b'O' | b'U'
                    if matches!(w[1], b'^' | b'(' | b'+')
                        && bytes
                            .get(i + 2)
                            .is_some_and(|n| n.is_ascii_alphabetic() || b"'`?~.".contains(n)) =>
                {
                    viqr += 1;
                }
                _ => {}
            }
        }
        (latin >= 8 && latin > vietnamese) || (viqr >= 8 && viqr > vietnamese)
    }

    /// Text made of what [`suspicious`] looks at: Latin-1 letters shared with Vietnamese and
    /// not, Vietnamese letters, VIQR marks after vowels, and what may follow them.
    fn mixed() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a", "e", "o", "u", "A", "O", "^", "(", "+", "'", "`", "?", "~", ".", " ", "t", "1",
            "à", "é", "ô", "ã", "ý", "ö", "ï", "µ", "¸", "©", "\u{a0}", "ÿ", "Ö", "ă", "đ", "ơ",
            "ư", "Đ", "ạ", "ỹ", "ế", "ờ", "Ḁ", "€", "中",
        ]);
        prop::collection::vec(pieces, 0..200).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn suspicious_agrees_with_the_match(text in mixed()) {
            prop_assert_eq!(suspicious(&text), suspicious_by_match(&text));
        }
    }

    #[test]
    fn suspicious_reads_legacy_mojibake_and_viqr_not_unicode() {
        let vni_read_as_cp1252 =
            "Vieät Nam laø moät quoác gia naèm ôû Ñoâng Nam AÙ, thuû ñoâ laø Haø Noäi.";
        assert!(suspicious(vni_read_as_cp1252) && suspicious_by_match(vni_read_as_cp1252));
        let viqr = "Vie^.t Nam la` mo^.t quo^'c gia na('m o+? DDo^ng Nam A'. Thu? ddo^ la` Ha` No^.i, \
                    dda^n so^' ho+n chi'n mu+o+i trie^.u ngu+o+`i.";
        assert!(suspicious(viqr) && suspicious_by_match(viqr));
        assert!(!suspicious("Việt Nam là một quốc gia nằm ở Đông Nam Á, thủ đô là Hà Nội."));
        // The 64 KB sample cut inside a character: its lead byte, last, starts no pair.
        for (pad, c) in [("a", "ö"), ("a", "ạ"), ("ab", "ạ"), ("", "Ö")] {
            let long = format!("{pad}{}", c.repeat(40_000));
            assert_eq!(suspicious(&long), suspicious_by_match(&long), "{pad:?} {c:?}");
        }
    }
}
