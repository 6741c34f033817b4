//! Sentence boundaries over tokens.
//!
//! A sentence ends after `.`, `!`, `?` or an ellipsis (plus any closing quotes and brackets)
//! when what follows looks like a sentence start, and at a line break that ends a line which
//! was not wrapped. Text copied from PDFs wraps lines in the middle of phrases (`khổng \n\nlồ`,
//! `Hoa Kỳ và \n\nTrung Quốc`), so a line break alone is not a boundary. We tell a wrapped line
//! from a line that ends a title or a paragraph by its length: a line shorter than 60% of the
//! document's longest line is not a wrapped one. A line break before a lower-case letter never
//! ends a sentence.
//!
//! Not boundaries: decimals and abbreviations (the tokenizer keeps them whole), the dot of an
//! initial (`Robert H. McNaught`), the number of a numbered heading (`1. THỐNG TRỊ`), and an
//! ellipsis inside a list (`Tencent, Megvil... và`). A numbered or all-caps heading ending in a
//! colon (`1. THỐNG TRỊ VỀ SIÊU MÁY TÍNH:`) is a sentence of its own.

use crate::span::Span;
use crate::token::{Token, TokenKind, is_lower, is_upper, may_end_sentence};
use std::ops::Range;
use std::sync::OnceLock;

/// One sentence: a span of the original text and the tokens it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// From the start of its first token to the end of its last.
    pub span: Span,
    /// Index range into the document's tokens.
    pub tokens: Range<usize>,
}

fn is_closing(s: &str) -> bool {
    matches!(s, ")" | "]" | "}" | "”" | "’" | "»" | "'" | "\"" | "›" | "」" | "』" | "）")
}

fn first_char(s: &str) -> char {
    s.chars().next().unwrap_or(' ')
}

/// Whether the token may begin a sentence after a full stop.
fn starts_sentence(text: &str, t: &Token) -> bool {
    let c = first_char(&text[t.span]);
    if is_lower(c) {
        return false;
    }
    match t.kind {
        TokenKind::Punct => matches!(
            &text[t.span],
            "\"" | "“" | "'" | "‘" | "(" | "[" | "«" | "-" | "–" | "—" | "•" | "*" | "…" | "..."
        ),
        _ => true,
    }
}

/// The lines of a text: where each starts, and the [`width`] of the longest (trimmed). Lines
/// shorter than 60% of the longest are not wrapped ones.
///
/// A line's width is at most its length in bytes, so only the lines longer in bytes than the
/// widest measured so far need measuring to find the longest: a handful, not every line. The
/// width of a line that may end a sentence is measured when asked for.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
    longest: usize,
}

impl<'t> Lines<'t> {
    fn of(text: &'t str) -> Lines<'t> {
        let starts = line_starts(text.as_bytes());
        let mut lines = Lines { text, starts, longest: 0 };
        let line = |k: usize| lines.line(k);
        let first = (0..lines.starts.len()).max_by_key(|&k| line(k).len());
        let mut longest = first.map_or(0, |k| width(line(k)));
        for k in 0..lines.starts.len() {
            let l = line(k);
            if l.len() > longest {
                longest = longest.max(width(l));
            }
        }
        lines.longest = longest;
        lines
    }

    /// Line `k`, trimmed.
    fn line(&self, k: usize) -> &'t str {
        let end = self.starts.get(k + 1).map_or(self.text.len(), |&e| e - 1);
        self.text[self.starts[k]..end].trim()
    }

    /// The width of the line holding byte `at`.
    fn width_at(&self, at: usize) -> usize {
        let k = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        width(self.line(k))
    }
}

/// Where each line of `b` starts. Eight bytes at a time are tested for a line break (the
/// zero-byte test on the word XOR-ed with line breaks); lines are hundreds of bytes long, so
/// most words have none. (`memchr` in `core` goes a word at a time too, but through a
/// searcher per match.)
fn line_starts(b: &[u8]) -> Vec<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut starts = vec![0];
    let mut push_breaks = |base: usize, bytes: &[u8]| {
        starts.extend(bytes.iter().enumerate().filter(|p| *p.1 == b'\n').map(|p| base + p.0 + 1));
    };
    let mut words = b.chunks_exact(8);
    for (k, w) in (&mut words).enumerate() {
        let v = u64::from_le_bytes(w.try_into().expect("8 bytes")) ^ (ONES * u64::from(b'\n'));
        if v.wrapping_sub(ONES) & !v & HIGH != 0 {
            push_breaks(8 * k, w);
        }
    }
    let rest = words.remainder();
    push_breaks(b.len() - rest.len(), rest);
    starts
}

