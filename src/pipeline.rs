//! The pipeline: the only place where the order of the stages is written down.

use crate::document::{Document, Word};
use crate::keyword::KeywordExtractor;
use crate::ner::EntityRecognizer;
use crate::sentence;
use crate::span::Span;
use crate::token;
use crate::token::Token;
use crate::word::{EmbeddedSegmenter, TokenSegmenter, WordSegmenter};
use rayon::prelude::*;
use std::ops::Range;

/// Which layers to compute (and emit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layers {
    /// Sentence spans.
    pub sentences: bool,
    /// Tokens with keys and kinds.
    pub tokens: bool,
    /// Words.
    pub words: bool,
    /// Named entities.
    pub entities: bool,
    /// Key phrases.
    pub keywords: bool,
}

impl Default for Layers {
    fn default() -> Layers {
        Layers { sentences: true, tokens: true, words: true, entities: true, keywords: true }
    }
}

impl Layers {
    /// Sentences, tokens and words: what segmentation, key phrases and statistics start from.
    pub const WORDS: Layers =
        Layers { sentences: true, tokens: true, words: true, entities: false, keywords: false };

    /// Parses a comma-separated list such as `tokens,words`.
    ///
    /// # Errors
    /// Names an unknown layer.
    pub fn parse(list: &str) -> std::result::Result<Layers, String> {
        let mut l = Layers {
            sentences: false,
            tokens: false,
            words: false,
            entities: false,
            keywords: false,
        };
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "sentences" => l.sentences = true,
                "tokens" => l.tokens = true,
                "words" => l.words = true,
                "entities" => l.entities = true,
                "keywords" => l.keywords = true,
                other => {
                    return Err(format!(
                        "unknown layer '{other}' (expected sentences, tokens, words, entities, keywords)"
                    ));
                }
            }
        }
        Ok(l)
    }
}

/// Runs the stages over documents. Cheap to share across threads (`Send + Sync`).
pub struct Pipeline {
    segmenter: Box<dyn WordSegmenter>,
    keywords: KeywordExtractor,
    entities: EntityRecognizer,
    layers: Layers,
}

impl Default for Pipeline {
    fn default() -> Pipeline {
        Pipeline::new()
    }
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("layers", &self.layers).finish_non_exhaustive()
    }
}

impl Pipeline {
    /// The default pipeline with every layer and the embedded models.
    pub fn new() -> Pipeline {
        let segmenter: Box<dyn WordSegmenter> = if EmbeddedSegmenter::available() {
            Box::new(EmbeddedSegmenter)
        } else {
            Box::new(TokenSegmenter)
        };
        Pipeline {
            segmenter,
            keywords: KeywordExtractor::default(),
            entities: EntityRecognizer::default(),
            layers: Layers::default(),
        }
    }

    /// Replaces the word segmenter.
    pub fn with_segmenter(mut self, segmenter: Box<dyn WordSegmenter>) -> Pipeline {
        self.segmenter = segmenter;
        self
    }

    /// Uses `tagger` (trained by `vita-train ner`) instead of the embedded entity tagger.
    pub fn with_entity_tagger(mut self, tagger: crate::ner::Tagger) -> Pipeline {
        self.entities = self.entities.with_tagger(tagger);
        self
    }

    /// Replaces the entity recognizer (for example with
    /// [`EntityRecognizer::rules_only`](crate::ner::EntityRecognizer::rules_only)).
    pub fn with_entities(mut self, entities: EntityRecognizer) -> Pipeline {
        self.entities = entities;
        self
    }

    /// How many key phrases the keywords layer keeps (default 10).
    pub fn with_top_keywords(mut self, k: usize) -> Pipeline {
        self.keywords.top_k = k;
        self
    }

    /// Chooses the layers to compute. Layers the chosen ones depend on are computed anyway but
    /// reported as switched off by [`Pipeline::layers`].
    pub fn with_layers(mut self, layers: Layers) -> Pipeline {
        self.layers = layers;
        self
    }

