//! The corpus driver: documents in, results out, in input order, in parallel.
//!
//! Documents are read lazily and processed in batches (at most [`BATCH_BYTES`] of text or
//! [`BATCH_DOCS`] documents): each batch is mapped in parallel with rayon while the results of
//! the one before are consumed in input order and the next is read. Memory is bounded by three
//! batches, two with their results (a 1 GB JSON Lines file annotates in about 110 MB), results
//! are identical for any number of threads, and an error takes the place of its document
//! without stopping the run.

use crate::error::Error;
use crate::input::InputDoc;
use rayon::prelude::*;
use std::io::{self, Write};

/// Most text bytes held in one batch.
pub const BATCH_BYTES: usize = 1 << 20;
/// Most documents held in one batch.
pub const BATCH_DOCS: usize = 4096;

/// Documents read together (an input that failed takes its document's place).
type Batch = Vec<Result<InputDoc, Error>>;

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Documents processed.
    pub documents: usize,
    /// Bytes of text processed.
    pub bytes: usize,
    /// Inputs that failed (unreadable, not UTF-8, bad JSON).
    pub failed: usize,
}

/// Maps every document of `docs` with `map` (in parallel, `threads` workers, 0 for all cores)
/// and hands the results to `sink` in input order, with the pool (for work the sink shares
/// among its threads, such as writing a huge record in pieces). Failed inputs go to `report`
/// in their place. `map` may take the document's text (a [`crate::Document`] keeps it, so a
/// long document is not copied before its work can be shared); its length stays in
/// [`InputDoc::bytes`].
///
/// # Errors
/// The first error `sink` returns (for instance a closed output pipe), which stops the run.
pub fn map_in_order<I, T, M, S>(
    mut docs: I,
    threads: usize,
    report: &mut dyn FnMut(&Error),
    map: M,
    mut sink: S,
) -> io::Result<RunSummary>
where
    I: Iterator<Item = Result<InputDoc, Error>>,
    T: Send,
    M: Fn(&mut InputDoc) -> T + Sync,
    S: FnMut(&InputDoc, T, &rayon::ThreadPool) -> io::Result<()>,
{
    let mut next_batch = || {
        let mut batch: Batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < BATCH_DOCS && bytes < BATCH_BYTES {
            let Some(d) = docs.next() else { break };
            if let Ok(d) = &d {
                bytes += d.text.len();
            }
            batch.push(d);
        }
        batch
    };
    // The first batch is read before the pool starts: its idle workers would otherwise spin
    // on the cores the reading (and the parsing of the models beside it) needs.
    let mut batch = next_batch();
    // A pool even for one thread: the pipeline shares a long document among the threads of
    // the pool it runs in, and `-j 1` must mean one.
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(io::Error::other)?;
    let mut summary = RunSummary::default();
    // While the pool maps one batch, this thread hands the previous one to the sink, then
    // reads the next (reading and parsing JSON Lines is a tenth of the work on short
    // documents; the workers no longer wait for it): three batches in flight at most, one of
    // them without results yet.
    let mut prev: Option<(Batch, Vec<Option<T>>)> = None;
    loop {
        let mut results: Vec<Option<T>> = Vec::new();
        let mut next = Batch::new();
        let mut written = Ok(());
        let more = !batch.is_empty();
        pool.in_place_scope(|scope| {
            if more {
                let (batch, results, map) = (&mut batch, &mut results, &map);
                scope.spawn(move |_| {
                    *results = batch.par_iter_mut().map(|d| d.as_mut().ok().map(map)).collect();
                });
            }
            if let Some((b, r)) = prev.take() {
                written = hand_over(b, r, &mut summary, report, &mut |d, t| sink(d, t, &pool));
            }
            if more && written.is_ok() {
                next = next_batch();
            }
        });
        written?;
        if !more {
            break;
        }
        prev = Some((std::mem::replace(&mut batch, next), results));
    }
    Ok(summary)
}

/// Gives the results of a batch to `sink` in input order, and its failed inputs to `report`.
fn hand_over<T>(
    batch: Batch,
    results: Vec<Option<T>>,
    summary: &mut RunSummary,
    report: &mut dyn FnMut(&Error),
    sink: &mut impl FnMut(&InputDoc, T) -> io::Result<()>,
) -> io::Result<()> {
    for (d, r) in batch.iter().zip(results) {
        match (d, r) {
            (Ok(doc), Some(r)) => {
                summary.documents += 1;
                summary.bytes += doc.bytes;
                sink(doc, r)?;
            }
            (Err(e), _) => {
                summary.failed += 1;
                report(e);
            }
            (Ok(_), None) => unreachable!("every document is mapped"),
        }
    }
    Ok(())
}

/// Runs `format` over every document of `docs`, writing to `out` in input order and reporting
/// each failed input through `report`.
///
/// # Errors
/// Only a failure to write `out` (a closed pipe shows up here as `BrokenPipe`).
pub fn run<I, F>(
    docs: I,
    threads: usize,
    out: &mut dyn Write,
    report: &mut dyn FnMut(&Error),
    format: F,
) -> io::Result<RunSummary>
where
    I: Iterator<Item = Result<InputDoc, Error>>,
    F: Fn(&InputDoc, &mut Vec<u8>) + Sync,
{
    let summary = map_in_order(
        docs,
        threads,
        report,
        |doc| {
            let mut buf = Vec::new();
            format(doc, &mut buf);
            buf
        },
        |_, buf, _| out.write_all(&buf),
    )?;
    out.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map may take the texts: the summary still counts their bytes, the sink sees the
    /// documents in input order, and a failed input is reported in its place.
    #[test]
    fn maps_that_take_the_text_keep_order_and_counts() {
        let docs: Vec<Result<InputDoc, Error>> = (0..5000)
            .map(|i| {
                if i == 7 {
                    return Err(Error::resource("bad", None, "unreadable"));
                }
                let text = format!("văn bản {i}");
                Ok(InputDoc { id: i.to_string(), bytes: text.len(), read: text.len(), text })
            })
            .collect();
        let want: usize = docs.iter().flatten().map(|d| d.text.len()).sum();
        let mut seen = Vec::new();
        let mut failed = 0;
        let summary = map_in_order(
            docs.into_iter(),
            2,
            &mut |_| failed += 1,
            |doc| std::mem::take(&mut doc.text),
            |doc, text, _| {
                assert!(doc.text.is_empty(), "the map took it");
                assert_eq!(text.len(), doc.bytes);
                seen.push(doc.id.parse::<usize>().unwrap());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(summary.bytes, want);
        assert_eq!((summary.documents, summary.failed, failed), (4999, 1, 1));
        assert!(seen.windows(2).all(|w| w[0] < w[1]) && seen.len() == 4999);
    }
}