/// Length in characters as a reader sees them: combining diacritics (U+0300..U+036F, what
/// NFD Latin and Vietnamese use), the soft hyphen and zero-width characters do not count, so
/// NFC and NFD text measure the same. Counted over bytes: this runs over the whole text.
fn width(s: &str) -> usize {
    let b = s.as_bytes();
    let mut hidden = 0usize;
    for (i, &x) in b.iter().enumerate() {
        if !matches!(x, 0xC2 | 0xCC | 0xCD | 0xE2 | 0xEF) {
            continue;
        }
        let next = b.get(i + 1).copied().unwrap_or(0);
        let third = b.get(i + 2).copied().unwrap_or(0);
        hidden += usize::from(match x {
            0xCC => true,
            0xCD => next < 0xB0,
            0xC2 => next == 0xAD,
            0xE2 => {
                (next == 0x80 && (0x8B..=0x8F).contains(&third)) || (next == 0x81 && third == 0xA0)
            }
            _ => next == 0xBB && third == 0xBF,
        });
    }
    s.chars().count() - hidden
}

/// Whether the gap between two tokens holds a line break. Gaps are a byte or two: a plain
/// loop, not `memchr`'s set-up (which `contains` calls), on every token.
#[expect(clippy::manual_contains, reason = "contains calls memchr, slower on 1-byte gaps")]
fn has_line_break(gap: &[u8]) -> bool {
    gap.iter().any(|&b| b == b'\n')
}

/// Splits the tokens of `text` into sentences.
pub fn split(text: &str, tokens: &[Token]) -> Vec<Sentence> {
    split_run(text, tokens, &OnceLock::new())
}

/// [`split`] for a long text, in pieces shared among the threads of the current rayon pool;
/// the same sentences.
///
/// The pieces are cut where a sentence certainly ends whatever came before: a `.`, `!` or
/// `?` after a word of more than one letter (not an initial, not a heading number), then a
/// line break and a sentence start. There the splitter's state is reset (a sentence starts,
/// no quotation is open), so each piece splits alone as it would in the whole.
pub(crate) fn split_parallel(text: &str, tokens: &[Token]) -> Vec<Sentence> {
    split_in_pieces(text, tokens, 16 << 10)
}

fn split_in_pieces(text: &str, tokens: &[Token], piece_tokens: usize) -> Vec<Sentence> {
    use rayon::prelude::*;
    let mut cuts = vec![0];
    let mut k = piece_tokens;
    while k + 1 < tokens.len() {
        if is_certain_end(text, tokens, k) {
            cuts.push(k + 1);
            k += piece_tokens;
        } else {
            k += 1;
        }
    }
    cuts.push(tokens.len());
    let width = OnceLock::new();
    let pieces = cuts
        .par_windows(2)
        .with_max_len(1)
        .map(|w| {
            let mut v = split_run(text, &tokens[w[0]..w[1]], &width);
            for s in &mut v {
                s.tokens = s.tokens.start + w[0]..s.tokens.end + w[0];
            }
            v
        })
        .collect();
    crate::pipeline::flatten(pieces)
}

/// Whether a sentence ends after token `k` however the text before it was split (see
/// [`split_parallel`]).
fn is_certain_end(text: &str, tokens: &[Token], k: usize) -> bool {
    let (Some(prev), Some(next)) = (k.checked_sub(1).map(|p| &tokens[p]), tokens.get(k + 1)) else {
        return false;
    };
    let t = &tokens[k];
    t.kind == TokenKind::Punct
        && matches!(&text[t.span], "." | "!" | "?")
        && matches!(prev.kind, TokenKind::Syllable | TokenKind::Foreign)
        && text[prev.span].chars().nth(1).is_some()
        && text[t.span.end..next.span.start].contains('\n')
        && !is_closing(&text[next.span])
        && starts_sentence(text, next)
}

