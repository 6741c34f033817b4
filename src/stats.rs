//! Corpus statistics: counts, frequency tables and n-grams, merged over documents.
//!
//! Each document gives a [`Stats`]; stats merge by addition, so a corpus can be counted in
//! parallel and merged in input order with the same result for any number of threads. Memory
//! is bounded: when the frequency tables together grow past [`TABLE_CAP`] entries, the largest
//! drops the entries seen least often until half of it is left (lossy counting: frequent items
//! keep exact counts, no count is too high; `pruned` says how many were dropped).

use crate::document::Document;
use crate::syllable::{Tone, tone_of};
use crate::token::{TokenKind, key_hash};
use serde::Serialize;
use std::collections::BTreeMap;

/// Most entries the four frequency tables hold together before the largest drops its rarest
/// (about 130 bytes each at the peak, keys included: under 70 MB). The 5 MB benchmark file
/// of Wikipedia text has more: its report notes the rare entries dropped.
pub const TABLE_CAP: usize = 1 << 19;

/// A frequency table of strings. The keys lie end to end in one string, found by their hash:
/// an entry costs its key's bytes and about 45 more, not an allocation of its own.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Where each key's entry is.
    index: crate::lossy::KeyIndex,
    /// Per entry: where its key is in `keys`, and its count.
    entries: Vec<(usize, u32, u64)>,
    keys: String,
    /// Entries dropped to bound memory.
    pub pruned: u64,
}

impl Table {
    fn key(&self, e: &(usize, u32, u64)) -> &str {
        &self.keys[e.0..e.0 + e.1 as usize]
    }

    fn add(&mut self, key: &str, n: u64) {
        let h = key_hash(key);
        match self.index.find(h, key, |i| self.key(&self.entries[i as usize])) {
            Some(i) => self.entries[i as usize].2 += n,
            None => {
                let i = self.entries.len() as u32;
                self.index.insert(h, key, i);
                self.entries.push((self.keys.len(), key.len() as u32, n));
                self.keys.push_str(key);
            }
        }
    }

    /// The entries, in the order they came.
    fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.entries.iter().map(|e| (self.key(e), e.2))
    }

    /// Drops the entries seen least often, until at most `keep` are left (in place: the keys
    /// kept are compacted into a string of their size).
    fn prune(&mut self, keep: usize) {
        let t = crate::lossy::threshold(self.entries.iter().map(|e| e.2), keep);
        let before = self.entries.len();
        self.entries.retain(|e| e.2 > t);
        let mut keys = String::with_capacity(self.entries.iter().map(|e| e.1 as usize).sum());
        self.index.clear();
        for (i, e) in self.entries.iter_mut().enumerate() {
            let key = &self.keys[e.0..e.0 + e.1 as usize];
            self.index.insert(key_hash(key), key, i as u32);
            e.0 = keys.len();
            keys.push_str(key);
        }
        self.keys = keys;
        self.pruned += (before - self.entries.len()) as u64;
    }

    /// Number of distinct entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `n` most frequent entries, ties broken by the entry.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(&str, u64)> = self.iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.into_iter().take(n).map(|(k, c)| (k.to_string(), c)).collect()
    }
}

/// Statistics of one document or of many merged.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Documents.
    pub documents: u64,
    /// Characters (code points).
    pub chars: u64,
    /// Sentences.
    pub sentences: u64,
    /// Tokens by kind.
    pub tokens: BTreeMap<&'static str, u64>,
    /// Words.
    pub words: u64,
    /// Vietnamese syllables by tone.
    pub tones: [u64; 6],
    /// Foreign-looking tokens written with Vietnamese letters or tone marks: misspelled or
    /// broken syllables (`nguòi`, `ngưoi`).
    pub invalid_syllables: u64,
    /// Entities by label.
    pub entities: BTreeMap<&'static str, u64>,
    /// Syllable keys.
    pub syllable_freq: Table,
    /// Word keys.
    pub word_freq: Table,
    /// Word bigrams (keys joined by ` | `), within sentences.
    pub bigrams: Table,
    /// Word trigrams.
    pub trigrams: Table,
}

