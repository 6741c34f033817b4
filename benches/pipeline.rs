//! Criterion benches: one group per stage, end to end, and 1 thread vs all cores.
//!
//! Input: `$VITA_BENCH_FILE`, else `../shared/data/bench/viwiki-5mb.txt` (the project's fixed
//! benchmark, 5.03 MB, 798,332 syllables), else the bundled corpus documents. The label of each
//! group names the input it ran on. The stage benches annotate the input as one document, as
//! the CLI does with a file, on one thread; `multithreaded` compares one and two threads, on
//! the lines as documents and on the input as one document (shared among the threads);
//! `short-documents` runs the lines as documents on one thread, by layers.

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use std::path::PathBuf;
use vita::normalize::{NormalizeOptions, normalize};
use vita::{Layers, Pipeline};

fn input() -> (String, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("VITA_BENCH_FILE").map(PathBuf::from),
        Some(root.join("../shared/data/bench/viwiki-5mb.txt")),
    ];
    for p in candidates.into_iter().flatten() {
        if let Ok(t) = std::fs::read_to_string(&p) {
            return (p.file_name().unwrap().to_string_lossy().into_owned(), t);
        }
    }
    let mut text = String::new();
    for e in std::fs::read_dir(root.join("corpus")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "txt") {
            text.push_str(&std::fs::read_to_string(p).unwrap());
            text.push_str("\n\n");
        }
    }
    ("corpus".to_string(), text)
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// The stages on one core (in a one-thread pool: a long document would otherwise be shared
/// among all threads).
fn stages(c: &mut Criterion) {
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (name, text) = input();
    let docs = [text.as_str()];
    let base =
        Layers { sentences: true, tokens: true, words: false, entities: false, keywords: false };
    let configs = [
        ("tokens+sentences", base),
        ("words", Layers { words: true, ..base }),
        ("words+entities", Layers { words: true, entities: true, ..base }),
        ("words+keywords", Layers { words: true, keywords: true, ..base }),
        ("all", Layers::default()),
    ];
    let mut g = c.benchmark_group(format!("stages/{name}"));
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    g.bench_function("normalize", |b| {
        let o = NormalizeOptions::default();
        b.iter(|| normalize(black_box(&text), &o).text.len())
    });
    for (label, layers) in configs {
        let p = Pipeline::new().with_layers(layers);
        p.annotate("warm up lazy tables");
        g.bench_function(label, |b| {
            b.iter(|| {
                one.install(|| {
                    docs.iter().map(|d| p.annotate(black_box(*d)).tokens().len()).sum::<usize>()
                })
            })
        });
    }
    // The segmenter alone, on documents already tokenized.
    let p = Pipeline::new();
    let tokens_only = Pipeline::new().with_layers(base);
    let mut pre: Vec<vita::Document> = docs.iter().map(|d| tokens_only.annotate(*d)).collect();
    g.bench_function("segment-only", |b| {
        b.iter(|| {
            one.install(|| {
                for d in pre.iter_mut() {
                    p.segment(d);
                }
            });
            pre.len()
        })
    });
    // The record streamed into a sink through the writer's 1 MB buffer, as `vita annotate`
    // writes it (not into one 136 MB buffer, which the command never holds).
    g.bench_function("all+json", |b| {
        b.iter(|| {
            one.install(|| {
                let mut sink: Box<dyn std::io::Write + Send> = Box::new(std::io::sink());
                for d in &docs {
                    let doc = p.annotate(*d);
                    let mut out = vita::json::StreamOut::new(&mut sink);
                    record(&mut out, &doc);
                    out.finish().unwrap();
                }
                docs.len()
            })
        })
    });
    g.finish();
}

/// Writes `doc`'s record with every layer and offsets in code points, as `vita annotate` does
/// by default.
fn record(out: &mut (impl vita::json::Out + Send), doc: &vita::Document) {
    vita::json::write_record(out, "x", doc, Layers::default(), vita::json::Offsets::Char);
}

