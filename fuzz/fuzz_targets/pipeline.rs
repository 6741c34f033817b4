//! The whole pipeline on arbitrary input: annotation with every layer, the JSON and CoNLL
//! writers, normalization with its map, statistics, legacy encodings (decoding, detection,
//! the mojibake check). Nothing may panic, and the invariants every user relies on must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vita::json::{Offsets, write_conll, write_record};
use vita::normalize::{NormalizeOptions, ToneStyle, normalize};
use vita::{Layers, Pipeline, Span};

fuzz_target!(|data: &[u8]| {
    use vita::legacy::{Encoding, decode, detect_bytes, encode, mojibake};
    let _ = detect_bytes(data);
    for enc in [Encoding::Vni, Encoding::Tcvn3, Encoding::Viqr] {
        let converted = decode(data, enc);
        let _ = encode(&converted, enc);
    }
    // Reading a file: UTF-8 checked as the standard library checks it (text with a NUL in its
    // first 8 KiB is binary).
    let path = std::path::Path::new("fuzz.txt");
    match (vita::input::decode(data.to_vec(), path, false), std::str::from_utf8(data)) {
        (Ok(read), Ok(s)) => assert_eq!(read, s),
        (Err(e), Ok(_)) => assert!(matches!(e.kind(), vita::ErrorKind::Binary { .. })),
        (Ok(_), Err(_)) => panic!("invalid UTF-8 read as text"),
        (Err(_), Err(_)) => {}
    }
    let text = String::from_utf8_lossy(data);
    let _ = mojibake(&text);
    let viqr = String::from_utf8(encode(&text, Encoding::Viqr)).expect("VIQR is UTF-8");
    let _ = vita::legacy::convert(&viqr, Encoding::Viqr);
    let pipeline = Pipeline::new();
    let doc = pipeline.annotate(text.as_ref());
    assert_eq!(doc.text(), text.as_ref());
    let mut next = 0;
    for w in doc.words() {
        assert_eq!(w.tokens.start, next);
        next = w.tokens.end;
        assert_eq!(w.span.start, doc.tokens()[w.tokens.start].span.start);
    }
    assert_eq!(next, doc.tokens().len());
    for e in doc.entities() {
        assert!(e.words.end <= doc.words().len() && e.words.start < e.words.end);
    }
    for k in doc.keywords() {
        assert!(k.score > 0.0 && k.score <= 1.0);
        assert_eq!(k.count, k.occurrences.len());
    }
    // Corpus keywords over the lines as documents, with limits small enough to drop entries.
    let words = Pipeline::new().with_layers(Layers::WORDS);
    let stop = vita::keyword::Stopwords::embedded();
    let lines: Vec<_> = text
        .lines()
        .map(|l| vita::keyword::DocPhrases::new(&words.annotate(l), stop, 3))
        .collect();
    let mut corpus = vita::keyword::CorpusPhrases::with_limits(8, 16);
    for d in &lines {
        corpus.add(d);
    }
    for d in &lines {
        for k in corpus.rank_document(d, 3) {
            assert!(k.score > 0.0 && k.score <= 1.0 && k.count == k.occurrences.len());
        }
    }
    for k in corpus.keywords(3) {
        assert!(k.score > 0.0 && k.score <= 1.0 && k.count >= 1 && k.occurrences.is_empty());
    }
    let mut out = Vec::new();
    write_record(&mut out, "fuzz", &doc, Layers::default(), Offsets::Char);
    let _: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    out.clear();
    write_conll(&mut out, "fuzz", &doc);
    let mut stats = vita::stats::Stats::default();
    stats.add(vita::stats::Stats::of(&doc));
    stats.merge(stats.clone());
    let report = stats.report(3);
    assert_eq!(report.documents, 2);
    for style in [ToneStyle::Traditional, ToneStyle::Modern, ToneStyle::Keep] {
        let o = NormalizeOptions { tone_style: style, strip_diacritics: style == ToneStyle::Keep };
        let n = normalize(&text, &o);
        let all = n.to_original(Span::new(0, n.text.len()));
        assert!(all.end <= text.len());
        assert_eq!(normalize(&n.text, &o).text, n.text, "idempotent");
    }
});
