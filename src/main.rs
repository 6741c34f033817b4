//! The `vita` command line: parses arguments, calls the library, writes output.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use vita::corpus::{self, RunSummary};
use vita::input::{Documents, From, InputDoc, InputFormat, ReadOptions};
use vita::json::{Offsets, Rope, StreamOut};
use vita::legacy::Encoding;
use vita::normalize::{NormalizeOptions, ToneStyle};
use vita::word::{Segmenter, UserDict};
use vita::{Layers, Pipeline, Span};

#[derive(Parser)]
#[command(name = "vita", version, about = "Vietnamese text analysis: normalize, segment, annotate")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Annotate documents as JSON Lines (schema vita/1).
    Annotate {
        #[command(flatten)]
        common: Common,
        /// Layers to emit, comma-separated: sentences,tokens,words,entities,keywords.
        #[arg(long, value_name = "LIST", value_parser = Layers::parse)]
        layers: Option<Layers>,
    },
    /// Print the normalized text.
    Normalize {
        #[command(flatten)]
        common: Common,
        /// Where tone marks go: traditional (hòa), modern (hoà) or keep.
        #[arg(long, value_enum, default_value_t = Style::Traditional)]
        tone_style: Style,
        /// Remove all diacritics (Đại Việt -> Dai Viet), for search keys.
        #[arg(long)]
        strip_diacritics: bool,
        /// Instead of the text, map the span START:END of the normalized output back to the
        /// input (code points, or bytes with --offsets byte); repeatable; prints JSON Lines.
        #[arg(long, value_name = "START:END")]
        map: Vec<String>,
    },
    /// Print word-segmented text: one sentence per line, syllables of a word joined by `_`.
    Segment {
        #[command(flatten)]
        common: Common,
        /// Keep the input's line breaks instead of one sentence per line.
        #[arg(long)]
        keep_lines: bool,
    },
    /// Ranked key phrases per document (JSON Lines), and for the whole input with --corpus.
    Keywords {
        #[command(flatten)]
        common: Common,
        /// How many phrases per document.
        #[arg(short = 'k', long = "top", value_name = "N", default_value_t = 10)]
        top: usize,
        /// Also rank the phrases of the whole input, and score each document against the rest
        /// of the input instead of the built-in background (reads the whole input first).
        #[arg(long)]
        corpus: bool,
    },
    /// Corpus statistics: counts, tones, frequent syllables, words, bigrams, trigrams.
    Stats {
        #[command(flatten)]
        common: Common,
        /// How many entries in each frequency list.
        #[arg(long, value_name = "N", default_value_t = 20)]
        top: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
    },
    /// Named entities as JSON Lines, or CoNLL with BIO tags per token.
    Ner {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = NerFormat::Jsonl)]
        format: NerFormat,
    },
    /// Score vita against gold annotations.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Named entities against a gold file: one sentence per line, entities marked
    /// `[Hoa Kỳ](LOC)`; prints precision, recall and F1 per label.
    Ner {
        /// The gold file.
        gold: PathBuf,
        /// An entity tagger trained by `vita-train ner`, instead of the embedded one.
        #[arg(long, value_name = "FILE", conflicts_with = "rules_only")]
        ner_model: Option<PathBuf>,
        /// The rules alone, without the trained tagger.
        #[arg(long)]
        rules_only: bool,
    },
    /// Word segmentation against a CoNLL-U file whose multi-syllable FORMs contain spaces.
    Segment {
        /// The gold CoNLL-U file.
        gold: PathBuf,
        /// A user dictionary (one word per line, syllables separated by spaces).
        #[arg(long, value_name = "FILE")]
        dict: Option<PathBuf>,
    },
}

