//! Normalization of Vietnamese text: NFC, tone-mark placement, look-alikes, invisibles, folding.
//!
//! The same word reaches us in many byte sequences: composed (NFC) or decomposed (NFD, with
//! combining marks in any order), with the tone mark on either vowel of `oa`/`oe`/`uy`
//! (`hòa`/`hoà`), on the wrong vowel altogether (`qủa`, `ngừơi`), with an Icelandic eth
//! (`Ðà Nẵng`) or with zero-width characters inside. Analysis never rewrites the document:
//! each token keeps its span in the original text and gets a *key* ([`key`]), the one form
//! every dictionary, stopword list and gazetteer is looked up with. Only `vita normalize`
//! produces a new text, through [`AlignedText`], whose map sends any span of the output back to
//! the input.

use crate::span::Span;
pub use crate::syllable::ToneStyle;
use crate::syllable::{self, place_tone};
use crate::token::{self, TokenKind};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Invisible format characters that must neither split nor glue syllables: zero-width space,
/// non-joiner and joiner, word joiner, BOM, soft hyphen, Mongolian vowel separator and the
/// invisible math operators.
#[inline]
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}'
            ..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

/// Collects the chars of `s` in NFC, without invisible characters.
pub(crate) fn nfc_chars(s: &str, out: &mut Vec<char>) {
    out.clear();
    let clean = s.is_ascii()
        || (!s.chars().any(is_invisible) && is_nfc_quick(s.chars()) == IsNormalized::Yes);
    if clean {
        out.extend(s.chars());
    } else {
        out.extend(s.chars().filter(|&c| !is_invisible(c)).nfc());
    }
}

fn is_eth(c: char) -> bool {
    c == 'ð' || c == 'Ð'
}

fn eth_to_d(c: char) -> char {
    match c {
        'ð' => 'đ',
        'Ð' => 'Đ',
        c => c,
    }
}

/// Writes the syllable `chars` with its tone mark placed for `style` (and lower-cased when
/// `lower`), repairing an eth used for `đ`. Returns `false`, writing nothing, when the chars are
/// not a Vietnamese syllable.
pub(crate) fn rewrite_syllable(
    chars: &mut [char],
    style: ToneStyle,
    lower: bool,
    out: &mut String,
) -> bool {
    if place_tone(chars, style, lower, out) {
        return true;
    }
    if chars.iter().copied().any(is_eth) {
        let original: Vec<char> = chars.to_vec();
        for c in chars.iter_mut() {
            *c = eth_to_d(*c);
        }
        if place_tone(chars, style, lower, out) {
            return true;
        }
        chars.copy_from_slice(&original);
    }
    false
}

/// Appends the lookup key of one token to `out` and tells whether the token is a Vietnamese
/// syllable. `maybe_syllable` is false for tokens that cannot be one (numbers, punctuation,
/// tokens with inner connectors), which skips the syllable parser.
pub(crate) fn key_into(
    s: &str,
    maybe_syllable: bool,
    scratch: &mut Vec<char>,
    out: &mut String,
) -> bool {
    nfc_chars(s, scratch);
    if maybe_syllable && rewrite_syllable(scratch, ToneStyle::Traditional, true, out) {
        return true;
    }
    for &c in scratch.iter() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    false
}

/// The lookup key of a word or syllable: NFC, traditional tone placement, lower case,
/// invisibles removed, `ð` read as `đ` in Vietnamese syllables. Syllables separated by
/// whitespace stay separated by one space.
///
/// Keys are identical for NFC and NFD input and for either tone placement:
///
/// ```
/// use vita::normalize::key;
/// assert_eq!(key("Hoà Bình"), "hòa bình");
/// assert_eq!(key("Ho\u{300}a"), "hòa");
/// assert_eq!(key("NGỪƠI"), "người");
/// assert_eq!(key("Ðà Nẵng"), "đà nẵng");
/// ```
pub fn key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut scratch = Vec::new();
    for part in s.split(|c: char| c.is_whitespace()) {
        part_key(part, &mut scratch, &mut out);
    }
    out
}

/// Appends the key of `part` (no whitespace in it) to `out`, after a space if `out` has a key
/// already; nothing if the part has nothing visible.
fn part_key(part: &str, scratch: &mut Vec<char>, out: &mut String) {
    let before = out.len();
    if before > 0 {
        out.push(' ');
    }
    let maybe = part.chars().all(|c| c.is_alphabetic() || is_mark_or_invisible(c));
    key_into(part, maybe, scratch, out);
    if out.len() == before + usize::from(before > 0) {
        out.truncate(before); // nothing visible in this part
    }
}

