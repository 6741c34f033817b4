//! Property tests over strings of Vietnamese letters, combining marks, whitespace,
//! punctuation, invisibles and emoji.

use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;
use vita::Pipeline;
use vita::normalize::{NormalizeOptions, ToneStyle, key, normalize};

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "hòa", "hoà", "Khỏe", "thuỷ", "người", "ngừơi", "qủa", "Việt", "NAM", "gì", "giữ",
            "khuỷu", "Đà", "Ðà", "quốc", "AI", "GPT-3", "TP.HCM", "v.v.", "2.000", "4,5%",
            "https://a.vn/x", "a@b.vn", "Google", "iFlytek", "siêu", "máy", "tính",
        ]).prop_map(str::to_string),
        3 => "[a-zA-Zđăâêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]{1,7}",
        1 => prop::sample::select(vec![
            " ", "  ", "\n", "\n\n", "\t", "\u{A0}", "\u{200B}", "\u{AD}", "\u{200D}", "\u{FEFF}",
            "\u{300}", "\u{301}", "\u{302}", "\u{309}", "\u{323}", "\u{31B}", "\u{340}",
            "\u{337}", "\u{4}", ".", ",", "...",
            "!", "?", ":", "\"", "“", "”", "(", ")", "-", "/", "%", "👍🏽", "👨‍👩‍👧", "$", "1.",
        ]).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|v| v.join(" "))
}

/// Combining marks (some of them changed by NFC, of different combining classes) among
/// invisibles, controls and letters, where the order of marks can change.
fn marks_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "\u{340}", "\u{337}", "\u{300}", "\u{301}", "\u{323}", "\u{AD}", "\u{200B}", "a", "ư",
            "\u{4}", "(", " ",
        ]),
        0..12,
    )
    .prop_map(|v| v.concat())
}

fn glued_text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_and_spans_are_well_formed(s in prop_oneof![text(), glued_text(), any::<String>()]) {
        let doc = Pipeline::new().annotate(s.as_str());
        let mut prev_end = 0;
        for t in doc.tokens() {
            prop_assert!(t.span.start >= prev_end && t.span.start < t.span.end && t.span.end <= s.len());
            prop_assert!(s.is_char_boundary(t.span.start) && s.is_char_boundary(t.span.end));
            prev_end = t.span.end;
        }
        let mut next = 0;
        for w in doc.words() {
            prop_assert_eq!(w.tokens.start, next);
            next = w.tokens.end;
            prop_assert_eq!(w.span.start, doc.tokens()[w.tokens.start].span.start);
            prop_assert_eq!(w.span.end, doc.tokens()[w.tokens.end - 1].span.end);
        }
        prop_assert_eq!(next, doc.tokens().len());
        let mut next = 0;
        for st in doc.sentences() {
            prop_assert_eq!(st.tokens.start, next);
            prop_assert!(st.tokens.end > st.tokens.start);
            next = st.tokens.end;
        }
        prop_assert_eq!(next, doc.tokens().len());
    }

    #[test]
    fn key_is_idempotent(s in text()) {
        let k = key(&s);
        prop_assert_eq!(key(&k), k);
    }

    #[test]
    fn normalization_is_idempotent(s in prop_oneof![text(), glued_text(), marks_text()]) {
        for style in [ToneStyle::Traditional, ToneStyle::Modern, ToneStyle::Keep] {
            for strip_diacritics in [false, true] {
                let o = NormalizeOptions { tone_style: style, strip_diacritics };
                let once = normalize(&s, &o).text;
                prop_assert_eq!(&normalize(&once, &o).text, &once);
            }
        }
    }

    #[test]
    fn modern_traditional_modern_is_stable(s in text()) {
        let m = NormalizeOptions { tone_style: ToneStyle::Modern, strip_diacritics: false };
        let t = NormalizeOptions { tone_style: ToneStyle::Traditional, strip_diacritics: false };
        let a = normalize(&s, &m).text;
        let b = normalize(&normalize(&a, &t).text, &m).text;
        prop_assert_eq!(a, b);
    }

    #[test]
    fn nfc_and_nfd_give_identical_keys_and_words(s in text()) {
        let nfc: String = s.nfc().collect();
        let nfd: String = s.nfd().collect();
        let p = Pipeline::new();
        let (a, b) = (p.annotate(nfc.as_str()), p.annotate(nfd.as_str()));
        let ka: Vec<&str> = a.tokens().iter().map(|t| a.norm(t)).collect();
        let kb: Vec<&str> = b.tokens().iter().map(|t| b.norm(t)).collect();
        prop_assert_eq!(ka, kb);
        let wa: Vec<_> = a.words().iter().map(|w| w.tokens.clone()).collect();
        let wb: Vec<_> = b.words().iter().map(|w| w.tokens.clone()).collect();
        prop_assert_eq!(wa, wb);
    }

    #[test]
    fn alignment_is_monotone_and_total(s in prop_oneof![text(), glued_text()]) {
        let out = normalize(&s, &NormalizeOptions::default());
        prop_assert_eq!(out.to_original_offset(0, false), if s.is_empty() { 0 } else { out.to_original_offset(0, false) });
        prop_assert_eq!(out.to_original_offset(out.text.len(), false), s.len());
        let mut prev = 0;
        for b in 0..=out.text.len() {
            if !out.text.is_char_boundary(b) { continue; }
            let o = out.to_original_offset(b, false);
            prop_assert!(o >= prev && o <= s.len());
            prop_assert!(s.is_char_boundary(o));
            prev = o;
        }
    }
}
