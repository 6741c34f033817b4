//! Word segmentation: robustness of the decision, user dictionary, `vita eval segment`.

mod common;

use unicode_normalization::UnicodeNormalization;
use vita::normalize::{NormalizeOptions, ToneStyle, normalize};
use vita::{Pipeline, TokenKind};

/// Words of `text` as strings.
fn words(p: &Pipeline, text: &str) -> Vec<String> {
    let d = p.annotate(text);
    d.words().iter().map(|w| d.slice(w.span).to_string()).collect()
}

/// Gap decisions keyed by where the gap is: (end of the left token, start of the right one)
/// -> joined. Keyed by offset rather than token index, because changing the case can change
/// tokenization (`H.` is an initial, `h.` is not).
fn boundaries(p: &Pipeline, text: &str) -> std::collections::BTreeMap<(usize, usize), bool> {
    let d = p.annotate(text);
    let mut joined = std::collections::BTreeSet::new();
    for w in d.words() {
        for g in w.tokens.start..w.tokens.end - 1 {
            joined.insert(g);
        }
    }
    d.tokens()
        .windows(2)
        .enumerate()
        .map(|(g, t)| ((t[0].span.end, t[1].span.start), joined.contains(&g)))
        .collect()
}

/// Share of the gaps present in both that got the same decision.
fn agreement(
    a: &std::collections::BTreeMap<(usize, usize), bool>,
    b: &std::collections::BTreeMap<(usize, usize), bool>,
) -> (usize, usize) {
    let mut same = 0;
    let mut total = 0;
    for (k, v) in a {
        if let Some(w) = b.get(k) {
            total += 1;
            same += usize::from(v == w);
        }
    }
    (same, total)
}

#[test]
fn essay_words_broken_across_pdf_lines_come_out_whole() {
    let p = Pipeline::new();
    let essay = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/ai-my-trung-quoc-essay.txt"
    ))
    .unwrap();
    let ws = words(&p, &essay);
    for broken in ["khổng \n\nlồ", "tiên \n\nphong", "lĩnh \n\nvực", "nhiên \n\nliệu"] {
        assert!(essay.contains(broken), "the essay has {broken:?}");
        assert!(ws.iter().any(|w| w == broken), "{broken:?} is one word");
    }
    for whole in ["Hoa Kỳ", "Trung Quốc", "dữ liệu", "nghiên cứu", "mô hình"] {
        assert!(ws.iter().any(|w| w == whole), "{whole} is one word");
    }
}

#[test]
fn case_does_not_change_well_known_words() {
    let p = Pipeline::new();
    for (a, b) in [
        ("Thủ đô Hà Nội rất đẹp.", "thủ đô hà nội rất đẹp."),
        ("Trung Quốc và Hoa Kỳ đầu tư vào AI.", "trung quốc và hoa kỳ đầu tư vào ai."),
        ("Siêu máy tính xử lý dữ liệu khổng lồ.", "SIÊU MÁY TÍNH XỬ LÝ DỮ LIỆU KHỔNG LỒ."),
    ] {
        assert_eq!(boundaries(&p, a), boundaries(&p, b), "{a} / {b}");
    }
}

#[test]
fn all_caps_headings_segment_like_lower_case() {
    let p = Pipeline::new();
    let essay = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/ai-my-trung-quoc-essay.txt"
    ))
    .unwrap();
    let headings: Vec<&str> =
        essay.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_digit())).collect();
    assert!(headings.len() >= 5);
    for h in headings {
        // The Vietnamese part; foreign words in brackets keep their case cue.
        let head = h.split([':', '(']).next().unwrap();
        assert_eq!(boundaries(&p, head), boundaries(&p, &head.to_lowercase()), "{head}");
    }
}

#[test]
fn lower_case_corpus_keeps_almost_every_boundary() {
    let p = Pipeline::new();
    let (mut same, mut total) = (0, 0);
    for path in common::corpus_files() {
        let text = std::fs::read_to_string(path).unwrap();
        let (s, t) = agreement(&boundaries(&p, &text), &boundaries(&p, &text.to_lowercase()));
        same += s;
        total += t;
    }
    let share = same as f64 / total as f64;
    eprintln!(
        "lower-case corpus: {same} of {total} gap decisions unchanged ({:.2}%)",
        share * 100.0
    );
    assert!(share > 0.99, "lower-case text keeps {:.2}% of gap decisions", share * 100.0);
}