/// [`key`] for many names that share their syllables (a gazetteer): each distinct part is
/// normalized once.
#[derive(Default)]
pub(crate) struct Keys<'a> {
    parts: rustc_hash::FxHashMap<&'a str, String>,
    scratch: Vec<char>,
}

impl<'a> Keys<'a> {
    /// The same as [`key`]`(s)`.
    pub(crate) fn key(&mut self, s: &'a str) -> String {
        let mut out = String::with_capacity(s.len());
        for part in s.split(|c: char| c.is_whitespace()) {
            let k = self.parts.entry(part).or_insert_with(|| {
                let mut k = String::new();
                part_key(part, &mut self.scratch, &mut k);
                k
            });
            if !k.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(k);
            }
        }
        out
    }
}

fn is_mark_or_invisible(c: char) -> bool {
    is_invisible(c) || unicode_normalization::char::is_combining_mark(c)
}

/// Removes all diacritics: tone marks, quality marks (`ă â ê ô ơ ư`) and the bar of `đ`.
/// Meant for search keys; tones carry meaning, so analysis never does this by itself.
///
/// ```
/// assert_eq!(vita::normalize::strip_diacritics("Đại Việt hòa bình"), "Dai Viet hoa binh");
/// ```
pub fn strip_diacritics(s: &str) -> String {
    s.nfc()
        .map(syllable::fold_char)
        .filter(|&c| !unicode_normalization::char::is_combining_mark(c))
        .collect()
}

/// Options of [`normalize`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NormalizeOptions {
    /// Where tone marks go.
    pub tone_style: ToneStyle,
    /// Remove every diacritic (`Đại Việt` -> `Dai Viet`).
    pub strip_diacritics: bool,
}

/// A normalized text with the map back to the text it came from.
///
/// The text is built one token at a time with separators copied, so every token of the output
/// maps to exactly one token of the input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlignedText {
    /// The normalized text.
    pub text: String,
    pieces: Vec<Piece>,
    original_len: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Piece {
    out: Span,
    orig: Span,
    /// Identical bytes on both sides, so the map inside the piece is exact.
    verbatim: bool,
}

impl AlignedText {
    fn push(&mut self, orig: Span, out: &str, original: &str) {
        let start = self.text.len();
        self.text.push_str(out);
        let verbatim = out == &original[orig];
        let out_span = Span::new(start, self.text.len());
        // Merge adjacent verbatim pieces to keep the map small.
        if verbatim
            && let Some(last) = self.pieces.last_mut()
            && last.verbatim
            && last.out.end == start
            && last.orig.end == orig.start
        {
            last.out.end = out_span.end;
            last.orig.end = orig.end;
            return;
        }
        self.pieces.push(Piece { out: out_span, orig, verbatim });
    }

    /// Maps a byte offset of the output to the input. Offsets inside a rewritten token map to
    /// the token's start when `round_up` is false and to its end otherwise.
    pub fn to_original_offset(&self, offset: usize, round_up: bool) -> usize {
        if offset >= self.text.len() {
            return self.original_len;
        }
        // The piece that contains `offset`, or the first one after it (dropped characters
        // leave gaps in the input, never in the output).
        let i = self.pieces.partition_point(|p| p.out.end <= offset);
        let Some(p) = self.pieces.get(i) else { return self.original_len };
        if offset <= p.out.start {
            return p.orig.start;
        }
        if p.verbatim {
            p.orig.start + (offset - p.out.start)
        } else if round_up {
            p.orig.end
        } else {
            p.orig.start
        }
    }

    /// Maps a byte span of the output to the smallest span of the input that produced it.
    ///
    /// ```
    /// use vita::normalize::{normalize, NormalizeOptions};
    /// use vita::Span;
    /// let input = "Nước Ho\u{300}a Bình";
    /// let out = normalize(input, &NormalizeOptions::default());
    /// assert_eq!(out.text, "Nước Hòa Bình");
    /// let hoa = out.text.find("Hòa").unwrap();
    /// let span = out.to_original(Span::new(hoa, hoa + "Hòa".len()));
    /// assert_eq!(&input[span], "Ho\u{300}a");
    /// ```
    pub fn to_original(&self, span: Span) -> Span {
        let start = self.to_original_offset(span.start, false);
        let end = if span.is_empty() { start } else { self.to_original_offset(span.end, true) };
        Span::new(start, end.max(start))
    }
}

