//! Legacy encodings: the corpus converted into VNI, TCVN3 and VIQR and back, detection, and the
//! command line's `--from` and mojibake report.

mod common;

use proptest::prelude::*;
use vita::legacy::{Encoding, convert, decode, detect, detect_bytes, encode, mojibake};

const LEGACY: [Encoding; 3] = [Encoding::Vni, Encoding::Tcvn3, Encoding::Viqr];

fn corpus() -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            docs.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    docs.sort();
    assert!(docs.len() >= 5);
    docs
}

/// What TCVN3 can hold: upper-case letters with tone marks become lower case.
fn tcvn3_view(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = s.nfc().collect();
    nfc.chars()
        .map(|c| {
            let lower = c.to_lowercase().next().unwrap_or(c);
            let mut it = c.to_string().nfd().collect::<Vec<_>>().into_iter();
            let base = it.next().unwrap_or(c);
            let toned =
                it.any(|m| matches!(m, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}'));
            let taken = c != '?' && encode(&c.to_string(), Encoding::Tcvn3) == b"?";
            if taken {
                '?'
            } else if toned && base.is_uppercase() {
                lower
            } else {
                c
            }
        })
        .collect()
}

#[test]
fn corpus_round_trips_through_every_encoding() {
    for (path, text) in corpus() {
        for enc in LEGACY {
            let bytes = encode(&text, enc);
            let expected = if enc == Encoding::Tcvn3 { tcvn3_view(&text) } else { text.clone() };
            let back = decode(&bytes, enc);
            assert!(
                back == expected,
                "{path} via {enc}: first difference at {:?}",
                first_diff(&back, &expected)
            );
        }
    }
}

fn first_diff(a: &str, b: &str) -> Option<(String, String)> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let i = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let ctx = |v: &[char]| v[i.saturating_sub(10)..(i + 10).min(v.len())].iter().collect();
    Some((ctx(&a), ctx(&b)))
}

#[test]
fn words_typed_in_each_encoding() {
    // Typed by hand from the encodings' tables, not produced by `encode`.
    let cases: &[(Encoding, &str, &str)] = &[
        (Encoding::Vni, "Vieät Nam", "Việt Nam"),
        (Encoding::Vni, "ñöôïc ngöôøi Myõ", "được người Mỹ"),
        (Encoding::Vni, "ÑAÏI HOÏC QUOÁC GIA", "ĐẠI HỌC QUỐC GIA"),
        (Encoding::Vni, "naêm, aén, chò, nghó, thuyû", "năm, ắn, chị, nghĩ, thuỷ"),
        (Encoding::Tcvn3, "ViÖt Nam", "Việt Nam"),
        (Encoding::Tcvn3, "®\u{AD}îc ng\u{AD}êi", "được người"),
        (Encoding::Tcvn3, "Hµ Néi, Tr\u{AD}êng §¹i häc", "Hà Nội, Trường Đại học"),
        (Encoding::Tcvn3, "cña nh÷ng n¨m, Hoa Kú", "của những năm, Hoa Kỳ"),
        (Encoding::Viqr, "Vie^.t Nam", "Việt Nam"),
        (Encoding::Viqr, "ddu+o+.c ngu+o+`i", "được người"),
        (Encoding::Viqr, "Nghi. ddi.nh 13/2023/NDD-CP", "Nghị định 13/2023/NĐ-CP"),
        (Encoding::Viqr, "Anh o+? dda^u\\?", "Anh ở đâu?"),
        (Encoding::Viqr, "Ha` No^.i.", "Hà Nội."),
        (Encoding::Viqr, "Buddha, ADD", "Buddha, ADD"),
    ];
    for &(enc, legacy, unicode) in cases {
        assert_eq!(convert(legacy, enc), unicode, "{enc}: {legacy}");
    }
}

#[test]
fn bytes_and_mojibake_read_the_same() {
    for (path, text) in corpus() {
        for enc in [Encoding::Vni, Encoding::Tcvn3] {
            let bytes = encode(&text, enc);
            assert!(std::str::from_utf8(&bytes).is_err(), "{path}: legacy bytes are not UTF-8");
            // The same bytes read as Windows-1252 and saved as UTF-8: mojibake.
            let mojibake_text: String = bytes.iter().map(|&b| vita::legacy::cp1252(b)).collect();
            assert_eq!(convert(&mojibake_text, enc), decode(&bytes, enc), "{path} {enc}");
        }
    }
}