    /// The layers this pipeline emits.
    pub fn layers(&self) -> Layers {
        self.layers
    }

    /// Runs every configured stage over `text`. Never fails: any `&str` is valid input.
    ///
    /// ```
    /// let doc = vita::Pipeline::new().annotate("Hà Nội, 2024.");
    /// assert_eq!(doc.sentences().len(), 1);
    /// assert_eq!(doc.tokens().len(), 5);
    /// ```
    ///
    /// A long document (from [`PARALLEL_BYTES`]) is cut into pieces that the threads of the
    /// current rayon pool share: tokens by pieces of text cut after a line break, words and
    /// entities by runs of sentences, while the key phrases are ranked alongside. The result
    /// is the same as in one piece, whatever the number of threads.
    pub fn annotate(&self, text: impl Into<String>) -> Document {
        let mut doc = Document { text: text.into(), ..Document::default() };
        let parallel = shared_among_threads(&doc.text);
        // 1. tokens with keys, 2. sentences, 3. words.
        if parallel {
            tokenize_in_pieces(&doc.text, &mut doc.tokens, &mut doc.norms);
        } else {
            token::tokenize(&doc.text, &mut doc.tokens, &mut doc.norms);
        }
        doc.sentences = if parallel {
            sentence::split_parallel(&doc.text, &doc.tokens)
        } else {
            sentence::split(&doc.text, &doc.tokens)
        };
        if self.layers.words || self.layers.entities || self.layers.keywords {
            self.segment(&mut doc);
        }
        let entities = |doc: &Document| {
            if !parallel {
                return self.entities.recognize(doc);
            }
            flatten(
                sentence_runs(doc)
                    .into_par_iter()
                    .with_max_len(1)
                    .map(|run| self.entities.recognize_sentences(doc, run))
                    .collect(),
            )
        };
        match (self.layers.entities, self.layers.keywords) {
            (true, true) => {
                let (e, k) = rayon::join(|| entities(&doc), || self.keywords.extract(&doc));
                doc.entities = e;
                doc.keywords = k;
            }
            (true, false) => doc.entities = entities(&doc),
            (false, true) => doc.keywords = self.keywords.extract(&doc),
            (false, false) => {}
        }
        doc
    }

    /// Computes (or recomputes) the words layer of a document that has tokens and sentences.
    pub fn segment(&self, doc: &mut Document) {
        let d: &Document = doc;
        // At most a word per token: room up front.
        let mut words = Vec::with_capacity(d.tokens.len());
        if shared_among_threads(&d.text) {
            // Each run's words made in a buffer its thread reuses, appended to the whole in
            // order as soon as the runs before are.
            let runs = sentence_runs(d);
            made_in_order(
                runs.len(),
                &mut words,
                |k, buffer: &mut Vec<Word>| self.words_into(d, runs[k].clone(), buffer),
                |_, buffer, words| words.append(buffer),
            );
        } else {
            self.words_into(d, 0..d.sentences.len(), &mut words);
        }
        doc.words = words;
    }

    /// Appends the words of the sentences `run` of `doc` to `words`.
    fn words_into(&self, doc: &Document, run: Range<usize>, words: &mut Vec<Word>) {
        let mut gaps = Vec::new();
        for s in &doc.sentences[run] {
            let n = s.tokens.len();
            gaps.clear();
            gaps.resize(n.saturating_sub(1), false);
            self.segmenter.join(doc, s.tokens.clone(), &mut gaps);
            let mut start = s.tokens.start;
            for i in s.tokens.clone() {
                let last = i + 1 == s.tokens.end || !gaps[i - s.tokens.start];
                if last {
                    let span = Span::new(doc.tokens[start].span.start, doc.tokens[i].span.end);
                    words.push(Word { span, tokens: start..i + 1 });
                    start = i + 1;
                }
            }
        }
    }
}

