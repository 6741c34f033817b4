//! Tokens: syllables, foreign words, numbers, punctuation, symbols, URLs, emails, abbreviations.
//!
//! Vietnamese separates syllables with spaces, so most tokens are whitespace-delimited, but a
//! token is not a whitespace chunk: `NVIDIA,` is a name and a comma, while `GPT-3`, `TP.HCM`,
//! `v.v.`, `12/3/2024`, `2.000`, `4,5%`, `COVID-19` and a URL are one token each. The rules:
//!
//! - A *run* of letters, digits and combining marks may continue across one connector char when
//!   the chars around it say so: `.` between digits, or after an all-caps or one- or two-letter
//!   segment (`TP.HCM`, `v.v`, `H.T.P`), or before a lower-case ASCII letter (`google.com`);
//!   `,` and `:` between digits; `/` between digits; `-` and `_` between any alphanumerics;
//!   an apostrophe between letters; `&` between capitals.
//! - A run followed by `.` keeps the dot when it is a known abbreviation (`TP.`, `PGS.TS.`) or
//!   made of one-letter segments (`v.v.`); a number keeps a following `%`.
//! - URLs (`http://`, `https://`, `www.`) and e-mail addresses are taken whole, without the
//!   punctuation that ends the sentence around them.
//! - Invisible characters inside a run are kept inside the token (and dropped from its key),
//!   unless both sides are Vietnamese syllables that do not form one together: then the
//!   invisible char separates them, as a space would.
//! - Any other char is punctuation or a symbol; `...`, `!!` and `?!` stay together.

use crate::key_cache::{Facts, KeyCache};
use crate::normalize::{is_invisible, key_into};
use crate::span::Span;
use serde::{Deserialize, Serialize};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenKind {
    /// A well-formed Vietnamese syllable (`người`, `Hoa`, `AI`).
    Syllable,
    /// Letters that do not form a Vietnamese syllable (`Google`, `GPT-3`, `iFlytek`).
    Foreign,
    /// Digits, with separators and a percent sign (`2.000`, `4,5%`, `12/3/2024`).
    Number,
    /// Punctuation (`,`, `...`, `“`).
    Punct,
    /// Any other symbol (`$`, `+`, emoji).
    Symbol,
    /// A web address.
    Url,
    /// An e-mail address.
    Email,
    /// An abbreviation with dots (`TP.HCM`, `v.v.`, `PGS.TS.`).
    Abbreviation,
}

impl TokenKind {
    /// Every kind, in the order of their declaration (`kind as usize` indexes it).
    pub const ALL: [TokenKind; 8] = [
        TokenKind::Syllable,
        TokenKind::Foreign,
        TokenKind::Number,
        TokenKind::Punct,
        TokenKind::Symbol,
        TokenKind::Url,
        TokenKind::Email,
        TokenKind::Abbreviation,
    ];

    /// The name used in JSON (`syllable`, `foreign`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenKind::Syllable => "syllable",
            TokenKind::Foreign => "foreign",
            TokenKind::Number => "number",
            TokenKind::Punct => "punct",
            TokenKind::Symbol => "symbol",
            TokenKind::Url => "url",
            TokenKind::Email => "email",
            TokenKind::Abbreviation => "abbreviation",
        }
    }

    /// Whether the token is made of letters (a syllable, foreign word or abbreviation).
    pub fn is_wordlike(self) -> bool {
        matches!(self, TokenKind::Syllable | TokenKind::Foreign | TokenKind::Abbreviation)
    }
}

/// One token of a document. 32 bytes: a document holds about one per five bytes of text, so
/// their size is most of the memory an annotation touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Where the token is in the original text.
    pub span: Span,
    /// [`key_hash`] of its key: what the models look words up by.
    pub hash: u64,
    /// Where its key starts in the document's key buffer (see [`crate::Document::norm`]).
    norm_start: u32,
    /// The length of its key in bytes.
    norm_len: u16,
    /// What it is.
    pub kind: TokenKind,
    /// Case of its letters (bits of [`case`]).
    pub case: u8,
}

const _: () = assert!(std::mem::size_of::<Token>() == 32);

/// The longest key a token has, in bytes. Longer keys are cut at a char boundary: only absurd
/// tokens (64 KiB without a space) have them. Keys in a document's key buffer past 4 GiB are
/// empty.
pub const MAX_KEY: usize = u16::MAX as usize;