/// Splits `tokens` (a run of them that starts a sentence) into sentences; `wrap` holds the
/// text's [`Lines`], measured when first needed.
fn split_run<'t>(text: &'t str, tokens: &[Token], wrap: &OnceLock<Lines<'t>>) -> Vec<Sentence> {
    let mut out = Vec::new();
    if tokens.is_empty() {
        return out;
    }
    let mut start = 0;
    let mut open_quote = false;
    let mut k = 0;
    while k < tokens.len() {
        let t = &tokens[k];
        // Most tokens are words followed by a space: no sentence ends after them.
        if !matches!(t.kind, TokenKind::Punct | TokenKind::Abbreviation)
            && let Some(next) = tokens.get(k + 1)
            && !has_line_break(&text.as_bytes()[t.span.end..next.span.start])
        {
            k += 1;
            continue;
        }
        let s = &text[t.span];
        if s == "\"" {
            open_quote = !open_quote;
        }
        let mut end = k; // last token of the sentence if it ends here
        let boundary = if let Some(next) = tokens.get(k + 1) {
            let line_break = has_line_break(&text.as_bytes()[t.span.end..next.span.start]);
            if t.kind == TokenKind::Punct && matches!(first_char(s), '.' | '!' | '?' | '…') {
                // Take closing quotes and brackets into this sentence.
                while let Some(n) = tokens.get(end + 1) {
                    let ns = &text[n.span];
                    if !is_closing(ns) || (ns == "\"" && !open_quote) {
                        break;
                    }
                    if ns == "\"" {
                        open_quote = false;
                    }
                    end += 1;
                }
                match tokens.get(end + 1) {
                    None => true,
                    Some(n) => {
                        let prev = (k > start).then(|| &tokens[k - 1]);
                        let ellipsis = s.starts_with("..") || s == "…";
                        let initial = s == "."
                            && prev.is_some_and(|p| {
                                let ps = &text[p.span];
                                ps.chars().count() == 1 && is_upper(first_char(ps))
                            });
                        let heading_number = s == "."
                            && k == start + 1
                            && prev.is_some_and(|p| p.kind == TokenKind::Number);
                        if initial || heading_number {
                            false
                        } else if ellipsis {
                            is_upper(first_char(&text[n.span]))
                        } else {
                            starts_sentence(text, n)
                        }
                    }
                }
            } else if t.kind == TokenKind::Abbreviation && may_end_sentence(s) {
                starts_sentence(text, next) && is_upper(first_char(&text[next.span]))
            } else if s == ":" || s == "：" {
                let upper_next = is_upper(first_char(&text[next.span]));
                (upper_next && is_heading(text, &tokens[start..k]))
                    || (line_break && starts_sentence(text, next))
            } else if line_break {
                let c = first_char(&text[next.span]);
                let next_is_item = matches!(&text[next.span], "-" | "–" | "•" | "*" | "+")
                    || (next.kind == TokenKind::Number
                        && tokens.get(k + 2).is_some_and(|n2| matches!(&text[n2.span], "." | ")")));
                if is_lower(c) || matches!(s, "," | ";" | "(" | "-" | "–") {
                    false
                } else if next_is_item {
                    true
                } else if starts_sentence(text, next) {
                    let lines = wrap.get_or_init(|| Lines::of(text));
                    lines.width_at(t.span.start) * 10 < lines.longest * 6
                } else {
                    false
                }
            } else {
                false
            }
        } else {
            true
        };
        if boundary {
            out.push(Sentence {
                span: Span::new(tokens[start].span.start, tokens[end].span.end),
                tokens: start..end + 1,
            });
            start = end + 1;
            // A quotation may hold several sentences, but not several paragraphs.
            if tokens
                .get(start)
                .is_some_and(|n| text[tokens[end].span.end..n.span.start].contains('\n'))
            {
                open_quote = false;
            }
        }
        k = end + 1;
    }
    if start < tokens.len() {
        out.push(Sentence {
            span: Span::new(tokens[start].span.start, tokens[tokens.len() - 1].span.end),
            tokens: start..tokens.len(),
        });
    }
    out
}

