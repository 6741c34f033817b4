//! The corpus driver: documents in, formatted output out, in input order, in parallel.
//!
//! Documents are read lazily and processed in batches (at most [`BATCH_BYTES`] of text or
//! [`BATCH_DOCS`] documents): each batch is formatted in parallel with rayon into one buffer per
//! document, then written in input order. Memory is bounded by the batch, output is identical
//! for any number of threads, and an error takes the place of its document without stopping the
//! run.

use crate::error::Error;
use crate::input::InputDoc;
use rayon::prelude::*;
use std::io::{self, Write};

/// Most text bytes held in one batch.
pub const BATCH_BYTES: usize = 16 << 20;
/// Most documents held in one batch.
pub const BATCH_DOCS: usize = 4096;

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

/// Runs `format` over every document of `docs`, writing to `out` in input order and reporting
/// each failed input through `report`.
///
/// `threads == 1` runs on the calling thread; otherwise a rayon pool of that many threads
/// (0: all cores) formats each batch.
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
    let pool = if threads == 1 {
        None
    } else {
        Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(io::Error::other)?,
        )
    };
    let mut summary = RunSummary::default();
    let mut batch: Vec<Result<InputDoc, Error>> = Vec::new();
    let mut batch_bytes = 0;
    let mut docs = docs.peekable();
    while docs.peek().is_some() {
        batch.clear();
        batch_bytes = 0;
        while batch.len() < BATCH_DOCS && batch_bytes < BATCH_BYTES {
            let Some(d) = docs.next() else { break };
            if let Ok(d) = &d {
                batch_bytes += d.text.len();
            }
            batch.push(d);
        }
        let render = |d: &Result<InputDoc, Error>| -> Vec<u8> {
            let mut buf = Vec::new();
            if let Ok(doc) = d {
                format(doc, &mut buf);
            }
            buf
        };
        let rendered: Vec<Vec<u8>> = match &pool {
            None => batch.iter().map(render).collect(),
            Some(pool) => pool.install(|| batch.par_iter().map(render).collect()),
        };
        for (d, buf) in batch.iter().zip(rendered) {
            match d {
                Ok(doc) => {
                    summary.documents += 1;
                    summary.bytes += doc.text.len();
                    out.write_all(&buf)?;
                }
                Err(e) => {
                    summary.failed += 1;
                    out.flush()?;
                    report(e);
                }
            }
        }
    }
    let _ = batch_bytes;
    out.flush()?;
    Ok(summary)
}