#[derive(Args)]
struct Common {
    /// Files or directories (*.txt, *.md, *.jsonl, recursively); `-` or nothing for stdin.
    paths: Vec<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Write output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Offsets in code points (char) or UTF-8 bytes (byte).
    #[arg(long, value_enum, default_value_t = OffsetArg::Char)]
    offsets: OffsetArg,
    /// Input format: auto (.jsonl files are JSON Lines), text or jsonl.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    input_format: FormatArg,
    /// Decode invalid UTF-8 as U+FFFD instead of reporting the file.
    #[arg(long)]
    lossy: bool,
    /// Character encoding of the input: a legacy Vietnamese encoding to convert to Unicode
    /// (vni, tcvn3, viqr), auto to detect it per document, or unicode. Without it, text that
    /// looks like a legacy encoding read as Unicode (mojibake) is reported and skipped.
    #[arg(long, value_enum, value_name = "ENCODING")]
    from: Option<FromArg>,
    /// No progress or summary on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// A user dictionary: one word per line, syllables separated by spaces; its words are
    /// always kept whole.
    #[arg(long, value_name = "FILE")]
    dict: Option<PathBuf>,
    /// An entity tagger trained by `vita-train ner`, instead of the embedded one.
    #[arg(long, value_name = "FILE")]
    ner_model: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum NerFormat {
    Jsonl,
    Conll,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatsFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Style {
    Traditional,
    Modern,
    Keep,
}

#[derive(Clone, Copy, ValueEnum)]
enum OffsetArg {
    Char,
    Byte,
}

#[derive(Clone, Copy, ValueEnum)]
enum FromArg {
    Vni,
    Tcvn3,
    Viqr,
    Auto,
    Unicode,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Auto,
    Text,
    Jsonl,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(summary) if summary.failed > 0 => ExitCode::from(2),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("vita: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<RunSummary> {
    match cli.command {
        Command::Annotate { common, layers } => {
            let layers = layers.unwrap_or_default();
            let pipeline = pipeline(common.dict.as_deref())?.with_layers(layers);
            // With several threads, the resources are loaded beside the reading of the input.
            if common.threads != 1 && input_size(&common.paths).is_some_and(|n| n >= 1 << 20) {
                std::thread::spawn(move || vita::pipeline::warm_up(layers));
            }
            let offsets = common.offsets();
            drive_with(&common, |doc| {
                // The document takes the text (a long one is not copied).
                let d = pipeline.annotate(std::mem::take(&mut doc.text));
                if d.text().len() < vita::pipeline::PARALLEL_BYTES {
                    let mut out = Rope::default();
                    vita::json::write_record(&mut out, &doc.id, &d, layers, offsets);
                    return Formatted::Bytes(out);
                }
                // A long document's record (about 27 times its text) is written as it is
                // made, when its turn comes.
                Formatted::Stream(Box::new(move |doc, out| {
                    vita::json::write_record(out, &doc.id, &d, layers, offsets);
                }))
            })
        }
        Command::Normalize { common, tone_style, strip_diacritics, map } => {
            let opts = NormalizeOptions {
                tone_style: match tone_style {
                    Style::Traditional => ToneStyle::Traditional,
                    Style::Modern => ToneStyle::Modern,
                    Style::Keep => ToneStyle::Keep,
                },
                strip_diacritics,
            };
            let spans = map.iter().map(|m| parse_span(m)).collect::<Result<Vec<_>>>()?;
            let byte_offsets = matches!(common.offsets, OffsetArg::Byte);
            drive(&common, |doc, out| {
                let aligned = vita::normalize::normalize(&doc.text, &opts);
                if spans.is_empty() {
                    out.extend_from_slice(aligned.text.as_bytes());
                    return;
                }
                for &(s, e) in &spans {
                    map_span(out, doc, &aligned, s, e, byte_offsets);
                }
            })
        }
        Command::Eval { what } => eval(what),
        Command::Ner { common, format } => {
            let layers = Layers { entities: true, ..Layers::WORDS };
            let p = with_tagger(pipeline(common.dict.as_deref())?, common.ner_model.as_deref())?
                .with_layers(layers);
            let offsets = common.offsets();
            drive(&common, |doc, out| {
                let d = p.annotate(std::mem::take(&mut doc.text));
                match format {
                    NerFormat::Jsonl => vita::json::write_entities(out, &doc.id, &d, offsets),
                    NerFormat::Conll => vita::json::write_conll(out, &doc.id, &d),
                }
            })
        }
        Command::Keywords { common, top, corpus } => keywords(&common, top, corpus),
        Command::Stats { common, top, format } => stats(&common, top, format),
        Command::Segment { common, keep_lines } => {
            let pipeline = pipeline(common.dict.as_deref())?.with_layers(Layers::WORDS);
            drive(&common, |doc, out| {
                let d = pipeline.annotate(std::mem::take(&mut doc.text));
                vita::word::write_segmented(out, &d, keep_lines);
            })
        }
    }
}

/// The default pipeline, with the user dictionary if one is given.
fn pipeline(dict: Option<&std::path::Path>) -> Result<Pipeline> {
    let p = Pipeline::new();
    let Some(path) = dict else { return Ok(p) };
    let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let user = UserDict::read(&path.display().to_string(), io::BufReader::new(f))?;
    let seg = Segmenter::embedded().context("this build has no segmenter model")?;
    Ok(p.with_segmenter(Box::new(seg.with_user_dict(user))))
}

fn keyword_record(out: &mut Vec<u8>, id: &str, kws: &[vita::Keyword]) {
    #[derive(serde::Serialize)]
    struct Kw<'a> {
        text: &'a str,
        score: f64,
        count: usize,
    }
    #[derive(serde::Serialize)]
    struct Rec<'a> {
        id: &'a str,
        keywords: Vec<Kw<'a>>,
    }
    let keywords = kws
        .iter()
        .map(|k| Kw {
            text: &k.text,
            score: (f64::from(k.score) * 1e4).round() / 1e4,
            count: k.count,
        })
        .collect();
    let _ = serde_json::to_writer(&mut *out, &Rec { id, keywords });
    out.push(b'\n');
}

fn keywords(common: &Common, top: usize, corpus: bool) -> Result<RunSummary> {
    let layers = Layers::WORDS;
    let p = pipeline(common.dict.as_deref())?.with_layers(layers);
    if !corpus {
        let ex = vita::keyword::KeywordExtractor { top_k: top };
        return drive(common, |doc, out| {
            let d = p.annotate(std::mem::take(&mut doc.text));
            keyword_record(out, &doc.id, &ex.extract(&d));
        });
    }
    // Each document is ranked against the document frequencies of the whole input, known
    // only at its end: the input is read twice, merging every document's phrases into the
    // corpus's the first time (in bounded memory) and ranking each document the second, so
    // that no document's phrases are kept. Standard input is copied to a file for the second
    // reading.
    let stop = vita::keyword::Stopwords::embedded();
    let phrases = |doc: &mut InputDoc| {
        vita::keyword::DocPhrases::new(&p.annotate(std::mem::take(&mut doc.text)), stop, top)
    };
    let reads_stdin = common.paths.is_empty() || common.paths.iter().any(|p| p.as_os_str() == "-");
    let spool = if reads_stdin { Some(Spool::new()?) } else { None };
    let mut docs = Documents::new(&common.paths, read_options(common));
    if let Some(s) = &spool {
        docs = docs.copy_stdin_to(s.file.try_clone()?);
    }
    let mut corpus = vita::keyword::CorpusPhrases::default();
    let progress = Progress::new(common, 2);
    let summary = progress.map_in_order(common, docs, phrases, |_, ph, _| {
        corpus.add(&ph);
        Ok(())
    })?;
    let mut docs = Documents::new(&common.paths, read_options(common));
    if let Some(s) = &spool {
        docs = docs.stdin_from(s.file.try_clone()?);
    }
    let mut out = output(common)?;
    let mut ranked = 0;
    // Inputs that fail again were reported the first time.
    corpus::map_in_order(
        docs,
        common.threads,
        &mut |_| {},
        |doc| {
            let best = corpus.rank_document(&phrases(doc), top);
            let mut buf = Vec::new();
            keyword_record(&mut buf, &doc.id, &best);
            buf
        },
        |doc, buf, _| {
            progress.done(doc);
            ranked += 1;
            out.write_all(&buf)
        },
    )?;
    if ranked != summary.documents {
        bail!(
            "the input changed while it was read twice: {} documents, then {ranked}",
            summary.documents
        );
    }
    let mut buf = Vec::new();
    keyword_record(&mut buf, "<corpus>", &corpus.keywords(top));
    out.write_all(&buf)?;
    out.flush()?;
    progress.finish(&summary);
    Ok(summary)
}

/// A file in the temporary directory that keeps standard input for a second reading. Its
/// name is removed as soon as it is open (the open file lives on), so that nothing is left
/// behind even when the process is killed; where an open file cannot be removed, it is
/// removed when dropped.
struct Spool {
    path: Option<PathBuf>,
    file: std::fs::File,
}

impl Spool {
    fn new() -> Result<Spool> {
        let dir = std::env::temp_dir();
        let pid = std::process::id();
        let mut n = 0u32;
        loop {
            let path = dir.join(format!("vita-stdin-{pid}-{n}"));
            let open =
                std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path);
            match open {
                Ok(file) => {
                    let path = std::fs::remove_file(&path).err().map(|_| path);
                    return Ok(Spool { path, file });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "{}: cannot keep standard input for a second reading",
                            path.display()
                        )
                    });
                }
            }
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn stats(common: &Common, top: usize, format: StatsFormat) -> Result<RunSummary> {
    let p =
        pipeline(common.dict.as_deref())?.with_layers(Layers { entities: true, ..Layers::WORDS });
    let mut total = vita::stats::Stats::default();
    let progress = Progress::new(common, 1);
    let summary = progress.map_in_order(
        common,
        Documents::new(&common.paths, read_options(common)),
        |doc| vita::stats::Stats::of(&p.annotate(std::mem::take(&mut doc.text))),
        |_, s, _| {
            total.add(s);
            Ok(())
        },
    )?;
    let r = total.report(top);
    let mut out = output(common)?;
    match format {
        StatsFormat::Table => out.write_all(r.to_table().as_bytes())?,
        StatsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &r)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    progress.finish(&summary);
    Ok(summary)
}

