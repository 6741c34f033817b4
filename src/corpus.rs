//! The corpus driver: documents in, results out, in input order, in parallel.
//!
//! Documents are read lazily and processed in batches (at most [`BATCH_BYTES`] of text or
//! [`BATCH_DOCS`] documents): each batch is mapped in parallel with rayon while the results of
//! the one before are consumed in input order. Memory is bounded by two batches (a 1 GB JSON
//! Lines file annotates in under 100 MB), results are identical for any number of threads, and
//! an error takes the place of its document without stopping the run.

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
/// in their place.
///
/// # Errors
/// The first error `sink` returns (for instance a closed output pipe), which stops the run.
pub fn map_in_order<I, T, M, S>(
    docs: I,
    threads: usize,
    report: &mut dyn FnMut(&Error),
    map: M,
    mut sink: S,
) -> io::Result<RunSummary>
where
    I: Iterator<Item = Result<InputDoc, Error>>,
    T: Send,
    M: Fn(&InputDoc) -> T + Sync,
    S: FnMut(&InputDoc, T, &rayon::ThreadPool) -> io::Result<()>,
{
    // A pool even for one thread: the pipeline shares a long document among the threads of
    // the pool it runs in, and `-j 1` must mean one.
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(io::Error::other)?;
    let mut summary = RunSummary::default();
    let mut docs = docs.peekable();
    // While the pool maps one batch, this thread hands the previous one to the sink: two
    // batches in flight at most.
    let mut prev: Option<(Batch, Vec<Option<T>>)> = None;
    loop {
        let mut batch: Batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < BATCH_DOCS && bytes < BATCH_BYTES {
            let Some(d) = docs.next() else { break };
            if let Ok(d) = &d {
                bytes += d.text.len();
            }
            batch.push(d);
        }
        let mut results: Vec<Option<T>> = Vec::new();
        let mut written = Ok(());
        pool.in_place_scope(|scope| {
            if !batch.is_empty() {
                let (batch, results, map) = (&batch, &mut results, &map);
                scope.spawn(move |_| {
                    *results = batch.par_iter().map(|d| d.as_ref().ok().map(map)).collect();
                });
            }
            if let Some((b, r)) = prev.take() {
                written = hand_over(b, r, &mut summary, report, &mut |d, t| sink(d, t, &pool));
            }
        });
        written?;
        if batch.is_empty() {
            break;
        }
        prev = Some((batch, results));
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
                summary.bytes += doc.text.len();
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