/// The input's lines as documents on one core: what a corpus of short texts (news sentences,
/// paragraphs) costs per document beside the per-syllable work.
fn short_documents(c: &mut Criterion) {
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (name, text) = input();
    let docs = lines(&text);
    let words = Layers::WORDS;
    let mut g = c.benchmark_group(format!("short-documents/{name}"));
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    for (label, layers) in [
        ("words", words),
        ("words+keywords", Layers { keywords: true, ..words }),
        ("all", Layers::default()),
    ] {
        let p = Pipeline::new().with_layers(layers);
        p.annotate("warm up lazy tables");
        g.bench_function(label, |b| {
            b.iter(|| {
                one.install(|| docs.iter().map(|d| p.annotate(*d).words().len()).sum::<usize>())
            })
        });
    }
    // Each record made whole, as `vita annotate` makes a short document's, and kept until the
    // batch is written: the command's worker hands its records to the writing thread, so it
    // writes each into memory that is not warm from the last one.
    let p = Pipeline::new();
    p.annotate("warm up lazy tables");
    g.bench_function("all+json", |b| {
        b.iter(|| {
            one.install(|| {
                let records: Vec<vita::json::Rope> = docs
                    .iter()
                    .map(|d| {
                        let doc = p.annotate(*d);
                        let mut out = vita::json::Rope::default();
                        record(&mut out, &doc);
                        out
                    })
                    .collect();
                let mut sink = std::io::sink();
                for r in &records {
                    r.write_to(&mut sink).unwrap();
                }
                records.len()
            })
        })
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    c.bench_function("load/segmenter", |b| {
        b.iter(|| black_box(vita::word::Segmenter::load_embedded().unwrap()))
    });
}

/// A frozen table (read from its bytes, as the embedded models are) against the hashbrown map
/// it replaced: 12,720 keys (the segmenter's vocabulary), 100,000 lookups, four in five of
/// present keys (skewed towards some, like syllables in text), one in five absent.
fn lookup(c: &mut Criterion) {
    use vita::table::{Bytes, Table};
    let mut x: u64 = 0x1234_5678;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let keys: Vec<u64> = (0..12_720).map(|_| next()).collect();
    let mut open: Table<u32> = Table::default();
    let mut map: rustc_hash::FxHashMap<u64, u32> = Default::default();
    for (i, &k) in keys.iter().enumerate() {
        open.insert(k, i as u32);
        map.insert(k, i as u32);
    }
    let mut bytes = Vec::new();
    open.write(&mut bytes);
    let (frozen, _) = Table::<u32>::read("bench", Bytes::Borrowed(&bytes)).unwrap();
    let n = keys.len() as u64;
    let probes: Vec<u64> = (0..100_000)
        .map(|_| {
            let r = next();
            if r % 5 == 0 { next() } else { keys[((r >> 8) % ((r >> 40) % n + 1)) as usize] }
        })
        .collect();
    let mut g = c.benchmark_group("lookup");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("frozen table", |b| {
        b.iter(|| probes.iter().map(|&k| frozen.get(k).unwrap_or(7) as u64).sum::<u64>())
    });
    g.bench_function("hashbrown", |b| {
        b.iter(|| probes.iter().map(|&k| map.get(&k).copied().unwrap_or(7) as u64).sum::<u64>())
    });
    g.finish();
}

fn multithreaded(c: &mut Criterion) {
    use rayon::prelude::*;
    let (name, text) = input();
    let docs = lines(&text);
    let p = Pipeline::new();
    let mut g = c.benchmark_group(format!("multithreaded/{name}"));
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        g.bench_with_input(BenchmarkId::new("annotate", threads), &threads, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    docs.par_iter().map(|d| p.annotate(*d).words().len()).sum::<usize>()
                })
            })
        });
        // The whole input as one document, shared among the threads, with its JSON record.
        g.bench_with_input(BenchmarkId::new("one-document+json", threads), &threads, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    let d = p.annotate(black_box(text.as_str()));
                    let mut out = vita::json::Rope::default();
                    record(&mut out, &d);
                    out.len()
                })
            })
        });
    }
    g.finish();
}

#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, stages, short_documents, load, lookup, multithreaded);
}

criterion_main!(group::benches);