/// Uses the entity tagger read from `path`, if given, instead of the embedded one.
fn with_tagger(p: Pipeline, path: Option<&std::path::Path>) -> Result<Pipeline> {
    let Some(path) = path else { return Ok(p) };
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    Ok(p.with_entity_tagger(vita::ner::Tagger::from_bytes(&bytes)?))
}

fn eval(what: EvalCommand) -> Result<RunSummary> {
    match what {
        EvalCommand::Ner { gold, ner_model, rules_only } => {
            let text =
                std::fs::read_to_string(&gold).with_context(|| format!("{}", gold.display()))?;
            let sents = vita::eval::read_marked(&gold.display().to_string(), &text)?;
            let mut p = with_tagger(Pipeline::new(), ner_model.as_deref())?;
            if rules_only {
                p = p.with_entities(vita::ner::EntityRecognizer::rules_only(
                    vita::ner::Knowledge::embedded(),
                ));
            }
            let scores = vita::eval::score_entities(&p, &sents);
            println!("{}: {} sentences", gold.display(), sents.len());
            println!(
                "{:<6} {:>9} {:>9} {:>9} {:>6} {:>6} {:>8}",
                "label", "precision", "recall", "F1", "gold", "system", "correct"
            );
            for (label, s) in &scores {
                println!(
                    "{:<6} {:>9.2} {:>9.2} {:>9.2} {:>6} {:>6} {:>8}",
                    label,
                    s.precision(),
                    s.recall(),
                    s.f1(),
                    s.gold,
                    s.system,
                    s.correct
                );
            }
            Ok(RunSummary { documents: sents.len(), ..RunSummary::default() })
        }
        EvalCommand::Segment { gold, dict } => {
            let f = std::fs::File::open(&gold).with_context(|| format!("{}", gold.display()))?;
            let sents =
                vita::eval::read_conllu(&gold.display().to_string(), io::BufReader::new(f))?;
            let p = pipeline(dict.as_deref())?;
            let s = vita::eval::score_segmentation(&p, &sents)
                .map_err(|e| anyhow::anyhow!("{}: {e}", gold.display()))?;
            println!("{}: {} sentences\n{s}", gold.display(), sents.len());
            Ok(RunSummary { documents: sents.len(), ..RunSummary::default() })
        }
    }
}

