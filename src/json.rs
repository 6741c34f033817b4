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

/// Converts ascending byte offsets to char offsets in one pass over the text.
pub(crate) struct OffsetCursor<'a> {
    text: &'a [u8],
    byte: usize,
    chars: usize,
    mode: Offsets,
}

impl<'a> OffsetCursor<'a> {
    pub(crate) fn new(text: &'a str, mode: Offsets) -> Self {
        OffsetCursor { text: text.as_bytes(), byte: 0, chars: 0, mode }
    }

    /// The offset of byte `b`; cheapest when called with ascending `b`.
    pub(crate) fn at(&mut self, b: usize) -> usize {
        if self.mode == Offsets::Byte {
            return b;
        }
        if b < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..b].iter().filter(|&&x| (x as i8) >= -0x40).count();
        self.byte = b;
        self.chars
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

fn num(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn span_fields(
    out: &mut Vec<u8>,
    starts: &mut OffsetCursor,
    ends: &mut OffsetCursor,
    sp: crate::Span,
) {
    out.extend_from_slice(b"{\"start\":");
    num(out, starts.at(sp.start));
    out.extend_from_slice(b",\"end\":");
    num(out, ends.at(sp.end));
}

/// Appends the `entities` array of `doc`.
fn entities_array(out: &mut Vec<u8>, doc: &Document, offsets: Offsets) {
    let text = doc.text();
    let (mut a, mut b) = (OffsetCursor::new(text, offsets), OffsetCursor::new(text, offsets));
    out.push(b'[');
    for (i, e) in doc.entities().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        span_fields(out, &mut a, &mut b, e.span);
        out.extend_from_slice(b",\"text\":");
        string(out, &text[e.span]);
        out.extend_from_slice(b",\"label\":\"");
        out.extend_from_slice(e.label.as_str().as_bytes());
        out.extend_from_slice(b"\"}");
    }
    out.push(b']');
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
pub fn write_record(out: &mut Vec<u8>, id: &str, doc: &Document, layers: Layers, offsets: Offsets) {
    let text = doc.text();
    out.extend_from_slice(b"{\"schema\":\"vita/1\",\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"text\":");
    string(out, text);
    let cursors = || (OffsetCursor::new(text, offsets), OffsetCursor::new(text, offsets));
    if layers.sentences {
        out.extend_from_slice(b",\"sentences\":[");
        let (mut a, mut b) = cursors();
        for (i, s) in doc.sentences().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            span_fields(out, &mut a, &mut b, s.span);
            out.push(b'}');
        }
        out.push(b']');
    }
    if layers.tokens {
        out.extend_from_slice(b",\"tokens\":[");
        let (mut a, mut b) = cursors();
        for (i, t) in doc.tokens().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            span_fields(out, &mut a, &mut b, t.span);
            out.extend_from_slice(b",\"text\":");
            string(out, &text[t.span]);
            out.extend_from_slice(b",\"norm\":");
            string(out, doc.norm(t));
            out.extend_from_slice(b",\"kind\":\"");
            out.extend_from_slice(t.kind.as_str().as_bytes());
            out.extend_from_slice(b"\"}");
        }
        out.push(b']');
    }
    if layers.words {
        out.extend_from_slice(b",\"words\":[");
        let (mut a, mut b) = cursors();
        for (i, w) in doc.words().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            span_fields(out, &mut a, &mut b, w.span);
            out.extend_from_slice(b",\"text\":");
            string(out, &text[w.span]);
            out.extend_from_slice(b",\"tokens\":[");
            num(out, w.tokens.start);
            out.push(b',');
            num(out, w.tokens.end);
            out.extend_from_slice(b"]}");
        }
        out.push(b']');
    }
    if layers.entities {
        out.extend_from_slice(b",\"entities\":");
        entities_array(out, doc, offsets);
    }
    if layers.keywords {
        out.extend_from_slice(b",\"keywords\":[");
        for (i, k) in doc.keywords().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"text\":");
            string(out, &k.text);
            let _ = write!(out, ",\"score\":{:.4},\"count\":{}}}", k.score, k.occurrences.len());
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

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
