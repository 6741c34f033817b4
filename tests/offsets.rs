//! Every annotation points into the original text: `text[start:end] == item.text` on every
//! layer, in code points and in bytes, for NFC, NFD, mixed tone placement and PDF line wraps.

mod common;

use common::{Record, byte_slice, char_slice};
use unicode_normalization::UnicodeNormalization;
use vita::json::{Offsets, write_record};
use vita::{Layers, Pipeline};

fn check(text: &str) {
    let pipeline = Pipeline::new();
    let doc = pipeline.annotate(text);
    // Library spans (bytes).
    for t in doc.tokens() {
        assert!(!t.span.is_empty());
        assert!(text.is_char_boundary(t.span.start) && text.is_char_boundary(t.span.end));
    }
    for w in doc.words() {
        let toks = &doc.tokens()[w.tokens.clone()];
        assert_eq!(w.span.start, toks[0].span.start);
        assert_eq!(w.span.end, toks[toks.len() - 1].span.end);
    }
    for pair in doc.words().windows(2) {
        assert_eq!(pair[0].tokens.end, pair[1].tokens.start, "words cover every token once");
    }
    for s in doc.sentences() {
        let first = doc.words().iter().position(|w| w.tokens.start == s.tokens.start);
        assert!(first.is_some(), "a sentence starts at a word start");
        let inside = doc
            .words()
            .iter()
            .filter(|w| w.tokens.start >= s.tokens.start && w.tokens.start < s.tokens.end);
        for w in inside {
            assert!(w.tokens.end <= s.tokens.end, "word {:?} crosses a sentence", &text[w.span]);
        }
    }
    for (mode, slice) in [
        (Offsets::Char, char_slice as fn(&str, usize, usize) -> String),
        (Offsets::Byte, byte_slice),
    ] {
        let mut out = Vec::new();
        write_record(&mut out, "t", &doc, Layers::default(), mode);
        let rec: Record = serde_json::from_slice(&out).unwrap();
        assert_eq!(rec.text, text, "text is unchanged");
        for s in rec.sentences.unwrap() {
            assert!(s.start < s.end);
        }
        for t in rec.tokens.unwrap() {
            assert_eq!(slice(text, t.start, t.end), t.text);
        }
        for w in rec.words.unwrap() {
            assert_eq!(slice(text, w.start, w.end), w.text);
        }
        for e in rec.entities.unwrap() {
            assert_eq!(slice(text, e.start, e.end), e.text);
        }
    }
}

const SAMPLE: &str = "Ông Nguyễn Văn Hoà ở TP.HCM nói: \"Sức khoẻ là vàng\". Thuỷ điện Hòa Bình \
    tăng 4,5% năm 2024 (https://vi.wikipedia.org/wiki/Hà_Nội), liên hệ a@b.vn… v.v.";

#[test]
fn nfc() {
    check(SAMPLE);
}

#[test]
fn nfd() {
    let nfd: String = SAMPLE.nfd().collect();
    assert_ne!(nfd, SAMPLE);
    check(&nfd);
}

#[test]
fn mixed_tone_placement_and_invisibles() {
    check("hoà hòa khoẻ khỏe thuỷ thủy qủa ngừơi Vi\u{200B}ệt Ðà\u{A0}Nẵng\u{AD} 👍🏽 \u{FEFF}");
}

#[test]
fn corpus_documents() {
    for path in common::corpus_files() {
        check(&std::fs::read_to_string(path).unwrap());
    }
}

#[test]
fn nfc_and_nfd_give_same_keys() {
    let pipeline = Pipeline::new();
    for path in common::corpus_files() {
        let text = std::fs::read_to_string(path).unwrap();
        let nfd: String = text.nfd().collect();
        let a = pipeline.annotate(text.as_str());
        let b = pipeline.annotate(nfd.as_str());
        let ka: Vec<&str> = a.tokens().iter().map(|t| a.norm(t)).collect();
        let kb: Vec<&str> = b.tokens().iter().map(|t| b.norm(t)).collect();
        assert_eq!(ka, kb);
        let wa: Vec<_> = a.words().iter().map(|w| w.tokens.clone()).collect();
        let wb: Vec<_> = b.words().iter().map(|w| w.tokens.clone()).collect();
        assert_eq!(wa, wb);
    }
}
