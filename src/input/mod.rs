//! Input: where the bytes come from. A regular file is memory-mapped; stdin (`-`), pipes
//! and devices are read in bounded chunks. UTF-16 (with BOM) is transcoded to UTF-8 by
//! [`decode`]; UTF-8 — valid or not — passes through untouched.

pub mod decode;
pub mod guard;
pub mod unpack;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Chunk size for streamed reads.
pub const CHUNK: usize = 256 * 1024;

/// An input error, always naming the input.
#[derive(Debug)]
pub struct InputError {
    /// The input's display name (`-` shows as `<stdin>`).
    pub name: String,
    /// What went wrong, in a few words.
    pub what: String,
    /// The underlying I/O error, if any.
    pub source: Option<io::Error>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(e) => write!(f, "{}: {}: {}", self.name, self.what, e),
            None => write!(f, "{}: {}", self.name, self.what),
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// Make an error for input `name`.
    pub fn new(name: &str, what: impl Into<String>, source: Option<io::Error>) -> Self {
        InputError {
            name: name.to_string(),
            what: what.into(),
            source,
        }
    }
}

/// A memory-mapped regular file, guarded against shrinking while it is read (see
/// [`guard`]): it reads as its bytes.
pub struct Mapped {
    // Declared first, so dropped first: the guard goes before the map does.
    _guard: guard::Guard,
    map: memmap2::Mmap,
}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}

/// The bytes of an input.
pub enum Data {
    /// A memory-mapped regular file.
    Mapped(Mapped),
    /// Bytes held in memory (an empty file, a transcoded file, an archive member).
    Owned(Vec<u8>),
    /// A stream read in chunks (stdin, a pipe, a device).
    Stream(Box<dyn Read + Send>),
}

/// An opened input.
pub struct Input {
    /// Display name used in every message about this input.
    pub name: String,
    /// The bytes.
    pub data: Data,
    /// The encoding detected at the start of the input.
    pub encoding: decode::Encoding,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// Display name for a path argument.
pub fn display_name(arg: &str) -> String {
    if arg == "-" {
        "<stdin>".to_string()
    } else {
        arg.to_string()
    }
}

/// Open `arg`: a path, or `-` for stdin.
pub fn open(arg: &str) -> Result<Input, InputError> {
    if arg == "-" {
        return Ok(open_stream("<stdin>", Box::new(io::stdin())));
    }
    let (path, member) = split_member(arg);
    let inp = open_path(path)?;
    let name = arg.to_string();
    let bytes = match &inp.data {
        Data::Stream(_) => {
            let Data::Stream(r) = inp.data else {
                unreachable!()
            };
            return Ok(open_stream(&name, r));
        }
        _ => inp.as_slice().unwrap_or(&[]),
    };
    match unpack::unpack(bytes, member) {
        Ok(None) => Ok(Input { name, ..inp }),
        Ok(Some(log)) => Ok(from_bytes(&name, log)),
        Err(what) => Err(InputError::new(&name, what, None)),
    }
}

/// `a.zip!member` names a member of an archive, when `a.zip!member` itself is no file.
fn split_member(arg: &str) -> (&Path, Option<&str>) {
    let whole = Path::new(arg);
    if whole.exists() {
        return (whole, None);
    }
    match arg.rsplit_once('!') {
        Some((file, member)) if !member.is_empty() && Path::new(file).is_file() => {
            (Path::new(file), Some(member))
        }
        _ => (whole, None),
    }
}

/// A stream that a command reads as one log: gzip is inflated as it streams (so `capture`
/// keeps up with a compressed pipe); a zip is read whole and its one log taken out.
fn open_stream(name: &str, mut reader: Box<dyn Read + Send>) -> Input {
    let mut head = [0u8; 4];
    let got = read_head(&mut reader, &mut head);
    let chained = io::Cursor::new(head[..got].to_vec()).chain(reader);
    match unpack::Kind::detect(&head[..got]) {
        unpack::Kind::Gzip => {
            let gz = flate2::read::MultiGzDecoder::new(chained);
            from_reader(name, Box::new(gz))
        }
        unpack::Kind::Zip => {
            let mut all = Vec::new();
            let mut chained = chained;
            if let Err(e) = chained.read_to_end(&mut all) {
                return from_reader(name, Box::new(ErrReader(Some(e))));
            }
            match unpack::unpack(&all, None) {
                Ok(Some(log)) => from_bytes(name, log),
                Ok(None) => from_bytes(name, all),
                Err(what) => from_reader(name, Box::new(ErrReader(Some(io::Error::other(what))))),
            }
        }
        _ => from_reader(name, Box::new(chained)),
    }
}

/// A reader that fails once with its error (so that a stream's error is reported by the
/// read that would have met it, with the input's name).
struct ErrReader(Option<io::Error>);

impl Read for ErrReader {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

fn read_head(reader: &mut dyn Read, head: &mut [u8]) -> usize {
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Leave the error for the real read to report, with the input's name.
            Err(_) => break,
        }
    }
    got
}

