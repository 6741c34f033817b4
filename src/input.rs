//! Reading documents: files, directories, standard input, plain text or JSON Lines.
//!
//! Input is read lazily, one document at a time, so a corpus of any size streams through. A
//! file that cannot be read yields an error *in its place* in the sequence, and the documents
//! after it still come.

use crate::error::{Error, ErrorKind, Result};
use crate::legacy::{self, Encoding};
use std::collections::HashSet;
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::string::FromUtf8Error;

/// One input document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDoc {
    /// Where it came from: the path, `path#N` for line N of a JSON Lines file, `<stdin>`.
    pub id: String,
    /// The text, as read (a map of [`crate::corpus::map_in_order`] may take it).
    pub text: String,
    /// The length of the text as read, in bytes.
    pub bytes: usize,
    /// The bytes of input it took: its file, or its line of a JSON Lines file (with the line
    /// break), and the inputs before it that gave no document (blank lines, failed records and
    /// files). What a progress bar over the input's size counts: it differs from
    /// [`InputDoc::bytes`] for JSON Lines (escapes, ids) and converted legacy encodings.
    pub read: usize,
}

/// How to read the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputFormat {
    /// JSON Lines for `*.jsonl` files, plain text otherwise (and for standard input).
    #[default]
    Auto,
    /// One document per file.
    Text,
    /// One `{"id": ..., "text": ...}` object per line.
    Jsonl,
}

/// The character encoding of the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum From {
    /// UTF-8; text that looks like a legacy encoding read as Unicode (mojibake) is reported
    /// and skipped.
    #[default]
    Check,
    /// This encoding ([`Encoding::Unicode`]: UTF-8, taken as it is).
    Encoding(Encoding),
    /// Whichever encoding [`legacy::detect`] finds, for each document.
    Auto,
}

/// Options for [`Documents`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// The input format.
    pub format: InputFormat,
    /// Decode invalid UTF-8 as U+FFFD instead of reporting the file.
    pub lossy: bool,
    /// The character encoding.
    pub from: From,
}

const EXTENSIONS: &[&str] = &["txt", "md", "jsonl"];

fn io_err(path: &Path, source: io::Error) -> Error {
    Error::new(ErrorKind::Io { path: path.to_path_buf(), source })
}

/// Expands the paths a user gave into files: directories recursively (files ending in `.txt`,
/// `.md` or `.jsonl`, in sorted order), `-` for standard input. No paths means standard input.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf>> {
    let mut out = Vec::new();
    if paths.is_empty() {
        out.push(Ok(PathBuf::from("-")));
    }
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Ok(p.clone()));
            continue;
        }
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut seen = HashSet::new();
                walk(p, &mut seen, &mut out);
            }
            Ok(_) => out.push(Ok(p.clone())),
            Err(e) => out.push(Err(io_err(p, e))),
        }
    }
    out
}

fn walk(dir: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<Result<PathBuf>>) {
    match fs::canonicalize(dir) {
        Ok(real) => {
            if !seen.insert(real) {
                out.push(Err(io_err(
                    dir,
                    io::Error::other("directory visited twice (symlink loop), skipped"),
                )));
                return;
            }
        }
        Err(e) => {
            out.push(Err(io_err(dir, e)));
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            out.push(Err(io_err(dir, e)));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => paths.push(e.path()),
            Err(e) => out.push(Err(io_err(dir, e))),
        }
    }
    paths.sort();
    for p in paths {
        match fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, seen, out),
            Ok(_) => {
                let wanted =
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e));
                if wanted {
                    out.push(Ok(p));
                }
            }
            Err(e) => out.push(Err(io_err(&p, e))),
        }
    }
}

/// Decodes bytes read from `path`: UTF-8 (a leading BOM is kept in the text, as it is part of
/// the original), U+FFFD for invalid sequences when `lossy`, an error naming the first bad
/// byte otherwise. Text with NUL bytes is reported as binary.
///
/// # Errors
/// [`ErrorKind::NotUtf8`] or [`ErrorKind::Binary`].
pub fn decode(bytes: Vec<u8>, path: &Path, lossy: bool) -> Result<String> {
    decode_from(bytes, path, lossy, From::Encoding(Encoding::Unicode))
}

