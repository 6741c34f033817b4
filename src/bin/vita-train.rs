//! `vita-train`: builds the models vita ships from the open data in `../shared/data`.
//!
//! ```text
//! cargo run --release --features train --bin vita-train -- segmenter \
//!     --data ../shared/data --train train --eval dev          # choose settings on dev
//! cargo run --release --features train --bin vita-train -- segmenter \
//!     --data ../shared/data --train train,dev --out src/data/segmenter.bin   # ship
//! ```
//!
//! The segmenter is an averaged perceptron over the gaps between syllables (see
//! `vita::word::model`). Its inputs:
//! - UD Vietnamese-VTB (`ud-vi-vtb/`): gold words; the treebank's own multi-syllable words also
//!   become a dictionary feature, computed for each training sentence from the *other* folds
//!   (jackknifing), so the model learns how far to trust a dictionary it has not memorised;
//! - the pyvi word list (`lexicon/pyvi-words/words.txt`): a dictionary feature;
//! - Vietnamese Wikipedia (`raw/viwiki-2017/*.jsonl`): how strongly two syllables stick together
//!   (PMI and frequency of the pair).
//!
//! Output is deterministic for a given `--seed`.

use rustc_hash::FxHashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;
use vita::eval::{GoldSentence, read_conllu, score_segmentation};
use vita::word::Segmenter;
use vita::word::model::{self, Dict, Feature, Lexicon, Model, PairStats, SentenceFeatures, source};
use vita::{Layers, Pipeline, TokenKind};

struct Args {
    data: PathBuf,
    train: Vec<String>,
    eval: Vec<String>,
    out: Option<PathBuf>,
    epochs: usize,
    seed: u64,
    folds: usize,
    lower_aug: f64,
    min_raw: u64,
    runs: usize,
}

impl Args {
    /// Where to write: `--out`, or the command's usual file.
    fn out_or(&self, default: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| PathBuf::from(default))
    }
}

fn parse_args() -> Result<(String, Args), String> {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().ok_or(
        "usage: vita-train segmenter [--data DIR] [--train train,dev] [--eval dev] [--out FILE]",
    )?;
    let mut a = Args {
        data: PathBuf::from("../shared/data"),
        train: vec!["train".into()],
        eval: vec![],
        out: None,
        epochs: 12,
        seed: 7,
        folds: 5,
        lower_aug: 0.3,
        min_raw: 8,
        runs: 3,
    };
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => a.data = PathBuf::from(val()?),
            "--train" => a.train = val()?.split(',').map(String::from).collect(),
            "--eval" => a.eval = val()?.split(',').map(String::from).collect(),
            "--out" => a.out = Some(PathBuf::from(val()?)),
            "--epochs" => a.epochs = val()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--seed" => a.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--folds" => a.folds = val()?.parse().map_err(|e| format!("--folds: {e}"))?,
            "--lower-aug" => {
                a.lower_aug = val()?.parse().map_err(|e| format!("--lower-aug: {e}"))?
            }
            "--min-raw" => a.min_raw = val()?.parse().map_err(|e| format!("--min-raw: {e}"))?,
            "--runs" => a.runs = val()?.parse().map_err(|e| format!("--runs: {e}"))?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok((cmd, a))
}

fn main() {
    let (cmd, args) = match parse_args() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("vita-train: {e}");
            std::process::exit(1);
        }
    };
    let result = match cmd.as_str() {
        "segmenter" => train_segmenter(&args),
        "background" => build_background(&args),
        "stopwords" => build_stopwords(&args),
        "entities" => build_entities(&args),
        "ner" => train_ner(&args),
        other => Err(format!(
            "unknown model '{other}' (expected: segmenter, background, stopwords, entities, ner)"
        )),
    };
    if let Err(e) = result {
        eprintln!("vita-train: {e}");
        std::process::exit(2);
    }
}

