//! Golden files: every corpus document's `annotate` record, in `tests/golden/<name>.jsonl`.
//! Re-bless after an intended change with `BLESS=1 cargo test --release --test golden`.

mod common;

use std::path::PathBuf;
use vita::json::{Offsets, write_record};
use vita::{Layers, Pipeline};

#[test]
fn corpus_documents_match_golden_files() {
    let pipeline = Pipeline::new();
    let bless = std::env::var_os("BLESS").is_some();
    let golden_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut failures = Vec::new();
    for path in common::corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let doc = pipeline.annotate(text.as_str());
        let mut got = Vec::new();
        write_record(
            &mut got,
            &format!("corpus/{name}.txt"),
            &doc,
            Layers::default(),
            Offsets::Char,
        );
        let golden = golden_dir.join(format!("{name}.jsonl"));
        if bless {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        match std::fs::read(&golden) {
            Ok(want) if want == got => {}
            Ok(_) => failures.push(format!("{}: output differs", golden.display())),
            Err(e) => failures.push(format!("{}: {e}", golden.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nhelp: if the change is intended, run `BLESS=1 cargo test --release --test golden` and review the diff",
        failures.join("\n")
    );
}

#[test]
fn golden_records_parse_strictly() {
    let golden_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for path in common::corpus_files() {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let data = std::fs::read_to_string(golden_dir.join(format!("{name}.jsonl"))).unwrap();
        let rec: common::Record = serde_json::from_str(data.trim_end()).unwrap();
        assert_eq!(rec.schema, "vita/1");
        assert_eq!(rec.text, std::fs::read_to_string(&path).unwrap());
        assert!(!rec.sentences.unwrap().is_empty());
    }
}