impl Token {
    /// Where its key is in the document's key buffer.
    #[inline]
    pub(crate) fn norm(&self) -> std::ops::Range<usize> {
        let start = self.norm_start as usize;
        start..start + usize::from(self.norm_len)
    }

    /// Moves its key by `by` bytes in the key buffer (pieces of a document put together).
    pub(crate) fn shift_norm(&mut self, by: usize) {
        let r = self.norm();
        self.set_norm(r.start + by, r.len());
    }

    fn set_norm(&mut self, start: usize, len: usize) {
        (self.norm_start, self.norm_len) = match (u32::try_from(start), u16::try_from(len)) {
            (Ok(s), Ok(l)) => (s, l),
            _ => (0, 0),
        };
    }
}

/// Bits describing the case of a token's letters.
pub mod case {
    /// The first char is an upper-case letter.
    pub const FIRST_UPPER: u8 = 1;
    /// At least one upper-case letter.
    pub const HAS_UPPER: u8 = 2;
    /// At least two upper-case letters.
    pub const MULTI_UPPER: u8 = 4;
    /// At least one lower-case letter.
    pub const HAS_LOWER: u8 = 8;
    /// At least two chars.
    pub const MULTI_CHAR: u8 = 16;

    /// The case bits of `s`. Combining marks do not count as chars, so NFC and NFD spellings
    /// of a word get the same bits.
    pub fn of(s: &str) -> u8 {
        if !s.is_ascii() {
            return of_chars(s);
        }
        // ASCII (punctuation, numbers), counted over bytes.
        let b = s.as_bytes();
        let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
        let mut bits = if b.len() > 1 { MULTI_CHAR } else { 0 };
        if b.first().is_some_and(u8::is_ascii_uppercase) {
            bits |= FIRST_UPPER;
        }
        if b.iter().any(u8::is_ascii_lowercase) {
            bits |= HAS_LOWER;
        }
        bits | upper_count(upper)
    }

    /// The bits that count upper-case letters.
    fn upper_count(upper: usize) -> u8 {
        match upper {
            0 => 0,
            1 => HAS_UPPER,
            _ => HAS_UPPER | MULTI_UPPER,
        }
    }

    pub(super) fn of_chars(s: &str) -> u8 {
        let mut bits = 0;
        let mut upper = 0;
        let chars = s
            .chars()
            .filter(|&c| c.is_ascii() || !unicode_normalization::char::is_combining_mark(c));
        for (i, c) in chars.enumerate() {
            if i == 1 {
                bits |= MULTI_CHAR;
            }
            let (up, low) = (super::is_upper(c), super::is_lower(c));
            if up {
                upper += 1;
                if i == 0 {
                    bits |= FIRST_UPPER;
                }
            } else if low {
                bits |= HAS_LOWER;
            }
        }
        bits | upper_count(upper)
    }
}

/// The hash of a key that dictionaries and models index by (FxHash of its bytes).
#[inline]
pub fn key_hash(key: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(key.as_bytes());
    h.finish()
}

/// Abbreviations that keep a following dot (compared case-sensitively, without the dot).
const ABBREVIATIONS: &[&str] = &[
    "TP", "Tp", "tp", "PGS", "GS", "TS", "ThS", "Th.S", "BS", "KS", "NXB", "TT", "Mr", "Mrs", "Ms",
    "Dr", "Prof", "St", "vs", "etc", "Inc", "Ltd", "Corp", "Jr", "Sr", "PGS.TS", "GS.TS", "TS.BS",
    "Ths", "tr", "TX", "UBND", "HĐND", "Co",
];

/// Abbreviations after which a sentence may end (`... v.v. Sau đó`).
pub(crate) fn may_end_sentence(abbr: &str) -> bool {
    matches!(abbr, "v.v." | "etc." | "v.v.v." | "Inc." | "Ltd." | "Corp." | "Co.")
}

/// Whether `c` is a letter, with a fast path for the blocks Vietnamese is written in
/// (`char::is_alphabetic` does a table search for every non-ASCII char).
#[inline]
pub(crate) fn is_letter(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphabetic(),
        0xC0..=0x24F => c != '×' && c != '÷',
        0x1EA0..=0x1EF9 => true,
        _ => c.is_alphabetic(),
    }
}

