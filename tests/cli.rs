//! Runs the built `vita` binary.

mod common;

use std::process::{Command, Output, Stdio};

fn vita(args: &[&str], stdin: Option<&[u8]>) -> Output {
    common::run_vita(args, stdin.unwrap_or(b""))
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn annotate_corpus_directory() {
    let o = vita(&["annotate", "-q", "corpus/"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let recs: Vec<common::Record> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let txt = common::corpus_files().len();
    assert!(recs.len() >= txt, "one record per document");
    assert!(recs.iter().any(|r| r.id == "corpus/ai-my-trung-quoc-essay.txt"));
}

#[test]
fn threads_do_not_change_output() {
    let a = vita(&["annotate", "-q", "-j", "1", "corpus/"], None);
    let b = vita(&["annotate", "-q", "-j", "2", "corpus/"], None);
    assert_eq!(a.stdout, b.stdout);
}

/// One document long enough to be annotated in pieces by several threads: the output must not
/// change with the number of threads, nor differ from annotating it in one piece.
#[test]
fn a_long_document_is_shared_among_threads_with_the_same_output() {
    let tmp = common::tmpdir("long");
    let dir = tmp.path();
    let mut text = String::new();
    for round in 0..24 {
        for p in common::corpus_files() {
            text.push_str(&std::fs::read_to_string(p).unwrap());
            text.push_str(&format!("\n\nPhần {round}.\n\n"));
        }
    }
    assert!(text.len() > vita::pipeline::PARALLEL_BYTES);
    let file = dir.join("long.txt");
    std::fs::write(&file, &text).unwrap();
    let f = file.to_str().unwrap();
    let a = vita(&["annotate", "-q", "-j", "1", f], None);
    let b = vita(&["annotate", "-q", "-j", "2", f], None);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    // The library in a one-thread pool (in one piece) gives the same record.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let doc = one.install(|| vita::Pipeline::new().annotate(text.as_str()));
    let mut out = Vec::new();
    vita::json::write_record(&mut out, f, &doc, vita::Layers::default(), Default::default());
    assert_eq!(out, b.stdout);
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let doc2 = two.install(|| vita::Pipeline::new().annotate(text.as_str()));
    assert_eq!(doc2.words(), doc.words());
    assert_eq!(doc2.entities(), doc.entities());
    assert!(doc.entities().len() > 100);
}

#[test]
fn byte_offsets_and_layers() {
    let o =
        vita(&["annotate", "--offsets", "byte", "--layers", "tokens"], Some("Hà Nội".as_bytes()));
    let rec: common::Record = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert!(rec.sentences.is_none() && rec.words.is_none());
    let toks = rec.tokens.unwrap();
    assert_eq!((toks[1].start, toks[1].end), (4, 9));
    assert_eq!(rec.id, "<stdin>");
}

#[test]
fn jsonl_input() {
    let input = "{\"id\": \"a\", \"text\": \"Xin chào.\"}\n\n{\"text\": \"Hà Nội\"}\n";
    let o = vita(&["annotate", "--input-format", "jsonl"], Some(input.as_bytes()));
    assert!(o.status.success());
    let ids: Vec<String> =
        stdout(&o).lines().map(|l| serde_json::from_str::<common::Record>(l).unwrap().id).collect();
    assert_eq!(ids, ["a", "<stdin>#3"]);
}

#[test]
fn bad_utf8_is_reported_and_others_still_annotated() {
    let tmp = common::tmpdir("utf8");
    let d = tmp.path();
    std::fs::write(d.join("a.txt"), "Một.").unwrap();
    std::fs::write(d.join("b.txt"), b"ab\xff\xfe").unwrap();
    std::fs::write(d.join("c.txt"), "Hai.").unwrap();
    std::fs::write(d.join("empty.txt"), "").unwrap();
    let o = vita(&["annotate", "-q", d.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("b.txt: not UTF-8 (byte offset 2)"), "{err}");
    let recs: Vec<common::Record> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(recs.len(), 3);
    let empty = recs.iter().find(|r| r.id.ends_with("empty.txt")).unwrap();
    assert!(
        empty.tokens.as_ref().unwrap().is_empty() && empty.sentences.as_ref().unwrap().is_empty()
    );
    let lossy = vita(&["annotate", "-q", "--lossy", d.join("b.txt").to_str().unwrap()], None);
    assert_eq!(lossy.status.code(), Some(0));
    assert!(stdout(&lossy).contains("ab\u{FFFD}\u{FFFD}"));
}

#[test]
fn missing_file_and_usage_errors() {
    let o = vita(&["annotate", "no/such/file.txt"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("vita: no/such/file.txt:"));
    let u = vita(&["annotate", "--offsets", "words"], None);
    assert_eq!(u.status.code(), Some(1));
    let l = vita(&["annotate", "--layers", "nope"], Some(b"x"));
    assert_eq!(l.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&l.stderr).contains("unknown layer 'nope'"));
}

#[test]
fn normalize_command() {
    let o = vita(&["normalize"], Some("Hoà bình, khoẻ, qủa\n".as_bytes()));
    assert_eq!(stdout(&o), "Hòa bình, khỏe, quả\n");
    let o = vita(&["normalize", "--tone-style", "modern"], Some("hòa khỏe thủy\n".as_bytes()));
    assert_eq!(stdout(&o), "hoà khoẻ thuỷ\n");
    let o = vita(&["normalize", "--strip-diacritics"], Some("Đại Việt hòa bình".as_bytes()));
    assert_eq!(stdout(&o), "Dai Viet hoa binh");
    let o = vita(&["normalize", "--map", "5:8"], Some("Nước Ho\u{300}a".as_bytes()));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["text"], "Hòa");
    assert_eq!(v["original"], "Ho\u{300}a");
    assert_eq!(v["input"], serde_json::json!([5, 9]));
}

#[test]
fn segment_command_keeps_characters() {
    let input = "Trung Quốc và Hoa Kỳ.\nHai câu.";
    let o = vita(&["segment"], Some(input.as_bytes()));
    let out = stdout(&o);
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace() && *c != '_').collect::<String>();
    assert_eq!(strip(&out), strip(input));
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn closed_pipe_exits_quietly() {
    let big: String = "Hà Nội là thủ đô. ".repeat(20_000);
    let tmp = common::tmpdir("pipe");
    let d = tmp.path();
    for i in 0..20 {
        std::fs::write(d.join(format!("{i:02}.txt")), &big).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_vita"))
        .args(["annotate", "-q", d.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut so = child.stdout.take().unwrap();
    let mut buf = [0u8; 100];
    std::io::Read::read_exact(&mut so, &mut buf).unwrap();
    drop(so);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// On a terminal, every command that reads a corpus closes with a line of documents, megabytes,
/// seconds and throughput (and the aggregate ones too); `-q` silences it; off a terminal
/// (every other test) stderr has only errors. The terminal is `script`'s (util-linux).
#[test]
fn closing_line_on_a_terminal() {
    // The texts and the README.
    let docs = stdout(&vita(&["annotate", "-q", "corpus/"], None)).lines().count();
    let on_terminal = |args: &str| {
        let cmd = format!("'{}' {args} > /dev/null", env!("CARGO_BIN_EXE_vita"));
        let o = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .output()
            .expect("`script` (util-linux) gives the test a terminal");
        assert!(o.status.success(), "{args}: {o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for args in
        ["annotate corpus/", "stats corpus/", "keywords --corpus corpus/", "segment corpus/"]
    {
        let seen = on_terminal(args);
        let want = format!("vita: {docs} documents, ");
        assert!(seen.contains(&want) && seen.contains(" MB/s)"), "{args}: {seen:?}");
        assert_eq!(on_terminal(&format!("{args} -q")).trim(), "", "{args} -q");
    }
    let o = vita(&["stats", "corpus/"], None);
    assert!(o.stderr.is_empty());
}