fn parse_span(s: &str) -> Result<(usize, usize)> {
    let (a, b) = s.split_once(':').with_context(|| format!("--map {s}: expected START:END"))?;
    let (a, b): (usize, usize) = (a.trim().parse()?, b.trim().parse()?);
    if a > b {
        bail!("--map {s}: START is after END");
    }
    Ok((a, b))
}

/// Converts an offset in code points to bytes, clamped to the text.
fn char_to_byte(text: &str, c: usize) -> usize {
    text.char_indices().nth(c).map_or(text.len(), |(b, _)| b)
}

fn map_span(
    out: &mut Vec<u8>,
    doc: &InputDoc,
    aligned: &vita::normalize::AlignedText,
    s: usize,
    e: usize,
    bytes: bool,
) {
    let t = &aligned.text;
    let (bs, be) = if bytes {
        let fix = |mut b: usize| {
            b = b.min(t.len());
            while !t.is_char_boundary(b) {
                b -= 1;
            }
            b
        };
        (fix(s), fix(e))
    } else {
        (char_to_byte(t, s), char_to_byte(t, e))
    };
    let orig = aligned.to_original(Span::new(bs, be.max(bs)));
    let conv = |text: &str, b: usize| if bytes { b } else { text[..b].chars().count() };
    let record = serde_json::json!({
        "id": doc.id,
        "output": [conv(t, bs), conv(t, be.max(bs))],
        "input": [conv(&doc.text, orig.start), conv(&doc.text, orig.end)],
        "text": &t[bs..be.max(bs)],
        "original": &doc.text[orig],
    });
    let _ = serde_json::to_writer(&mut *out, &record);
    out.push(b'\n');
}

