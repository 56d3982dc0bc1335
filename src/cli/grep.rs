//! `dbglog grep PATTERN PATH…`: search files, folders and archives of logs; one line per
//! matching record (`path:line: [namespace] EVENT_TYPE text`). The search itself is
//! [`crate::grep`].

use crate::cli::exit;
use crate::grep::{self, Hit, Matcher, Mode, Outcome};
use crate::output;
use crate::scan::walk::{self, Entry};
use crate::stream::Threads;
use crate::view::{RedactSpec, ViewOptions, Visibility};
use rayon::prelude::*;
use std::io::{self, Read, Write};

/// Arguments of `dbglog grep`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Exit status: 0 if a record matched, 1 if none did, 2 on an error.")]
pub struct Args {
    /// The pattern: a regular expression (Rust regex syntax), or a literal with -F.
    #[arg(value_name = "PATTERN", allow_hyphen_values = true)]
    pub pattern: String,
    /// Files, folders (walked recursively, as `scan` walks them), `.gz`, `.zip`, `.tar`,
    /// `.tar.gz`, or `-` for stdin (the default when stdin is not a terminal).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// The pattern is a literal string, not a regex.
    #[arg(short = 'F', long = "fixed-strings")]
    pub fixed: bool,
    /// Ignore case.
    #[arg(short = 'i', long = "ignore-case")]
    pub ignore_case: bool,
    /// Match whole words only.
    #[arg(short = 'w', long = "word-regexp")]
    pub word: bool,
    /// Print only the names of files (or archive members) with a match.
    #[arg(short = 'l', long = "files-with-matches", conflicts_with = "count")]
    pub files: bool,
    /// Print the number of matching records per file (`path:N`).
    #[arg(short = 'c', long = "count")]
    pub count: bool,
    /// Only events of this type (repeatable or comma-separated), e.g. USER_DEBUG.
    #[arg(long = "event", value_name = "TYPE", value_delimiter = ',')]
    pub event: Vec<String>,
    /// Only records inside code of this namespace (`default` for your own code).
    #[arg(long = "ns", value_name = "NS")]
    pub ns: Option<String>,
    /// The view (`--as`) and your own namespaces (`--own`).
    #[command(flatten)]
    pub scope: super::args::Scope,
    /// Search (and print) the redacted text: `pii` or `pii,ids`.
    #[arg(long, value_name = "WHAT")]
    pub redact: Option<RedactSpec>,
    /// Also print the enclosing method (or code unit) of each hit.
    #[arg(long)]
    pub context: bool,
    /// Output: `text` (`path:line: [ns] TYPE text`) or `json` (one object per line).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `--format` of `dbglog grep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line: [namespace] EVENT_TYPE text`.
    Text,
    /// NDJSON: `{"path","line","namespace","event","text"[,"matched_line"][,"method"]}`;
    /// with -c `{"path","count"}`, with -l `{"path"}`.
    Json,
}

/// Run `dbglog grep`.
pub fn run(args: Args) -> u8 {
    let matcher = match Matcher::new(&args.pattern, args.fixed, args.ignore_case, args.word) {
        Ok(m) => m,
        Err(e) => {
            output::error_line(&e);
            return exit::ERROR;
        }
    };
    let ns = args.ns.as_ref().map(|n| match n.as_str() {
        "default" => b"(default)".to_vec(),
        other => other.as_bytes().to_vec(),
    });
    let opts = grep::Options {
        matcher,
        mode: if args.files {
            Mode::Files
        } else if args.count {
            Mode::Count
        } else {
            Mode::Hits
        },
        events: args
            .event
            .iter()
            .map(|e| e.trim().as_bytes().to_vec())
            .collect(),
        ns,
        view: ViewOptions {
            visibility: Visibility::new(&args.scope.view, &args.scope.own),
            markers: crate::view::Markers::Every,
            redact: args.redact,
            ..Default::default()
        },
        context: args.context,
        limits: Default::default(),
    };
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        use std::io::IsTerminal;
        if io::stdin().is_terminal() {
            output::error_line(&"no input: give files or folders to search, or pipe a log in");
            return exit::ERROR;
        }
        paths.push("-".into());
    }
    let entries = walk::walk(&paths);
    let json = args.format == Format::Json;
    let one = entries.len() == 1;
    let mut out = output::stdout();
    let mut found = false;
    let mut errors = false;
    let mut write_results = |buf: &[u8], outcomes: &[Outcome], out: &mut dyn Write| {
        out.write_all(buf)?;
        for o in outcomes {
            if let Some(e) = &o.error {
                errors = true;
                output::error_line(&format!("{}: {}", output::safe_text(o.name.as_bytes()), e));
                continue;
            }
            found |= o.count > 0;
            print_outcome(&opts, o, json, out)?;
        }
        Ok::<(), io::Error>(())
    };
    let res = if one {
        // One input: hits go straight out (memory independent of its size).
        let mut sink = HitPrinter::new(json, &mut out);
        let outcomes = search_entry(&opts, &entries[0], Threads::Auto, &mut |h| sink.print(h));
        let outcomes = match outcomes {
            Ok(o) => o,
            Err(e) => return super::fail(&crate::stream::RunError::Consumer(e)),
        };
        write_results(&[], &outcomes, &mut out)
    } else {
        let results: Vec<(Vec<u8>, Vec<Outcome>)> = entries
            .par_iter()
            .map(|e| {
                let mut buf = Vec::new();
                let mut sink = HitPrinter::new(json, &mut buf);
                let outcomes = search_entry(&opts, e, Threads::One, &mut |h| sink.print(h))
                    .unwrap_or_default();
                (buf, outcomes)
            })
            .collect();
        results
            .iter()
            .try_for_each(|(buf, o)| write_results(buf, o, &mut out))
    };
    let res = res.and_then(|_| out.flush());
    if let Err(e) = res {
        return super::fail(&crate::stream::RunError::Consumer(e));
    }
    if errors {
        exit::ERROR
    } else if found {
        exit::OK
    } else {
        exit::NONE
    }
}

