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
    offset: Digits,
    /// The last token index a short word wrote.
    index: Digits,
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
            offset: Digits::default(),
            index: Digits::default(),
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
        // The gap between two tokens is mostly a space or nothing: counted in a word read from
        // the text, a call to the general count was 60 instructions per word.
        let gap = b - self.byte;
        let bytes = self.text.as_bytes();
        self.chars += match bytes.get(self.byte..self.byte + 8) {
            Some(w) if gap <= 8 => {
                char_starts(u64::from_le_bytes(w.try_into().expect("8 bytes")), gap)
            }
            // Near the end of the text, still counted in place: sent to the general count
            // below, the run took 12 M more instructions (callgrind).
            _ if gap <= 8 => bytes
                .get(self.byte..b)
                .unwrap_or_default()
                .iter()
                .filter(|&&c| (c as i8) >= -0x40)
                .count(),
            _ => self.text.get(self.byte..b).map_or(0, |s| s.chars().count()),
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

/// A number below [`Digits::MAX`] and its decimal digits, which follow it as it grows by small
/// steps: the offsets and token indices of consecutive tokens and words are a few apart, and a
/// step that leaves the digits before the last two alone changes only those (converting each
/// number anew was 5% of `annotate`'s instructions). The digits are kept in a register, eight
/// lanes of a `u64` (as [`digit_lanes`] makes them): digits kept in a buffer, changed a pair
/// at a time and read back as one block, made that read wait for the writes before it.
#[derive(Clone, Copy, Default)]
struct Digits {
    value: u32,
    /// `value % 100`.
    low: u32,
    lanes: u64,
}

/// The last two digits of `k` (below 100) in the top two lanes of [`digit_lanes`].
const PAIR_LANES: [u64; 100] = {
    let mut t = [0u64; 100];
    let mut k = 0;
    while k < 100 {
        t[k] = ((k as u64 / 10) | ((k as u64 % 10) << 8)) << 48;
        k += 1;
    }
    t
};

/// Eight `0` characters.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `n` (below 10^8, with its leading zeros) as the bytes of a
/// `u64`, the first digit in the lowest byte, computed in registers: two lanes of four digits,
/// then four of two, then eight of one.
#[inline(always)]
fn digit_lanes(n: u32) -> u64 {
    debug_assert!(n < 100_000_000);
    let v = u64::from(n / 10_000) | (u64::from(n % 10_000) << 32);
    // x / 100 for x < 10,000 in each lane.
    let h = ((v * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let v = ((v - h * 100) << 16) | h;
    // x / 10 for x < 100 in each lane.
    let t = ((v * 103) >> 10) & 0x000F_000F_000F_000F;
    ((v - t * 10) << 8) | t
}

impl Digits {
    /// Numbers below this have their digits followed.
    const MAX: usize = 100_000_000;

    /// Moves to `n` (below [`Digits::MAX`]): its ASCII digits, left-aligned in the bytes of
    /// a `u64` (`to_le_bytes` puts them in order), and their number.
    #[inline(always)]
    fn to(&mut self, n: u32) -> (u64, usize) {
        let step = n.wrapping_sub(self.value);
        if step < 100 - self.low {
            self.low += step;
            self.lanes = (self.lanes & 0x0000_FFFF_FFFF_FFFF) | PAIR_LANES[self.low as usize];
        } else {
            self.low = n % 100;
            self.lanes = digit_lanes(n);
        }
        self.value = n;
        // Leading zeros are the lowest zero lanes; `0` keeps one digit.
        let v = self.lanes;
        let zeros = if v == 0 { 7 } else { (v.trailing_zeros() / 8) as usize };
        ((v >> (8 * zeros)) + ASCII_ZEROS, 8 - zeros)
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
    out.buf().push(b'"');
    if rayon::current_num_threads() == 1 {
        // Straight into the output, a piece at a time (a `StreamOut` writes between them).
        for w in cuts.windows(2) {
            escape_into(out.buf(), &s[w[0]..w[1]]);
        }
        out.buf().push(b'"');
        return;
    }
    let escape = |w: &[usize]| {
        let mut buf = Vec::with_capacity(w[1] - w[0] + 16);
        escape_into(&mut buf, &s[w[0]..w[1]]);
        buf
    };
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
    out.reserve(s.len() + 2);
    out.push(b'"');
    escape_into(out, s);
    out.push(b'"');
}

/// Appends `s` escaped as in a JSON string, without the quotes.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len());
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
}

/// A one in each byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The top bit of each byte of a word.
const TOPS: u64 = 0x8080_8080_8080_8080;

/// Whether one of the eight bytes of `x` is below 0x20, `"` or `\` (the word tests of "Bit
/// Twiddling Hacks": a byte below `n` sets its top bit in `(x - n..n) & !x`).
#[inline(always)]
fn escape_in(x: u64) -> bool {
    escapes(x) != 0
}

/// The top bit of each byte of `x` that JSON escapes, and maybe of bytes above such a byte
/// (the borrow of the subtraction runs upwards only): exact about whether the first `n` bytes
/// hold one, once the flags of the others are masked off.
#[inline(always)]
fn escapes(x: u64) -> u64 {
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & TOPS;
    below(x, 0x20)
        | below(x ^ (ONES * u64::from(b'"')), 1)
        | below(x ^ (ONES * u64::from(b'\\')), 1)
}

/// The first `n` bytes of a word (all eight from 8 on).
#[inline(always)]
fn first_bytes(n: usize) -> u64 {
    if n >= 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 }
}

/// How many of the first `n` bytes of `x` (little-endian) begin a char: all but the
/// continuation bytes, `10xxxxxx`, whose bit 7 is set and bit 6 clear.
#[inline(always)]
fn char_starts(x: u64, n: usize) -> usize {
    let starts = (!x | (x << 1)) & TOPS & first_bytes(n);
    // One in the low bit of each such byte, summed into the top byte.
    ((starts >> 7).wrapping_mul(ONES) >> 56) as usize
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

/// Where the objects of an array are written: straight into the output buffer, which is
/// kept longer than what is written (its tail holds bytes of no meaning, cut off when the
/// writer is dropped), so that a short object is written into a fixed-size window of it by
/// [`Small`] (objects used to be put together on the stack, in a buffer zeroed for each, and
/// copied out).
struct Slack<'o> {
    buf: &'o mut Vec<u8>,
    /// The end of what is written: `buf[len..]` is room.
    len: usize,
    /// Where this writer started writing.
    start: usize,
    /// Where an object on the general path is written first.
    scratch: Vec<u8>,
}

/// The least room the buffer grows by.
const GROW_MIN: usize = 1 << 10;
/// The most room the buffer grows by.
const GROW_MAX: usize = 16 << 10;

impl<'o> Slack<'o> {
    fn new(buf: &'o mut Vec<u8>) -> Slack<'o> {
        let len = buf.len();
        Slack { buf, len, start: len, scratch: Vec::new() }
    }

    /// A window for a short object.
    #[inline(always)]
    fn small(&mut self) -> Small<'_> {
        if self.len + SMALL > self.buf.len() {
            self.grow();
        }
        let window = (&mut self.buf[self.len..self.len + SMALL]).try_into().expect("SMALL bytes");
        Small { buf: window, len: 0, end: &mut self.len }
    }

    /// Adds as much room as was written so far (from 1 to 16 KiB): room is zeroed, and what
    /// is left of it when the writer is dropped was zeroed for nothing. A fixed 16 KiB
    /// was a fifth of the instructions of a run over short documents (an array of a
    /// one-line document is a few KiB).
    #[cold]
    fn grow(&mut self) {
        // Zeroed by copies of a block of zeros (`resize` writes byte by byte).
        static ZEROS: [u8; GROW_MAX] = [0; GROW_MAX];
        let room = (self.len - self.start).clamp(GROW_MIN, GROW_MAX);
        self.buf.truncate(self.len);
        self.buf.extend_from_slice(&ZEROS[..room]);
    }

    /// Writes what `f` appends to an empty vector (the general path).
    fn general(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        f(&mut scratch);
        let n = scratch.len();
        if let Some(room) = self.buf.get_mut(self.len..self.len + n) {
            room.copy_from_slice(&scratch);
            self.len += n;
        } else {
            self.buf.truncate(self.len);
            self.buf.extend_from_slice(&scratch);
            self.len = self.buf.len();
        }
        self.scratch = scratch;
    }
}

impl Drop for Slack<'_> {
    fn drop(&mut self) {
        self.buf.truncate(self.len);
    }
}

/// A token's or word's object written into a window of the output by fixed-size copies, each
/// bounds-checked against the window but none a call or a growth check of a vector: the short
/// tokens and words that make up nearly all of a document take this path. The object's length
/// is added to the output's when the window is dropped.
struct Small<'w> {
    buf: &'w mut [u8; SMALL],
    len: usize,
    end: &'w mut usize,
}