/// Documents from this many bytes are annotated in pieces when more than one thread is there.
pub const PARALLEL_BYTES: usize = 256 << 10;

/// Whether `text` is long enough to be shared among the threads of the current rayon pool,
/// and there is more than one.
pub(crate) fn shared_among_threads(text: &str) -> bool {
    text.len() >= PARALLEL_BYTES && rayon::current_num_threads() > 1
}

/// Tokens per run of sentences handed to one task.
const RUN_TOKENS: usize = 16 << 10;

/// The results of consecutive pieces, put together (each element moved once). Used for the
/// small layers (sentences, entities); tokens and words are appended as they are made (see
/// [`made_in_order`]).
pub(crate) fn flatten<T>(parts: Vec<Vec<T>>) -> Vec<T> {
    let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        all.extend(p);
    }
    all
}

/// The document's sentences cut into runs of about [`RUN_TOKENS`] tokens.
fn sentence_runs(doc: &Document) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut tokens = 0;
    for (i, s) in doc.sentences.iter().enumerate() {
        tokens += s.tokens.len();
        if tokens >= RUN_TOKENS {
            runs.push(start..i + 1);
            start = i + 1;
            tokens = 0;
        }
    }
    if start < doc.sentences.len() {
        runs.push(start..doc.sentences.len());
    }
    runs
}

/// Bytes of text per piece when tokenizing in parallel.
const PIECE_BYTES: usize = 128 << 10;

/// `text` cut into pieces that tokenize alone exactly as they do in the whole, about every
/// [`PIECE_BYTES`], the last at the end: each ends just after a line break (no token holds
/// one), or, in a long stretch without one (a document on one line), just after a space
/// followed by a lower-case ASCII letter (no token holds a space, and no rule of the tokenizer
/// looks across one to an upper-case initial).
pub(crate) fn line_pieces(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let target = (at + PIECE_BYTES).min(bytes.len());
        let line = bytes[target..].iter().take(PIECE_BYTES).position(|&b| b == b'\n');
        let end = match line {
            Some(k) => target + k + 1,
            None => match bytes[target..].windows(2).position(|w| is_space_cut(w[0], w[1])) {
                Some(k) => target + k + 1,
                None => bytes.len(),
            },
        };
        pieces.push(at..end);
        at = end;
    }
    pieces
}

/// Whether a piece may end between bytes `a` and `b` of a line: after a space, before a
/// lower-case ASCII letter.
fn is_space_cut(a: u8, b: u8) -> bool {
    a == b' ' && b.is_ascii_lowercase()
}

/// [`token::tokenize`] over pieces of `text` in parallel, then put together.
pub(crate) fn tokenize_in_pieces(text: &str, tokens: &mut Vec<Token>, norms: &mut String) {
    tokenize_pieces(text, &line_pieces(text), tokens, norms);
}

/// Tokenizes `pieces` of `text` (consecutive, covering it) in parallel, and puts them
/// together.
fn tokenize_pieces(
    text: &str,
    pieces: &[Range<usize>],
    tokens: &mut Vec<Token>,
    norms: &mut String,
) {
    // Room as in one piece: about one token per five bytes, keys as long as the text.
    tokens.reserve(text.len() / 5);
    norms.reserve(text.len());
    let mut all = (std::mem::take(tokens), std::mem::take(norms));
    made_in_order(
        pieces.len(),
        &mut all,
        |k, (t, n): &mut (Vec<Token>, String)| token::tokenize(&text[pieces[k].clone()], t, n),
        |k, (t, n), (tokens, norms)| {
            let at = pieces[k].start;
            let first_key = norms.len();
            tokens.extend(t.drain(..).map(|mut t| {
                t.span = Span::new(t.span.start + at, t.span.end + at);
                t.shift_norm(first_key);
                t
            }));
            norms.push_str(n);
            n.clear();
        },
    );
    (*tokens, *norms) = all;
}