/// Whether a token that is not a syllable still uses letters only Vietnamese has (`ă ơ ư đ`,
/// the hook above, the dot below, `ĩ ũ`...): a misspelled or broken syllable, not a foreign word
/// such as `café`.
fn looks_vietnamese(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(
            c as u32,
            0x1EA0
                ..=0x1EF9
                    | 0x102
                    | 0x103
                    | 0x110
                    | 0x111
                    | 0x128
                    | 0x129
                    | 0x168
                    | 0x169
                    | 0x1A0
                    | 0x1A1
                    | 0x1AF
                    | 0x1B0
        )
    })
}

/// What one document contributes: counts, and its syllable and word keys, for the frequency
/// tables. Keys are packed in one string each (`\n` after every key; an empty key stands for
/// a sentence end or a word not made of letters), so a document costs two allocations.
#[derive(Clone, Debug, Default)]
pub struct DocStats {
    counts: Stats,
    syllables: String,
    words: String,
}

impl Stats {
    /// What one annotated document contributes; cheap to compute in parallel.
    pub fn of(doc: &Document) -> DocStats {
        let mut s =
            Stats { documents: 1, chars: doc.text().chars().count() as u64, ..Stats::default() };
        s.sentences = doc.sentences().len() as u64;
        let mut syllables = String::new();
        for t in doc.tokens() {
            *s.tokens.entry(t.kind.as_str()).or_default() += 1;
            match t.kind {
                TokenKind::Syllable => {
                    let key = doc.norm(t);
                    if let Some(tone) = tone_of(key) {
                        s.tones[tone as usize] += 1;
                    }
                    syllables.push_str(key);
                    syllables.push('\n');
                }
                TokenKind::Foreign if looks_vietnamese(doc.slice(t.span)) => {
                    s.invalid_syllables += 1
                }
                _ => {}
            }
        }
        s.words = doc.words().len() as u64;
        let mut words = String::new();
        for (_, sw) in doc.words_by_sentence() {
            for w in sw {
                if doc.tokens()[w.tokens.clone()].iter().all(|t| t.kind.is_wordlike()) {
                    for (k, t) in doc.tokens()[w.tokens.clone()].iter().enumerate() {
                        if k > 0 {
                            words.push(' ');
                        }
                        words.push_str(doc.norm(t));
                    }
                }
                words.push('\n');
            }
            words.push('\n'); // n-grams stop at sentence ends
        }
        for e in doc.entities() {
            *s.entities.entry(e.label.as_str()).or_default() += 1;
        }
        DocStats { counts: s, syllables, words }
    }

    /// Adds one document.
    pub fn add(&mut self, d: DocStats) {
        // The tables are kept within bounds as they grow, even inside one long document.
        for (i, syl) in d.syllables.lines().enumerate() {
            self.syllable_freq.add(syl, 1);
            if i % 4096 == 0 {
                self.bound();
            }
        }
        let words: Vec<&str> = d.words.split('\n').collect();
        let mut key = String::new();
        for (i, &a) in words.iter().enumerate() {
            if a.is_empty() {
                continue;
            }
            self.word_freq.add(a, 1);
            if i % 4096 == 0 {
                self.bound();
            }
            let Some(&b) = words.get(i + 1).filter(|b| !b.is_empty()) else { continue };
            key.clear();
            key.push_str(a);
            key.push_str(" | ");
            key.push_str(b);
            self.bigrams.add(&key, 1);
            if let Some(&c) = words.get(i + 2).filter(|c| !c.is_empty()) {
                key.push_str(" | ");
                key.push_str(c);
                self.trigrams.add(&key, 1);
            }
        }
        self.merge(d.counts);
    }

    /// Adds `other`'s counts and tables to `self`.
    pub fn merge(&mut self, other: Stats) {
        self.documents += other.documents;
        self.chars += other.chars;
        self.sentences += other.sentences;
        for (k, v) in other.tokens {
            *self.tokens.entry(k).or_default() += v;
        }
        self.words += other.words;
        for (a, b) in self.tones.iter_mut().zip(other.tones) {
            *a += b;
        }
        self.invalid_syllables += other.invalid_syllables;
        for (k, v) in other.entities {
            *self.entities.entry(k).or_default() += v;
        }
        for (mine, theirs) in [
            (&mut self.syllable_freq, other.syllable_freq),
            (&mut self.word_freq, other.word_freq),
            (&mut self.bigrams, other.bigrams),
            (&mut self.trigrams, other.trigrams),
        ] {
            mine.pruned += theirs.pruned;
            for (k, v) in theirs.iter() {
                mine.add(k, v);
            }
        }
        self.bound();
    }

