//! The JSON Lines wire format, schema `vita/1`.
//!
//! One record per document, one line per record:
//!
//! ```text
//! {"schema": "vita/1", "id": "corpus/essay.txt", "text": "<the original document>",
//!  "sentences": [{"start": 0, "end": 120}],
//!  "tokens":   [{"start": 3, "end": 7, "text": "Nhìn", "norm": "nhìn", "kind": "syllable"}],
//!  "words":    [{"start": 3, "end": 13, "text": "Nhìn chung", "tokens": [0, 2]}],
//!  "entities": [{"start": 412, "end": 418, "text": "Hoa Kỳ", "label": "LOC"}],
//!  "keywords": [{"text": "siêu máy tính", "score": 0.83, "count": 3}]}
//! ```
//!
//! - `start`/`end` are half-open offsets into `text`: Unicode code points by default (so
//!   Python's `text[start:end]` is the item's `text`), UTF-8 bytes with [`Offsets::Byte`].
//! - `text` of a sentence is left out (it is `text[start:end]`); tokens, words and entities
//!   carry theirs, which may contain the line breaks of the original inside a word.
//! - `norm` is the lookup key: NFC, traditional tone placement, lower case.
//! - `kind` is one of `syllable`, `foreign`, `number`, `punct`, `symbol`, `url`, `email`,
//!   `abbreviation`.
//! - `tokens` of a word is the half-open index range of its tokens; `words` of an entity
//!   likewise indexes words.
//! - A layer switched off is absent from the record.

use crate::document::Document;
use crate::pipeline::Layers;
use crate::token::TokenKind;
use std::io::Write;

/// How offsets are counted in the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Offsets {
    /// Unicode code points (Python string indices).
    #[default]
    Char,
    /// UTF-8 bytes.
    Byte,
}

/// Converts ascending byte offsets to char offsets in one pass over the text, and keeps the
/// decimal digits of the last offset and token index an item wrote.
#[derive(Clone)]
pub(crate) struct OffsetCursor<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
    mode: Offsets,
    /// The last offset a short object wrote (see [`Small::decimal`]).
    offset: Decimal,
    /// The last token index a short word wrote.
    index: Decimal,
}

impl<'a> OffsetCursor<'a> {
    pub(crate) fn new(text: &'a str, mode: Offsets) -> Self {
        Self::at_byte(text, mode, 0, 0)
    }

    /// A cursor at byte `byte`, `chars` code points into `text`.
    fn at_byte(text: &'a str, mode: Offsets, byte: usize, chars: usize) -> Self {
        OffsetCursor {
            text,
            byte,
            chars,
            mode,
            offset: Decimal::new(chars),
            index: Decimal::new(0),
        }
    }

    /// The offset of byte `b` (a char boundary); cheapest when called with ascending `b`.
    #[inline(always)]
    pub(crate) fn at(&mut self, b: usize) -> usize {
        if self.mode == Offsets::Byte {
            return b;
        }
        if b < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        let gap = self.text.as_bytes().get(self.byte..b).unwrap_or_default();
        // The gap between two tokens is mostly a space or nothing: counted in place, a call
        // to the general count was 60 instructions per word.
        self.chars += if gap.len() <= 8 {
            gap.iter().filter(|&&c| (c as i8) >= -0x40).count()
        } else {
            self.text.get(self.byte..b).map_or(0, |s| s.chars().count())
        };
        self.byte = b;
        self.chars
    }

    /// Moves the cursor to byte `b`, which is `chars` code points into the text (the caller
    /// counted them).
    fn set(&mut self, b: usize, chars: usize) {
        self.byte = b;
        self.chars = chars;
    }
}

/// A number and its decimal digits, which follow it as it grows by small steps: the offsets
/// and token indices of consecutive tokens and words are a few apart, and adding the step to
/// the last digits costs a fraction of converting each number anew (that was 5% of
/// `annotate`'s instructions).
#[derive(Clone)]
struct Decimal {
    value: usize,
    /// The digits in `buf[first..20]`; the bytes before them are `0`s, those after padding
    /// for the fixed-size copy of [`Decimal::block`].
    buf: [u8; 40],
    first: usize,
}

impl Decimal {
    fn new(n: usize) -> Decimal {
        let mut d = Decimal { value: 0, buf: [b'0'; 40], first: 19 };
        d.set(n);
        d
    }

    fn set(&mut self, n: usize) {
        let (block, len) = digits(n);
        self.buf[..20].fill(b'0');
        self.buf[20 - len..40 - len].copy_from_slice(&block);
        self.first = 20 - len;
        self.value = n;
    }