#[test]
fn detection_finds_each_encoding_of_the_corpus() {
    for (path, text) in corpus() {
        let d = detect(&text);
        assert_eq!(d.encoding, Encoding::Unicode, "{path}");
        assert!(mojibake(&text).is_none(), "{path}");
        for enc in LEGACY {
            let bytes = encode(&text, enc);
            assert_eq!(detect_bytes(&bytes).encoding, enc, "{path} as {enc} bytes");
            let as_text: String = bytes.iter().map(|&b| vita::legacy::cp1252(b)).collect();
            let found = mojibake(&as_text).unwrap_or_else(|| panic!("{path}: {enc} not reported"));
            assert_eq!(found.encoding, enc, "{path}");
        }
    }
}

#[test]
fn unicode_text_with_latin_letters_is_not_mojibake() {
    let text = "Ông Müller (Đức) và bà Ørsted đến São Paulo lúc 30°C; «Café» ở Hà Nội. ".repeat(20);
    assert!(mojibake(&text).is_none());
    let ascii = "I go. You go. We all go. Do it. So be it. Let go. ".repeat(20);
    assert_eq!(detect(&ascii).encoding, Encoding::Unicode);
    assert!(mojibake(&ascii).is_none());
}

/// Vietnamese words (one tone each, as VIQR can write them) and the ASCII a text puts between.
const WORDS: [&str; 16] = [
    "người", "Việt", "được", "ĐẠI", "NĐ", "đâu", "ở", "quả", "khuỷu", "Buddha", "ADD", "dd", "a",
    "thuở", "Ừ", "giữ",
];
const SEPARATORS: [&str; 13] =
    [" ", ". ", "?", ".", "'", "`", "~", "^", "(", "+", "\\", "-", "\\."];

proptest! {
    #[test]
    fn viqr_round_trips_words_and_marks(pieces in prop::collection::vec(
        (prop::sample::select(&WORDS[..]), prop::sample::select(&SEPARATORS[..])), 0..12)) {
        let s: String = pieces.iter().flat_map(|(w, sep)| [*w, *sep]).collect();
        let encoded = String::from_utf8(encode(&s, Encoding::Viqr)).unwrap();
        prop_assert!(encoded.is_ascii());
        prop_assert_eq!(convert(&encoded, Encoding::Viqr), s);
    }

    #[test]
    fn vni_and_tcvn3_round_trip_vietnamese(s in "[a-z đăâêôơưàáảãạầấẩẫậằắẳẵặèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ,.]{0,40}") {
        for enc in [Encoding::Vni, Encoding::Tcvn3] {
            let bytes = encode(&s, enc);
            // A few letters can make valid UTF-8 by chance; then the bytes read as UTF-8.
            prop_assume!(std::str::from_utf8(&bytes).is_err() || s.is_ascii());
            prop_assert_eq!(decode(&bytes, enc), s.clone());
        }
    }
}

#[test]
fn cli_reads_legacy_files_and_reports_mojibake() {
    let tmp = common::tmpdir("legacy");
    let dir = tmp.path();
    let text = "Người Việt Nam nói tiếng Việt. Hà Nội là thủ đô của nước Việt Nam. \
                Chúng tôi đã đến đó và được gặp những người bạn cũ ở Trường Đại học.";
    let vni = dir.join("vni.txt");
    std::fs::write(&vni, encode(text, Encoding::Vni)).unwrap();
    let tcvn3_mojibake = dir.join("tcvn3.txt");
    let moji: String =
        encode(text, Encoding::Tcvn3).iter().map(|&b| vita::legacy::cp1252(b)).collect();
    std::fs::write(&tcvn3_mojibake, &moji).unwrap();
    let good = dir.join("good.txt");
    std::fs::write(&good, text).unwrap();
    let lower = tcvn3_view(text);

    let out = common::run_vita(&["normalize", "--from", "vni", vni.to_str().unwrap()], b"");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), text);

    let out = common::run_vita(
        &["normalize", "--from", "auto", vni.to_str().unwrap(), tcvn3_mojibake.to_str().unwrap()],
        b"",
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{text}{lower}"));

    // Without --from: the mojibake file is reported and skipped, the others are annotated.
    let out = common::run_vita(
        &["annotate", "-q", tcvn3_mojibake.to_str().unwrap(), good.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("looks like TCVN3 text read as Unicode (mojibake)"), "{err}");
    assert!(err.contains("--from tcvn3"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    // Legacy bytes are not UTF-8: the message names the encoding.
    let out = common::run_vita(&["segment", "-q", vni.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not UTF-8, looks like VNI text: read it with --from vni"), "{err}");

    // --from on annotate: offsets point into the converted text.
    let out = common::run_vita(&["annotate", "--from", "vni", vni.to_str().unwrap()], b"");
    let rec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rec["text"], text);
    let chars: Vec<char> = text.chars().collect();
    for t in rec["tokens"].as_array().unwrap() {
        let (s, e) = (t["start"].as_u64().unwrap() as usize, t["end"].as_u64().unwrap() as usize);
        assert_eq!(chars[s..e].iter().collect::<String>(), t["text"].as_str().unwrap());
    }
}