/// Normalizes a whole text: NFC, tone marks placed by `opts.tone_style` (misplaced marks
/// repaired), `Ð`/`ð` read as `Đ`/`đ` in Vietnamese syllables, invisible characters removed,
/// exotic spaces turned into plain spaces, and optionally every diacritic stripped.
/// Case, punctuation, line breaks and foreign words are kept.
///
/// ```
/// use vita::normalize::{normalize, NormalizeOptions, ToneStyle};
/// let opts = NormalizeOptions { tone_style: ToneStyle::Modern, ..Default::default() };
/// assert_eq!(normalize("Sức khỏe, thủy lợi và qủa", &opts).text, "Sức khoẻ, thuỷ lợi và quả");
/// ```
pub fn normalize(text: &str, opts: &NormalizeOptions) -> AlignedText {
    let mut out = AlignedText { original_len: text.len(), ..Default::default() };
    let mut tokens = Vec::new();
    let mut norms = String::new();
    token::tokenize(text, &mut tokens, &mut norms);
    let mut scratch = Vec::new();
    let mut piece = String::new();
    let mut pos = 0;
    // Marks left uncomposed (`í` + U+0301) go too when stripping, or a second pass would
    // differ.
    let strip = opts.strip_diacritics;
    // What each distinct token became (`None`: itself); a text has few distinct tokens, and the
    // syllable parser costs many times this lookup.
    let mut seen: rustc_hash::FxHashMap<(&str, bool), Option<Box<str>>> = Default::default();
    for t in &tokens {
        separators(text, Span::new(pos, t.span.start), strip, &mut |span, s| {
            out.push(span, &finish(s, strip), text)
        });
        let surface = &text[t.span];
        let syllable = t.kind == TokenKind::Syllable;
        if !syllable && surface.is_ascii() && !opts.strip_diacritics {
            out.push(t.span, surface, text); // NFC already, and not rewritten
        } else if let Some(done) = seen.get(&(surface, syllable)) {
            out.push(t.span, done.as_deref().unwrap_or(surface), text);
        } else {
            piece.clear();
            nfc_chars(surface, &mut scratch);
            let rewritten =
                syllable && rewrite_syllable(&mut scratch, opts.tone_style, false, &mut piece);
            if !rewritten {
                piece.extend(scratch.iter());
            }
            let done = finish(&piece, strip);
            out.push(t.span, &done, text);
            seen.insert((surface, syllable), (*done != *surface).then(|| (*done).into()));
        }
        pos = t.span.end;
    }
    separators(text, Span::new(pos, text.len()), strip, &mut |span, s| {
        out.push(span, &finish(s, strip), text)
    });
    out
}