/// `char::is_uppercase` with a fast path for Vietnamese letters (whose blocks alternate
/// upper, lower).
#[inline]
pub(crate) fn is_upper(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_uppercase(),
        0xC0..=0xDE => c != '×',
        0xDF..=0xFF => false,
        0x102 | 0x110 | 0x128 | 0x168 | 0x1A0 | 0x1AF => true,
        0x103 | 0x111 | 0x129 | 0x169 | 0x1A1 | 0x1B0 => false,
        0x1EA0..=0x1EF9 => (c as u32).is_multiple_of(2),
        _ => c.is_uppercase(),
    }
}

/// `char::is_lowercase` with the same fast path as [`is_upper`].
#[inline]
pub(crate) fn is_lower(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_lowercase(),
        0xC0..=0xDE => false,
        0xDF..=0xFF => c != '÷',
        0x102 | 0x110 | 0x128 | 0x168 | 0x1A0 | 0x1AF => false,
        0x103 | 0x111 | 0x129 | 0x169 | 0x1A1 | 0x1B0 => true,
        0x1EA0..=0x1EF9 => !(c as u32).is_multiple_of(2),
        _ => c.is_lowercase(),
    }
}

/// Letters, digits and combining marks: what a word-like run is made of.
#[inline]
fn is_alnum(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphanumeric(),
        0xC0..=0x24F => c != '×' && c != '÷',
        0x1EA0..=0x1EF9 => true,
        // General Punctuation (dashes, quotes, `…`, invisible chars): no letters or marks.
        0x2000..=0x206F => false,
        _ => c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c),
    }
}

/// Punctuation outside ASCII that Vietnamese text uses; every other non-alphanumeric,
/// non-space char is a symbol.
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation()
            && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~');
    }
    matches!(
        c,
        '“' | '”'
            | '‘'
            | '’'
            | '«'
            | '»'
            | '…'
            | '–'
            | '—'
            | '‐'
            | '‑'
            | '‒'
            | '―'
            | '•'
            | '·'
            | '¡'
            | '¿'
            | '、'
            | '。'
            | '「'
            | '」'
            | '『'
            | '』'
            | '【'
            | '】'
            | '〈'
            | '〉'
            | '《'
            | '》'
            | '¶'
            | '§'
            | '′'
            | '″'
            | '‹'
            | '›'
            | '„'
            | '‚'
            | '〔'
            | '〕'
            | '！'
            | '？'
            | '，'
            | '：'
            | '；'
            | '（'
            | '）'
    )
}

thread_local! {
    /// Letter runs seen before. Running the syllable parser is several times slower than this
    /// lookup, and a few thousand syllables make up almost all of any Vietnamese text.
    static KEYS: std::cell::RefCell<KeyCache> = std::cell::RefCell::new(KeyCache::default());
}

fn compute(s: &str, scratch: &mut Vec<char>, out: &mut String) -> Facts {
    let start = out.len();
    let syllable = key_into(s, true, scratch, out);
    Facts { syllable, case: case::of(s), hash: key_hash(&out[start..]) }
}

/// Appends the key of a candidate syllable to `out`, through the cache.
fn cached_key(cache: &mut KeyCache, s: &str, scratch: &mut Vec<char>, out: &mut String) -> Facts {
    if let Some(f) = cache.get(s, out) {
        return f;
    }
    let start = out.len();
    let f = compute(s, scratch, out);
    cache.insert(s, &out[start..], f);
    f
}

/// Splits `text` into tokens, appending them to `tokens` and their keys to `norms`, each key
/// followed by a space.
pub fn tokenize(text: &str, tokens: &mut Vec<Token>, norms: &mut String) {
    tokenize_with(text, tokens, norms, true);
}

/// [`tokenize`], with or without the shortcut for plain letter runs (tests compare the two).
fn tokenize_with(text: &str, tokens: &mut Vec<Token>, norms: &mut String, shortcut: bool) {
    // The thread's cache is taken for the whole document (one thread-local access, not one
    // per token) and given back after.
    let cache = KEYS.with_borrow_mut(std::mem::take);
    // About one token per five bytes, and keys as long as the text: room up front.
    tokens.reserve(text.len() / 5);
    norms.reserve(text.len());
    let mut t = Tokenizer {
        text,
        bytes: text.as_bytes(),
        tokens,
        norms,
        scratch: Vec::new(),
        cache,
        next_at: 0,
        shortcut,
    };
    t.run();
    let cache = t.cache;
    KEYS.with_borrow_mut(|c| *c = cache);
}