/// A tiny deterministic PRNG (xorshift64*), so training needs no extra dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The texts of the Wikipedia sample (`raw/viwiki-2017/*.jsonl`), in file and line order.
fn raw_texts(data: &Path) -> Result<Vec<String>, String> {
    let dir = data.join("raw/viwiki-2017");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in &files {
        for line in read_lines(path)? {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
                out.push(t.to_string());
            }
        }
    }
    Ok(out)
}

/// Writes `header` then one line per item to `out`.
fn write_lines(
    out: &Path,
    header: &str,
    lines: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<(), String> {
    let mut text = String::from(header);
    let mut n = 0;
    for l in lines {
        text.push_str(l.as_ref());
        text.push('\n');
        n += 1;
    }
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {} ({n} entries)", out.display());
    Ok(())
}

fn read_lines(path: &Path) -> Result<Vec<String>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::io::BufReader::new(f)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn treebank(data: &Path, split: &str) -> Result<Vec<GoldSentence>, String> {
    let path = data.join(format!("ud-vi-vtb/vi_vtb-ud-{split}.conllu"));
    let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    read_conllu(&path.display().to_string(), std::io::BufReader::new(f)).map_err(|e| e.to_string())
}

/// Tokens-only pipeline (the segmenter's own input).
fn tokenizer() -> Pipeline {
    Pipeline::new().with_layers(Layers {
        sentences: true,
        tokens: true,
        words: false,
        entities: false,
        keywords: false,
    })
}

/// A training sentence: its keys, and for each gap whether gold joins it.
struct Example {
    doc: vita::Document,
    joins: Vec<bool>,
    /// Gold multi-syllable words as keys, and whether each is capitalised (a name).
    words: Vec<(String, bool)>,
}

fn example(p: &Pipeline, g: &GoldSentence, lower: bool) -> Example {
    // The text is the words joined by spaces, so gold boundaries are known byte offsets.
    let mut text = String::new();
    let mut word_of_byte = Vec::new();
    for (i, w) in g.words.iter().enumerate() {
        if i > 0 {
            text.push(' ');
            word_of_byte.push(usize::MAX);
        }
        let w = if lower { w.to_lowercase() } else { w.clone() };
        text.push_str(&w);
        word_of_byte.extend(std::iter::repeat_n(i, w.len()));
    }
    let doc = p.annotate(text.as_str());
    let toks = doc.tokens();
    let joins = toks
        .windows(2)
        .map(|w| {
            let a = word_of_byte[w[0].span.end - 1];
            let b = word_of_byte[w[1].span.start];
            a == b && a != usize::MAX
        })
        .collect();
    let words = g
        .words
        .iter()
        .filter(|w| w.contains(' '))
        .map(|w| (vita::normalize::key(w), w.split(' ').all(|s| s.starts_with(char::is_uppercase))))
        .collect();
    Example { doc, joins, words }
}

fn ids_of(lex: &Lexicon, key: &str) -> Option<Vec<u32>> {
    key.split(' ').map(|s| lex.key_id(s)).collect()
}

fn train_segmenter(a: &Args) -> Result<(), String> {
    let t0 = Instant::now();
    let p = tokenizer();
    let mut gold = Vec::new();
    for split in &a.train {
        gold.extend(treebank(&a.data, split)?);
    }
    let mut eval_gold = Vec::new();
    for split in &a.eval {
        eval_gold.extend(treebank(&a.data, split)?);
    }
    eprintln!("treebank: {} training sentences, {} eval sentences", gold.len(), eval_gold.len());

    // Raw text: unigram and pair counts of keys.
    let mut interner: FxHashMap<String, u32> = FxHashMap::default();
    let mut raw_names: Vec<String> = Vec::new();
    let mut uni_raw: Vec<u64> = Vec::new();
    let mut pair_raw: FxHashMap<(u32, u32), u64> = FxHashMap::default();
    let mut n_raw = 0u64;
    for text in raw_texts(&a.data)? {
        let text = text.as_str();
        let doc = p.annotate(text);
        for s in doc.sentences() {
            let mut prev: Option<(u32, usize)> = None;
            for t in &doc.tokens()[s.tokens.clone()] {
                if !matches!(t.kind, TokenKind::Syllable | TokenKind::Foreign) {
                    prev = None;
                    continue;
                }
                let key = doc.norm(t);
                let id = match interner.get(key) {
                    Some(&id) => id,
                    None => {
                        let id = raw_names.len() as u32;
                        interner.insert(key.to_string(), id);
                        raw_names.push(key.to_string());
                        uni_raw.push(0);
                        id
                    }
                };
                uni_raw[id as usize] += 1;
                n_raw += 1;
                if let Some((pid, end)) = prev
                    && end < t.span.start
                {
                    *pair_raw.entry((pid, id)).or_default() += 1;
                }
                prev = Some((id, t.span.end));
            }
        }
    }
    eprintln!(
        "raw text: {n_raw} syllables, {} types, {} pairs ({:.1?})",
        raw_names.len(),
        pair_raw.len(),
        t0.elapsed()
    );

    // Training examples (with lower-cased copies).
    let mut rng = Rng(a.seed.max(1));
    let mut examples: Vec<Example> = gold.iter().map(|g| example(&p, g, false)).collect();
    let n_orig = examples.len();
    // origin[i]: the treebank sentence example i was made from.
    let mut origin: Vec<usize> = (0..n_orig).collect();
    for (i, g) in gold.iter().enumerate() {
        if rng.unit() < a.lower_aug {
            examples.push(example(&p, g, true));
            origin.push(i);
        }
    }

    // Vocabulary: treebank keys, lexicon syllables, frequent raw keys.
    // (key, is a proper name: written with a capital in the list)
    let lexicon_words: Vec<(String, bool)> =
        read_lines(&a.data.join("lexicon/pyvi-words/words.txt"))?
            .iter()
            .map(|w| (vita::normalize::key(w), w.starts_with(char::is_uppercase)))
            .filter(|(k, _)| k.contains(' '))
            .collect();
    let names = place_names(&a.data)?;
    eprintln!("{} place names from the gazetteers", names.len());
    let mut keys: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for w in &names {
        keys.extend(w.split(' ').map(String::from));
    }
    for e in &examples {
        for t in e.doc.tokens() {
            if t.kind != TokenKind::Number {
                keys.insert(e.doc.norm(t).to_string());
            }
        }
    }
    for (w, _) in &lexicon_words {
        keys.extend(w.split(' ').map(String::from));
    }
    for (i, &c) in uni_raw.iter().enumerate() {
        if c >= a.min_raw.max(3) {
            keys.insert(raw_names[i].clone());
        }
    }
    let mut lex = Lexicon::default();
    for k in keys.iter().filter(|k| !k.is_empty() && k.len() < 256) {
        lex.insert_key(k);
    }
    for ((x, y), &c) in &pair_raw {
        if c < a.min_raw {
            continue;
        }
        let (Some(ix), Some(iy)) =
            (lex.key_id(&raw_names[*x as usize]), lex.key_id(&raw_names[*y as usize]))
        else {
            continue;
        };
        let st = PairStats::from_counts(c, uni_raw[*x as usize], uni_raw[*y as usize], n_raw);
        lex.pairs.insert(
            (u64::from(ix) << 32) | u64::from(iy),
            model::PairEntry { w: [0.0; 3], stats: st },
        );
    }
    for (w, proper) in &lexicon_words {
        if let Some(ids) = ids_of(&lex, w) {
            lex.dict.insert(&ids, source::LEXICON | if *proper { source::PROPER } else { 0 });
        }
    }
    for w in &names {
        if let Some(ids) = ids_of(&lex, w) {
            lex.dict.insert(&ids, source::PROPER);
        }
    }
    eprintln!(
        "vocabulary {} keys, {} pair statistics, dictionary {} entries",
        lex.vocab_len(),
        lex.pairs.len(),
        lex.dict.len()
    );

    // Jackknifed treebank dictionaries: sentence i (and its lower-cased copy) sees the words of
    // the other folds only.
    let folds = a.folds.max(2);
    let fold_of = |i: usize| i % folds;
    let mut fold_dicts: Vec<Dict> = vec![Dict::default(); folds];
    for (i, e) in examples[..n_orig].iter().enumerate() {
        for (w, _) in &e.words {
            if let Some(ids) = ids_of(&lex, w) {
                for (f, d) in fold_dicts.iter_mut().enumerate() {
                    if f != fold_of(i) {
                        d.insert(&ids, source::TREEBANK);
                    }
                }
            }
        }
    }
    let mut feats = SentenceFeatures::default();
    let mut data: Vec<(Vec<Feature>, bool)> = Vec::new();
    for (i, e) in examples.iter().enumerate() {
        let n = e.doc.tokens().len();
        lex.features(&e.doc, 0..n, Some(&fold_dicts[fold_of(origin[i])]), &mut feats);
        for g in 0..n.saturating_sub(1) {
            if !feats.joinable[g] {
                continue;
            }
            let mut fs = Vec::with_capacity(16);
            model::gap_features(&feats, g, |f| fs.push(f));
            data.push((fs, e.joins[g]));
        }
    }
    eprintln!("{} training gaps ({:.1?})", data.len(), t0.elapsed());

    // Averaged perceptron, `runs` times over different shuffles; the runs' averaged weights
    // are averaged again, which removes most of the dependence on the order of examples.
    let mut avg: FxHashMap<Feature, f32> = FxHashMap::default();
    for run in 0..a.runs.max(1) {
        let w = perceptron(&data, a.epochs, &mut rng);
        eprintln!("run {run}: {} features", w.len());
        for (f, v) in w {
            *avg.entry(f).or_default() += v / a.runs.max(1) as f32;
        }
    }
    avg.retain(|_, v| *v != 0.0);

    // The shipped lexicon also knows every treebank word it was trained on.
    let mut final_lex = lex.clone();
    for e in &examples[..n_orig] {
        for (wd, proper) in &e.words {
            if let Some(ids) = ids_of(&final_lex, wd) {
                final_lex
                    .dict
                    .insert(&ids, source::TREEBANK | if *proper { source::PROPER } else { 0 });
            }
        }
    }
    let model = Model::from_weights(final_lex, &avg);
    let bytes = model.to_bytes();
    let model = Model::from_bytes("trained", &bytes).map_err(|e| e.to_string())?;
    eprintln!(
        "model: {} features, {:.1} MB ({:.1?})",
        avg.len(),
        bytes.len() as f64 / 1e6,
        t0.elapsed()
    );

    if !eval_gold.is_empty() {
        let pipeline = Pipeline::new().with_segmenter(Box::new(Segmenter::new(model.clone())));
        let s = score_segmentation(&pipeline, &eval_gold)?;
        println!("eval {}: {s}", a.eval.join("+"));
        let lower: Vec<GoldSentence> = eval_gold
            .iter()
            .map(|g| GoldSentence {
                text: g.text.to_lowercase(),
                words: g.words.iter().map(|w| w.to_lowercase()).collect(),
            })
            .collect();
        let s = score_segmentation(&pipeline, &lower)?;
        println!("eval {} lower-cased: F1 {:.2}", a.eval.join("+"), s.f1());
    }
    if let Some(out) = &a.out {
        std::fs::write(out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

/// One averaged perceptron over `data`.
fn perceptron(
    data: &[(Vec<Feature>, bool)],
    epochs: usize,
    rng: &mut Rng,
) -> FxHashMap<Feature, f32> {
    let mut w: FxHashMap<Feature, f32> = FxHashMap::default();
    let mut u: FxHashMap<Feature, f64> = FxHashMap::default();
    let mut c: f64 = 1.0;
    let mut order: Vec<usize> = (0..data.len()).collect();
    for epoch in 0..epochs {
        rng.shuffle(&mut order);
        let mut errors = 0;
        for &i in &order {
            let (fs, join) = &data[i];
            let score: f32 = fs.iter().map(|f| w.get(f).copied().unwrap_or(0.0)).sum();
            if (score > 0.0) != *join {
                errors += 1;
                let y: f32 = if *join { 1.0 } else { -1.0 };
                for f in fs {
                    *w.entry(*f).or_default() += y;
                    *u.entry(*f).or_default() += c * f64::from(y);
                }
            }
            c += 1.0;
        }
        if epoch + 1 == epochs {
            eprintln!("last epoch: {errors} errors of {}", data.len());
        }
    }
    w.iter().map(|(f, &wv)| (*f, (f64::from(wv) - u[f] / c) as f32)).collect()
}

/// Multi-syllable Vietnamese place names (keys) from the gazetteers: provinces and districts
/// (`vn-admin-units`), countries and regions (`cldr-vi`). Ward names are left out: many of
/// them are ordinary words (`Thành Công`, `Hòa Bình`).
fn place_names(data: &Path) -> Result<Vec<String>, String> {
    let mut out = std::collections::BTreeSet::new();
    let gaz = data.join("gazetteer");
    for file in
        ["vn-admin-units/admin-units-2025-07.tsv", "vn-admin-units/admin-units-legacy-2025-03.tsv"]
    {
        for line in read_lines(&gaz.join(file))?.iter().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() >= 4 && matches!(cols[0], "province" | "district") {
                out.insert(vita::normalize::key(cols[3]));
            }
        }
    }
    for line in read_lines(&gaz.join("cldr-vi/territories-vi.tsv"))?.iter().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() >= 3 {
            out.insert(vita::normalize::key(cols[2]));
        }
    }
    Ok(out
        .into_iter()
        .filter(|k| k.contains(' ') && k.split(' ').all(vita::syllable::is_vietnamese))
        .collect())
}

/// Document frequencies of words in Vietnamese Wikipedia, segmented by the shipped segmenter:
/// the background against which keyword TF-IDF is computed.
fn build_background(a: &Args) -> Result<(), String> {
    let p = Pipeline::new().with_layers(Layers::WORDS);
    let mut df: FxHashMap<String, u32> = FxHashMap::default();
    let mut docs = 0u32;
    let mut seen = rustc_hash::FxHashSet::default();
    for text in raw_texts(&a.data)? {
        let text = text.as_str();
        let doc = p.annotate(text);
        docs += 1;
        seen.clear();
        for w in doc.words() {
            let kinds_ok = doc.tokens()[w.tokens.clone()].iter().all(|t| t.kind.is_wordlike());
            if kinds_ok {
                seen.insert(doc.word_norm(w));
            }
        }
        for k in seen.drain() {
            *df.entry(k).or_default() += 1;
        }
    }
    let mut entries: Vec<(String, u32)> =
        df.into_iter().filter(|(k, d)| *d >= a.min_raw.min(2) as u32 && k.len() < 256).collect();
    entries.sort();
    let table = vita::keyword::Background::from_entries(
        docs,
        entries.iter().map(|(k, d)| (k.as_str(), *d)),
    );
    let bytes = table.to_bytes();
    eprintln!(
        "background: {docs} documents, {} words, {:.1} KB",
        entries.len(),
        bytes.len() as f64 / 1e3
    );
    let out = a.out_or("src/data/background.bin");
    std::fs::write(&out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// The union of the two stopword lists, as keys, sorted.
fn build_stopwords(a: &Args) -> Result<(), String> {
    let mut set = std::collections::BTreeSet::new();
    for f in [
        "stopwords/vietnamese-stopwords/vietnamese-stopwords.txt",
        "stopwords/stopwords-iso-vi/stopwords-vi.txt",
    ] {
        for line in read_lines(&a.data.join(f))? {
            let k = vita::normalize::key(line.trim());
            if !k.is_empty() {
                set.insert(k);
            }
        }
    }
    let out = a.out_or("src/data/stopwords.txt");
    write_lines(
        &out,
        "# Vietnamese stopwords (keys), derived by `vita-train stopwords` from\n# vietnamese-stopwords (MIT) and stopwords-iso (MIT); see NOTICE.\n",
        &set,
    )
}

/// The entity knowledge: the project's lists (`data/ner/`), then the gazetteers, as
/// `LABEL<TAB>name` lines (names as written, normalized). The first label of a name is its default, so the project's lists
/// (people before places: `Hồ Chí Minh`) come first.
fn build_entities(a: &Args) -> Result<(), String> {
    let mut lines: Vec<String> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut add = |label: &str, name: &str| {
        // The name as written (its capitals matter); NFC, one tone placement, single spaces.
        let name = vita::normalize::normalize(name.trim(), &Default::default()).text;
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        // A name has letters (Ho Chi Minh City's districts are named `1`, `3`...).
        if name.starts_with('#') || !name.chars().any(char::is_alphabetic) {
            return;
        }
        let line = format!("{label}\t{name}");
        if seen.insert(line.clone()) {
            lines.push(line);
        }
    };
    for (file, label) in [
        ("people.txt", "PER"),
        ("organizations.txt", "ORG"),
        ("products.txt", "MISC"),
        ("places.txt", "LOC*"),
        ("terms.txt", "TERM"),
    ] {
        for line in read_lines(&PathBuf::from("data/ner").join(file))? {
            if !line.trim().is_empty() && !line.starts_with('#') {
                add(label, &line);
            }
        }
    }
    let gaz = a.data.join("gazetteer");
    let tsv = |file: &str| -> Result<Vec<Vec<String>>, String> {
        Ok(read_lines(&gaz.join(file))?
            .iter()
            .skip(1)
            .map(|l| l.split('\t').map(String::from).collect())
            .collect())
    };
    for cols in tsv("cldr-vi/territories-vi.tsv")? {
        if cols.len() >= 3 && cols[0] != "001" {
            add("LOC*", &cols[2]);
        }
    }
    for cols in tsv("cldr-vi/cities-vi.tsv")? {
        if cols.len() >= 2 {
            add("LOC", &cols[1]);
        }
    }
    for file in
        ["vn-admin-units/admin-units-2025-07.tsv", "vn-admin-units/admin-units-legacy-2025-03.tsv"]
    {
        for cols in tsv(file)? {
            if cols.len() >= 5 && matches!(cols[0].as_str(), "province" | "district") {
                let label = if cols[0] == "province" { "LOC*" } else { "LOC" };
                add(label, &cols[3]);
                add(label, &cols[4]);
            }
        }
    }
    let names = gaz.join("person-names/vietnamese-namedb");
    // Name parts are compared on keys.
    let mut add = |label: &str, name: &str| add(label, &vita::normalize::key(name));
    for cols in tsv("person-names/vietnamese-namedb/surname-counts.tsv")? {
        add("SURNAME", &cols[0]);
    }
    for cols in tsv("person-names/vietnamese-namedb/middle-name-counts.tsv")? {
        add("MIDDLE", &cols[0]);
    }
    for file in ["boy.txt", "girl.txt", "boy_one_word.txt", "girl_one_word.txt"] {
        for line in read_lines(&names.join(file))? {
            for part in line.split_whitespace() {
                add("GIVEN", part);
            }
        }
    }
    let out = a.out_or("src/data/entities.tsv");
    write_lines(
        &out,
        "# Entity knowledge, derived by `vita-train entities` from data/ner/ (the project's lists)\n# and ../shared/data/gazetteer/ (CLDR, vn-admin-units, vietnamese-namedb); see NOTICE.\n",
        &lines,
    )
}

/// The silver entities of a document, with one label per name: a capitalised name the rules
/// labelled once (after a title, a trigger) has that label wherever else the document writes
/// it alone (`Tổng thống Richard Nixon ... Nixon`), where the rules found it but could not
/// label it. The tagger then learns names from more than their triggers.
fn consistent(
    doc: &vita::Document,
    mut found: Vec<vita::Entity>,
    rules: &vita::ner::EntityRecognizer,
) -> Vec<vita::Entity> {
    let key = |words: std::ops::Range<usize>| -> String {
        let toks = &doc.tokens()
            [doc.words()[words.start].tokens.start..doc.words()[words.end - 1].tokens.end];
        toks.iter().map(|t| doc.norm(t)).collect::<Vec<_>>().join(" ")
    };
    let mut labels: FxHashMap<String, Option<vita::EntityLabel>> = FxHashMap::default();
    // A Wikipedia article on a person begins with the name and the years
    // (`Richard Milhous Nixon (9 tháng 1 năm 1913 – 22 tháng 4 năm 1994) là ...`,
    // `X (sinh ngày ...)`): a person the rules rarely know, which is what the tagger lacks.
    let words = doc.words();
    let run = words
        .iter()
        .take_while(|w| {
            let toks = &doc.tokens()[w.tokens.clone()];
            toks.iter().all(|t| t.kind.is_wordlike())
                && toks.iter().all(|t| t.case & vita::token::case::FIRST_UPPER != 0)
        })
        .count();
    let open = words.get(run).is_some_and(|w| doc.slice(w.span) == "(");
    let born = words.iter().skip(run + 1).take(8).any(|w| {
        let text = doc.slice(w.span);
        text == "sinh" || (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()))
    });
    if (2..=4).contains(&run) && open && born {
        labels.insert(key(0..run), Some(vita::EntityLabel::Per));
        labels.insert(key(run - 1..run), Some(vita::EntityLabel::Per));
    }
    for e in &found {
        let mut note = |k: String| {
            let l = labels.entry(k).or_insert(Some(e.label));
            if *l != Some(e.label) {
                *l = None;
            }
        };
        note(key(e.words.clone()));
        // The last word of a person's name is the name too (`Nixon`).
        if e.label == vita::EntityLabel::Per && e.words.len() > 1 {
            note(key(e.words.end - 1..e.words.end));
        }
    }
    for words in rules.candidates(doc) {
        if let Some(Some(label)) = labels.get(&key(words.clone())) {
            let span = vita::Span::new(
                doc.words()[words.start].span.start,
                doc.words()[words.end - 1].span.end,
            );
            found.push(vita::Entity { span, words, label: *label });
        }
    }
    found.sort_by_key(|e| e.words.start);
    found
}

/// The entity tagger, trained on silver data: Wikipedia text labelled by the rules with all
/// their knowledge, while the tagger's "known name" feature sees only 70% of the names (a
/// fixed hash of the name decides), so that it learns from context.
fn train_ner(a: &Args) -> Result<(), String> {
    use vita::ner::{EntityRecognizer, Knowledge, TAGS, Tagger};
    let text = std::fs::read_to_string("src/data/entities.tsv")
        .map_err(|e| format!("src/data/entities.tsv: {e}"))?;
    let reduced: String = text
        .lines()
        .filter(|l| {
            let Some((label, name)) = l.split_once('\t') else { return true };
            let part = matches!(label, "SURNAME" | "MIDDLE" | "GIVEN");
            part || vita::token::key_hash(&vita::normalize::key(name)) % 10 >= 3
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let reduced: &'static Knowledge = Box::leak(Box::new(Knowledge::parse(&reduced)));
    let full = EntityRecognizer::rules_only(Knowledge::embedded());
    let partial = EntityRecognizer::rules_only(reduced);
    let p = Pipeline::new().with_layers(Layers::WORDS);
    let texts = raw_texts(&a.data)?;
    // Words written with a capital inside a sentence less often than without one (`Tết` is
    // `tết` more often): learned as not names.
    let mut case: FxHashMap<String, (u32, u32)> = FxHashMap::default();
    for text in &texts {
        let doc = p.annotate(text);
        for (_, sw) in doc.words_by_sentence() {
            for w in sw.iter().skip(1) {
                let toks = &doc.tokens()[w.tokens.clone()];
                if !toks.iter().all(|t| t.kind.is_wordlike()) {
                    continue;
                }
                let c = case.entry(doc.word_norm(w)).or_default();
                if toks[0].case & vita::token::case::FIRST_UPPER != 0 {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
    }
    let common = |k: &str| case.get(k).is_some_and(|&(upper, lower)| lower >= 2 * upper.max(1));
    let mut data = Vec::new();
    let mut rng = Rng(a.seed.max(1));
    for text in &texts {
        let doc = p.annotate(text);
        let silver = consistent(&doc, full.recognize(&doc), &full);
        for (feats, tags) in partial.training_sentences(&doc, &silver, &common) {
            // Every sentence with an entity, one in five of the others.
            if tags.iter().any(|&t| t != 0 && t != vita::ner::UNCERTAIN) || rng.unit() < 0.2 {
                data.push((feats, tags));
            }
        }
        if data.len() >= 120_000 {
            break;
        }
    }
    let words: usize = data.iter().map(|d| d.1.len()).sum();
    eprintln!("silver data: {} sentences, {words} words", data.len());
    let n = vita::ner::BUCKETS * TAGS;
    let mut w = vec![0.0f32; n];
    let mut u = vec![0.0f64; n];
    let mut c = 1.0f64;
    let mut order: Vec<usize> = (0..data.len()).collect();
    for epoch in 0..a.epochs.min(4) {
        rng.shuffle(&mut order);
        let mut errors = 0usize;
        for &si in &order {
            let (feats, tags) = &data[si];
            let mut prev = 0u8;
            for (f, &gold) in feats.iter().zip(tags) {
                let pf = Tagger::prev_feature(prev);
                let mut s = [0.0f32; TAGS];
                for &x in f.iter().chain(std::iter::once(&pf)) {
                    let row = &w[x as usize * TAGS..(x as usize + 1) * TAGS];
                    for (o, v) in s.iter_mut().zip(row) {
                        *o += v;
                    }
                }
                let mut best = 0;
                for t in 1..TAGS {
                    if s[t] > s[best] {
                        best = t;
                    }
                }
                if gold == vita::ner::UNCERTAIN {
                    // Read as O for the next word's context, never learned from.
                    prev = 0;
                    c += 1.0;
                    continue;
                }
                if best != gold as usize {
                    errors += 1;
                    for &x in f.iter().chain(std::iter::once(&pf)) {
                        let base = x as usize * TAGS;
                        w[base + gold as usize] += 1.0;
                        u[base + gold as usize] += c;
                        w[base + best] -= 1.0;
                        u[base + best] -= c;
                    }
                }
                c += 1.0;
                prev = gold;
            }
        }
        eprintln!("epoch {epoch}: {errors} errors of {words}");
    }
    let weights: Vec<f32> =
        w.iter().zip(&u).map(|(&wv, &uv)| (f64::from(wv) - uv / c) as f32).collect();
    let tagger = Tagger::from_weights(&weights);
    let bytes = tagger.to_bytes();
    let out = a.out_or("src/data/ner-tagger.bin");
    std::fs::write(&out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {} ({:.1} MB)", out.display(), bytes.len() as f64 / 1e6);
    Ok(())
}