    /// Makes the number `n`.
    #[inline(always)]
    fn to(&mut self, n: usize) {
        let step = n.wrapping_sub(self.value);
        if step == 0 {
            return;
        }
        // A step back (a new piece of the array) or a long one: converted anew.
        if step >= 100 {
            self.set(n);
            return;
        }
        self.value = n;
        // The last two digits and the step, mostly without a carry.
        let low = usize::from(self.buf[18] - b'0') * 10 + usize::from(self.buf[19] - b'0') + step;
        if low < 100 {
            self.buf[18..20].copy_from_slice(&PAIRS[2 * low..2 * low + 2]);
            self.first = self.first.min(if low >= 10 { 18 } else { 19 });
            return;
        }
        self.buf[18..20].copy_from_slice(&PAIRS[2 * (low - 100)..2 * (low - 100) + 2]);
        self.first = self.first.min(18);
        let mut carry = 1;
        let mut i = 18;
        // `n` has at most 20 digits, so the carry is spent by the first: `i` stays in bounds.
        loop {
            i -= 1;
            let v = usize::from(self.buf[i] - b'0') + carry;
            self.buf[i] = b'0' + (v % 10) as u8;
            carry = v / 10;
            if carry == 0 {
                break;
            }
        }
        self.first = self.first.min(i);
    }

    /// The digits, left-aligned in 20 bytes, and their number.
    #[inline(always)]
    fn block(&self) -> (&[u8; 20], usize) {
        let b = self.buf[self.first..self.first + 20].try_into().expect("20 bytes");
        (b, 20 - self.first)
    }
}

/// Where a record is written: a byte buffer, or a [`Rope`], which takes the long pieces that
/// threads write in parallel without copying them.
pub trait Out {
    /// The buffer to append to.
    fn buf(&mut self) -> &mut Vec<u8>;
    /// Appends a finished piece.
    fn piece(&mut self, piece: Vec<u8>) {
        self.buf().extend_from_slice(&piece);
    }
    /// Says that about `bytes` more are coming.
    fn expect(&mut self, bytes: usize) {
        self.buf().reserve(bytes);
    }
}

impl Out for Vec<u8> {
    fn buf(&mut self) -> &mut Vec<u8> {
        self
    }
}

/// Output held as a list of pieces (dereferences to the last one, to append to).
#[derive(Debug, Default)]
pub struct Rope {
    done: Vec<Vec<u8>>,
    cur: Vec<u8>,
}

impl Rope {
    /// Writes every piece to `w`.
    ///
    /// # Errors
    /// The first error of `w`.
    pub fn write_to(&self, w: &mut dyn Write) -> std::io::Result<()> {
        for p in &self.done {
            w.write_all(p)?;
        }
        w.write_all(&self.cur)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.done.iter().map(Vec::len).sum::<usize>() + self.cur.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, in one buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        for p in self.done {
            v.extend_from_slice(&p);
        }
        v.extend_from_slice(&self.cur);
        v
    }
}

impl Out for Rope {
    fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.cur
    }
    /// Reserves room for a record up to 8 MB (longer ones come in pieces): a buffer that grew
    /// by doubling was copied about once more in total, and reallocated a dozen times.
    fn expect(&mut self, bytes: usize) {
        self.cur.reserve(bytes.min(8 << 20));
    }
    fn piece(&mut self, piece: Vec<u8>) {
        if !self.cur.is_empty() {
            self.done.push(std::mem::take(&mut self.cur));
        }
        self.done.push(piece);
    }
}

/// Output written to a [`Write`] as it is made, a piece at a time: what one huge document
/// needs, whose record is about 27 times its text. The first write error is kept (and nothing
/// more is written) until [`StreamOut::finish`].
pub struct StreamOut<'w> {
    w: &'w mut (dyn Write + Send),
    buf: Vec<u8>,
    error: Option<std::io::Error>,
}

/// Bytes a [`StreamOut`] gathers before it writes them.
const STREAM_BUF: usize = 1 << 20;

impl<'w> StreamOut<'w> {
    /// Output to `w`.
    pub fn new(w: &'w mut (dyn Write + Send)) -> StreamOut<'w> {
        StreamOut { w, buf: Vec::new(), error: None }
    }

    /// Writes `bytes` unless a write failed before.
    fn write(w: &mut dyn Write, error: &mut Option<std::io::Error>, bytes: &[u8]) {
        if error.is_none()
            && let Err(e) = w.write_all(bytes)
        {
            *error = Some(e);
        }
    }

    fn drain(&mut self) {
        Self::write(self.w, &mut self.error, &self.buf);
        self.buf.clear();
    }

    /// Writes what is left.
    ///
    /// # Errors
    /// The first error of the writer.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.drain();
        self.error.map_or(Ok(()), Err)
    }
}