/// Decodes bytes read from `path` as `from` says: like [`decode`], and for a legacy encoding
/// (given, or detected with [`From::Auto`]) converted to Unicode. With [`From::Check`], text
/// that reads as a legacy encoding is an error.
///
/// # Errors
/// [`ErrorKind::NotUtf8`] (naming a legacy encoding that fits, if one does),
/// [`ErrorKind::Binary`] or [`ErrorKind::Mojibake`].
pub fn decode_from(bytes: Vec<u8>, path: &Path, lossy: bool, from: From) -> Result<String> {
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(Error::new(ErrorKind::Binary { path: path.to_path_buf() }));
    }
    let enc = match from {
        From::Encoding(e) => e,
        From::Auto => legacy::detect_bytes(&bytes).encoding,
        From::Check => Encoding::Unicode,
    };
    if enc != Encoding::Unicode {
        return Ok(legacy::decode(&bytes, enc));
    }
    let text = match utf8(bytes) {
        Ok(s) => s,
        Err(e) if lossy => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        Err(e) => {
            let d = legacy::detect_bytes(e.as_bytes());
            return Err(Error::new(ErrorKind::NotUtf8 {
                path: path.to_path_buf(),
                offset: e.utf8_error().valid_up_to(),
                hint: (d.encoding != Encoding::Unicode).then_some(d.encoding),
            }));
        }
    };
    convert_text(text, path, from)
}

/// `String::from_utf8`, with the check made by `simdutf8`: the standard library checks
/// Vietnamese text (two- and three-byte letters between ASCII ones) at about 250 MB/s here,
/// 21 ms for the benchmark file, spent before any thread can start on it; `simdutf8` takes
/// 1.3 ms. Invalid bytes go through the standard library for its error (where they start).
#[allow(unsafe_code)]
fn utf8(bytes: Vec<u8>) -> std::result::Result<String, FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: `simdutf8` has just checked that `bytes` is UTF-8.
        Ok(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        String::from_utf8(bytes)
    }
}

/// Applies `from` to text that is already Unicode (a JSON Lines `text`, a decoded file).
fn convert_text(text: String, path: &Path, from: From) -> Result<String> {
    match from {
        From::Encoding(Encoding::Unicode) => Ok(text),
        From::Encoding(e) => Ok(legacy::convert(&text, e)),
        From::Auto => match legacy::detect(&text).encoding {
            Encoding::Unicode => Ok(text),
            e => Ok(legacy::convert(&text, e)),
        },
        From::Check => match legacy::mojibake(&text) {
            None => Ok(text),
            Some(d) => Err(Error::new(ErrorKind::Mojibake {
                path: path.to_path_buf(),
                encoding: d.encoding,
            })),
        },
    }
}

/// A JSON Lines line that is not UTF-8, converted from the legacy encoding `from` names or
/// detects (JSON's own characters are ASCII, so the whole line converts at once).
fn legacy_line(raw: &[u8], from: From) -> Option<String> {
    let enc = match from {
        From::Encoding(Encoding::Unicode) | From::Check => return None,
        From::Encoding(e) => e,
        From::Auto => legacy::detect_bytes(raw).encoding,
    };
    (enc != Encoding::Unicode).then(|| legacy::decode(raw, enc))
}

#[derive(serde::Deserialize)]
struct JsonDoc {
    #[serde(default)]
    id: Option<serde_json::Value>,
    text: String,
}

struct JsonlState {
    reader: Box<dyn BufRead + Send>,
    path: PathBuf,
    line: usize,
    offset: usize,
    buf: Vec<u8>,
}

/// The documents of a list of paths, read lazily in order.
pub struct Documents {
    paths: std::vec::IntoIter<Result<PathBuf>>,
    opts: ReadOptions,
    jsonl: Option<JsonlState>,
    stdin: Option<StdinAs>,
    /// Bytes of input taken since the last document (see [`InputDoc::read`]): every read adds
    /// to it, and the next document read takes it all.
    pending: usize,
}

/// What standard input (`-`) is read as, the first time it is opened.
enum StdinAs {
    /// Standard input, copied to a file as it is read.
    Copied(fs::File),
    /// The copy of standard input, read from its start.
    Replayed(fs::File),
}

/// Standard input, copied as it is read.
struct Tee {
    from: io::Stdin,
    copy: fs::File,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.from.read(buf)?;
        io::Write::write_all(&mut self.copy, &buf[..n])?;
        Ok(n)
    }
}

impl Documents {
    /// Reads the documents of `paths` (see [`expand`]).
    pub fn new(paths: &[PathBuf], opts: ReadOptions) -> Documents {
        Documents { paths: expand(paths).into_iter(), opts, jsonl: None, stdin: None, pending: 0 }
    }

