//! The annotated document: the original text plus one layer per stage.
//!
//! Layers point into the original text by byte [`Span`] and at the layer below by index range,
//! so a word's span always equals the span from its first token to its last. Nothing in a
//! document is an offset into normalized text: keys live in a side buffer.

use crate::sentence::Sentence;
use crate::span::Span;
use crate::token::Token;
use std::ops::Range;

/// A word: one or more consecutive tokens of one sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// From the start of its first token to the end of its last (it may cross a line wrap).
    pub span: Span,
    /// Index range into the document's tokens.
    pub tokens: Range<usize>,
}

/// A named-entity label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntityLabel {
    /// A person.
    Per,
    /// A place: country, region, city, province, river...
    Loc,
    /// An organisation: company, ministry, university, international body...
    Org,
    /// Products, models, events, works.
    Misc,
}

impl EntityLabel {
    /// `PER`, `LOC`, `ORG` or `MISC`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityLabel::Per => "PER",
            EntityLabel::Loc => "LOC",
            EntityLabel::Org => "ORG",
            EntityLabel::Misc => "MISC",
        }
    }
}

/// A named entity: a run of words with a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// Span of its words.
    pub span: Span,
    /// Index range into the document's words.
    pub words: Range<usize>,
    /// What it names.
    pub label: EntityLabel,
}

/// A key phrase of a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyword {
    /// The phrase as its first occurrence writes it.
    pub text: String,
    /// Relevance in `[0, 1]`.
    pub score: f32,
    /// How often it occurs.
    pub count: usize,
    /// Where it occurs, in its document (`count` spans); empty for the keywords of a corpus
    /// ([`corpus_keywords`](crate::keyword::corpus_keywords)), which occur in many.
    pub occurrences: Vec<Span>,
}

/// A document with its annotation layers.
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub(crate) text: String,
    pub(crate) norms: String,
    pub(crate) tokens: Vec<Token>,
    pub(crate) sentences: Vec<Sentence>,
    pub(crate) words: Vec<Word>,
    pub(crate) entities: Vec<Entity>,
    pub(crate) keywords: Vec<Keyword>,
}

impl Document {
    /// The original text, unchanged.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Tokens, in text order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }
    /// Sentences, in text order; every token belongs to exactly one.
    pub fn sentences(&self) -> &[Sentence] {
        &self.sentences
    }
    /// Words, in text order; every token belongs to exactly one.
    pub fn words(&self) -> &[Word] {
        &self.words
    }
    /// Named entities, in text order, never overlapping.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }
    /// Key phrases, best first.
    pub fn keywords(&self) -> &[Keyword] {
        &self.keywords
    }
    /// The surface text of a span.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[span]
    }
    /// The lookup key of a token (NFC, traditional tone placement, lower case; see
    /// [`crate::token::MAX_KEY`]). Empty for a token of another document.
    pub fn norm(&self, token: &Token) -> &str {
        self.norms.get(token.norm()).unwrap_or("")
    }

    /// The buffer the tokens' keys are slices of, each key followed by a space.
    pub(crate) fn norms(&self) -> &str {
        &self.norms
    }

    /// Whether the keys of consecutive tokens are, space-separated, the slice of
    /// [`Document::norms`] from the first one's start to the last one's end: true unless
    /// the keys take more than 4 GiB (past it, a token's key is empty, not in place).
    pub(crate) fn keys_in_place(&self) -> bool {
        u32::try_from(self.norms.len()).is_ok()
    }

    /// Where the keys of the (consecutive, at least one) `tokens` are, space-separated, in
    /// [`Document::norms`], if [`Document::keys_in_place`].
    pub(crate) fn keys_range(&self, tokens: Range<usize>) -> Range<usize> {
        self.tokens[tokens.start].norm().start..self.tokens[tokens.end - 1].norm().end
    }
    /// The words of each sentence, with the index of the first: `(first word, words)`.
    pub fn words_by_sentence(&self) -> impl Iterator<Item = (usize, &[Word])> + '_ {
        self.words_of_sentences(0..self.sentences.len())
    }

    /// Like [`Document::words_by_sentence`], for the sentences `run` only.
    pub fn words_of_sentences(
        &self,
        run: Range<usize>,
    ) -> impl Iterator<Item = (usize, &[Word])> + '_ {
        let first_token = self.sentences.get(run.start).map_or(0, |s| s.tokens.start);
        let mut wi = self.words.partition_point(|w| w.tokens.start < first_token);
        self.sentences.get(run).unwrap_or_default().iter().map(move |s| {
            let start = wi;
            while wi < self.words.len() && self.words[wi].tokens.start < s.tokens.end {
                wi += 1;
            }
            (start, &self.words[start..wi])
        })
    }

    /// The key of a word: its tokens' keys joined by spaces.
    pub fn word_norm(&self, word: &Word) -> String {
        let mut s = String::new();
        for (i, t) in self.tokens[word.tokens.clone()].iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.norm(t));
        }
        s
    }
}
