//! `dbglog events FILE|-`: every event as NDJSON, or counts with `--stats`.

use crate::cli::exit;
use crate::output::{self, json};
use crate::stats::Stats;
use crate::stream::{self, Item};
use crate::track::{IssueKind, Tracker};
use std::io::{self, Write};

/// Arguments of `dbglog events`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Log file (also `.gz`, or a zip holding one log, or `a.zip!member`), or `-` for
    /// stdin, which is the default when stdin is not a terminal.
    #[arg(default_value = "-", hide_default_value = true)]
    pub input: String,
    /// Print counts per type, unknown types, logs and truncation regions instead of events.
    #[arg(long)]
    pub stats: bool,
    /// Output format for --stats.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
    /// Namespaces known up front (comma-separated), in addition to those the log reveals.
    #[arg(long = "ns", value_delimiter = ',')]
    pub ns: Vec<String>,
}

/// `--format` for `events --stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// Aligned text.
    Text,
    /// One JSON object.
    Json,
}

/// Run `dbglog events`.
pub fn run(args: Args) -> u8 {
    let mut input = match super::open_input(&args.input) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let mut out = output::stdout();
    if args.stats {
        // Counting needs no frames: parse only, on one thread (the count is too cheap to
        // share the work).
        let mut tracker = Tracker::passive();
        let mut stats = Stats::default();
        let res = stream::drive(&mut input, &mut tracker, stream::Threads::One, &mut stats);
        let summary = match res {
            Ok(s) => s,
            Err(e) => return super::fail(&e),
        };
        if let Some(code) = super::not_a_log(&input.name, summary.logs, stats.bytes) {
            return code;
        }
        let r = match args.format {
            StatsFormat::Text => print_stats_text(&mut out, &input.name, &stats, &tracker),
            StatsFormat::Json => print_stats_json(&mut out, &input.name, &stats, &tracker),
        }
        .and_then(|_| out.flush());
        return match r {
            Err(e) if !output::is_broken_pipe(&e) => {
                output::error_line(&e);
                exit::ERROR
            }
            _ => exit::OK,
        };
    }
    let mut tracker = Tracker::new().with_namespaces(&args.ns);
    let mut bytes = 0u64;
    let res = stream::run(&mut input, &mut tracker, |item, t| {
        bytes += item.record.raw.len() as u64;
        if item.event.is_some() {
            write_event(&mut out, item, t)?;
        }
        Ok(())
    })
    .and_then(|s| {
        out.flush().map_err(stream::RunError::Consumer)?;
        Ok(s)
    });
    match res {
        Ok(s) => super::not_a_log(&input.name, s.logs, bytes).unwrap_or(exit::OK),
        Err(e) => super::fail(&e),
    }
}

/// Write one event as a JSON line.
pub fn write_event<W: Write>(w: &mut W, item: &Item<'_>, t: &Tracker) -> io::Result<()> {
    let ev = item.event.as_ref().expect("event item");
    let raw = ev.raw;
    let wall_end = raw
        .iter()
        .position(|&c| c == b' ' || c == b'|')
        .unwrap_or(0);
    write!(
        w,
        "{{\"offset\":{},\"line\":{},\"log\":{},\"wall\":",
        ev.offset, ev.line, item.log
    )?;
    json::write_str(w, &raw[..wall_end])?;
    match ev.nanos() {
        Some(n) => write!(w, ",\"nanos\":{n},\"type\":")?,
        None => w.write_all(b",\"nanos\":null,\"type\":")?,
    }
    json::write_str(w, ev.type_name())?;
    match ev.etype().category() {
        Some(c) => write!(w, ",\"category\":\"{}\"", c.as_str())?,
        None => w.write_all(b",\"category\":null")?,
    }
    match ev.etype().level() {
        Some(l) => write!(w, ",\"level\":\"{}\",\"fields\":[", l.as_str())?,
        None => w.write_all(b",\"level\":null,\"fields\":[")?,
    }
    let mut lossy = false;
    for (i, f) in ev.fields().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        lossy |= json::write_str(w, f)?;
    }
    w.write_all(b"],\"frame_ns\":")?;
    let ns = t.namespaces();
    json::write_str(w, ns.name(item.loc.frame_ns))?;
    w.write_all(b",\"caller_ns\":")?;
    match item.loc.caller_ns {
        Some(c) => {
            json::write_str(w, ns.name(c))?;
        }
        None => w.write_all(b"null")?,
    }
    write!(w, ",\"depth\":{}", item.loc.depth)?;
    if lossy {
        w.write_all(b",\"lossy\":true")?;
    }
    w.write_all(b"}\n")
}