    /// Copies standard input to `copy` as it is read, for a second pass over the same input
    /// ([`Documents::stdin_from`]).
    pub fn copy_stdin_to(mut self, copy: fs::File) -> Documents {
        self.stdin = Some(StdinAs::Copied(copy));
        self
    }

    /// Reads standard input from `copy`, from its start (a copy made by
    /// [`Documents::copy_stdin_to`]); the documents keep standard input's ids.
    pub fn stdin_from(mut self, copy: fs::File) -> Documents {
        self.stdin = Some(StdinAs::Replayed(copy));
        self
    }

    fn next_jsonl(&mut self) -> Option<Result<InputDoc>> {
        let st = self.jsonl.as_mut()?;
        loop {
            st.buf.clear();
            let line_start = st.offset;
            match st.reader.read_until(b'\n', &mut st.buf) {
                Ok(0) => {
                    self.jsonl = None;
                    return None;
                }
                Ok(n) => {
                    st.offset += n;
                    st.line += 1;
                    self.pending += n;
                }
                Err(e) => {
                    let err = io_err(&st.path, e);
                    self.jsonl = None;
                    return Some(Err(err));
                }
            }
            let raw = std::mem::take(&mut st.buf);
            // Legacy bytes inside the line: JSON's own characters are ASCII, so the whole line
            // converts at once.
            let from = self.opts.from;
            let mut converted = false;
            let line = match utf8(raw) {
                Ok(s) => s,
                Err(e) => match legacy_line(e.as_bytes(), from) {
                    Some(s) => {
                        converted = true;
                        s
                    }
                    None if self.opts.lossy => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    None => {
                        let offset = line_start + e.utf8_error().valid_up_to();
                        return Some(Err(Error::new(ErrorKind::NotUtf8 {
                            path: st.path.clone(),
                            offset,
                            hint: None,
                        })));
                    }
                },
            };
            if line.trim().is_empty() {
                continue;
            }
            let default_id = format!("{}#{}", st.path.display(), st.line);
            return Some(match serde_json::from_str::<JsonDoc>(&line) {
                Ok(d) => {
                    let id = match d.id {
                        None | Some(serde_json::Value::Null) => default_id.clone(),
                        Some(serde_json::Value::String(s)) => s,
                        Some(v) => v.to_string(),
                    };
                    let text = if converted {
                        Ok(d.text)
                    } else {
                        convert_text(d.text, Path::new(&default_id), from)
                    };
                    text.map(|text| InputDoc { id, bytes: text.len(), read: 0, text })
                }
                Err(e) => Err(Error::new(ErrorKind::Json {
                    path: st.path.clone(),
                    line: st.line,
                    msg: format!("not a {{\"text\": ...}} object: {e}"),
                })),
            });
        }
    }

    fn open(&mut self, path: PathBuf) -> Option<Result<InputDoc>> {
        let stdin = path.as_os_str() == "-";
        let display = if stdin { PathBuf::from("<stdin>") } else { path.clone() };
        let jsonl = match self.opts.format {
            InputFormat::Jsonl => true,
            InputFormat::Text => false,
            InputFormat::Auto => path.extension().is_some_and(|e| e == "jsonl"),
        };
        // Standard input is read once: a second `-` finds it at its end, whether it is read or
        // replayed.
        let reader: Box<dyn Read + Send> = if stdin {
            match self.stdin.take() {
                None => Box::new(io::stdin()),
                Some(StdinAs::Copied(copy)) => Box::new(Tee { from: io::stdin(), copy }),
                Some(StdinAs::Replayed(mut f)) => match io::Seek::rewind(&mut f) {
                    Ok(()) => Box::new(f),
                    Err(e) => return Some(Err(io_err(&display, e))),
                },
            }
        } else {
            match fs::File::open(&path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    self.pending += file_len(&path);
                    return Some(Err(io_err(&path, e)));
                }
            }
        };
        if jsonl {
            self.jsonl = Some(JsonlState {
                reader: Box::new(BufReader::with_capacity(1 << 16, reader)),
                path: display,
                line: 0,
                offset: 0,
                buf: Vec::new(),
            });
            return self.next_jsonl();
        }
        let mut bytes = Vec::new();
        let mut reader = reader;
        if let Err(e) = reader.read_to_end(&mut bytes) {
            self.pending += if stdin { bytes.len() } else { file_len(&path) };
            return Some(Err(io_err(&display, e)));
        }
        self.pending += bytes.len();
        Some(decode_from(bytes, &display, self.opts.lossy, self.opts.from).map(|text| InputDoc {
            id: display.display().to_string(),
            bytes: text.len(),
            read: 0,
            text,
        }))
    }
}