#[test]
fn nfd_and_tone_placement_give_identical_words() {
    let p = Pipeline::new();
    for path in common::corpus_files() {
        let text = std::fs::read_to_string(path).unwrap();
        // Same texts in other byte forms: compare the words' token ranges.
        let ranges =
            |t: &str| p.annotate(t).words().iter().map(|w| w.tokens.clone()).collect::<Vec<_>>();
        let base = ranges(&text);
        let nfd: String = text.nfd().collect();
        assert_eq!(ranges(&nfd), base);
        for style in [ToneStyle::Modern, ToneStyle::Traditional] {
            let o = NormalizeOptions { tone_style: style, strip_diacritics: false };
            assert_eq!(ranges(&normalize(&text, &o).text), base);
        }
    }
}

#[test]
fn numbers_urls_and_foreign_words_are_never_glued_to_syllables() {
    let p = Pipeline::new();
    for path in common::corpus_files() {
        let text = std::fs::read_to_string(path).unwrap();
        let d = p.annotate(text.as_str());
        for w in d.words() {
            let toks = &d.tokens()[w.tokens.clone()];
            if toks.len() < 2 {
                continue;
            }
            let all_syllables = toks.iter().all(|t| t.kind == TokenKind::Syllable);
            let all_foreign =
                toks.iter().all(|t| matches!(t.kind, TokenKind::Foreign | TokenKind::Abbreviation));
            assert!(all_syllables || all_foreign, "mixed word {:?}", d.slice(w.span));
        }
    }
}

fn vita(args: &[&str], stdin: &str) -> std::process::Output {
    common::run_vita(args, stdin.as_bytes())
}

#[test]
fn user_dictionary_keeps_words_whole_and_reports_bad_lines() {
    let tmp = common::tmpdir("dict");
    let dir = tmp.path();
    let good = dir.join("good.txt");
    std::fs::write(&good, "# my words\ntrí tuệ nhân tạo\nsiêu máy tính\n").unwrap();
    let o =
        vita(&["segment", "--dict", good.to_str().unwrap()], "Siêu máy tính và trí tuệ nhân tạo.");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "Siêu_máy_tính và trí_tuệ_nhân_tạo .\n");
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "trí tuệ\nmáy\n").unwrap();
    let o = vita(&["segment", "--dict", bad.to_str().unwrap()], "x");
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.txt:2:"), "{err}");
}

/// Scores `vita segment` output against the fixture with an independent implementation of
/// the span comparison, and checks that `vita eval segment` prints the same figures.
#[test]
fn eval_segment_agrees_with_an_independent_scorer() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small.conllu");
    let data = std::fs::read_to_string(fixture).unwrap();
    let mut gold_words: Vec<String> = Vec::new();
    let mut texts = String::new();
    let mut forms: Vec<String> = Vec::new();
    let mut text: Option<String> = None;
    for line in data.lines().chain(std::iter::once("")) {
        if let Some(t) = line.strip_prefix("# text") {
            text = Some(t.trim_start().trim_start_matches('=').trim().to_string());
        } else if line.is_empty() {
            if !forms.is_empty() {
                texts.push_str(&text.take().unwrap_or_else(|| forms.join(" ")));
                texts.push('\n');
                gold_words.append(&mut forms);
            }
        } else if !line.starts_with('#') {
            forms.push(line.split('\t').nth(1).unwrap().to_string());
        }
    }
    let seg = vita(&["segment"], &texts);
    let sys_words: Vec<String> =
        String::from_utf8(seg.stdout).unwrap().split_whitespace().map(String::from).collect();
    let spans = |ws: &[String], sep: char| {
        let mut pos = 0;
        ws.iter()
            .map(|w| {
                let n = w.chars().filter(|c| *c != sep && !c.is_whitespace()).count();
                pos += n;
                (pos - n, pos)
            })
            .collect::<std::collections::HashSet<_>>()
    };
    let (g, s) = (spans(&gold_words, ' '), spans(&sys_words, '_'));
    let correct = g.intersection(&s).count() as f64;
    let (p, r) = (100.0 * correct / s.len() as f64, 100.0 * correct / g.len() as f64);
    let f = 2.0 * p * r / (p + r);
    let out = vita(&["eval", "segment", fixture], "");
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let want = format!("precision {p:.2}  recall {r:.2}  F1 {f:.2}");
    assert!(printed.contains(&want), "{printed} should contain {want}");
    assert!(printed.contains("3 sentences"));
}