/// Makes pieces `0..n` on the threads of the current rayon pool and appends each to `whole`,
/// in order: `make(k, buffer)` writes piece `k` into an empty buffer, `append(k, buffer,
/// whole)` appends it and leaves the buffer empty. Pieces are handed out in order; a piece is
/// appended as soon as those before it are, by the thread that made the last of them, and its
/// buffer goes back to be reused.
///
/// Made this way, a document's tokens and words are written once into memory that is
/// already the process's (a thread's buffer, in its cache) and copied once into the whole:
/// making every piece in its own vector, then copying them all, touched twice the memory and
/// left both threads copying and taking page faults for a tenth of a parallel run.
fn made_in_order<B: Default + Send, W: Send>(
    n: usize,
    whole: &mut W,
    make: impl Fn(usize, &mut B) + Sync,
    append: impl Fn(usize, &mut B, &mut W) + Sync,
) {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Merge<'w, B, W> {
        /// The next piece to append.
        next: usize,
        /// Pieces made, waiting for those before them.
        ready: Vec<Option<B>>,
        /// Empty buffers.
        free: Vec<B>,
        whole: &'w mut W,
    }
    let merge = Mutex::new(Merge {
        next: 0,
        ready: (0..n).map(|_| None).collect(),
        free: Vec::new(),
        whole,
    });
    // A panic in `make` or `append` is the caller's to see; the state is not read after it.
    let lock = || merge.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let counter = AtomicUsize::new(0);
    let threads = rayon::current_num_threads().min(n);
    (0..threads).into_par_iter().with_max_len(1).for_each(|_| {
        loop {
            let k = counter.fetch_add(1, Ordering::Relaxed);
            if k >= n {
                break;
            }
            let mut buffer = lock().free.pop().unwrap_or_default();
            make(k, &mut buffer);
            let mut guard = lock();
            let m = &mut *guard;
            m.ready[k] = Some(buffer);
            while let Some(mut b) = m.ready.get_mut(m.next).and_then(Option::take) {
                append(m.next, &mut b, m.whole);
                m.free.push(b);
                m.next += 1;
            }
        }
    });
}

