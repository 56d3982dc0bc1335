//! `dbglog debug PATH|-`: the debug output of a log or of a live stream of logs
//! (`sf apex tail log | dbglog debug`). The entries are [`crate::debug`]'s.

use crate::cli::exit;
use crate::debug::{self, Entry, Extractor, Filter};
use crate::event::EventType;
use crate::framing::RecordKind;
use crate::grep::Matcher;
use crate::output;
use crate::stream::{self, Flow, LogEnd, RunError, Sink, Threads};
use crate::track::Tracker;
use crate::view::{self, RedactSpec, ViewOptions, Visibility};
use std::io::{self, Write};

/// Arguments of `dbglog debug`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Each entry: LINE TIME [NAMESPACE] Class.method:SOURCE_LINE LEVEL message (continuation
lines follow as they are). From a stream, each log's entries are printed as soon as that log
is complete (the next header, the end of its execution, or the end of the stream); with
--follow each entry as soon as its record is complete. Under a hiding view --follow holds an
entry written inside code whose namespace is not settled yet (a method such as
`Outer.Inner.m` that may turn out to be a package's) until its execution ends.")]
pub struct Args {
    /// Log file (also `.gz` or a one-log zip), or `-` for stdin (the default when piped).
    #[arg(default_value = "-", hide_default_value = true)]
    pub input: String,
    /// Print each entry as soon as it arrives (for a live `sf apex tail log` pipe).
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only entries at this level or coarser, e.g. WARN (ERROR and WARN).
    #[arg(long = "level-min", value_name = "LEVEL", value_parser = parse_level)]
    pub level_min: Option<crate::event::Level>,
    /// Only entries written by code of this namespace (`default` for your own code).
    #[arg(long = "ns", value_name = "NS")]
    pub ns: Option<String>,
    /// Only entries whose message matches this regex.
    #[arg(long = "grep", value_name = "PATTERN")]
    pub grep: Option<String>,
    /// The view (`--as`) and your own namespaces (`--own`).
    #[command(flatten)]
    pub scope: super::args::Scope,
    /// Mask personal data and secrets in the messages: `pii` or `pii,ids`.
    #[arg(long, value_name = "WHAT")]
    pub redact: Option<RedactSpec>,
}

fn parse_level(s: &str) -> Result<crate::event::Level, String> {
    crate::view::reduce::level(s.as_bytes()).ok_or_else(|| {
        format!("unknown level '{s}'; levels: ERROR, WARN, INFO, DEBUG, FINE, FINER, FINEST")
    })
}

/// Run `dbglog debug`.
pub fn run(args: Args) -> u8 {
    let grep = match args
        .grep
        .as_deref()
        .map(|p| Matcher::new(p, false, false, false))
    {
        Some(Err(e)) => {
            output::error_line(&e);
            return exit::ERROR;
        }
        Some(Ok(m)) => Some(m),
        None => None,
    };
    let filter = Filter {
        level_min: args.level_min,
        ns: args.ns.as_ref().map(|n| match n.as_str() {
            "default" => b"(default)".to_vec(),
            o => o.as_bytes().to_vec(),
        }),
        grep,
    };
    let opts = ViewOptions {
        visibility: Visibility::new(&args.scope.view, &args.scope.own),
        markers: view::Markers::Every,
        redact: args.redact,
        ..Default::default()
    };
    let mut input = match super::open_input(&args.input) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let mut out = output::stdout();
    let mut ex = Extractor::new(&opts, filter);
    let res = if args.follow && input.as_slice().is_none() {
        follow(&mut input, &opts, &mut ex, &mut out)
    } else {
        // A file is prepared whole by the driver's namespace stage; a stream's logs are held
        // until each is prepared (see [`crate::stream::LOG_HOLD`]), so their entries go out
        // as each execution ends.
        let mut t = view::tracker_for(&opts);
        let sink = Entries {
            ex: &mut ex,
            out: &mut out,
        };
        stream::drive(&mut input, &mut t, Threads::Auto, sink).map(|s| s.logs)
    };
    let res = res.and_then(|logs| out.flush().map(|_| logs).map_err(RunError::Consumer));
    match res {
        Ok(0) => {
            output::error_line(&format!(
                "{}: holds no Apex debug log (no header line and no event)",
                output::safe_text(input.name.as_bytes())
            ));
            exit::ERROR
        }
        Ok(_) => exit::OK,
        Err(e) => super::fail(&e),
    }
}

/// The extractor as a consumer of a run: each entry is written as its record arrives, and
/// the output is flushed where an execution or a log ends (a stream's reader sees each
/// log's entries then, not at the next log).
struct Entries<'a> {
    ex: &'a mut Extractor,
    out: &'a mut dyn Write,
}