/// Room for the longest object `Small` writes, numbers of at most 10 digits (`SMALL_MAX`), with
/// the widest fixed copy (32 bytes) at its end: 120 bytes.
const SMALL: usize = 128;

/// Offsets and indices below this have at most 10 digits.
const SMALL_MAX: usize = 10_000_000_000;

impl Drop for Small<'_> {
    fn drop(&mut self) {
        *self.end += self.len;
    }
}

impl Small<'_> {
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
    fn decimal(&mut self, follow: &mut Digits, n: usize) {
        if n < Digits::MAX {
            let (d, len) = follow.to(n as u32);
            self.block(&d.to_le_bytes(), len);
        } else {
            let (block, len) = digits(n);
            self.block(&block, len);
        }
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

/// [`measure`] for a span of at most 16 bytes, read from `block` (its first bytes): the code
/// points and the bytes JSON escapes counted a word at a time, not byte by byte (callgrind,
/// the benchmark file's JSON with one layer: tokens 400.1 M -> 385.0 M instructions, words
/// 392.5 M -> 346.3 M).
#[inline(always)]
fn measure16(
    at: &mut OffsetCursor,
    sp: crate::Span,
    block: &[u8; 16],
    check: bool,
) -> (usize, usize, bool) {
    let len = sp.len();
    let lo = u64::from_le_bytes(block[..8].try_into().expect("8 bytes"));
    let hi = u64::from_le_bytes(block[8..].try_into().expect("8 bytes"));
    // Most syllables take at most eight bytes (`người` takes eight): the second word is read
    // only for longer spans.
    let short = len <= 8;
    let plain = !check
        || if short {
            (escapes(lo) & first_bytes(len)) == 0
        } else {
            (escapes(lo) | (escapes(hi) & first_bytes(len - 8))) == 0
        };
    let start = at.at(sp.start);
    let end = if at.mode == Offsets::Byte {
        sp.end
    } else {
        let chars = if short {
            char_starts(lo, len)
        } else {
            char_starts(lo, 8) + char_starts(hi, len - 8)
        };
        let end = start + chars;
        at.set(sp.end, end);
        end
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
fn token_object(out: &mut Slack, at: &mut OffsetCursor, doc: &Document, t: &crate::Token) {
    let letters = LETTER_KINDS[t.kind as usize & 7];
    let text16 = block16(at.text.as_bytes(), t.span.start, t.span.len());
    let (start, end, plain_text) = match text16 {
        Some(block) => measure16(at, t.span, block, !letters),
        None => measure(at, t.span, !letters),
    };
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
        && let (Some(text16), Some(norm16), Some(kind_end)) =
            (text16, block16(doc.norms().as_bytes(), key.start, key_len), kind_end)
    {
        let mut w = out.small();
        w.text_fields(at, start, end, text16, t.span.len());
        w.lit(b"\",\"norm\":\"");
        w.block(norm16, key_len);
        w.lit(b"\"");
        w.block(&kind_end.0, kind_end.1);
        return;
    }
    out.general(|out| token_object_general(out, at.text, doc, t, (start, end, plain_text)));
}

/// A token's object the general way (`measured`: its offsets, and whether its text needs no
/// escaping). A function of its own, which works out the key again, rather than a closure over
/// `token_object`'s locals: inlined into the short path, that closure cost 12.7 M
/// instructions on the benchmark file (callgrind).
fn token_object_general(
    out: &mut Vec<u8>,
    text: &str,
    doc: &Document,
    t: &crate::Token,
    measured: (usize, usize, bool),
) {
    let (start, end, plain_text) = measured;
    let letters = LETTER_KINDS[t.kind as usize & 7];
    let key = t.norm();
    let norm = (!letters).then(|| doc.norm(t));
    let plain_norm = norm.is_none_or(plain);
    let kind_end = KIND_ENDS.get(t.kind as usize);
    text_fields(out, text, t.span, start, end, plain_text);
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
fn word_object(out: &mut Slack, at: &mut OffsetCursor, doc: &Document, w: &crate::Word) {
    // A word of one letter token is that token's text, which needs no escaping; a longer one
    // may hold a line break between its tokens.
    let one_letter_token = w.tokens.len() == 1
        && doc.tokens().get(w.tokens.start).is_some_and(|t| LETTER_KINDS[t.kind as usize & 7]);
    let text16 = block16(at.text.as_bytes(), w.span.start, w.span.len());
    let (start, end, plain) = match text16 {
        Some(block) => measure16(at, w.span, block, !one_letter_token),
        None => measure(at, w.span, !one_letter_token),
    };
    if plain
        && end.max(w.tokens.end) < SMALL_MAX
        && let Some(text16) = text16
    {
        let mut s = out.small();
        s.text_fields(at, start, end, text16, w.span.len());
        s.lit(b"\",\"tokens\":[");
        s.decimal(&mut at.index, w.tokens.start);
        s.lit(b",");
        s.decimal(&mut at.index, w.tokens.end);
        s.lit(b"]}");
        return;
    }
    out.general(|out| {
        text_fields(out, at.text, w.span, start, end, plain);
        out.extend_from_slice(b",\"tokens\":[");
        num(out, w.tokens.start);
        out.push(b',');
        num(out, w.tokens.end);
        out.extend_from_slice(b"]}");
    });
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
    item: impl Fn(&mut Slack, &mut OffsetCursor, &T) + Sync,
) {
    use rayon::prelude::*;
    let write = |out: &mut Vec<u8>, first: usize, chunk: &[T], at: &mut OffsetCursor| {
        let mut out = Slack::new(out);
        for (k, t) in chunk.iter().enumerate() {
            if first + k > 0 {
                out.small().lit(b",");
            }
            item(&mut out, at, t);
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
            out.general(|out| {
                span_fields(out, at, e.span);
                out.extend_from_slice(b",\"text\":");
                string(out, &text[e.span]);
                out.extend_from_slice(b",\"label\":\"");
                out.extend_from_slice(e.label.as_str().as_bytes());
                out.extend_from_slice(b"\"}");
            });
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
                let (start, end) = (at.at(s.span.start), at.at(s.span.end));
                let mut w = out.small();
                w.lit(b"{\"start\":");
                w.decimal(&mut at.offset, start);
                w.lit(b",\"end\":");
                w.decimal(&mut at.offset, end);
                w.lit(b"}");
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

    /// Text of up to `n` pieces, each an arbitrary char or a `piece`.
    fn text_of(piece: impl Strategy<Value = String>, n: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::prop_oneof![
                proptest::prelude::any::<char>().prop_map(|c| c.to_string()),
                piece,
            ],
            0..n,
        )
        .prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #[test]
        fn letter_kinds_hold_nothing_to_escape(
            s in text_of("[a-zA-Z0-9đươ\"\\\\\\x00-\\x1f.,'’&_%/@:-]{1,6}", 30)
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

    proptest::proptest! {
        #[test]
        fn digits_follow_their_number(
            start in 0..Digits::MAX as u32,
            steps in proptest::collection::vec(0u32..250, 1..300),
        ) {
            // Small steps across carries, steps of 0, steps back (wrapping at the limit).
            let mut d = Digits::default();
            let mut n = start;
            for s in steps {
                n = (n + s) % Digits::MAX as u32;
                let (digits, len) = d.to(n);
                let want = n.to_string();
                proptest::prop_assert_eq!(&digits.to_le_bytes()[..len], want.as_bytes());
            }
        }
    }

    proptest::proptest! {
        /// The word-at-a-time counts agree with the byte-by-byte ones on every span of at most
        /// 16 bytes of arbitrary text (escapes, multi-byte chars, text after the span).
        #[test]
        fn word_measures_agree_with_byte_measures(
            s in text_of(
                proptest::sample::select(vec!["\"", "\\", "\n", "ộ", "e\u{301}", " ", "a"])
                    .prop_map(String::from),
                24,
            ),
            cut in 0usize..24,
            len in 0usize..17,
        ) {
            let start = (0..=cut.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap();
            let end = (start..=(start + len).min(s.len()))
                .rev()
                .find(|&i| s.is_char_boundary(i))
                .unwrap();
            let sp = crate::Span::new(start, end);
            if let Some(block) = block16(s.as_bytes(), start, sp.len()) {
                for mode in [Offsets::Char, Offsets::Byte] {
                    for check in [false, true] {
                        let mut a = OffsetCursor::new(&s, mode);
                        let mut b = OffsetCursor::new(&s, mode);
                        let fast = measure16(&mut a, sp, block, check);
                        let slow = measure(&mut b, sp, check);
                        proptest::prop_assert_eq!(fast, slow, "{:?} {:?}", &s[sp], mode);
                        proptest::prop_assert_eq!(a.at(s.len()), b.at(s.len()));
                    }
                }
            }
            // The gap count of the cursor, from every boundary to every later one.
            let mut c = OffsetCursor::new(&s, Offsets::Char);
            proptest::prop_assert_eq!(c.at(start), s[..start].chars().count());
            proptest::prop_assert_eq!(c.at(end), s[..end].chars().count());
        }
    }

    #[test]
    fn slack_keeps_what_was_written_and_nothing_more() {
        let mut buf = b"[".to_vec();
        let mut want = String::from("[");
        let mut out = Slack::new(&mut buf);
        let mut d = Digits::default();
        // Enough objects for the buffer to grow many times; some on the general path, some
        // longer than the room left.
        for k in 0..20_000usize {
            let n = [k, k * 1_000_003 % 3_000_000_000][k % 2];
            if k % 7 == 0 {
                let long = "x".repeat(k % 300);
                out.general(|v| v.extend_from_slice(format!("<{long}>").as_bytes()));
                want.push_str(&format!("<{long}>"));
            } else {
                let mut w = out.small();
                w.lit(b"{");
                w.decimal(&mut d, n);
                w.block(b"abcdefghijklmnop", k % 17);
                want.push_str(&format!("{{{n}{}", &"abcdefghijklmnop"[..(k % 17).min(16)]));
            }
        }
        drop(out);
        assert_eq!(String::from_utf8(buf).unwrap(), want);
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
