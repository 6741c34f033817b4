//! The one error type of the library: only I/O and resource loading can fail.

use std::fmt;
use std::path::PathBuf;

/// An error from reading input or loading a resource. Analysis itself never fails.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file or directory could not be read.
    Io {
        /// The path, as the user gave it.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not valid UTF-8.
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
        /// The legacy encoding the bytes read as, if one fits.
        hint: Option<crate::legacy::Encoding>,
    },
    /// Text in a legacy encoding read as Unicode: mojibake such as `Vieät` (VNI) or `ViÖt`
    /// (TCVN3), or VIQR, found where Unicode was expected. The document is skipped.
    Mojibake {
        /// The file, or `file#line` in JSON Lines.
        path: PathBuf,
        /// The encoding the text reads as.
        encoding: crate::legacy::Encoding,
    },
    /// A file looks binary (it holds NUL bytes).
    Binary {
        /// The file.
        path: PathBuf,
    },
    /// A line of a JSON Lines input is not a `{"text": ...}` object.
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// A resource (model, dictionary) could not be parsed.
    Resource {
        /// Name or path of the resource.
        name: String,
        /// 1-based line, when it applies.
        line: Option<usize>,
        /// What is wrong.
        msg: String,
    },
}

impl Error {
    /// Wraps a kind.
    pub fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
    /// A resource error.
    pub(crate) fn resource(name: &str, line: Option<usize>, msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Resource { name: name.to_string(), line, msg: msg.into() })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            ErrorKind::NotUtf8 { path, offset, hint: None } => {
                write!(f, "{}: not UTF-8 (byte offset {offset})", path.display())
            }
            ErrorKind::NotUtf8 { path, offset, hint: Some(enc) } => write!(
                f,
                "{}: not UTF-8, looks like {enc} text: read it with --from {} (byte offset {offset})",
                path.display(),
                enc.name()
            ),
            ErrorKind::Mojibake { path, encoding } => write!(
                f,
                "{}: looks like {encoding} text read as Unicode (mojibake), skipped: read it with \
                 --from {} or --from auto",
                path.display(),
                encoding.name()
            ),
            ErrorKind::Binary { path } => {
                write!(f, "{}: binary file (NUL byte), skipped", path.display())
            }
            ErrorKind::Json { path, line, msg } => {
                write!(f, "{}:{line}: {msg}", path.display())
            }
            ErrorKind::Resource { name, line: Some(line), msg } => {
                write!(f, "{name}:{line}: {msg}")
            }
            ErrorKind::Resource { name, line: None, msg } => write!(f, "{name}: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;
