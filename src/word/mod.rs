//! Word segmentation: deciding, for each gap between two tokens of a sentence, whether they
//! belong to one word.
//!
//! Vietnamese writes spaces between syllables, not words: `trí tuệ nhân tạo` is two words
//! (`trí tuệ`, `nhân tạo`) and `Hoa Kỳ` one. A segmenter sees one sentence at a time and flips
//! gaps from split to join; the pipeline turns the gaps into [`Word`](crate::Word)s, so every
//! span calculation lives in one place and words can never cross a sentence boundary.

use crate::document::Document;
use std::ops::Range;

pub mod model;
mod segmenter;
pub use segmenter::{EmbeddedSegmenter, Segmenter, UserDict};

/// Decides which gaps of a sentence join two tokens into one word.
pub trait WordSegmenter: Send + Sync {
    /// `gaps[i]` is the gap between tokens `sentence.start + i` and `sentence.start + i + 1`;
    /// all `false` (split) on entry. Set to `true` the gaps inside words.
    fn join(&self, doc: &Document, sentence: Range<usize>, gaps: &mut [bool]);
}

/// The trivial segmenter: every token is a word.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokenSegmenter;

impl WordSegmenter for TokenSegmenter {
    fn join(&self, _doc: &Document, _sentence: Range<usize>, _gaps: &mut [bool]) {}
}

/// Writes `doc` as word-segmented text: the syllables of a word joined by `_`, tokens separated
/// by one space, one sentence per line (the VnCoreNLP / underthesea `format="text"`
/// convention). The characters are the input's own; whitespace inside a word (a line wrap)
/// becomes `_`. With `keep_lines`, line breaks between words are kept and sentences are not
/// put on lines of their own.
pub fn write_segmented(out: &mut Vec<u8>, doc: &Document, keep_lines: bool) {
    let text = doc.text();
    let tokens = doc.tokens();
    for (si, s) in doc.sentences().iter().enumerate() {
        let words = words_of(doc, s.tokens.clone());
        for (wi, w) in words.iter().enumerate() {
            if wi > 0 || (keep_lines && si > 0) {
                let prev_end =
                    if wi > 0 { words[wi - 1].span.end } else { doc.sentences()[si - 1].span.end };
                let gap = &text[prev_end..w.span.start];
                let newlines = gap.bytes().filter(|&b| b == b'\n').count();
                if keep_lines && newlines > 0 {
                    out.extend(std::iter::repeat_n(b'\n', newlines));
                } else {
                    out.push(b' ');
                }
            }
            for (k, t) in tokens[w.tokens.clone()].iter().enumerate() {
                if k > 0 {
                    out.push(b'_');
                }
                out.extend_from_slice(text[t.span].as_bytes());
            }
        }
        if !keep_lines {
            out.push(b'\n');
        }
    }
    if keep_lines && !doc.sentences().is_empty() {
        out.push(b'\n');
    }
}

/// The words of a token range (which must be a whole sentence or run of words).
fn words_of(doc: &Document, tokens: Range<usize>) -> &[crate::Word] {
    let words = doc.words();
    let a = words.partition_point(|w| w.tokens.start < tokens.start);
    let b = words.partition_point(|w| w.tokens.start < tokens.end);
    &words[a..b]
}
