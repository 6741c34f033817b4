//! Byte spans into the original text.

use std::ops::{Index, Range};

/// A half-open range `[start, end)` of UTF-8 *byte* offsets into a document's original text.
///
/// Always `start <= end`, and both lie on char boundaries of the text the span was made for.
/// The JSON writer converts spans to code points unless byte offsets are asked for.
///
/// ```
/// use vita::Span;
/// assert_eq!(&"Hà Nội"[Span::new(0, 3)], "Hà");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    ///
    /// # Panics
    /// If `start > end` (a bug in the caller, never caused by input text).
    #[inline]
    pub fn new(start: usize, end: usize) -> Span {
        assert!(start <= end, "span start {start} > end {end}");
        Span { start, end }
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers nothing.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The span as a `Range`.
    #[inline]
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

impl Index<Span> for str {
    type Output = str;
    #[inline]
    fn index(&self, span: Span) -> &str {
        &self[span.start..span.end]
    }
}

impl Index<Span> for String {
    type Output = str;
    #[inline]
    fn index(&self, span: Span) -> &str {
        &self[span.start..span.end]
    }
}