/// A heading: starts with a number and a dot, or most of its letters are capitals.
fn is_heading(text: &str, tokens: &[Token]) -> bool {
    if tokens.len() >= 2
        && tokens[0].kind == TokenKind::Number
        && matches!(&text[tokens[1].span], "." | ")")
    {
        return true;
    }
    let (mut words, mut caps) = (0, 0);
    for t in tokens.iter().filter(|t| t.kind.is_wordlike()) {
        words += 1;
        if text[t.span].chars().all(|c| !c.is_lowercase()) {
            caps += 1;
        }
    }
    words >= 2 && caps * 4 >= words * 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_starts_are_found() {
        for text in ["", "\n", "a\nb\n\nc", &format!("{}\n{}\n", "x".repeat(63), "y".repeat(64))] {
            let want: Vec<usize> =
                std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
            assert_eq!(line_starts(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn certain_ends_are_found() {
        let text = "Hà Nội mưa.\nNgày mai nắng. Ông K.\nNói thêm.\n1.\nHai";
        let mut tokens = Vec::new();
        let mut norms = String::new();
        tokenize(text, &mut tokens, &mut norms);
        let ends: Vec<&str> = (0..tokens.len())
            .filter(|&k| is_certain_end(text, &tokens, k))
            .map(|k| &text[tokens[k - 1].span])
            .collect();
        // Not after the initial `K.` nor the heading number `1.`, nor where no line breaks.
        assert_eq!(ends, ["mưa", "thêm"]);
        assert_eq!(split_in_pieces(text, &tokens, 1), split(text, &tokens));
    }

    proptest::proptest! {
        /// Cut where a sentence certainly ends, the pieces split as the whole does.
        #[test]
        fn pieces_split_as_the_whole(
            text in "([A-ZĐa-zđàếọ]{1,6}|[ \\n]|\\n\\n|[.!?,:\"“”()]|1\\.|TP\\.|[A-Z]\\.|…|\\.\\.\\.){0,200}",
            piece in 1usize..40,
        ) {
            let mut tokens = Vec::new();
            let mut norms = String::new();
            crate::token::tokenize(&text, &mut tokens, &mut norms);
            let whole = split(&text, &tokens);
            let pieces = split_in_pieces(&text, &tokens, piece);
            proptest::prop_assert_eq!(whole, pieces);
        }
    }
    use crate::token::tokenize;

    fn sents(text: &str) -> Vec<&str> {
        let mut tokens = Vec::new();
        let mut norms = String::new();
        tokenize(text, &mut tokens, &mut norms);
        split(text, &tokens).iter().map(|s| &text[s.span]).collect()
    }

    #[test]
    fn basic() {
        assert_eq!(sents("Tôi đi. Anh về! Ai? Được."), ["Tôi đi.", "Anh về!", "Ai?", "Được."]);
        assert_eq!(sents("Giá 4.5 triệu. Xong"), ["Giá 4.5 triệu.", "Xong"]);
        assert_eq!(
            sents("Ở TP. Hồ Chí Minh có PGS.TS. Lan."),
            ["Ở TP. Hồ Chí Minh có PGS.TS. Lan."]
        );
        assert_eq!(sents("Sách, vở v.v. Sau đó"), ["Sách, vở v.v.", "Sau đó"]);
        assert_eq!(sents("Robert H. McNaught ở Úc."), ["Robert H. McNaught ở Úc."]);
        assert_eq!(sents("Ông Lê H. Nam. Bà K. Lan."), ["Ông Lê H. Nam.", "Bà K. Lan."]);
    }

    #[test]
    fn quotes_and_ellipses() {
        assert_eq!(
            sents("\" Nhìn chung, AI\". Trung Quốc"),
            ["\" Nhìn chung, AI\".", "Trung Quốc"]
        );
        assert_eq!(sents("Anh nói: “Đi đi.” Rồi về."), ["Anh nói: “Đi đi.”", "Rồi về."]);
        assert_eq!(sents("như Baidu, Megvil... và nhiều"), ["như Baidu, Megvil... và nhiều"]);
        assert_eq!(sents("Chờ... Rồi"), ["Chờ...", "Rồi"]);
        assert_eq!(
            sents("Ông nói: \"Tôi đi. Anh về.\" Xong."),
            ["Ông nói: \"Tôi đi.", "Anh về.\"", "Xong."]
        );
    }

    #[test]
    fn headings_and_line_breaks() {
        let t =
            "một số lý do \n\nsau:  \n\n1. THỐNG TRỊ VỀ SIÊU MÁY TÍNH: Cả Trung Quốc và Hoa Kỳ đã";
        assert_eq!(
            sents(t),
            [
                "một số lý do \n\nsau:",
                "1. THỐNG TRỊ VỀ SIÊU MÁY TÍNH:",
                "Cả Trung Quốc và Hoa Kỳ đã"
            ]
        );
        let wrapped =
            "Đây là một dòng khá dài được ngắt giữa chừng ở Hoa Kỳ và \n\nTrung Quốc cũng vậy.";
        assert_eq!(sents(wrapped), [wrapped]);
        let title = "Trí tuệ nhân tạo\nHà Nội là thủ đô của Việt Nam, một đất nước đẹp và dài.";
        assert_eq!(
            sents(title),
            ["Trí tuệ nhân tạo", "Hà Nội là thủ đô của Việt Nam, một đất nước đẹp và dài."]
        );
        assert_eq!(sents("Các hãng:\n- Google\n- Baidu"), ["Các hãng:", "- Google", "- Baidu"]);
    }
}
