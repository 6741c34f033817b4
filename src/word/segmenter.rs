//! The statistical segmenter with an optional user dictionary.

use super::WordSegmenter;
use super::model::{MAX_WORD, Model, SentenceFeatures};
use crate::document::Document;
use crate::error::{Error, Result};
use rustc_hash::FxHashSet;
use std::cell::RefCell;
use std::io::BufRead;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

/// The model shipped in the binary (empty only in a bootstrap build, before the first
/// `vita-train` run).
static EMBEDDED: &[u8] = include_bytes!("../data/segmenter.bin");

static EMBEDDED_MODEL: LazyLock<Option<Arc<Model>>> = LazyLock::new(|| {
    if EMBEDDED.is_empty() {
        return None;
    }
    Some(Arc::new(
        Model::from_static("embedded segmenter", EMBEDDED).expect("the embedded model parses"),
    ))
});

/// Words a user wants kept whole, as keys (`trí tuệ nhân tạo`).
#[derive(Clone, Debug, Default)]
pub struct UserDict {
    words: FxHashSet<String>,
    prefixes: FxHashSet<String>,
    longest: usize,
}

impl UserDict {
    /// Reads one word per line, syllables separated by spaces; blank lines and lines starting
    /// with `#` are skipped.
    ///
    /// # Errors
    /// An I/O error, or a line with one syllable only or more than seven, naming the line.
    pub fn read(name: &str, r: impl BufRead) -> Result<UserDict> {
        let mut d = UserDict::default();
        for (i, line) in r.lines().enumerate() {
            let line = line.map_err(|e| Error::resource(name, Some(i + 1), e.to_string()))?;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            d.insert(t).map_err(|msg| Error::resource(name, Some(i + 1), msg))?;
        }
        Ok(d)
    }

    /// Adds one word (syllables separated by spaces).
    ///
    /// # Errors
    /// The word has fewer than two or more than seven syllables.
    pub fn insert(&mut self, word: &str) -> std::result::Result<(), String> {
        let key = crate::normalize::key(word);
        let parts: Vec<&str> = key.split(' ').collect();
        if parts.len() < 2 || parts.len() > MAX_WORD {
            return Err(format!(
                "'{word}': a dictionary word has 2 to {MAX_WORD} syllables separated by spaces"
            ));
        }
        for k in 1..parts.len() {
            self.prefixes.insert(parts[..k].join(" "));
        }
        self.longest = self.longest.max(parts.len());
        self.words.insert(key);
        Ok(())
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the dictionary is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Joins the gaps inside every longest match (left to right) and splits at its edges.
    fn apply(&self, doc: &Document, range: Range<usize>, gaps: &mut [bool]) {
        let tokens = &doc.tokens()[range];
        let mut i = 0;
        let mut key = String::new();
        while i < tokens.len() {
            key.clear();
            let mut best = 0;
            for len in 1..=self.longest.min(tokens.len() - i) {
                let t = &tokens[i + len - 1];
                if len > 1 {
                    if tokens[i + len - 2].span.end == t.span.start {
                        break;
                    }
                    key.push(' ');
                }
                key.push_str(doc.norm(t));
                if len > 1 && self.words.contains(&key) {
                    best = len;
                }
                if !self.prefixes.contains(&key) {
                    break;
                }
            }
            if best >= 2 {
                gaps[i..i + best - 1].fill(true);
                if i > 0 {
                    gaps[i - 1] = false;
                }
                if i + best - 1 < gaps.len() {
                    gaps[i + best - 1] = false;
                }
                i += best;
            } else {
                i += 1;
            }
        }
    }
}

/// The embedded segmenter, parsed when it first segments: what [`crate::Pipeline::new`]
/// uses, so that commands and layers without words never parse it, and a parallel
/// annotation can parse it while the input is read (see [`crate::pipeline::warm_up`]). It
/// joins nothing in a build without a model.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmbeddedSegmenter;

impl EmbeddedSegmenter {
    /// Whether the build has a model (known without parsing it).
    pub fn available() -> bool {
        !EMBEDDED.is_empty()
    }
}

impl WordSegmenter for EmbeddedSegmenter {
    fn join(&self, doc: &Document, sentence: Range<usize>, gaps: &mut [bool]) {
        static SEGMENTER: LazyLock<Option<Segmenter>> = LazyLock::new(Segmenter::embedded);
        if let Some(s) = &*SEGMENTER {
            s.join(doc, sentence, gaps);
        }
    }
}

/// The trained segmenter.
#[derive(Clone, Debug)]
pub struct Segmenter {
    model: Arc<Model>,
    user: Option<Arc<UserDict>>,
}

thread_local! {
    static SCRATCH: RefCell<(SentenceFeatures, Vec<f32>)> = RefCell::new(Default::default());
}

impl Segmenter {
    /// The segmenter embedded in the binary, or `None` in a bootstrap build without a model.
    pub fn embedded() -> Option<Segmenter> {
        EMBEDDED_MODEL.as_ref().map(|m| Segmenter { model: Arc::clone(m), user: None })
    }

    /// Parses the embedded model anew (what the first [`Segmenter::embedded`] costs).
    ///
    /// # Errors
    /// When the build has no model, or it does not parse.
    pub fn load_embedded() -> Result<Segmenter> {
        if EMBEDDED.is_empty() {
            return Err(Error::resource("embedded segmenter", None, "this build has no model"));
        }
        Ok(Segmenter::new(Model::from_static("embedded segmenter", EMBEDDED)?))
    }

    /// A segmenter from a model.
    pub fn new(model: Model) -> Segmenter {
        Segmenter { model: Arc::new(model), user: None }
    }