/// `s` as it goes into the normalized text: without diacritics when `strip`.
fn finish(s: &str, strip: bool) -> std::borrow::Cow<'_, str> {
    if strip && !s.is_ascii() {
        std::borrow::Cow::Owned(strip_diacritics(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Emits the whitespace between tokens: exotic spaces become `' '`, invisibles vanish, the
/// rest is copied.
///
/// An invisible right before a combining mark stays, unless the marks are stripped: were it
/// to vanish, the mark would meet the marks that end the token before (`\u{340}\u{ad}\u{337}`:
/// two tokens, `\u{300}` and `\u{337}`), and the next pass would read them as one token and
/// put them in canonical order, so normalizing twice would not give what normalizing once
/// gave.
fn separators(text: &str, span: Span, strip: bool, emit: &mut dyn FnMut(Span, &str)) {
    let mut run_start = span.start;
    for (i, c) in text[span].char_indices() {
        let at = span.start + i;
        // The next char is looked at only after an invisible.
        let before_mark = || {
            text[at + c.len_utf8()..]
                .chars()
                .next()
                .is_some_and(unicode_normalization::char::is_combining_mark)
        };
        let replacement = if is_invisible(c) && (strip || !before_mark()) {
            Some("")
        } else if c.is_whitespace() && !matches!(c, ' ' | '\n' | '\r' | '\t') {
            Some(" ")
        } else {
            None
        };
        if let Some(r) = replacement {
            if run_start < at {
                emit(Span::new(run_start, at), &text[run_start..at]);
            }
            emit(Span::new(at, at + c.len_utf8()), r);
            run_start = at + c.len_utf8();
        }
    }
    if run_start < span.end {
        emit(Span::new(run_start, span.end), &text[run_start..span.end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzz target: two tokens of combining marks (`\u{340}`, which NFC makes
    /// `\u{300}`, and `\u{337}`) kept apart by soft hyphens.
    #[test]
    fn marks_kept_apart_by_invisibles_stay_apart() {
        for text in
            ["\u{4}\u{340}\u{ad}\u{ad}\u{337}(", "x\u{300}\u{200b}\u{337}", "a\u{ad} b\u{ad}"]
        {
            for style in [ToneStyle::Traditional, ToneStyle::Modern, ToneStyle::Keep] {
                for strip in [false, true] {
                    let o = NormalizeOptions { tone_style: style, strip_diacritics: strip };
                    let once = normalize(text, &o).text;
                    assert_eq!(normalize(&once, &o).text, once, "{text:?} {style:?} {strip}");
                }
            }
        }
        let o = NormalizeOptions::default();
        assert_eq!(normalize("a\u{ad} b\u{200b}", &o).text, "a b", "other invisibles vanish");
    }

    #[test]
    fn shared_keys_are_the_keys() {
        let names = [
            "Hoà Bình",
            "Hòa  Bình",
            " Hà Nội ",
            "Ho\u{300}a Bi\u{300}nh",
            "NGỪƠI Việt",
            "Ðà Nẵng\u{200B}",
            "\u{200B} x",
            "",
            "GPT-3 và TP.HCM",
            "Hà\tNội\nmới",
        ];
        let mut keys = Keys::default();
        for _ in 0..2 {
            for n in names {
                assert_eq!(keys.key(n), key(n), "{n:?}");
            }
        }
    }

    #[test]
    fn nfd_any_mark_order_gives_nfc() {
        assert_eq!(key("Vie\u{323}\u{302}t"), "việt");
        assert_eq!(key("Vie\u{302}\u{323}t"), "việt");
        assert_eq!(key("Việt"), "việt");
    }

    #[test]
    fn invisibles_and_eth() {
        assert_eq!(key("Vi\u{200B}ệt"), "việt");
        assert_eq!(key("Nguy\u{AD}ễn"), "nguyễn");
        assert_eq!(key("Ðại"), "đại");
        // An eth in a foreign word stays an eth.
        assert_eq!(key("Ðórður"), "ðórður");
    }

    #[test]
    fn normalize_text() {
        let o = NormalizeOptions::default();
        assert_eq!(normalize("Hoà bình\u{A0}và  khoẻ.\n", &o).text, "Hòa bình và  khỏe.\n");
        assert_eq!(normalize("ngừơi Ðà Nẵng", &o).text, "người Đà Nẵng");
        let strip = NormalizeOptions { strip_diacritics: true, ..o };
        assert_eq!(normalize("Đại Việt hòa bình", &strip).text, "Dai Viet hoa binh");
        let keep = NormalizeOptions { tone_style: ToneStyle::Keep, ..o };
        assert_eq!(normalize("hoà hòa", &keep).text, "hoà hòa");
    }

    #[test]
    fn stripping_is_idempotent_with_stray_marks() {
        // Found by the fuzzer: a mark that cannot compose with its letter.
        let strip = NormalizeOptions { strip_diacritics: true, ..NormalizeOptions::default() };
        let once = normalize("*KKKdí\u{301}iJ", &strip).text;
        assert_eq!(once, "*KKKdiiJ");
        assert_eq!(normalize(&once, &strip).text, once);
        assert_eq!(strip_diacritics("e\u{302}\u{301}\u{301}"), "e");
    }

    #[test]
    fn alignment_maps_back() {
        let input = "A\u{200B}B Ho\u{300}a";
        let out = normalize(input, &NormalizeOptions::default());
        assert_eq!(out.text, "AB Hòa");
        let s = out.text.find("Hòa").unwrap();
        assert_eq!(&input[out.to_original(Span::new(s, out.text.len()))], "Ho\u{300}a");
        assert_eq!(out.to_original(Span::new(0, out.text.len())), Span::new(0, input.len()));
    }
}