impl Common {
    fn offsets(&self) -> Offsets {
        match self.offsets {
            OffsetArg::Char => Offsets::Char,
            OffsetArg::Byte => Offsets::Byte,
        }
    }
}

fn read_options(common: &Common) -> ReadOptions {
    ReadOptions {
        format: match common.input_format {
            FormatArg::Auto => InputFormat::Auto,
            FormatArg::Text => InputFormat::Text,
            FormatArg::Jsonl => InputFormat::Jsonl,
        },
        lossy: common.lossy,
        from: match common.from {
            None => From::Check,
            Some(FromArg::Auto) => From::Auto,
            Some(FromArg::Vni) => From::Encoding(Encoding::Vni),
            Some(FromArg::Tcvn3) => From::Encoding(Encoding::Tcvn3),
            Some(FromArg::Viqr) => From::Encoding(Encoding::Viqr),
            Some(FromArg::Unicode) => From::Encoding(Encoding::Unicode),
        },
    }
}

/// The output, buffered (`Send`, so that a pool thread can stream a long record into it).
fn output(common: &Common) -> Result<Box<dyn Write + Send>> {
    Ok(match &common.output {
        Some(p) => Box::new(io::BufWriter::with_capacity(
            OUTPUT_BUF,
            std::fs::File::create(p).with_context(|| format!("{}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::with_capacity(OUTPUT_BUF, unbuffered_stdout())),
    })
}

/// The output buffer: small records are gathered, and the large pieces of a streamed record
/// (larger than this) go to the file without being copied into it.
const OUTPUT_BUF: usize = 64 << 10;

/// Standard output without the standard library's line buffering, which looks for the last
/// line break of every write: a scan of the whole output, about 4% of `annotate`'s
/// instructions. Output goes through the caller's own large buffer instead.
fn unbuffered_stdout() -> Box<dyn Write + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(io::stdout())
}

/// Total size of the input files, when it can be known up front (not for standard input).
fn input_size(paths: &[PathBuf]) -> Option<u64> {
    let mut total = 0;
    for p in vita::input::expand(paths) {
        let p = p.ok()?;
        if p.as_os_str() == "-" {
            return None;
        }
        total += std::fs::metadata(&p).ok()?.len();
    }
    Some(total)
}

/// What a run shows on stderr when stderr is a terminal (`-q` silences it): a progress bar for
/// a large input, a closing line with documents, megabytes, seconds and throughput. Failed
/// inputs are always reported.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    closing_line: bool,
}

impl Progress {
    /// For a run that reads its input `passes` times.
    fn new(common: &Common, passes: u64) -> Progress {
        let shown = !common.quiet && io::stderr().is_terminal();
        let bar = input_size(&common.paths).filter(|&n| shown && n >= 1 << 20).map(|total| {
            let bar = indicatif::ProgressBar::new(total * passes);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { bar, started: Instant::now(), closing_line: shown }
    }

    /// Maps the documents of `docs` in input order with the corpus driver (see
    /// [`corpus::map_in_order`]), reporting failed inputs and counting documents done.
    fn map_in_order<T: Send>(
        &self,
        common: &Common,
        docs: Documents,
        map: impl Fn(&mut InputDoc) -> T + Sync,
        mut sink: impl FnMut(&InputDoc, T, &rayon::ThreadPool) -> io::Result<()>,
    ) -> io::Result<RunSummary> {
        corpus::map_in_order(docs, common.threads, &mut |e| self.report(e), map, |doc, t, pool| {
            self.done(doc);
            sink(doc, t, pool)
        })
    }

    /// Reports a failed input (above the bar).
    fn report(&self, e: &vita::Error) {
        let msg = format!("vita: {e}");
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    /// Counts a document done.
    fn done(&self, doc: &InputDoc) {
        if let Some(b) = &self.bar {
            // Bytes of input, as the bar's length counts them (not of text).
            b.inc(doc.read as u64);
        }
    }

    /// Clears the bar and writes the closing line.
    fn finish(&self, summary: &RunSummary) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if self.closing_line {
            let secs = self.started.elapsed().as_secs_f64();
            let mb = summary.bytes as f64 / 1e6;
            eprintln!(
                "vita: {} documents, {:.2} MB in {:.2} s ({:.1} MB/s){}",
                summary.documents,
                mb,
                secs,
                mb / secs.max(1e-9),
                if summary.failed > 0 {
                    format!(", {} failed", summary.failed)
                } else {
                    String::new()
                }
            );
        }
    }
}

/// What a document gives the output: its bytes, or a writer that streams them when the
/// document's turn comes.
enum Formatted {
    Bytes(Rope),
    Stream(StreamWriter),
}

/// Writes a document's output into a stream.
type StreamWriter = Box<dyn FnOnce(&InputDoc, &mut StreamOut) + Send>;

fn drive<F>(common: &Common, format: F) -> Result<RunSummary>
where
    F: Fn(&mut InputDoc, &mut Rope) + Sync,
{
    drive_with(common, |doc| {
        let mut buf = Rope::default();
        format(doc, &mut buf);
        Formatted::Bytes(buf)
    })
}

fn drive_with<F>(common: &Common, format: F) -> Result<RunSummary>
where
    F: Fn(&mut InputDoc) -> Formatted + Sync,
{
    let docs = Documents::new(&common.paths, read_options(common));
    let mut out = output(common)?;
    let progress = Progress::new(common, 1);
    let summary =
        progress.map_in_order(common, docs, format, |doc, formatted, pool| match formatted {
            Formatted::Bytes(buf) => buf.write_to(&mut out),
            Formatted::Stream(write) => pool.install(|| {
                let mut stream = StreamOut::new(&mut out);
                write(doc, &mut stream);
                stream.finish()
            }),
        })?;
    out.flush()?;
    progress.finish(&summary);
    Ok(summary)
}
