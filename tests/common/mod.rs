//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde::Deserialize;
use std::path::PathBuf;

/// The `vita/1` record, parsed strictly: an unknown field fails the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub schema: String,
    pub id: String,
    pub text: String,
    pub sentences: Option<Vec<SpanRec>>,
    pub tokens: Option<Vec<TokenRec>>,
    pub words: Option<Vec<WordRec>>,
    pub entities: Option<Vec<EntityRec>>,
    pub keywords: Option<Vec<KeywordRec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanRec {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRec {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub norm: String,
    pub kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordRec {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub tokens: [usize; 2],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityRec {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordRec {
    pub text: String,
    pub score: f64,
    pub count: usize,
}

/// The corpus documents (`corpus/*.txt`), sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    v.sort();
    assert!(v.len() >= 5, "corpus/ should hold at least five documents");
    v
}

/// `text[start:end]` in code points, as Python slices.
pub fn char_slice(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end.saturating_sub(start)).collect()
}

/// `text[start:end]` in bytes.
pub fn byte_slice(text: &str, start: usize, end: usize) -> String {
    text.get(start..end)
        .unwrap_or_else(|| panic!("byte span {start}..{end} not on char boundaries"))
        .to_string()
}

/// Runs the built `vita` binary in the repository root with `stdin` as input.
pub fn run_vita(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_vita"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before reading its input.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// A fresh directory named after `name`, removed with what is in it when the guard drops.
pub fn tmpdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("vita-{name}-")).tempdir().unwrap()
}