fn issue_counts(t: &Tracker) -> Vec<(&'static str, u64)> {
    IssueKind::ALL
        .into_iter()
        .map(|k| (k.as_str(), t.issue_count(k)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn print_stats_text<W: Write>(w: &mut W, name: &str, s: &Stats, t: &Tracker) -> io::Result<()> {
    writeln!(w, "file:        {}", output::safe_text(name.as_bytes()))?;
    writeln!(w, "bytes:       {}", s.bytes)?;
    writeln!(w, "records:     {}", s.records)?;
    writeln!(w, "events:      {}", s.events)?;
    writeln!(w, "logs:        {}", s.logs())?;
    writeln!(w, "text lines:  {}", s.text_lines)?;
    writeln!(
        w,
        "unknown:     {} events of {} unknown types",
        s.unknown_total(),
        s.unknown().len()
    )?;
    let ns: Vec<_> = t
        .namespaces()
        .iter()
        .skip(1)
        .map(|(_, n)| output::safe_text(n))
        .collect();
    writeln!(
        w,
        "namespaces:  {}",
        if ns.is_empty() {
            "-".into()
        } else {
            ns.join(", ")
        }
    )?;
    if s.truncations.is_empty() {
        writeln!(w, "truncated:   no")?;
    } else {
        writeln!(w, "truncated:   yes, {} region(s)", s.truncations.len())?;
        for r in &s.truncations {
            let bytes = r.bytes_removed.map_or_else(
                || "rest of log cut".to_string(),
                |b| format!("{b} bytes removed"),
            );
            writeln!(w, "  line {:>8}  {:<9} {}", r.line, r.kind, bytes)?;
        }
    }
    let issues = issue_counts(t);
    if !issues.is_empty() {
        writeln!(w, "log issues:")?;
        for (k, n) in issues {
            writeln!(w, "  {k:<20} {n}")?;
        }
    }
    writeln!(w, "\ncount      type")?;
    for (name, c) in s.by_type() {
        writeln!(w, "{c:>9}  {name}")?;
    }
    for (name, c) in s.unknown() {
        writeln!(w, "{c:>9}  {} (unknown)", output::safe_text(name))?;
    }
    Ok(())
}

fn print_stats_json<W: Write>(w: &mut W, name: &str, s: &Stats, t: &Tracker) -> io::Result<()> {
    let types: serde_json::Map<String, serde_json::Value> = s
        .by_type()
        .into_iter()
        .map(|(n, c)| (n.to_string(), c.into()))
        .collect();
    let unknown: serde_json::Map<String, serde_json::Value> = s
        .unknown()
        .iter()
        .map(|(n, c)| (String::from_utf8_lossy(n).into_owned(), (*c).into()))
        .collect();
    let issues: serde_json::Map<String, serde_json::Value> = issue_counts(t)
        .into_iter()
        .map(|(k, n)| (k.to_string(), n.into()))
        .collect();
    let ns: Vec<String> = t
        .namespaces()
        .iter()
        .skip(1)
        .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
        .collect();
    let v = serde_json::json!({
        "file": name,
        "bytes": s.bytes,
        "records": s.records,
        "events": s.events,
        "logs": s.logs(),
        "text_lines": s.text_lines,
        "types": types,
        "unknown_types": unknown,
        "unknown_events": s.unknown_total(),
        "namespaces": ns,
        "truncated": !s.truncations.is_empty(),
        "truncations": s.truncations,
        "log_issues": issues,
    });
    serde_json::to_writer(&mut *w, &v)?;
    writeln!(w)
}