/// Open a path.
pub fn open_path(path: &Path) -> Result<Input, InputError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        let what = match e.kind() {
            io::ErrorKind::NotFound => "no such file",
            io::ErrorKind::PermissionDenied => "permission denied",
            _ => "cannot open",
        };
        InputError::new(&name, what, Some(e))
    })?;
    if meta.is_dir() {
        return Err(InputError::new(
            &name,
            "is a directory, expected a log file",
            None,
        ));
    }
    let file = File::open(path).map_err(|e| {
        let what = if e.kind() == io::ErrorKind::PermissionDenied {
            "permission denied"
        } else {
            "cannot open"
        };
        InputError::new(&name, what, Some(e))
    })?;
    if !meta.is_file() {
        // A pipe, a device (/dev/null), a socket: stream it.
        return Ok(from_reader(&name, Box::new(file)));
    }
    if meta.len() == 0 {
        return Ok(from_bytes(&name, Vec::new()));
    }
    // SAFETY: the map is read-only. If another process truncates the file while we read it,
    // touching a page past its new end raises SIGBUS: the guard turns that into an error
    // naming the file (exit 2) instead of death by a signal.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }
        .map_err(|e| InputError::new(&name, "cannot map", Some(e)))?;
    let Some(g) = guard::protect(&map, &name) else {
        // No guard to be had: read the file instead of mapping it.
        drop(map);
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        let mut file = file;
        file.read_to_end(&mut bytes)
            .map_err(|e| InputError::new(&name, "read failed", Some(e)))?;
        return Ok(from_bytes(&name, bytes));
    };
    let map = Mapped { _guard: g, map };
    let enc = decode::sniff(&map);
    if enc.is_utf16() {
        return Ok(Input {
            name,
            data: Data::Owned(decode::utf16_to_utf8(&map, enc)),
            encoding: enc,
        });
    }
    Ok(Input {
        name,
        data: Data::Mapped(map),
        encoding: enc,
    })
}

/// Wrap bytes already in memory (for example an archive member).
pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Input {
    let enc = decode::sniff(&bytes);
    let bytes = if enc.is_utf16() {
        decode::utf16_to_utf8(&bytes, enc)
    } else {
        bytes
    };
    Input {
        name: name.to_string(),
        data: Data::Owned(bytes),
        encoding: enc,
    }
}

/// Wrap a stream. Its first bytes are read at once to sniff the encoding, so that
/// [`Input::encoding`] is known before any record is produced.
pub fn from_reader(name: &str, mut reader: Box<dyn Read + Send>) -> Input {
    let mut head = [0u8; 4];
    let got = read_head(&mut reader, &mut head);
    let encoding = if got == 0 {
        decode::Encoding::Utf8
    } else {
        decode::sniff(&head[..got])
    };
    let chained = io::Cursor::new(head[..got].to_vec()).chain(reader);
    Input {
        name: name.to_string(),
        data: Data::Stream(Box::new(decode::DecodingReader::new(chained))),
        encoding,
    }
}

impl Input {
    /// The whole input as one slice, when it is in memory.
    pub fn as_slice(&self) -> Option<&[u8]> {
        match &self.data {
            Data::Mapped(m) => Some(m),
            Data::Owned(v) => Some(v),
            Data::Stream(_) => None,
        }
    }

    /// Path-like name for messages.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.name)
    }
}