    /// Keeps the frequency tables within [`TABLE_CAP`] entries together: past it, the largest
    /// drops the entries seen least often until it holds half as many.
    fn bound(&mut self) {
        loop {
            let mut tables = [
                &mut self.syllable_freq,
                &mut self.word_freq,
                &mut self.bigrams,
                &mut self.trigrams,
            ];
            let total: usize = tables.iter().map(|t| t.len()).sum();
            if total <= TABLE_CAP {
                return;
            }
            tables.sort_by_key(|t| std::cmp::Reverse(t.len()));
            let largest = &mut tables[0];
            let keep = largest.len() / 2;
            largest.prune(keep);
        }
    }

    /// Vietnamese syllables.
    pub fn syllables(&self) -> u64 {
        self.tones.iter().sum()
    }

    /// Share of letter tokens that are not Vietnamese syllables.
    pub fn foreign_share(&self) -> f64 {
        let foreign = self.tokens.get("foreign").copied().unwrap_or(0)
            + self.tokens.get("abbreviation").copied().unwrap_or(0);
        let letters = foreign + self.syllables();
        if letters == 0 { 0.0 } else { foreign as f64 / letters as f64 }
    }

    /// Distinct words over words: the type/token ratio.
    pub fn type_token_ratio(&self) -> f64 {
        let tokens: u64 = self.word_freq.iter().map(|(_, n)| n).sum();
        if tokens == 0 { 0.0 } else { self.word_freq.len() as f64 / tokens as f64 }
    }

    /// A serializable report with the `top` most frequent items of each table.
    pub fn report(&self, top: usize) -> Report {
        let entry = |v: Vec<(String, u64)>| {
            v.into_iter().map(|(text, count)| Item { text, count }).collect()
        };
        Report {
            documents: self.documents,
            chars: self.chars,
            sentences: self.sentences,
            tokens: self.tokens.values().sum(),
            tokens_by_kind: self.tokens.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            syllables: self.syllables(),
            words: self.words,
            word_types: self.word_freq.len() as u64,
            type_token_ratio: self.type_token_ratio(),
            foreign_share: self.foreign_share(),
            invalid_syllables: self.invalid_syllables,
            tones: Tone::ALL
                .iter()
                .map(|t| (t.name().to_string(), self.tones[*t as usize]))
                .collect(),
            entities: self.entities.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            top_syllables: entry(self.syllable_freq.top(top)),
            top_words: entry(self.word_freq.top(top)),
            top_bigrams: entry(self.bigrams.top(top)),
            top_trigrams: entry(self.trigrams.top(top)),
            pruned: self.syllable_freq.pruned
                + self.word_freq.pruned
                + self.bigrams.pruned
                + self.trigrams.pruned,
        }
    }
}

/// One row of a frequency list.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Item {
    /// The key (n-grams joined by ` | `).
    pub text: String,
    /// How often it occurs.
    pub count: u64,
}

/// What `vita stats --format json` prints.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    /// Documents.
    pub documents: u64,
    /// Characters.
    pub chars: u64,
    /// Sentences.
    pub sentences: u64,
    /// Tokens.
    pub tokens: u64,
    /// Tokens by kind.
    pub tokens_by_kind: BTreeMap<String, u64>,
    /// Vietnamese syllables.
    pub syllables: u64,
    /// Words.
    pub words: u64,
    /// Distinct word keys (of words made of letters).
    pub word_types: u64,
    /// `word_types` over words made of letters.
    pub type_token_ratio: f64,
    /// Share of letter tokens that are not Vietnamese syllables.
    pub foreign_share: f64,
    /// Tokens with Vietnamese letters that are not well-formed syllables.
    pub invalid_syllables: u64,
    /// Syllables by tone, in the order ngang, huyền, hỏi, ngã, sắc, nặng.
    pub tones: Vec<(String, u64)>,
    /// Entities by label.
    pub entities: BTreeMap<String, u64>,
    /// Most frequent syllables.
    pub top_syllables: Vec<Item>,
    /// Most frequent words.
    pub top_words: Vec<Item>,
    /// Most frequent word bigrams.
    pub top_bigrams: Vec<Item>,
    /// Most frequent word trigrams.
    pub top_trigrams: Vec<Item>,
    /// Rare table entries dropped to bound memory.
    pub pruned: u64,
}