impl Out for StreamOut<'_> {
    fn buf(&mut self) -> &mut Vec<u8> {
        if self.buf.len() >= STREAM_BUF {
            self.drain();
        }
        &mut self.buf
    }
    fn expect(&mut self, _bytes: usize) {}
    fn piece(&mut self, piece: Vec<u8>) {
        self.drain();
        Self::write(self.w, &mut self.error, &piece);
    }
}

impl std::ops::Deref for Rope {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.cur
    }
}

impl std::ops::DerefMut for Rope {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.cur
    }
}

/// Bytes of text per piece when a long string is escaped in parallel.
const PIECE_TEXT: usize = 256 << 10;

/// Appends `s` as a JSON string; a long one is escaped in pieces, by the threads of the
/// current rayon pool when it has several (escaping is per character, so the bytes are the
/// same), handed to `out` a few at a time (a [`StreamOut`] writes them as they come).
fn long_string(out: &mut (impl Out + Send), s: &str) {
    use rayon::prelude::*;
    if s.len() <= PIECE_TEXT {
        string(out.buf(), s);
        return;
    }
    let mut cuts = vec![0];
    while let Some(&last) = cuts.last() {
        let mut c = (last + PIECE_TEXT).min(s.len());
        while !s.is_char_boundary(c) {
            c += 1;
        }
        cuts.push(c);
        if c == s.len() {
            break;
        }
    }
    let escape = |w: &[usize]| {
        let mut buf = Vec::with_capacity(w[1] - w[0] + 16);
        string(&mut buf, &s[w[0]..w[1]]);
        // Without its quotes: the pieces make one string.
        buf.pop();
        buf.remove(0);
        buf
    };
    out.buf().push(b'"');
    let windows: Vec<&[usize]> = cuts.windows(2).collect();
    let groups: Vec<&[&[usize]]> = windows.chunks(group_len()).collect();
    in_order(out, groups.len(), |g| {
        groups[g].par_iter().with_max_len(1).map(|w| escape(w)).collect()
    });
    out.buf().push(b'"');
}

/// Hands `n` groups of pieces, each made in parallel by `make`, to `out` in order; a group is
/// handed over (written, for a [`StreamOut`]) while the threads make the next one.
fn in_order<O: Out + Send>(out: &mut O, n: usize, make: impl Fn(usize) -> Vec<Vec<u8>> + Sync) {
    let mut ready: Vec<Vec<u8>> = Vec::new();
    for g in 0..n {
        let done = std::mem::take(&mut ready);
        let hand_over = || {
            for p in done {
                out.piece(p);
            }
        };
        ready = rayon::join(hand_over, || make(g)).1;
    }
    for p in ready {
        out.piece(p);
    }
}

/// Pieces made at once, in parallel: enough to keep every thread busy, few enough that a
/// streamed record holds little.
fn group_len() -> usize {
    4 * rayon::current_num_threads()
}

/// Whether JSON escapes the byte `b` (a control character, `"` or `\\`).
#[inline(always)]
fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether `s` is written in JSON as it is.
fn plain(s: &str) -> bool {
    !s.bytes().any(escaped)
}

/// Appends `s` as a JSON string, escaped as `serde_json` escapes it (`\"`, `\\`, the short
/// forms of `\b \t \n \f \r`, `\u00xx` for the other control characters). Runs that need
/// no escaping are found eight bytes at a time and copied whole: `serde_json` reads a table per
/// byte, 9 instructions a byte of a document's text.
fn string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let (mut run, mut i) = (0, 0);
    while i < b.len() {
        if let Some(chunk) = b.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            if !escape_in(x) {
                i += 8;
                continue;
            }
        }
        let c = b[i];
        if escaped(c) {
            out.extend_from_slice(&b[run..i]);
            push_escape(out, c);
            run = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

/// Whether one of the eight bytes of `x` is below 0x20, `"` or `\` (the word tests of "Bit
/// Twiddling Hacks": a byte below `n` sets its top bit in `(x - n..n) & !x`).
#[inline(always)]
fn escape_in(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & TOPS;
    (below(x, 0x20)
        | below(x ^ (ONES * u64::from(b'"')), 1)
        | below(x ^ (ONES * u64::from(b'\\')), 1))
        != 0
}

/// The escape of `c` (below 0x20, `"` or `\`).
fn push_escape(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0C => out.extend_from_slice(b"\\f"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(c >> 4)],
            HEX[usize::from(c & 0xF)],
        ]),
    }
}

/// Two-digit decimal strings, `00` to `99`.
const PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
    5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// `n` in decimal, left-aligned in 20 bytes (what follows the digits is unspecified), and the