impl Sink for Entries<'_> {
    fn item(&mut self, item: &crate::stream::Item<'_>, t: &Tracker) -> io::Result<Flow> {
        let out = &mut *self.out;
        self.ex.on_item(item, t, &mut |e, _| e.write_text(out))?;
        if item
            .event
            .is_some_and(|e| e.etype() == EventType::ExecutionFinished)
        {
            self.out.flush()?;
        }
        Ok(Flow::Continue)
    }

    fn log_end(&mut self, _: u32, _: LogEnd, _: &Tracker) -> io::Result<Flow> {
        self.out.flush()?;
        Ok(Flow::Continue)
    }
}

/// An entry held back: its text and the prefixes that could still name a package.
type Held = (Vec<u8>, Vec<Vec<u8>>);

/// A stream, entry by entry. Under a hiding view an entry inside code whose namespace is
/// not settled waits (with every entry after it, to keep the order) until the execution
/// ends or the log does; then those that turned out to be a hidden package's are dropped.
fn follow(
    input: &mut crate::input::Input,
    opts: &ViewOptions,
    ex: &mut Extractor,
    out: &mut dyn Write,
) -> Result<u64, RunError> {
    let hides = !opts.visibility.full;
    // Held entries: their text and the prefixes that could still name a package.
    let mut queue: Vec<Held> = Vec::new();
    let policy = crate::view::Policy::new(opts.visibility.clone());
    // --follow prints each entry as it arrives, so the log is not held for the driver's
    // namespace stage: entries whose frame may still turn out to be a package's are held
    // here instead, until it is settled.
    let mut t0 = Tracker::new()
        .with_namespaces(&opts.visibility.visible)
        .unprepared();
    let settle = |queue: &mut Vec<Held>, t: &Tracker, out: &mut dyn Write| {
        for (text, prefixes) in queue.drain(..) {
            let hidden = prefixes
                .iter()
                .any(|p| t.namespaces().find_known(p).is_some() && policy.hides_name(p));
            if !hidden {
                out.write_all(&text)?;
            }
        }
        out.flush()
    };
    let summary = stream::run(input, &mut t0, |item, t| {
        if item.record.kind == RecordKind::Header && !queue.is_empty() {
            settle(&mut queue, t, out)?;
        }
        let mut printed = false;
        ex.on_item(item, t, &mut |e: &Entry<'_>, t: &Tracker| {
            let prefixes = if hides {
                debug::unsettled_prefixes(t)
            } else {
                Vec::new()
            };
            if prefixes.is_empty() && queue.is_empty() {
                e.write_text(out)?;
                printed = true;
            } else {
                let mut text = Vec::new();
                e.write_text(&mut text)?;
                queue.push((text, prefixes));
            }
            Ok(())
        })?;
        if printed {
            out.flush()?;
        }
        if !queue.is_empty() && item.event.is_some() && t.depth() <= 1 {
            settle(&mut queue, t, out)?;
        }
        Ok(())
    })?;
    settle(&mut queue, &t0, out).map_err(RunError::Consumer)?;
    Ok(summary.logs)
}
