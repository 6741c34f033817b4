//! Scoring word segmentation against a gold CoNLL-U treebank.
//!
//! Gold words are the FORMs of a CoNLL-U file (multi-syllable forms contain spaces, as in UD
//! Vietnamese-VTB). The system segments the raw text (the `# text =` comment, or the forms
//! joined by spaces) of all sentences, one per line, as *one* document, exactly as
//! `vita segment` does with that text on standard input. Words are then compared as spans over
//! the text with all whitespace removed (NFC), so the score is the one `score_ws.py` computes.

use crate::error::{Error, Result};
use crate::pipeline::Pipeline;
use std::io::BufRead;
use unicode_normalization::UnicodeNormalization;

/// One gold sentence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoldSentence {
    /// The raw text.
    pub text: String,
    /// The gold words, in order.
    pub words: Vec<String>,
}

/// Reads the sentences of a CoNLL-U file (both `# text = ...` and `# text =...`).
///
/// # Errors
/// An I/O error, or a token line with fewer than two columns.
pub fn read_conllu(name: &str, r: impl BufRead) -> Result<Vec<GoldSentence>> {
    let mut out = Vec::new();
    let mut cur = GoldSentence::default();
    let mut text: Option<String> = None;
    let finish =
        |cur: &mut GoldSentence, text: &mut Option<String>, out: &mut Vec<GoldSentence>| {
            if !cur.words.is_empty() {
                cur.text = text.take().unwrap_or_else(|| cur.words.join(" "));
                out.push(std::mem::take(cur));
            }
            *text = None;
        };
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| Error::resource(name, Some(i + 1), e.to_string()))?;
        let line = line.trim_end_matches(['\n', '\r']);
        if let Some(rest) = line.strip_prefix("# text") {
            if let Some(t) = rest.trim_start().strip_prefix('=') {
                text = Some(t.trim().to_string());
            }
        } else if line.starts_with('#') {
            continue;
        } else if line.trim().is_empty() {
            finish(&mut cur, &mut text, &mut out);
        } else {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 2 {
                return Err(Error::resource(name, Some(i + 1), "expected tab-separated columns"));
            }
            if cols[0].contains('-') || cols[0].contains('.') {
                continue; // multiword token ranges and empty nodes
            }
            cur.words.push(cols[1].to_string());
        }
    }
    finish(&mut cur, &mut text, &mut out);
    Ok(out)
}

/// Precision, recall and F1 of word spans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    /// Gold words.
    pub gold: usize,
    /// System words.
    pub system: usize,
    /// Words with the same span in both.
    pub correct: usize,
}

impl Score {
    /// Correct / system, in percent.
    pub fn precision(&self) -> f64 {
        100.0 * self.correct as f64 / self.system.max(1) as f64
    }
    /// Correct / gold, in percent.
    pub fn recall(&self) -> f64 {
        100.0 * self.correct as f64 / self.gold.max(1) as f64
    }
    /// Harmonic mean of precision and recall, in percent.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

impl std::fmt::Display for Score {
    /// `precision P  recall R  F1 F  (gold G, system S, correct C)`, percentages to 2 decimals.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "precision {:.2}  recall {:.2}  F1 {:.2}  (gold {}, system {}, correct {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.gold,
            self.system,
            self.correct
        )
    }
}

/// Spans of `words` over their concatenation without whitespace, in chars (NFC).
fn spans<'a>(words: impl Iterator<Item = &'a str>) -> (Vec<(usize, usize)>, String) {
    let mut out = Vec::new();
    let mut all = String::new();
    let mut pos = 0;
    for w in words {
        let mut n = 0;
        for c in w.nfc().filter(|c| !c.is_whitespace()) {
            all.push(c);
            n += 1;
        }
        if n > 0 {
            out.push((pos, pos + n));
            pos += n;
        }
    }
    (out, all)
}

/// The raw text the system segments: the sentences, one per line.
pub fn gold_text(gold: &[GoldSentence]) -> String {
    let mut s = String::new();
    for g in gold {
        s.push_str(&g.text);
        s.push('\n');
    }
    s
}

