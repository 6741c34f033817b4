//! vita: Vietnamese text analysis.
//!
//! Raw Vietnamese text in, annotations out: normalized keys for every token (NFC, one
//! tone-mark placement, lower case), sentences, syllables and other tokens, words, named
//! entities and key phrases. Every annotation is a span of the original, unchanged text.
//!
//! ```
//! use vita::Pipeline;
//! let pipeline = Pipeline::new();
//! let doc = pipeline.annotate("Hoà bình ở Hà Nội.");
//! let keys: Vec<&str> = doc.tokens().iter().map(|t| doc.norm(t)).collect();
//! assert_eq!(keys, ["hòa", "bình", "ở", "hà", "nội", "."]);
//! ```
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod corpus;
pub mod document;
pub mod error;
pub mod eval;
pub mod input;
pub mod json;
mod key_cache;
pub mod keyword;
pub mod legacy;
mod lossy;
pub mod ner;
pub mod normalize;
pub mod pipeline;
pub mod sentence;
pub mod span;
pub mod stats;
pub mod syllable;
pub mod table;
pub mod token;
pub mod word;

pub use document::{Document, Entity, EntityLabel, Keyword, Word};
pub use error::{Error, ErrorKind, Result};
pub use pipeline::{Layers, Pipeline};
pub use sentence::Sentence;
pub use span::Span;
pub use token::{Token, TokenKind};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod testoibits {
    fn assert_send_sync<T: Send + Sync>() {}
    #[test]
    fn send_sync() {
        assert_send_sync::<crate::Pipeline>();
        assert_send_sync::<crate::Document>();
        assert_send_sync::<crate::Error>();
    }
}