/// number of digits: written two at a time from the right, then read as one fixed block.
#[inline(always)]
fn digits(mut n: usize) -> ([u8; 20], usize) {
    let mut buf = [0u8; 40];
    let mut i = 20;
    while n >= 100 {
        let r = 2 * (n % 100);
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if n >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[2 * n..2 * n + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    let block: [u8; 20] = buf[i..i + 20].try_into().expect("20 bytes");
    (block, 20 - i)
}

/// Appends the first `len` bytes of `block` (all of them when `len >= N`) by copying all `N`
/// and cutting back: a copy of a known size is a few instructions, one of a variable size a
/// call to `memcpy`.
#[inline(always)]
fn push_first<const N: usize>(out: &mut Vec<u8>, block: &[u8; N], len: usize) {
    let at = out.len();
    out.extend_from_slice(block);
    out.truncate(at + len);
}

/// Appends `n` in decimal, copied as one fixed 20-byte block and cut back: copying `itoa`'s
/// variable-length result was a call to `memcpy` per number, four or five per token (with the
/// copies of the texts, 6% of `annotate -j 1`'s time went to `memmove`).
#[inline(always)]
fn num(out: &mut Vec<u8>, n: usize) {
    let (block, len) = digits(n);
    push_first(out, &block, len);
}

/// A token's or word's object written into a buffer on the stack by fixed-size copies, each
/// bounds-checked against the buffer but none a call or a growth check of a vector, then
/// appended to the output as one fixed block: the short tokens and words that make up nearly
/// all of a document take this path.
struct Small {
    buf: [u8; SMALL],
    len: usize,
}

/// Room for the longest object `Small` writes, numbers of at most 10 digits (`SMALL_MAX`), with
/// the widest fixed copy (32 bytes) at its end: 120 bytes. A block of 128 is copied without a
/// call to `memcpy`.
const SMALL: usize = 128;

/// Offsets and indices below this have at most 10 digits.
const SMALL_MAX: usize = 10_000_000_000;

impl Small {
    #[inline(always)]
    fn new() -> Small {
        Small { buf: [0; SMALL], len: 0 }
    }

    #[inline(always)]
    fn lit<const N: usize>(&mut self, bytes: &[u8; N]) {
        self.buf[self.len..self.len + N].copy_from_slice(bytes);
        self.len += N;
    }

    /// The first `len` bytes of `block`.
    #[inline(always)]
    fn block<const N: usize>(&mut self, block: &[u8; N], len: usize) {
        self.buf[self.len..self.len + N].copy_from_slice(block);
        self.len += len.min(N);
    }

    /// The number `n`, through `digits`, the digits of the last number of its kind written.
    #[inline(always)]
    fn decimal(&mut self, digits: &mut Decimal, n: usize) {
        digits.to(n);
        let (block, len) = digits.block();
        self.block(block, len);
    }

    /// `{"start":S,"end":E,"text":"` and the text's `len` bytes (the caller closes the
    /// string).
    #[inline(always)]
    fn text_fields(
        &mut self,
        at: &mut OffsetCursor,
        start: usize,
        end: usize,
        text: &[u8; 16],
        len: usize,
    ) {
        self.lit(b"{\"start\":");
        self.decimal(&mut at.offset, start);
        self.lit(b",\"end\":");
        self.decimal(&mut at.offset, end);
        self.lit(b",\"text\":\"");
        self.block(text, len);
    }

    #[inline(always)]
    fn append_to(&self, out: &mut Vec<u8>) {
        push_first(out, &self.buf, self.len);
    }
}

/// The 16 bytes of `src` from `at`, when `len` of them is at most 16 and `src` has them all.
#[inline(always)]
fn block16(src: &[u8], at: usize, len: usize) -> Option<&[u8; 16]> {
    if len > 16 {
        return None;
    }
    src.get(at..at + 16).and_then(|b| b.try_into().ok())
}

/// A piece of JSON of at most 32 bytes, padded to 32 (copied as one fixed block, then cut back
/// to its length).
type Block = ([u8; 32], usize);

const fn block(parts: &[&str]) -> Block {
    let mut b = [0u8; 32];
    let mut n = 0;
    let mut p = 0;
    while p < parts.len() {
        let bytes = parts[p].as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            b[n] = bytes[i];
            n += 1;
            i += 1;
        }
        p += 1;
    }
    (b, n)
}

/// `,"kind":"<kind>"}`, the end of each token's object, by `kind as usize`.
const KIND_ENDS: [Block; 8] = {
    let mut ends = [([0u8; 32], 0); 8];
    let mut k = 0;
    while k < 8 {
        ends[k] = block(&[",\"kind\":\"", TokenKind::ALL[k].as_str(), "\"}"]);
        k += 1;
    }
    ends
};

#[inline(always)]
fn push_block(out: &mut Vec<u8>, b: &Block) {
    push_first(out, &b.0, b.1);
}

/// Appends `x` with four decimals, as `{:.4}` does (ties to even), without the formatter's
/// exact algorithm, which is slow (it was 2% of `annotate` over many small documents).
fn fixed4(out: &mut Vec<u8>, x: f32) {
    // Exact: a float's 24 bits times 10,000's 14 fit in a double.
    let scaled = f64::from(x) * 10_000.0;
    if !(x.is_sign_positive() && scaled < 1e15) {
        let _ = write!(out, "{x:.4}");
        return;
    }
    let n = scaled.round_ties_even() as u64;
    out.extend_from_slice(itoa::Buffer::new().format(n / 10_000).as_bytes());
    let f = n % 10_000;
    out.extend_from_slice(&[
        b'.',
        b'0' + (f / 1000) as u8,
        b'0' + (f / 100 % 10) as u8,
        b'0' + (f / 10 % 10) as u8,
        b'0' + (f % 10) as u8,
    ]);
}

/// Appends `src[at..at + len]`, which needs no escaping, as a JSON string. A short piece is
/// copied as a fixed 16-byte block, then cut back, when `src` has the bytes: a copy of a
/// known size is a few instructions, one of a variable size a call to `memcpy`. Always inlined:
/// called once per token and word (callgrind: 25 M instructions fewer than a plain `#[inline]`).
#[inline(always)]
fn plain_string_at(out: &mut Vec<u8>, src: &[u8], at: usize, len: usize) {
    out.push(b'"');
    match block16(src, at, len) {
        Some(block) => push_first(out, block, len),
        None => out.extend_from_slice(&src[at..at + len]),
    }
    out.push(b'"');
}

/// Writes `{"start":S,"end":E` (the caller closes the object).
fn span_fields(out: &mut Vec<u8>, at: &mut OffsetCursor, sp: crate::Span) {
    out.extend_from_slice(b"{\"start\":");
    num(out, at.at(sp.start));
    out.extend_from_slice(b",\"end\":");
    num(out, at.at(sp.end));
}

/// The start and end offsets of a span with a text, and whether the text needs no escaping
/// (looked at only when `check`): the text is read once, for its code points (the end offset)
/// and its bytes.
#[inline(always)]
fn measure(at: &mut OffsetCursor, sp: crate::Span, check: bool) -> (usize, usize, bool) {
    let s = &at.text.as_bytes()[sp.start..sp.end];
    let (mut chars, mut plain) = (0usize, true);
    if check {
        for &b in s {
            chars += usize::from((b as i8) >= -0x40);
            plain &= !escaped(b);
        }
    } else {
        chars = s.iter().filter(|&&b| (b as i8) >= -0x40).count();
    }
    let start = at.at(sp.start);
    let end = if at.mode == Offsets::Byte {
        sp.end
    } else {
        at.set(sp.end, start + chars);
        start + chars
    };
    (start, end, plain)
}

/// Writes `{"start":S,"end":E,"text":"..."` for a span and its text (the caller closes the
/// object), the general way.
fn text_fields(
    out: &mut Vec<u8>,
    text: &str,
    sp: crate::Span,
    start: usize,
    end: usize,
    plain: bool,
) {
    out.reserve(sp.len() + 48);
    out.extend_from_slice(b"{\"start\":");
    num(out, start);
    out.extend_from_slice(b",\"end\":");
    num(out, end);
    out.extend_from_slice(b",\"text\":");
    if plain {
        plain_string_at(out, text.as_bytes(), sp.start, sp.len());
    } else {
        string(out, &text[sp]);
    }
}

/// The kinds of token made of letters, digits, combining marks and the connectors between them
/// (`-`, `.`, `'`...), by `kind as usize`: neither their text nor their key ever holds a
/// character JSON escapes (a control character, `"` or `\\`), so the byte-by-byte check is
/// skipped for them (tested on arbitrary strings below).
const LETTER_KINDS: [bool; 8] = {
    let mut k = [false; 8];
    let mut i = 0;
    while i < 8 {
        k[i] = matches!(
            TokenKind::ALL[i],
            TokenKind::Syllable | TokenKind::Foreign | TokenKind::Number | TokenKind::Abbreviation
        );
        i += 1;
    }
    k
};

/// Writes a token's object.
#[inline(always)]
fn token_object(out: &mut Vec<u8>, at: &mut OffsetCursor, doc: &Document, t: &crate::Token) {
    let letters = LETTER_KINDS[t.kind as usize & 7];
    let (start, end, plain_text) = measure(at, t.span, !letters);
    let kind_end = KIND_ENDS.get(t.kind as usize);
    // A letter token's key needs no escaping: only its length is read (no char boundaries to
    // check).
    let key = t.norm();
    let norm = (!letters).then(|| doc.norm(t));
    let plain_norm = norm.is_none_or(plain);
    let key_len = norm.map_or(key.len(), str::len);
    if plain_text
        && plain_norm
        && end < SMALL_MAX
        && let (Some(text16), Some(norm16), Some(kind_end)) = (
            block16(at.text.as_bytes(), t.span.start, t.span.len()),
            block16(doc.norms().as_bytes(), key.start, key_len),
            kind_end,
        )
    {
        let mut w = Small::new();
        w.text_fields(at, start, end, text16, t.span.len());
        w.lit(b"\",\"norm\":\"");
        w.block(norm16, key_len);
        w.lit(b"\"");
        w.block(&kind_end.0, kind_end.1);
        w.append_to(out);
        return;
    }
    text_fields(out, at.text, t.span, start, end, plain_text);
    out.extend_from_slice(b",\"norm\":");
    let norm = norm.unwrap_or_else(|| doc.norm(t));
    if plain_norm {
        plain_string_at(out, doc.norms().as_bytes(), key.start, norm.len());
    } else {
        string(out, norm);
    }
    match kind_end {
        Some(end) => push_block(out, end),
        // A kind added after `TokenKind::ALL` was written.
        None => {
            out.extend_from_slice(b",\"kind\":\"");
            out.extend_from_slice(t.kind.as_str().as_bytes());
            out.extend_from_slice(b"\"}");
        }
    }
}

/// Writes a word's object.
#[inline(always)]
fn word_object(out: &mut Vec<u8>, at: &mut OffsetCursor, doc: &Document, w: &crate::Word) {
    // A word of one letter token is that token's text, which needs no escaping; a longer one
    // may hold a line break between its tokens.
    let one_letter_token = w.tokens.len() == 1
        && doc.tokens().get(w.tokens.start).is_some_and(|t| LETTER_KINDS[t.kind as usize & 7]);
    let (start, end, plain) = measure(at, w.span, !one_letter_token);
    if plain
        && end.max(w.tokens.end) < SMALL_MAX
        && let Some(text16) = block16(at.text.as_bytes(), w.span.start, w.span.len())
    {
        let mut s = Small::new();
        s.text_fields(at, start, end, text16, w.span.len());
        s.lit(b"\",\"tokens\":[");
        s.decimal(&mut at.index, w.tokens.start);
        s.lit(b",");
        s.decimal(&mut at.index, w.tokens.end);
        s.lit(b"]}");
        s.append_to(out);
        return;
    }
    text_fields(out, at.text, w.span, start, end, plain);
    out.extend_from_slice(b",\"tokens\":[");
    num(out, w.tokens.start);
    out.push(b',');
    num(out, w.tokens.end);
    out.extend_from_slice(b"]}");
}

/// Items per piece of an array written in parallel.
const PIECE_ITEMS: usize = 8 << 10;

/// Appends a JSON array of `items`, each written by `item` (which starts with [`span_fields`]
/// of `span(item)`; spans ascend and do not overlap). A long array is written in pieces by
/// the threads of the current rayon pool, each with its own offset cursor; the bytes are the
/// same as in one piece.
fn array<T: Sync>(
    out: &mut (impl Out + Send),
    text: &str,
    offsets: Offsets,
    items: &[T],
    span: impl Fn(&T) -> crate::Span + Sync,
    item: impl Fn(&mut Vec<u8>, &mut OffsetCursor, &T) + Sync,
) {
    use rayon::prelude::*;
    let write = |out: &mut Vec<u8>, first: usize, chunk: &[T], at: &mut OffsetCursor| {
        for (k, t) in chunk.iter().enumerate() {
            if first + k > 0 {
                out.push(b',');
            }
            item(out, at, t);
        }
    };
    out.buf().push(b'[');
    if items.len() <= PIECE_ITEMS || rayon::current_num_threads() == 1 {
        // Piece by piece into `out`'s buffer, which a `StreamOut` empties between pieces.
        let mut at = OffsetCursor::new(text, offsets);
        for (n, chunk) in items.chunks(PIECE_ITEMS).enumerate() {
            write(out.buf(), n * PIECE_ITEMS, chunk, &mut at);
        }
    } else {
        // Where each piece's cursor starts: the code points between consecutive starts are
        // counted in parallel, then added up.
        let chunks: Vec<&[T]> = items.chunks(PIECE_ITEMS).collect();
        let bytes: Vec<usize> = chunks.iter().map(|c| span(&c[0]).start).collect();
        let between: Vec<usize> = (0..bytes.len())
            .into_par_iter()
            .map(|k| {
                let from = if k == 0 { 0 } else { bytes[k - 1] };
                match offsets {
                    Offsets::Byte => 0,
                    Offsets::Char => text.get(from..bytes[k]).map_or(0, |s| s.chars().count()),
                }
            })
            .collect();
        let mut chars = 0;
        let starts: Vec<OffsetCursor> = bytes
            .iter()
            .zip(between)
            .map(|(&b, n)| {
                chars += n;
                OffsetCursor::at_byte(text, offsets, b, chars)
            })
            .collect();
        let group = group_len();
        in_order(out, chunks.len().div_ceil(group), |g| {
            let range = g * group..((g + 1) * group).min(chunks.len());
            chunks[range.clone()]
                .par_iter()
                .zip(&starts[range.clone()])
                .with_max_len(1)
                .enumerate()
                .map(|(n, (chunk, cursor))| {
                    // About what a token takes (a word takes less): no second allocation.
                    let mut buf = Vec::with_capacity(chunk.len() * 96);
                    write(&mut buf, (range.start + n) * PIECE_ITEMS, chunk, &mut cursor.clone());
                    buf
                })
                .collect()
        });
    }
    out.buf().push(b']');
}

/// Appends the `entities` array of `doc`.
fn entities_array(out: &mut (impl Out + Send), doc: &Document, offsets: Offsets) {
    let text = doc.text();
    array(
        out,
        text,
        offsets,
        doc.entities(),
        |e| e.span,
        |out, at, e| {
            span_fields(out, at, e.span);
            out.extend_from_slice(b",\"text\":");
            string(out, &text[e.span]);
            out.extend_from_slice(b",\"label\":\"");
            out.extend_from_slice(e.label.as_str().as_bytes());
            out.extend_from_slice(b"\"}");
        },
    );
}

/// Appends the record `vita ner` prints: `{"id": ..., "entities": [...]}` and a newline.
pub fn write_entities(out: &mut Vec<u8>, id: &str, doc: &Document, offsets: Offsets) {
    out.extend_from_slice(b"{\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"entities\":");
    entities_array(out, doc, offsets);
    out.extend_from_slice(b"}\n");
}

/// Appends `doc` in CoNLL style: `# id = ...`, then one `token<TAB>tag` line per token with
/// BIO entity tags (`B-LOC`, `I-LOC`, `O`), a blank line after each sentence.
pub fn write_conll(out: &mut Vec<u8>, id: &str, doc: &Document) {
    let mut tags = vec!["O".to_string(); doc.tokens().len()];
    for e in doc.entities() {
        let words = &doc.words()[e.words.clone()];
        let (a, b) = (words[0].tokens.start, words[words.len() - 1].tokens.end);
        for (k, tag) in tags[a..b].iter_mut().enumerate() {
            *tag = format!("{}-{}", if k == 0 { "B" } else { "I" }, e.label.as_str());
        }
    }
    let _ = writeln!(out, "# id = {id}");
    for s in doc.sentences() {
        for t in s.tokens.clone() {
            let tok = &doc.tokens()[t];
            let surface: String = doc
                .slice(tok.span)
                .chars()
                .map(|c| if c.is_whitespace() { '_' } else { c })
                .collect();
            let _ = writeln!(out, "{surface}\t{}", tags[t]);
        }
        out.push(b'\n');
    }
}

/// Appends one `vita/1` record (and a newline) to `out`.
pub fn write_record(
    out: &mut (impl Out + Send),
    id: &str,
    doc: &Document,
    layers: Layers,
    offsets: Offsets,
) {
    let text = doc.text();
    // A record is about 27 times its text with every layer: room for it up front saves
    // copying a long document's record as it grows (untouched capacity costs nothing).
    let per_byte = 2
        + 4 * usize::from(layers.tokens)
        + 2 * usize::from(layers.words)
        + usize::from(layers.sentences || layers.entities);
    out.expect(text.len() * per_byte * 4 + id.len() + 64);
    let b = out.buf();
    b.extend_from_slice(b"{\"schema\":\"vita/1\",\"id\":");
    string(b, id);
    b.extend_from_slice(b",\"text\":");
    long_string(out, text);
    if layers.sentences {
        out.buf().extend_from_slice(b",\"sentences\":");
        array(
            out,
            text,
            offsets,
            doc.sentences(),
            |s| s.span,
            |out, at, s| {
                span_fields(out, at, s.span);
                out.push(b'}');
            },
        );
    }
    if layers.tokens {
        out.buf().extend_from_slice(b",\"tokens\":");
        array(
            out,
            text,
            offsets,
            doc.tokens(),
            |t| t.span,
            |out, at, t| token_object(out, at, doc, t),
        );
    }
    if layers.words {
        out.buf().extend_from_slice(b",\"words\":");
        array(
            out,
            text,
            offsets,
            doc.words(),
            |w| w.span,
            |out, at, w| word_object(out, at, doc, w),
        );
    }
    if layers.entities {
        out.buf().extend_from_slice(b",\"entities\":");
        entities_array(out, doc, offsets);
    }
    if layers.keywords {
        let out = out.buf();
        out.extend_from_slice(b",\"keywords\":[");
        for (i, k) in doc.keywords().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"text\":");
            string(out, &k.text);
            out.extend_from_slice(b",\"score\":");
            fixed4(out, k.score);
            out.extend_from_slice(b",\"count\":");
            num(out, k.count);
            out.push(b'}');
        }
        out.push(b']');
    }
    out.buf().extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Strategy;

    #[test]
    fn fixed4_writes_what_the_formatter_writes() {
        let mut values: Vec<f32> =
            vec![0.0, -0.0, 1.0, 0.03125, 0.15625, 0.00005, 0.99995, 123.45675, 1e20, -1.5];
        values.extend([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MIN_POSITIVE]);
        // Ties: multiples of 1/32 have an exact fifth decimal 5 or 0.
        values.extend((0..=64).map(|i| i as f32 / 32.0));
        let mut x = 0x1234_5678u32;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            values.push(x as f32 / u32::MAX as f32);
            values.push(f32::from_bits(x));
        }
        for v in values {
            let mut out = Vec::new();
            fixed4(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), format!("{v:.4}"), "{v:e}");
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = (0..=0x7Fu8).map(|c| format!("a{}b", c as char)).collect();
        cases.extend(
            ["", "\"", "\\", "Hà Nội\n\"x\"\t\\y", "\u{1}\u{1F}\u{7F}\u{80}é"].map(String::from),
        );
        // Specials at every place of a word, and in long plain runs.
        let long = "Hà Nội là thủ đô của Việt Nam. ".repeat(7);
        for k in (0..long.len()).filter(|&k| long.is_char_boundary(k)) {
            for special in ["\n", "\"", "\\", "\u{0}"] {
                cases.push(format!("{}{special}{}", &long[..k], &long[k..]));
            }
        }
        for s in cases {
            let mut out = Vec::new();
            string(&mut out, &s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn numbers_and_kind_ends_are_written_as_formatted() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, 1_000_000, u32::MAX as usize, usize::MAX] {
            let mut out = b"x".to_vec();
            num(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
        for (k, kind) in TokenKind::ALL.into_iter().enumerate() {
            assert_eq!(k, kind as usize);
            let mut out = Vec::new();
            push_block(&mut out, &KIND_ENDS[kind as usize]);
            assert_eq!(out, format!(",\"kind\":\"{}\"}}", kind.as_str()).into_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn letter_kinds_hold_nothing_to_escape(
            s in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<char>().prop_map(|c| c.to_string()),
                    "[a-zA-Z0-9đươ\"\\\\\\x00-\\x1f.,'’&_%/@:-]{1,6}",
                ],
                0..30,
            ).prop_map(|v| v.concat())
        ) {
            let doc = crate::Pipeline::new().annotate(s.as_str());
            for t in doc.tokens() {
                if LETTER_KINDS[t.kind as usize & 7] {
                    proptest::prop_assert!(plain(&s[t.span]), "{:?} in {:?}", t, s);
                    proptest::prop_assert!(plain(doc.norm(t)), "{:?} in {:?}", t, s);
                }
            }
        }
    }

    #[test]
    fn decimal_digits_follow_their_number() {
        let check = |d: &Decimal| {
            let (block, len) = d.block();
            assert_eq!(&block[..len], d.value.to_string().as_bytes());
        };
        let mut d = Decimal::new(0);
        check(&d);
        // Small steps across every carry up to a few thousand, steps of 0 to 120, steps back,
        // and the ends of the range.
        let mut n = 0usize;
        for step in (0..20_000).map(|k| (k * 7919) % 121) {
            n += step;
            d.to(n);
            check(&d);
        }
        for n in [5, 99, 100, 999_999_999, 1_000_000_000, usize::MAX - 150, usize::MAX - 3] {
            d.to(n);
            check(&d);
        }
        d.to(usize::MAX);
        check(&d);
        let mut d = Decimal::new(9_999_999_999_999_999_990);
        d.to(9_999_999_999_999_999_999 + 1);
        check(&d);
    }

    #[test]
    fn cursor_counts_code_points() {
        let t = "Hà Nội";
        let mut c = OffsetCursor::new(t, Offsets::Char);
        assert_eq!(c.at(0), 0);
        assert_eq!(c.at(3), 2);
        assert_eq!(c.at(t.len()), 6);
        assert_eq!(c.at(3), 2);
    }

    #[test]
    fn record_is_valid_json() {
        let doc = crate::Pipeline::new().annotate("Hà \"Nội\".");
        let mut out = Vec::new();
        write_record(&mut out, "x", &doc, Layers::default(), Offsets::Char);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["schema"], "vita/1");
        assert_eq!(v["tokens"][1]["start"], 3);
        assert_eq!(v["tokens"][2]["text"], "Nội");
    }
}