impl Report {
    /// The report as a readable table.
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let row = |s: &mut String, k: &str, v: String| {
            let _ = writeln!(s, "{k:<24} {v:>14}");
        };
        row(&mut s, "documents", self.documents.to_string());
        row(&mut s, "characters", self.chars.to_string());
        row(&mut s, "sentences", self.sentences.to_string());
        row(&mut s, "tokens", self.tokens.to_string());
        for (k, v) in &self.tokens_by_kind {
            row(&mut s, &format!("  {k}"), v.to_string());
        }
        row(&mut s, "syllables (Vietnamese)", self.syllables.to_string());
        row(&mut s, "words", self.words.to_string());
        row(&mut s, "word types", self.word_types.to_string());
        row(&mut s, "type/token ratio", format!("{:.4}", self.type_token_ratio));
        row(&mut s, "non-Vietnamese share", format!("{:.2}%", self.foreign_share * 100.0));
        row(&mut s, "invalid syllables", self.invalid_syllables.to_string());
        let total: u64 = self.tones.iter().map(|t| t.1).sum::<u64>().max(1);
        for (name, n) in &self.tones {
            row(
                &mut s,
                &format!("  tone {name}"),
                format!("{n} ({:.1}%)", 100.0 * *n as f64 / total as f64),
            );
        }
        for (k, v) in &self.entities {
            row(&mut s, &format!("  entities {k}"), v.to_string());
        }
        for (title, items) in [
            ("syllables", &self.top_syllables),
            ("words", &self.top_words),
            ("bigrams", &self.top_bigrams),
            ("trigrams", &self.top_trigrams),
        ] {
            let _ = writeln!(s, "\ntop {title}");
            for (i, it) in items.iter().enumerate() {
                let _ = writeln!(s, "{:>4}. {:<40} {:>10}", i + 1, it.text, it.count);
            }
        }
        if self.pruned > 0 {
            let _ = writeln!(s, "\n({} rare entries pruned to bound memory)", self.pruned);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_merge() {
        let p = crate::Pipeline::new();
        let mut a = Stats::default();
        a.add(Stats::of(&p.annotate("Hà Nội đẹp. Hà Nội lớn.")));
        assert_eq!(a.sentences, 2);
        assert_eq!(a.syllables(), 6);
        assert_eq!(a.word_freq.top(1), vec![("hà nội".to_string(), 2)]);
        assert_eq!(a.bigrams.top(1), vec![("hà nội | lớn".to_string(), 1)]);
        let mut m = a.clone();
        let mut b = Stats::default();
        b.add(Stats::of(&p.annotate("ngưoi café GPT-3")));
        m.merge(b);
        assert_eq!(m.documents, 2);
        assert_eq!(m.invalid_syllables, 1);
        assert!(m.foreign_share() > 0.0);
        let r = m.report(3);
        assert_eq!(r.tones.len(), 6);
        assert!(r.to_table().contains("hà nội"));
    }

    #[test]
    fn tables_are_bounded() {
        // Rare entries (seen once, or all twice: dropping only those seen once did not bound
        // a corpus read twice), and a frequent one that must stay.
        for times in [1, 2] {
            let mut s = Stats::default();
            for i in 0..(TABLE_CAP / 2 + 10) {
                s.bigrams.add(&i.to_string(), times);
                s.trigrams.add(&format!("t{i}"), times);
            }
            s.trigrams.add("x", 5);
            s.syllable_freq.add("a", 3);
            s.bound();
            let total = s.syllable_freq.len() + s.bigrams.len() + s.trigrams.len();
            assert!(total <= TABLE_CAP, "{total}");
            assert!(s.trigrams.pruned > 0 && s.bigrams.pruned == 0, "the largest is pruned");
            assert_eq!(s.trigrams.top(1), vec![("x".to_string(), 5)]);
            assert_eq!(s.syllable_freq.top(1), vec![("a".to_string(), 3)]);
            assert!(s.report(1).to_table().contains("rare entries pruned"));
        }
    }
}
