//! `dbglog scan PATH…`: scan files, folders and archives for known errors, in parallel.

use super::args::ColorChoice;
use crate::cli::exit;
use crate::output::{self, Style};
use crate::rules::Catalogue;
use crate::scan::archive::parse_size;
use crate::scan::report::{self, Summary};
use crate::scan::{Options, Scanner, Status, walk};
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// SIGTERM, SIGINT and SIGHUP stop a scan between files: the flag returned holds the
/// signal's number. A second one ends the process at once (exit 128 + its number).
fn stop_on_signals() -> Arc<AtomicUsize> {
    let which = Arc::new(AtomicUsize::new(0));
    let once = Arc::new(AtomicBool::new(false));
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // Registration fails only for forbidden signals, which these are not; without it
        // the signal keeps its default action.
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&once));
        let _ = signal_hook::flag::register(sig, Arc::clone(&once));
        let _ = signal_hook::flag::register_usize(sig, Arc::clone(&which), sig as usize);
    }
    which
}

/// Arguments of `dbglog scan`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 if something was found, 1 if nothing was, 2 if any input \
failed (unless --quiet and something was found). SIGTERM, SIGINT or SIGHUP stop the scan \
between files: the report of the files scanned so far is printed whole (the others count \
as skipped, `not scanned: stopped by SIGTERM`) and the exit status is 128 + the signal's \
number (143 for SIGTERM, 130 for Ctrl-C); a second signal ends it at once."
)]
pub struct Args {
    /// Files, folders (walked recursively), `.gz`, `.zip`, `.tar`, `.tar.gz` archives, or `-`
    /// for stdin. Formats are recognised by their first bytes, not by their names.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Extra known-error rules (`--rules FILE`; same id: replaces the builtin rule).
    #[command(flatten)]
    pub rules: super::args::Rules,
    /// Use only these rule ids (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID,…")]
    pub only: Vec<String>,
    /// Output format: a summary table, one JSON document, NDJSON (one finding per line
    /// then a summary line) or CSV (one finding per row).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Worker threads (default: one per available core).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
    /// Print no findings, only set the exit status (errors still go to stderr).
    #[arg(short, long)]
    pub quiet: bool,
    /// Print timing and throughput (bytes, files, MB/s) on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Stop inflating a compressed file or member once it grows beyond this size
    /// (e.g. 2GiB, 500MiB, 10MB).
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = parse_size)]
    pub max_inflate_size: u64,
    /// Stop inflating once the output exceeds this many times the compressed bytes read
    /// (checked after the first MiB).
    #[arg(long, value_name = "RATIO", default_value_t = 64.0)]
    pub max_inflate_ratio: f64,
    /// Colour in the table: auto (only on a terminal, never with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--format` of `dbglog scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Counts per rule and namespace, files affected, top messages, file totals.
    Table,
    /// One document: `{"findings":[…],"summary":{…}}`.
    Json,
    /// One finding per line, then a summary line.
    Ndjson,
    /// Findings with a header row.
    Csv,
    /// One `path:line: SEVERITY RULE [namespace] message` line per finding.
    Lines,
}

fn catalogue(args: &Args) -> Result<Catalogue, String> {
    let builtin = Catalogue::builtin();
    let mut cat = match &args.rules.rules {
        Some(p) => builtin.with_extra(Catalogue::load_file(p).map_err(|e| e.to_string())?),
        None => builtin.clone(),
    };
    if !args.only.is_empty() {
        let ids: Vec<&str> = args.only.iter().map(|s| s.trim()).collect();
        cat = cat.only(&ids).map_err(|e| format!("--only: {e}"))?;
    }
    Ok(cat)
}

/// Run `dbglog scan`.
pub fn run(args: Args) -> u8 {
    let cat = match catalogue(&args) {
        Ok(c) => c,
        Err(e) => {
            output::error_line(&e);
            return exit::ERROR;
        }
    };
    if args.max_inflate_ratio.is_nan() || args.max_inflate_ratio <= 1.0 {
        output::error_line(&"--max-inflate-ratio must be greater than 1");
        return exit::ERROR;
    }
    let opts = Options {
        max_inflate_size: args.max_inflate_size,
        max_inflate_ratio: args.max_inflate_ratio,
    };
    let pool = match super::thread_pool(args.threads) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let started = Instant::now();
    let entries = walk::walk(&args.paths);
    let bar = super::progress_bar(entries.len(), !args.quiet);
    let scanner = Scanner::new(&cat, &opts);
    let done = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let stop = stop_on_signals();
    let reports = pool.install(|| scanner.scan_entries_until(&entries, &done, &stop));
    let stopped_by = stop.load(Ordering::SeqCst) as i32;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let elapsed = started.elapsed();
    for r in &reports {
        if let Status::Failed(why) = &r.status {
            output::error_line(&format!(
                "{}: {}",
                output::safe_text(r.name.as_bytes()),
                output::safe_text(why.as_bytes())
            ));
        }
    }
    let summary = Summary::of(&reports);
    let t = summary.totals;
    if args.stats {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            io::stderr(),
            "dbglog: scanned {} of {} files, {} bytes in {:.3} s: {:.0} MB/s, {:.0} files/s ({} threads)",
            t.scanned,
            t.given,
            t.bytes,
            secs,
            t.bytes as f64 / 1e6 / secs,
            t.given as f64 / secs,
            pool.current_num_threads()
        );
    }
    if !args.quiet {
        let mut out = output::stdout();
        let res = match args.format {
            Format::Table => {
                report::write_table(&mut out, &summary, Style::new(args.color.enabled()))
            }
            Format::Json => report::write_json(&mut out, &reports, &summary),
            Format::Ndjson => report::write_ndjson(&mut out, &reports, &summary),
            Format::Csv => report::write_csv(&mut out, &reports),
            Format::Lines => report::write_lines(&mut out, &reports),
        }
        .and_then(|_| out.flush());
        if let Err(e) = res {
            if output::is_broken_pipe(&e) {
                return exit::OK;
            }
            output::error_line(&e);
            return exit::ERROR;
        }
    }
    if stopped_by != 0 {
        let not_begun = reports
            .iter()
            .filter(|r| matches!(&r.status, Status::Skipped(w) if w.starts_with("not scanned: stopped")))
            .count();
        output::error_line(&format!(
            "stopped by {}: {not_begun} of {} inputs not scanned (the report covers the others)",
            crate::capture::signal_name(stopped_by),
            t.given
        ));
        return (128 + stopped_by).clamp(0, 255) as u8;
    }
    let found = t.findings > 0;
    if t.scanned == 0 && t.skipped > 0 && t.failed == 0 {
        // No input held a log: the same error the one-log commands give (exit 2).
        for r in &reports {
            if let crate::scan::Status::Skipped(why) = &r.status {
                eprintln!("dbglog: {}: {why}", output::safe_text(r.name.as_bytes()));
            }
        }
        return exit::ERROR;
    }
    match (found, t.failed > 0, args.quiet) {
        (true, _, true) => exit::OK,
        (_, true, _) => exit::ERROR,
        (true, false, false) => exit::OK,
        (false, false, _) => exit::NONE,
    }
}