struct Tokenizer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    tokens: &'a mut Vec<Token>,
    norms: &'a mut String,
    scratch: Vec<char>,
    cache: KeyCache,
    /// Position of the next `@` at or after the scan (the text's length if none): a run is only
    /// checked for an e-mail address when one is close ahead.
    next_at: usize,
    /// Whether plain letter runs take [`Tokenizer::plain_word_end`].
    shortcut: bool,
}

impl Tokenizer<'_> {
    fn char_at(&self, i: usize) -> Option<char> {
        self.text.get(i..).and_then(|s| s.chars().next())
    }

    fn push(&mut self, start: usize, end: usize, kind: TokenKind) {
        let s = &self.text[start..end];
        let k0 = self.norms.len();
        let (kind, case, mut hash) = match kind {
            TokenKind::Syllable => {
                let c = cached_key(&mut self.cache, s, &mut self.scratch, self.norms);
                (if c.syllable { TokenKind::Syllable } else { TokenKind::Foreign }, c.case, c.hash)
            }
            k if s.is_ascii() => {
                // ASCII needs no normalization: its key is its lower case.
                self.norms.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
                (k, case::of(s), key_hash(&self.norms[k0..]))
            }
            k => {
                key_into(s, false, &mut self.scratch, self.norms);
                (k, case::of(s), key_hash(&self.norms[k0..]))
            }
        };
        if self.norms.len() - k0 > MAX_KEY {
            let mut cut = k0 + MAX_KEY;
            while !self.norms.is_char_boundary(cut) {
                cut -= 1;
            }
            self.norms.truncate(cut);
            hash = key_hash(&self.norms[k0..]);
        }
        let mut t =
            Token { span: Span::new(start, end), hash, norm_start: 0, norm_len: 0, kind, case };
        t.set_norm(k0, self.norms.len() - k0);
        // Each key is followed by a space: the keys of consecutive tokens, space-separated
        // (what the models look multi-syllable words up by), are then a slice of the buffer.
        self.norms.push(' ');
        self.tokens.push(t);
    }

    fn run(&mut self) {
        let len = self.text.len();
        let mut i = 0;
        while i < len {
            let b = self.bytes[i];
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let c = self.char_at(i).expect("in bounds");
            let cl = c.len_utf8();
            if c.is_whitespace() || is_invisible(c) {
                i += cl;
            } else if is_alnum(c) {
                i = self.word_run(i);
            } else if is_punct(c) {
                let mut end = i + cl;
                if matches!(c, '.' | '!' | '?') {
                    while end < len && matches!(self.bytes[end], b'.' | b'!' | b'?') {
                        end += 1;
                    }
                }
                self.push(i, end, TokenKind::Punct);
                i = end;
            } else {
                let end = self.symbol_end(i + cl);
                self.push(i, end, TokenKind::Symbol);
                i = end;
            }
        }
    }

    /// Extends a symbol over combining marks, variation selectors, skin tones and ZWJ
    /// sequences, so an emoji is one token.
    fn symbol_end(&self, mut end: usize) -> usize {
        while let Some(c) = self.char_at(end) {
            let joins = unicode_normalization::char::is_combining_mark(c)
                || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}');
            if joins {
                end += c.len_utf8();
            } else if c == '\u{200D}' {
                end += c.len_utf8();
                // A joiner joins symbols (emoji sequences); before a letter or digit it is
                // an invisible that must not glue the word to the symbol.
                if let Some(n) = self.char_at(end)
                    && !n.is_whitespace()
                    && !is_alnum(n)
                {
                    end += n.len_utf8();
                }
            } else {
                break;
            }
        }
        end
    }

    fn starts_url(&self, i: usize) -> bool {
        let rest = &self.bytes[i..];
        let prefix = |p: &[u8]| rest.len() > p.len() && rest[..p.len()].eq_ignore_ascii_case(p);
        (prefix(b"http://") || prefix(b"https://") || prefix(b"www."))
            && (i == 0 || !is_alnum(self.text[..i].chars().next_back().unwrap_or(' ')))
    }

    fn url_end(&self, i: usize) -> usize {
        let mut end = i;
        let mut parens = 0i32;
        for (k, c) in self.text[i..].char_indices() {
            if c.is_whitespace() || matches!(c, '<' | '>' | '"' | '“' | '”') {
                break;
            }
            match c {
                '(' => parens += 1,
                ')' => parens -= 1,
                _ => {}
            }
            end = i + k + c.len_utf8();
        }
        // Sentence punctuation after a URL is not part of it; a `)` is, when it closes a `(`.
        while end > i {
            let c = self.text[..end].chars().next_back().expect("non-empty");
            let trim = match c {
                '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '’' | ']' | '}' | '»' => true,
                ')' => parens < 0,
                _ => false,
            };
            if !trim {
                break;
            }
            if c == ')' {
                parens += 1;
            }
            end -= c.len_utf8();
        }
        end
    }

    /// If an e-mail address starts at `i`, returns its end.
    fn email_end(&self, i: usize) -> Option<usize> {
        let b = self.bytes;
        let local =
            |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
        let mut j = i;
        while j < b.len() && local(b[j]) {
            j += 1;
        }
        if j == i || j >= b.len() || b[j] != b'@' {
            return None;
        }
        let dom_start = j + 1;
        let mut k = dom_start;
        while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'-' || b[k] == b'.') {
            k += 1;
        }
        while k > dom_start && b[k - 1] == b'.' {
            k -= 1;
        }
        // The domain needs a dot with something on both sides.
        match b[dom_start..k].iter().rposition(|&c| c == b'.') {
            Some(d) if d > 0 => Some(k),
            _ => None,
        }
    }

    /// Scans a run of alphanumerics with connectors starting at `i`; pushes its token(s) and
    /// returns where scanning goes on.
    fn word_run(&mut self, i: usize) -> usize {
        if let Some(end) = self.plain_word_end(i).filter(|_| self.shortcut) {
            self.push(i, end, TokenKind::Syllable);
            return end;
        }
        if (self.bytes[i] | 0x20 == b'h' || self.bytes[i] | 0x20 == b'w') && self.starts_url(i) {
            let end = self.url_end(i);
            self.push(i, end, TokenKind::Url);
            return end;
        }
        if self.next_at < i {
            // `str::find` of a char searches with `memchr`.
            self.next_at = self.text[i..].find('@').map_or(self.bytes.len(), |p| i + p);
        }
        let at_close = self.next_at - i <= 64
            && !self.bytes[i..self.next_at].iter().any(u8::is_ascii_whitespace);
        if at_close
            && self.bytes[i].is_ascii_alphanumeric()
            && let Some(end) = self.email_end(i)
        {
            self.push(i, end, TokenKind::Email);
            return end;
        }
        let len = self.text.len();
        let mut j = i;
        let mut seg = Segment::default();
        let mut connectors = false;
        let mut has_letter = false;
        let mut has_invisible = false;
        let mut dots_between_letters = false;
        let mut all_segments_short = true;
        while j < len {
            let b = self.bytes[j];
            if b.is_ascii_alphanumeric() {
                seg.add_ascii(b);
                has_letter |= b.is_ascii_alphabetic();
                j += 1;
                continue;
            }
            let c = self.char_at(j).expect("in bounds");
            if is_alnum(c) {
                seg.add(c);
                has_letter |= is_letter(c);
                j += c.len_utf8();
                continue;
            }
            if is_invisible(c) {
                // Provisionally inside the run when a letter follows; see `split_invisibles`.
                match self.char_at(j + c.len_utf8()) {
                    Some(n) if is_alnum(n) || is_invisible(n) => {
                        has_invisible = true;
                        j += c.len_utf8();
                        continue;
                    }
                    _ => break,
                }
            }
            let Some(next) = self.char_at(j + c.len_utf8()) else { break };
            if !is_alnum(next) {
                break;
            }
            let prev_digit = seg.last.is_some_and(|p| p.is_ascii_digit());
            let next_digit = next.is_ascii_digit();
            let join = match c {
                '.' => {
                    (prev_digit && next_digit)
                        || (!seg.digits_only()
                            && (seg.all_upper()
                                || seg.chars <= 2
                                || (seg.ascii && next.is_ascii_lowercase())))
                }
                ',' | ':' | '/' => prev_digit && next_digit,
                '-' | '_' => true,
                '\'' | '’' => seg.letters > 0 && is_letter(next),
                '&' => seg.all_upper() && next.is_uppercase(),
                _ => false,
            };
            if !join {
                break;
            }
            if c == '.' && !prev_digit {
                dots_between_letters = true;
            }
            all_segments_short &= seg.chars <= 1;
            connectors = true;
            seg = Segment::default();
            j += c.len_utf8();
        }
        let mut end = j;
        let run = &self.text[i..end];
        let kind = if !has_letter {
            if self.bytes.get(end) == Some(&b'%') {
                end += 1;
            }
            TokenKind::Number
        } else if dots_between_letters {
            TokenKind::Abbreviation
        } else if connectors {
            TokenKind::Foreign
        } else {
            TokenKind::Syllable
        };
        // A following dot belongs to an abbreviation (`TP.`, `v.v.`), not to the sentence.
        let mut kind = kind;
        if has_letter && self.bytes.get(end) == Some(&b'.') {
            let after = self.char_at(end + 1);
            let dot_free = after.is_none_or(|a| !is_alnum(a) && a != '.');
            let single_letters = dots_between_letters && all_segments_short && seg.chars <= 1;
            // An initial: `Robert H. McNaught`, `ông K. nói`.
            let initial = !connectors
                && seg.chars == 1
                && seg.upper == 1
                && self.text[end + 1..].starts_with(' ')
                && self.text[end + 1..].trim_start().starts_with(char::is_uppercase)
                && i > 0
                && self.text[..i].ends_with(' ');
            if dot_free && (single_letters || initial || ABBREVIATIONS.contains(&run)) {
                end += 1;
                kind = TokenKind::Abbreviation;
            }
        }
        if has_invisible && kind == TokenKind::Syllable {
            self.split_invisibles(i, end);
        } else {
            self.push(i, end, kind);
        }
        end
    }

    /// The end of the run at `i` when it is made of letters only (ASCII or of the Vietnamese
    /// blocks) and ends plainly: at the end of the text, whitespace, or punctuation that cannot
    /// join it to more nor make it a URL or an e-mail address. Most runs are; they need none of
    /// the general scan's bookkeeping.
    /// `None` sends the run to the general scan (digits, connectors, a following dot,
    /// invisible chars, combining marks, other scripts).
    fn plain_word_end(&self, i: usize) -> Option<usize> {
        let b = self.bytes;
        let mut j = i;
        loop {
            let Some(&x) = b.get(j) else { return (j > i).then_some(j) };
            // The letters of the Vietnamese blocks told by their UTF-8 bytes, without decoding:
            // U+00C0..U+024F (lead bytes C3..C9, less `×` C3 97 and `÷` C3 B7) and
            // U+1EA0..U+1EF9 (E1 BA A0..BF, E1 BB 80..B9).
            let step = match x {
                b'a'..=b'z' | b'A'..=b'Z' => 1,
                0xC3..=0xC9 => match b.get(j + 1) {
                    Some(&y)
                        if (0x80..0xC0).contains(&y)
                            && !(x == 0xC3 && (y == 0x97 || y == 0xB7)) =>
                    {
                        2
                    }
                    _ => 0,
                },
                0xE1 => match (b.get(j + 1), b.get(j + 2)) {
                    (Some(0xBA), Some(0xA0..=0xBF)) | (Some(0xBB), Some(0x80..=0xB9)) => 3,
                    _ => 0,
                },
                _ => 0,
            };
            if step > 0 {
                j += step;
                continue;
            }
            if j == i {
                return None;
            }
            if x.is_ascii() {
                // Connectors, and what URLs (`https:`) and e-mail addresses continue with.
                let joins = x.is_ascii_digit()
                    || matches!(x, b'.' | b'-' | b'_' | b'\'' | b'&' | b':' | b'@' | b'%' | b'+');
                return (!joins).then_some(j);
            }
            let c = self.char_at(j)?;
            let ends = !is_alnum(c) && !is_invisible(c) && c != '’';
            return ends.then_some(j);
        }
    }

    /// Pushes a letter run that contains invisible chars: one token, unless the invisible
    /// char stands between two syllables that are not one syllable together.
    fn split_invisibles(&mut self, start: usize, end: usize) {
        let mut piece_start = start;
        let mut pos = start;
        let text = self.text;
        for (k, c) in text[start..end].char_indices() {
            let at = start + k;
            if !is_invisible(c) {
                continue;
            }
            if at > pos {
                let left = &text[piece_start..at];
                let right_end = text[at..end]
                    .char_indices()
                    .skip(1)
                    .find(|&(_, c)| is_invisible(c))
                    .map_or(end, |(k2, _)| at + k2);
                let right = &text[at + c.len_utf8()..right_end];
                let glued: String = format!("{left}{right}");
                let sep = crate::syllable::is_vietnamese(&crate::normalize::key(left))
                    && crate::syllable::is_vietnamese(&crate::normalize::key(right))
                    && !crate::syllable::is_vietnamese(&crate::normalize::key(&glued));
                if sep {
                    self.push(piece_start, at, TokenKind::Syllable);
                    piece_start = at + c.len_utf8();
                }
            }
            pos = at + c.len_utf8();
        }
        if piece_start < end {
            // Leading invisibles are not part of the token.
            let trimmed = text[piece_start..end].trim_start_matches(is_invisible);
            self.push(end - trimmed.len(), end, TokenKind::Syllable);
        }
    }
}

