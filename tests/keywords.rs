//! Key phrases: quality against a reader's choice, and the rules every phrase follows.

mod common;

use std::collections::HashSet;
use unicode_normalization::UnicodeNormalization;
use vita::keyword::{KeywordExtractor, Stopwords};
use vita::{Layers, Pipeline};

/// The gold lists of `tests/keywords-gold.md`: file -> items, each a set of accepted keys.
fn gold() -> Vec<(String, Vec<HashSet<String>>)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keywords-gold.md"))
            .unwrap();
    let mut out: Vec<(String, Vec<HashSet<String>>)> = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("## ") {
            out.push((f.trim().to_string(), Vec::new()));
            continue;
        }
        let Some((num, rest)) = line.split_once(". ") else { continue };
        if num.parse::<u32>().is_err() {
            continue;
        }
        let Some((phrase, why)) = rest.split_once(" — ") else { continue };
        let mut item: HashSet<String> = HashSet::new();
        item.insert(vita::normalize::key(phrase));
        if let Some((_, also)) = why.split_once("also: ") {
            item.extend(also.split(';').map(|a| vita::normalize::key(a.trim())));
        }
        out.last_mut().expect("a ## heading first").1.push(item);
    }
    out
}

#[test]
fn most_of_the_top_ten_are_what_a_reader_picks() {
    let p = Pipeline::new();
    let ex = KeywordExtractor { top_k: 10 };
    let lists = gold();
    assert_eq!(lists.len(), 4);
    for (file, items) in lists {
        assert_eq!(items.len(), 10, "{file}: ten gold phrases");
        let text = std::fs::read_to_string(format!("{}/corpus/{file}", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        let kws = ex.extract(&p.annotate(text.as_str()));
        assert_eq!(kws.len(), 10);
        let mut hits = 0;
        let mut items_hit = HashSet::new();
        for k in &kws {
            let key = vita::normalize::key(&k.text);
            if let Some(i) = items.iter().position(|it| it.contains(&key)) {
                hits += 1;
                items_hit.insert(i);
            }
        }
        let got: Vec<&str> = kws.iter().map(|k| k.text.as_str()).collect();
        assert!(
            hits >= 6 && items_hit.len() >= 5,
            "{file}: only {hits} of {got:?} are in the gold list"
        );
    }
}

#[test]
fn phrases_are_whole_words_never_stopwords_and_scored_in_unit_range() {
    let p = Pipeline::new();
    let stop = Stopwords::embedded();
    let function_words = ["và", "của", "các", "những", "được", "này"];
    for path in common::corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = p.annotate(text.as_str());
        let starts: HashSet<usize> = doc.words().iter().map(|w| w.span.start).collect();
        let ends: HashSet<usize> = doc.words().iter().map(|w| w.span.end).collect();
        assert!(!doc.keywords().is_empty(), "{}", path.display());
        let mut prev = f32::INFINITY;
        for k in doc.keywords() {
            assert!(k.score > 0.0 && k.score <= 1.0, "{} score {}", k.text, k.score);
            assert!(k.score <= prev, "sorted best first");
            prev = k.score;
            let first = vita::normalize::key(k.text.split(' ').next().unwrap());
            let last = vita::normalize::key(k.text.split(' ').next_back().unwrap());
            for fw in function_words {
                assert_ne!(first, fw, "{}", k.text);
                assert_ne!(last, fw, "{}", k.text);
            }
            assert!(
                !stop.contains(&vita::normalize::key(&k.text))
                    || k.text.chars().all(|c| !c.is_lowercase()),
                "{} is a stopword",
                k.text
            );
            for o in &k.occurrences {
                assert!(
                    starts.contains(&o.start) && ends.contains(&o.end),
                    "{:?} is not whole words",
                    doc.slice(*o)
                );
                let seen: String = doc.slice(*o).split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(vita::normalize::key(&seen), vita::normalize::key(&k.text));
            }
        }
    }
}

#[test]
fn keywords_do_not_depend_on_unicode_form() {
    let p = Pipeline::new().with_layers(Layers::default());
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/ai-my-trung-quoc-essay.txt"
    ))
    .unwrap();
    let nfd: String = text.nfd().collect();
    let a: Vec<String> = p
        .annotate(text.as_str())
        .keywords()
        .iter()
        .map(|k| vita::normalize::key(&k.text))
        .collect();
    let b: Vec<String> =
        p.annotate(nfd.as_str()).keywords().iter().map(|k| vita::normalize::key(&k.text)).collect();
    assert_eq!(a, b);
}