impl Documents {
    fn next_item(&mut self) -> Option<Result<InputDoc>> {
        loop {
            if self.jsonl.is_some()
                && let Some(item) = self.next_jsonl()
            {
                return Some(item);
            }
            match self.paths.next()? {
                Err(e) => return Some(Err(e)),
                Ok(p) => {
                    if let Some(item) = self.open(p) {
                        return Some(item);
                    }
                }
            }
        }
    }
}

/// The size of the file at `path`, 0 if it cannot be known.
fn file_len(path: &Path) -> usize {
    fs::metadata(path).map_or(0, |m| m.len() as usize)
}

impl Iterator for Documents {
    type Item = Result<InputDoc>;

    fn next(&mut self) -> Option<Result<InputDoc>> {
        let mut item = self.next_item()?;
        if let Ok(doc) = &mut item {
            doc.read = std::mem::take(&mut self.pending);
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_count_the_input_they_took() {
        let tmp = tempfile::Builder::new().prefix("vita-read-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        // Escapes, ids and blank lines make a JSON Lines file longer than its texts; a
        // converted legacy file has other bytes than its text. A failed record, blank lines
        // at the end of a file and a failed file count with the document after them.
        let jsonl = "{\"id\": \"a\", \"text\": \"H\\u00e0 N\\u1ed9i\\n\"}\n\n  \n{\"txt\": 1}\n{\"text\": \"\\\"x\\\"\"}\n\n\n";
        fs::write(dir.join("a.jsonl"), jsonl).unwrap();
        fs::write(dir.join("ab.txt"), b"binary\0file").unwrap();
        fs::write(dir.join("b.txt"), "Hà Nội là thủ đô.\n").unwrap();
        let vni = crate::legacy::encode("Hà Nội là thủ đô của Việt Nam.", Encoding::Vni);
        fs::write(dir.join("c.txt"), &vni).unwrap();
        let opts = ReadOptions { from: From::Auto, ..ReadOptions::default() };
        let (docs, failed): (Vec<_>, Vec<_>) =
            Documents::new(std::slice::from_ref(&dir), opts).partition(Result::is_ok);
        assert_eq!(failed.len(), 2);
        let docs: Vec<InputDoc> = docs.into_iter().map(Result::unwrap).collect();
        assert_eq!(docs.len(), 4);
        let on_disk: usize = ["a.jsonl", "ab.txt", "b.txt", "c.txt"]
            .iter()
            .map(|f| fs::metadata(dir.join(f)).unwrap().len() as usize)
            .sum();
        assert_eq!(docs.iter().map(|d| d.read).sum::<usize>(), on_disk);
        assert!(docs.iter().all(|d| d.bytes == d.text.len()));
        assert!(docs.iter().map(|d| d.bytes).sum::<usize>() < on_disk);
    }

    #[test]
    fn decode_reports_first_bad_byte() {
        let e = decode(b"ab\xffcd".to_vec(), Path::new("x.txt"), false).unwrap_err();
        assert_eq!(e.to_string(), "x.txt: not UTF-8 (byte offset 2)");
        assert_eq!(decode(b"ab\xffcd".to_vec(), Path::new("x"), true).unwrap(), "ab\u{FFFD}cd");
        assert!(matches!(
            decode(b"a\0b".to_vec(), Path::new("x"), false).unwrap_err().kind(),
            ErrorKind::Binary { .. }
        ));
    }

    #[test]
    fn utf8_check_agrees_with_the_standard_library() {
        let vietnamese = "Hà Nội là thủ đô. ".repeat(5000).into_bytes();
        let mut cases: Vec<Vec<u8>> = vec![
            vietnamese.clone(),
            b"ab\xffcd".to_vec(),
            b"\xe1\xba".to_vec(),
            b"\xed\xa0\x80".to_vec(),
            b"\xf4\x90\x80\x80".to_vec(),
            Vec::new(),
        ];
        // A character cut off at every place of a long text, and a stray byte inside it.
        for cut in [1, 2, 7, 64, 4097, vietnamese.len() - 1] {
            cases.push(vietnamese[..cut].to_vec());
            let mut v = vietnamese.clone();
            v[cut] = 0x80;
            cases.push(v);
        }
        for bytes in cases {
            let ours = utf8(bytes.clone()).map_err(|e| e.utf8_error());
            let std = String::from_utf8(bytes).map_err(|e| e.utf8_error());
            assert_eq!(ours, std);
        }
    }
}