/// Scores `pipeline`'s words against `gold`.
///
/// # Errors
/// When the gold words and the text do not hold the same characters (a broken treebank).
pub fn score_segmentation(
    pipeline: &Pipeline,
    gold: &[GoldSentence],
) -> std::result::Result<Score, String> {
    let text = gold_text(gold);
    let doc = pipeline.annotate(text.as_str());
    let (sys, sys_chars) = spans(doc.words().iter().map(|w| &text[w.span]));
    let (gold_spans, gold_chars) =
        spans(gold.iter().flat_map(|g| g.words.iter().map(String::as_str)));
    if sys_chars != gold_chars {
        let at = sys_chars.chars().zip(gold_chars.chars()).take_while(|(a, b)| a == b).count();
        let ctx: String = gold_chars.chars().skip(at.saturating_sub(20)).take(40).collect();
        return Err(format!("gold words and text differ at character {at}, near {ctx:?}"));
    }
    let set: rustc_hash::FxHashSet<(usize, usize)> = gold_spans.iter().copied().collect();
    let correct = sys.iter().filter(|s| set.contains(s)).count();
    Ok(Score { gold: gold_spans.len(), system: sys.len(), correct })
}

/// A sentence with gold entities, from a line such as `[Hoa Kỳ](LOC) và [Trung Quốc](LOC)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarkedSentence {
    /// The plain text (markup removed).
    pub text: String,
    /// Gold entities: byte span in `text` and label.
    pub entities: Vec<(crate::Span, String)>,
}

/// Reads a gold entity file: one sentence per line, entities written `[surface](LABEL)` with
/// `LABEL` one of `PER`, `LOC`, `ORG`, `MISC`; blank lines and lines starting with `#` skipped.
///
/// # Errors
/// A malformed or unknown label, naming the line.
pub fn read_marked(name: &str, text: &str) -> Result<Vec<MarkedSentence>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut s = MarkedSentence::default();
        let mut rest = line;
        while let Some(open) = rest.find('[') {
            let Some(close) = rest[open..].find("](").map(|c| open + c) else { break };
            let Some(end) = rest[close..].find(')').map(|e| close + e) else { break };
            let label = &rest[close + 2..end];
            if !matches!(label, "PER" | "LOC" | "ORG" | "MISC") {
                return Err(Error::resource(name, Some(i + 1), format!("unknown label '{label}'")));
            }
            s.text.push_str(&rest[..open]);
            let start = s.text.len();
            s.text.push_str(&rest[open + 1..close]);
            s.entities.push((crate::Span::new(start, s.text.len()), label.to_string()));
            rest = &rest[end + 1..];
        }
        s.text.push_str(rest);
        out.push(s);
    }
    Ok(out)
}

/// Scores entities (exact span and label) per label and overall (`ALL`, micro-averaged). Each
/// sentence is annotated as a document of its own.
pub fn score_entities(pipeline: &Pipeline, gold: &[MarkedSentence]) -> Vec<(String, Score)> {
    let mut by: std::collections::BTreeMap<String, Score> = std::collections::BTreeMap::new();
    for s in gold {
        let doc = pipeline.annotate(s.text.as_str());
        let sys: Vec<(crate::Span, String)> =
            doc.entities().iter().map(|e| (e.span, e.label.as_str().to_string())).collect();
        for (_, l) in &s.entities {
            by.entry(l.clone()).or_default().gold += 1;
        }
        for e in &sys {
            let sc = by.entry(e.1.clone()).or_default();
            sc.system += 1;
            if s.entities.contains(e) {
                sc.correct += 1;
            }
        }
    }
    let mut all = Score::default();
    for s in by.values() {
        all.gold += s.gold;
        all.system += s.system;
        all.correct += s.correct;
    }
    let mut v: Vec<(String, Score)> = by.into_iter().collect();
    v.push(("ALL".to_string(), all));
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_marked_entities() {
        let g = read_marked("t", "# c\n[Hoa Kỳ](LOC) và [FPT](ORG).\n").unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].text, "Hoa Kỳ và FPT.");
        assert_eq!(&g[0].text[g[0].entities[1].0], "FPT");
        assert!(read_marked("t", "[x](PERSON)").is_err());
    }

    use super::*;

    #[test]
    fn reads_both_text_comment_styles() {
        let data = "# text =Tôi đi\n1\tTôi\n2\tđi\n\n# text = Hà Nội đẹp\n1\tHà Nội\n2\tđẹp\n";
        let g = read_conllu("t", data.as_bytes()).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].text, "Tôi đi");
        assert_eq!(g[1].words, ["Hà Nội", "đẹp"]);
    }

    #[test]
    fn score_counts_spans() {
        let s = Score { gold: 4, system: 5, correct: 3 };
        assert!((s.precision() - 60.0).abs() < 1e-9);
        assert!((s.recall() - 75.0).abs() < 1e-9);
        assert!((s.f1() - 66.666_666).abs() < 1e-3);
    }
}