/// What the tokenizer knows about the segment of a run since its last connector.
#[derive(Default)]
struct Segment {
    chars: usize,
    letters: usize,
    upper: usize,
    digits: usize,
    ascii: bool,
    last: Option<char>,
}

impl Segment {
    fn add_ascii(&mut self, b: u8) {
        if self.chars == 0 {
            self.ascii = true;
        }
        self.chars += 1;
        if b.is_ascii_alphabetic() {
            self.letters += 1;
            self.upper += usize::from(b.is_ascii_uppercase());
        } else {
            self.digits += 1;
        }
        self.last = Some(b as char);
    }

    fn add(&mut self, c: char) {
        if self.chars == 0 {
            self.ascii = true;
        }
        self.chars += 1;
        self.ascii &= c.is_ascii();
        if is_letter(c) {
            self.letters += 1;
            if is_upper(c) {
                self.upper += 1;
            }
        } else if c.is_ascii_digit() {
            self.digits += 1;
        }
        self.last = Some(c);
    }
    fn all_upper(&self) -> bool {
        self.letters > 0 && self.upper == self.letters
    }
    fn digits_only(&self) -> bool {
        self.letters == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(&str, TokenKind)> {
        let mut tokens = Vec::new();
        let mut norms = String::new();
        tokenize(text, &mut tokens, &mut norms);
        tokens.iter().map(|t| (&text[t.span], t.kind)).collect()
    }

    fn one(text: &str, kind: TokenKind) {
        assert_eq!(toks(text), vec![(text, kind)], "{text:?}");
    }

    use TokenKind::*;

    #[test]
    fn single_tokens() {
        one("GPT-3", Foreign);
        one("TP.HCM", Abbreviation);
        one("v.v.", Abbreviation);
        one("PGS.TS.", Abbreviation);
        one("H.T.P", Abbreviation);
        one("12/3/2024", Number);
        one("2.000", Number);
        one("4,5%", Number);
        one("COVID-19", Foreign);
        one("iFlytek", Foreign);
        one("https://vi.wikipedia.org/wiki/Hà_Nội", Url);
        one("lienhe@vita.vn", Email);
        assert_eq!(
            toks("tại a.b@c.vn."),
            vec![("tại", Syllable), ("a.b@c.vn", Email), (".", Punct)]
        );
        one("người", Syllable);
        one("Nguo\u{302}\u{300}n", Syllable);
        one("AT&T", Foreign);
        one("👍🏽", Symbol);
    }

    #[test]
    fn punctuation_is_split() {
        assert_eq!(toks("NVIDIA ,"), vec![("NVIDIA", Foreign), (",", Punct)]);
        assert_eq!(
            toks("Baidu, Alibaba"),
            vec![("Baidu", Foreign), (",", Punct), ("Alibaba", Foreign)]
        );
        assert_eq!(toks("Megvil..."), vec![("Megvil", Foreign), ("...", Punct)]);
        assert_eq!(
            toks("(xem https://a.vn/x.)"),
            vec![
                ("(", Punct),
                ("xem", Syllable),
                ("https://a.vn/x", Url),
                (".", Punct),
                (")", Punct)
            ]
        );
        assert_eq!(toks("năm 2024."), vec![("năm", Syllable), ("2024", Number), (".", Punct)]);
        assert_eq!(toks("Nội.Sau"), vec![("Nội", Syllable), (".", Punct), ("Sau", Syllable)]);
        assert_eq!(toks("và/hoặc"), vec![("và", Syllable), ("/", Punct), ("hoặc", Syllable)]);
        assert_eq!(toks("1. THỐNG"), vec![("1", Number), (".", Punct), ("THỐNG", Syllable)]);
        assert_eq!(
            toks("ông H. Nam"),
            vec![("ông", Syllable), ("H.", Abbreviation), ("Nam", Syllable)]
        );
        assert_eq!(toks("vitamin C."), vec![("vitamin", Foreign), ("C", Foreign), (".", Punct)]);
    }

    #[test]
    fn invisibles_never_split_or_glue() {
        assert_eq!(toks("Vi\u{200B}ệt"), vec![("Vi\u{200B}ệt", Syllable)]);
        assert_eq!(toks("Hà\u{200B}Nội"), vec![("Hà", Syllable), ("Nội", Syllable)]);
        assert_eq!(toks("Hà\u{200B} Nội"), vec![("Hà", Syllable), ("Nội", Syllable)]);
        assert_eq!(toks("Hà\u{A0}Nội"), vec![("Hà", Syllable), ("Nội", Syllable)]);
        assert_eq!(toks("\u{FEFF}Hà"), vec![("Hà", Syllable)]);
    }

    #[test]
    fn case_bits_ignore_combining_marks() {
        // Found by proptest: NFD `ẹ` looked like two chars.
        assert_eq!(case::of("ẹ"), case::of("e\u{323}"));
        assert_eq!(case::of("Ệ"), case::of("E\u{323}\u{302}"));
    }

    proptest::proptest! {
        #[test]
        fn case_of_ascii_counted_over_bytes(s in "[ -~]{0,6}") {
            proptest::prop_assert_eq!(case::of(&s), case::of_chars(&s));
        }
    }

    #[test]
    fn general_punctuation_has_no_letters() {
        for c in '\u{2000}'..='\u{206F}' {
            let mark = unicode_normalization::char::is_combining_mark(c);
            assert!(!is_alnum(c) && !c.is_alphanumeric() && !mark, "{c:?}");
        }
    }

    #[test]
    fn fast_case_agrees_with_std() {
        for c in ('\0'..='\u{2FF}').chain('\u{1E00}'..='\u{1EFF}') {
            assert_eq!(is_upper(c), c.is_uppercase(), "{c:?}");
            assert_eq!(is_lower(c), c.is_lowercase(), "{c:?}");
        }
    }

    proptest::proptest! {
        /// The shortcut for plain letter runs gives what the general scan gives.
        #[test]
        fn shortcut_agrees_with_the_general_scan(
            text in "([a-zA-ZđĐàÀếẾọỌươƯ×÷]{1,5}|[ \\n.,:/'’&_@%+-]|[0-9]{1,3}|\u{200B}|\u{301}|“|”|…|TP\\.|v\\.v\\.|www\\.|https?://|[a-z]{1,3}@[a-z]{1,3}\\.vn|Hà\u{200B}Nội){0,40}",
        ) {
            let run = |shortcut| {
                let (mut tokens, mut norms) = (Vec::new(), String::new());
                tokenize_with(&text, &mut tokens, &mut norms, shortcut);
                (tokens, norms)
            };
            proptest::prop_assert_eq!(run(true), run(false));
        }
    }

    #[test]
    fn absurdly_long_tokens_have_cut_keys() {
        for (text, kind) in [("Ă".repeat(40_000), Foreign), (".".repeat(70_000), Punct)] {
            let text = format!("{text} b");
            let mut tokens = Vec::new();
            let mut norms = String::new();
            tokenize(&text, &mut tokens, &mut norms);
            assert_eq!(tokens.len(), 2);
            assert_eq!(tokens[0].kind, kind);
            let key = &norms[tokens[0].norm()];
            assert!(key.len() <= MAX_KEY && key.len() > MAX_KEY - 4, "{}", key.len());
            assert_eq!(tokens[0].hash, key_hash(key));
            assert_eq!(&norms[tokens[1].norm()], "b");
        }
    }

    #[test]
    fn keys() {
        let mut tokens = Vec::new();
        let mut norms = String::new();
        tokenize("Hoà NGỪƠI 4,5%", &mut tokens, &mut norms);
        let keys: Vec<&str> = tokens.iter().map(|t| &norms[t.norm()]).collect();
        assert_eq!(keys, ["hòa", "người", "4,5%"]);
    }
}