fn vita(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vita"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn keywords_command_and_corpus_mode() {
    let o = vita(&["keywords", "-k", "3", "corpus/ai-my-trung-quoc-essay.txt"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["keywords"].as_array().unwrap().len(), 3);
    assert_eq!(v["keywords"][0]["score"], 1.0);
    let o = vita(&["keywords", "--corpus", "-k", "5", "corpus/"]);
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["id"], "<corpus>");
    assert!(lines.len() >= 6, "one record per document plus the corpus");
    // Against the rest of the corpus, the wind article is about wind, not about Vietnam.
    let wind = lines.iter().find(|l| l["id"].as_str().unwrap().contains("nang-luong")).unwrap();
    let texts: Vec<String> = wind["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["text"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(texts.iter().any(|t| t.contains("gió")), "{texts:?}");
}

#[test]
fn stats_command() {
    let o = vita(&["stats", "--format", "json", "--top", "3", "corpus/ai-my-trung-quoc-essay.txt"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"], 1);
    assert!(v["sentences"].as_u64().unwrap() > 20);
    assert_eq!(v["top_words"].as_array().unwrap().len(), 3);
    assert_eq!(v["tones"].as_array().unwrap().len(), 6);
    let syllables = v["syllables"].as_u64().unwrap();
    let by_kind = v["tokens_by_kind"]["syllable"].as_u64().unwrap();
    assert_eq!(syllables, by_kind);
    let t = vita(&["stats", "corpus/ai-my-trung-quoc-essay.txt"]);
    let table = String::from_utf8(t.stdout).unwrap();
    assert!(table.contains("type/token ratio") && table.contains("top bigrams"), "{table}");
    let j1 = vita(&["stats", "--format", "json", "-j", "1", "corpus/"]);
    let j2 = vita(&["stats", "--format", "json", "-j", "2", "corpus/"]);
    assert_eq!(j1.stdout, j2.stdout);
}

/// `--corpus` reads its input twice: standard input is kept in a temporary file for the
/// second reading, which leaves nothing behind, and gives what the same documents give from
/// a file.
#[test]
fn corpus_mode_reads_standard_input_as_a_file() {
    use std::io::Write;
    let guard = common::tmpdir("keywords-stdin");
    let dir = guard.path();
    let (input, tmp) = (dir.join("in"), dir.join("tmp"));
    std::fs::create_dir_all(&input).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let mut jsonl = String::new();
    for path in common::corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let id = path.file_name().unwrap().to_string_lossy().into_owned();
        jsonl.push_str(&serde_json::json!({ "id": id, "text": text }).to_string());
        jsonl.push('\n');
    }
    let file = input.join("docs.jsonl");
    std::fs::write(&file, &jsonl).unwrap();
    let from_file = vita(&["keywords", "--corpus", "-k", "4", file.to_str().unwrap()]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vita"))
        .args(["keywords", "--corpus", "-k", "4", "--input-format", "jsonl"])
        .env("TMPDIR", &tmp)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(jsonl.as_bytes()).unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    assert!(from_file.status.success() && from_stdin.status.success());
    let lines = String::from_utf8(from_stdin.stdout.clone()).unwrap();
    assert_eq!(lines.lines().count(), common::corpus_files().len() + 1);
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "the copy of standard input is removed: {left:?}");
}