/// Loads now the embedded resources that `layers` read and that are otherwise loaded when
/// first needed (the segmenter model, entity knowledge and tagger, keyword tables). The models
/// are read in place (well under a millisecond); what still takes time is the entity
/// knowledge's hash maps (about 2 ms). Run on another thread while the input is read, it
/// spares the threads of a parallel annotation from waiting for them.
pub fn warm_up(layers: Layers) {
    if layers.words || layers.entities || layers.keywords {
        crate::word::Segmenter::embedded();
    }
    if layers.entities {
        crate::ner::Knowledge::embedded();
        crate::ner::Tagger::embedded();
    }
    if layers.keywords {
        crate::keyword::Stopwords::embedded();
        crate::keyword::Background::embedded();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Text cut after any line breaks, and after spaces before a lower-case letter,
        /// tokenizes, piece by piece, exactly as in one piece.
        #[test]
        fn pieces_tokenize_as_the_whole(
            text in "([a-zA-Z0-9àáạảãâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ .,:;!?@/%&'\"()\\-]|\n|\u{200B}|\u{AD}|\u{301}|\u{1F600}|\u{200D}|https://x.vn/a|a@b.vn|[A-Z]\\. [a-zA-Z]|TP\\. [a-z]){0,120}",
            picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let b = text.as_bytes();
            let breaks: Vec<usize> = (1..=b.len())
                .filter(|&k| b[k - 1] == b'\n' || (k < b.len() && is_space_cut(b[k - 1], b[k])))
                .collect();
            let mut ends: Vec<usize> = if breaks.is_empty() {
                Vec::new()
            } else {
                picks.iter().map(|p| breaks[p.index(breaks.len())]).collect()
            };
            ends.push(text.len());
            ends.sort_unstable();
            ends.dedup();
            let (mut t1, mut n1) = (Vec::new(), String::new());
            token::tokenize(&text, &mut t1, &mut n1);
            let (mut t2, mut n2) = (Vec::new(), String::new());
            let pieces: Vec<Range<usize>> = std::iter::once(0)
                .chain(ends.iter().copied())
                .zip(ends.iter().copied())
                .map(|(a, b)| a..b)
                .collect();
            tokenize_pieces(&text, &pieces, &mut t2, &mut n2);
            prop_assert_eq!(n1, n2);
            prop_assert_eq!(t1, t2);
        }
    }

    proptest! {
        /// The keys of a word's tokens, space-separated, are a slice of the key buffer (what
        /// the entity recognizer reads words by), one document or in pieces.
        #[test]
        fn word_keys_are_slices_of_the_key_buffer(
            text in "([a-zA-Z0-9àáạảãâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ .,:;!?@/%&'\"()\\-]|\n|\u{301}|\u{1F600}|https://x.vn/a|Hà Nội|TP\\. [a-z]){0,80}",
        ) {
            let p = Pipeline::new().with_layers(Layers::WORDS);
            let one = p.annotate(text.as_str());
            let mut pieces = one.clone();
            (pieces.tokens, pieces.norms) = (Vec::new(), String::new());
            // A piece per line.
            let mut cuts = Vec::new();
            let mut at = 0;
            for (k, _) in text.match_indices('\n').chain([(text.len(), "")]) {
                let end = (k + 1).min(text.len());
                if end > at {
                    cuts.push(at..end);
                    at = end;
                }
            }
            tokenize_pieces(&text, &cuts, &mut pieces.tokens, &mut pieces.norms);
            for doc in [&one, &pieces] {
                prop_assert!(doc.keys_in_place());
                for w in doc.words() {
                    prop_assert_eq!(&doc.norms()[doc.keys_range(w.tokens.clone())], doc.word_norm(w));
                }
            }
        }
    }

    #[test]
    fn pieces_are_appended_in_order_whatever_thread_makes_them() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
        let made = std::sync::atomic::AtomicUsize::new(0);
        let whole = pool.install(|| {
            let mut whole = Vec::new();
            made_in_order(
                300,
                &mut whole,
                |k, b: &mut Vec<usize>| {
                    assert!(b.is_empty(), "a buffer is handed out empty");
                    // Uneven pieces, so that later ones are often made first.
                    let spin = (k * 7919) % 13 * 2_000;
                    let mut x = k;
                    for i in 0..spin {
                        x = std::hint::black_box(x ^ i);
                    }
                    std::hint::black_box(x);
                    b.extend((0..k % 5 + 1).map(|i| k * 10 + i));
                    made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                },
                |_, b, whole: &mut Vec<usize>| whole.append(b),
            );
            whole
        });
        let expected: Vec<usize> =
            (0..300).flat_map(|k| (0..k % 5 + 1).map(move |i| k * 10 + i)).collect();
        assert_eq!(whole, expected);
        assert_eq!(made.into_inner(), 300);
    }

    #[test]
    fn pieces_cover_the_text() {
        let text = "dòng một\n".repeat(40_000);
        let pieces = line_pieces(&text);
        assert!(pieces.len() > 2);
        assert_eq!(pieces[0].start, 0);
        assert_eq!(pieces.last().unwrap().end, text.len());
        assert!(pieces.windows(2).all(|w| w[0].end == w[1].start));
        assert!(pieces.iter().all(|r| text[..r.end].ends_with('\n')));
        // On one line: cut after spaces before lower-case letters.
        let text = "Câu một dài. ".repeat(40_000);
        let pieces = line_pieces(&text);
        assert!(pieces.len() > 2);
        assert_eq!(pieces.last().unwrap().end, text.len());
        assert!(pieces.windows(2).all(|w| w[0].end == w[1].start));
        let b = text.as_bytes();
        assert!(pieces[..pieces.len() - 1].iter().all(|r| is_space_cut(b[r.end - 1], b[r.end])));
    }
}