    /// Adds a user dictionary whose words are always kept whole.
    pub fn with_user_dict(mut self, dict: UserDict) -> Segmenter {
        self.user = Some(Arc::new(dict));
        self
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }
}

impl WordSegmenter for Segmenter {
    fn join(&self, doc: &Document, sentence: Range<usize>, gaps: &mut [bool]) {
        if gaps.is_empty() {
            return;
        }
        SCRATCH.with_borrow_mut(|(f, scores)| {
            self.model.lexicon.features(doc, sentence.clone(), None, f);
            self.model.score(f, scores);
            for (g, gap) in gaps.iter_mut().enumerate() {
                *gap = f.joinable[g] && scores[g] > 0.0;
            }
            self.model.lexicon.join_lower_case_names(f, gaps);
        });
        if let Some(u) = &self.user {
            u.apply(doc, sentence, gaps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::word::model::{Dict, Feature, Lexicon, PairEntry, PairStats, source};
    use rustc_hash::FxHashMap;

    /// The embedded model is read in place, and written back it is the same bytes.
    #[test]
    fn embedded_model_round_trips() {
        if EMBEDDED.is_empty() {
            return;
        }
        let m = Model::from_static("embedded", EMBEDDED).unwrap();
        assert!(m.to_bytes() == EMBEDDED, "the embedded model is written back unchanged");
        assert!(Model::from_bytes("x", &EMBEDDED[..EMBEDDED.len() - 1]).is_err());
        assert!(Model::from_bytes("x", b"vita-segmenter 1\n").is_err());
    }

    /// A model as the trainer holds it (open tables) and as it is read back from its bytes
    /// (frozen tables) score every gap alike.
    #[test]
    fn open_and_frozen_models_score_alike() {
        let doc = crate::Pipeline::new()
            .with_layers(crate::Layers { words: false, ..crate::Layers::WORDS })
            .annotate("Trí tuệ nhân tạo ở Hà Nội phát triển nhanh, hà nội cũng vậy.");
        let mut lex = Lexicon::default();
        let mut ids = FxHashMap::default();
        for t in doc.tokens() {
            let k = doc.norm(t);
            if !ids.contains_key(k) {
                ids.insert(k.to_string(), lex.insert_key(k).unwrap());
            }
        }
        let id = |k: &str| ids[k];
        lex.pairs.insert(
            (u64::from(id("trí")) << 32) | u64::from(id("tuệ")),
            PairEntry { w: [0.0; 3], stats: PairStats::from_counts(50, 60, 70, 10_000) },
        );
        lex.dict.insert(&[id("nhân"), id("tạo")], source::LEXICON);
        lex.dict.insert(&[id("hà"), id("nội")], source::PROPER);
        let mut w = FxHashMap::default();
        w.insert(Feature::Uni(1, id("trí")), 0.5);
        w.insert(Feature::Pair(1, id("trí"), id("tuệ")), 2.0);
        w.insert(Feature::Pair(2, id("phát"), id("triển")), -1.5);
        w.insert(Feature::Tri(0, id("ở"), id("hà"), id("nội")), 0.75);
        w.insert(Feature::Dense(0), -0.25);
        let open = Model::from_weights(lex, &w);
        let frozen = Model::from_bytes("t", &open.to_bytes()).unwrap();
        assert_eq!(frozen.to_bytes(), open.to_bytes());
        let (mut f1, mut f2) = (Default::default(), Default::default());
        let (mut s1, mut s2) = (Vec::new(), Vec::new());
        let all = 0..doc.tokens().len();
        let extra = Dict::default();
        open.lexicon.features(&doc, all.clone(), Some(&extra), &mut f1);
        frozen.lexicon.features(&doc, all, Some(&extra), &mut f2);
        open.score(&f1, &mut s1);
        frozen.score(&f2, &mut s2);
        assert_eq!(s1, s2);
        assert!(s1.iter().any(|&s| s > 1.0) && s1.iter().any(|&s| s < -1.0), "{s1:?}");
        let (mut g1, mut g2) = (vec![false; s1.len()], vec![false; s2.len()]);
        open.lexicon.join_lower_case_names(&f1, &mut g1);
        frozen.lexicon.join_lower_case_names(&f2, &mut g2);
        assert_eq!(g1, g2);
        assert!(g1.iter().any(|&g| g), "lower-case hà nội is joined");
        assert_eq!(frozen.lexicon.key_id("tuệ"), Some(id("tuệ")));
        assert_eq!(frozen.lexicon.key_id("không có"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// A damaged model file (bytes changed anywhere, or cut short) is an error or a model
        /// that segments without a panic.
        #[test]
        fn damaged_models_never_panic(
            edits in proptest::collection::vec((0.0f64..1.0, proptest::prelude::any::<u8>()), 1..8),
            cut in 0.0f64..1.0,
        ) {
            if EMBEDDED.is_empty() {
                return Ok(());
            }
            let doc = crate::Pipeline::new()
                .with_layers(crate::Layers { words: false, ..crate::Layers::WORDS })
                .annotate("Trí tuệ nhân tạo ở Hà Nội, hà nội 2024 AI.");
            let mut bytes = EMBEDDED.to_vec();
            // Edits near the start hit the header, the vocabulary and the table headers.
            let last = bytes.len() - 1;
            for &(at, b) in &edits {
                bytes[(((at * at) * last as f64) as usize).min(last)] = b;
            }
            for b in [&bytes[..], &bytes[..(cut * bytes.len() as f64) as usize]] {
                if let Ok(m) = Model::from_bytes("damaged", b) {
                    let mut gaps = vec![false; doc.tokens().len() - 1];
                    Segmenter::new(m).join(&doc, 0..doc.tokens().len(), &mut gaps);
                }
            }
        }
    }
}