/// The outcome of an input that could not be searched.
fn failed(name: &str, why: String) -> io::Result<Vec<Outcome>> {
    Ok(vec![Outcome {
        name: name.to_string(),
        count: 0,
        error: Some(why),
    }])
}

/// Search one walked entry.
fn search_entry(
    opts: &grep::Options,
    entry: &Entry,
    threads: Threads,
    on_hit: &mut grep::OnHit<'_>,
) -> io::Result<Vec<Outcome>> {
    match entry {
        Entry::Failed { name, reason } => failed(name, reason.clone()),
        Entry::Skipped { .. } => Ok(Vec::new()),
        Entry::Stdin => {
            let mut buf = Vec::new();
            match io::stdin().lock().read_to_end(&mut buf) {
                Ok(_) => grep::search_file(opts, "<stdin>", &buf, threads, on_hit),
                Err(e) => failed("<stdin>", format!("read failed: {e}")),
            }
        }
        Entry::File { path, name } => search_opened(opts, path, name, threads, on_hit),
    }
}

/// Search a file through the common input stage: a regular file is mapped (guarded
/// against shrinking while it is read, see `input::guard`) and searched in place, a
/// pipe or device is read whole.
fn search_opened(
    opts: &grep::Options,
    path: &std::path::Path,
    name: &str,
    threads: Threads,
    on_hit: &mut grep::OnHit<'_>,
) -> io::Result<Vec<Outcome>> {
    match crate::input::open_path(path) {
        Err(e) => failed(name, e.to_string()),
        Ok(mut inp) => {
            if let crate::input::Data::Stream(r) = &mut inp.data {
                let mut buf = Vec::new();
                return match r.read_to_end(&mut buf) {
                    Ok(_) => grep::search_file(opts, name, &buf, threads, on_hit),
                    Err(e) => failed(name, format!("read failed: {e}")),
                };
            }
            let bytes = inp.as_slice().unwrap_or(&[]);
            grep::search_file(opts, name, bytes, threads, on_hit)
        }
    }
}

fn print_outcome(
    opts: &grep::Options,
    o: &Outcome,
    json: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match (opts.mode, json) {
        (Mode::Hits, _) => Ok(()),
        (Mode::Count, false) => {
            writeln!(out, "{}:{}", output::safe_text(o.name.as_bytes()), o.count)
        }
        (Mode::Files, false) if o.count > 0 => {
            writeln!(out, "{}", output::safe_text(o.name.as_bytes()))
        }
        (Mode::Count, true) => {
            out.write_all(b"{\"path\":")?;
            write_json(out, o.name.as_bytes())?;
            writeln!(out, ",\"count\":{}}}", o.count)
        }
        (Mode::Files, true) if o.count > 0 => {
            out.write_all(b"{\"path\":")?;
            write_json(out, o.name.as_bytes())?;
            out.write_all(b"}\n")
        }
        _ => Ok(()),
    }
}

fn write_json(out: &mut dyn Write, b: &[u8]) -> io::Result<()> {
    let mut v = Vec::with_capacity(b.len() + 2);
    output::json::write_str(&mut v, b)?;
    out.write_all(&v)
}

/// Prints hits as text or NDJSON.
struct HitPrinter<'w> {
    json: bool,
    out: &'w mut dyn Write,
}

impl<'w> HitPrinter<'w> {
    fn new(json: bool, out: &'w mut dyn Write) -> Self {
        HitPrinter { json, out }
    }

    fn print(&mut self, h: &Hit<'_>) -> io::Result<()> {
        let out = &mut *self.out;
        if self.json {
            out.write_all(b"{\"path\":")?;
            write_json(out, h.path.as_bytes())?;
            write!(out, ",\"line\":{},\"namespace\":", h.line)?;
            write_json(out, h.namespace)?;
            out.write_all(b",\"event\":")?;
            match h.event {
                Some(e) => write_json(out, e)?,
                None => out.write_all(b"null")?,
            }
            out.write_all(b",\"text\":")?;
            write_json(out, h.text)?;
            if let Some(m) = h.matched_line {
                out.write_all(b",\"matched_line\":")?;
                write_json(out, m)?;
            }
            if let Some(m) = h.method {
                out.write_all(b",\"method\":")?;
                write_json(out, m)?;
            }
            return out.write_all(b"}\n");
        }
        write!(
            out,
            "{}:{}: [{}] {} {}",
            output::safe_text(h.path.as_bytes()),
            h.line,
            output::safe_text(h.namespace),
            h.event.map_or("-".into(), output::safe_text),
            output::safe_text(h.text)
        )?;
        if let Some(m) = h.matched_line {
            write!(out, " … {}", output::safe_text(m))?;
        }
        if let Some(m) = h.method
            && !m.is_empty()
        {
            write!(out, "  (in {})", output::safe_text(m))?;
        }
        out.write_all(b"\n")
    }
}
