//! The pipeline: the only place where the order of the stages is written down.

use crate::document::{Document, Word};
use crate::keyword::KeywordExtractor;
use crate::ner::EntityRecognizer;
use crate::sentence;
use crate::span::Span;
use crate::token;
use crate::word::{Segmenter, TokenSegmenter, WordSegmenter};

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
        let segmenter: Box<dyn WordSegmenter> = match Segmenter::embedded() {
            Some(s) => Box::new(s),
            None => Box::new(TokenSegmenter),
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

    /// Adds a trained entity tagger to the rules (experimental; see [`crate::ner::Tagger`]).
    pub fn with_entity_tagger(mut self, tagger: crate::ner::Tagger) -> Pipeline {
        self.entities = self.entities.with_tagger(tagger);
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
    pub fn annotate(&self, text: impl Into<String>) -> Document {
        let mut doc = Document { text: text.into(), ..Document::default() };
        // 1. tokens with keys, 2. sentences, 3. words.
        token::tokenize(&doc.text, &mut doc.tokens, &mut doc.norms);
        doc.sentences = sentence::split(&doc.text, &doc.tokens);
        if self.layers.words || self.layers.entities || self.layers.keywords {
            self.segment(&mut doc);
        }
        if self.layers.entities {
            doc.entities = self.entities.recognize(&doc);
        }
        if self.layers.keywords {
            doc.keywords = self.keywords.extract(&doc);
        }
        doc
    }

    /// Computes (or recomputes) the words layer of a document that has tokens and sentences.
    pub fn segment(&self, doc: &mut Document) {
        let mut gaps = Vec::new();
        let mut words = Vec::with_capacity(doc.tokens.len());
        for s in &doc.sentences {
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
        doc.words = words;
    }
}
