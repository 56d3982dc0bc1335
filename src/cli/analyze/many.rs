//! `dbglog analyze PATH…` over many logs: the paths are walked as `scan` walks them (files,
//! folders, `.gz`, `.zip`, `.tar`, `.tar.gz`), every log is analyzed on the `-j` pool, and
//! the reports come out in walk order whatever the thread count, followed by the
//! [`Aggregate`]. Every input is accounted for as analyzed, failed or skipped.

use super::{Args, Format, emit, width, write_lines};
use crate::analyze::aggregate::{self, Aggregate, InputStatus};
use crate::analyze::{self, Options, Report};
use crate::cli::exit;
use crate::output::{self, Style};
use crate::rules::Catalogue;
use crate::scan::{self, FileReport, Scanner, Status, walk};
use serde::Serialize;
use std::io::{self, Write};

/// The JSON document of many logs (docs/analyze-json.md, "Many logs").
#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    logs: Vec<&'a Report>,
    aggregate: &'a Aggregate,
    inputs: &'a [InputStatus],
}

/// The last NDJSON line.
#[derive(Serialize)]
struct AggregateLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    aggregate: &'a Aggregate,
    inputs: &'a [InputStatus],
}

fn status_of(r: &FileReport) -> InputStatus {
    let (status, reason) = match &r.status {
        Status::Scanned => ("scanned", None),
        Status::Failed(why) => ("failed", Some(why.clone())),
        Status::Skipped(why) => ("skipped", Some(why.clone())),
    };
    InputStatus {
        file: r.name.clone(),
        status,
        reason,
    }
}

/// Run `dbglog analyze` over many logs.
pub(super) fn run(args: &Args, cat: &Catalogue, opts: &Options) -> u8 {
    if args.format == Format::Html {
        output::error_line(&format!(
            "--format html shows one log, and {} holds several: name one log, or use \
             --format text, json or ndjson",
            output::safe_text(args.paths.join(" ").as_bytes())
        ));
        return exit::ERROR;
    }
    let pool = match crate::cli::thread_pool(args.threads) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let entries = walk::walk(&args.paths);
    let bar = crate::cli::progress_bar(entries.len(), entries.len() > 1);
    let done = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let sopts = scan::Options::default();
    let scanner = Scanner::analyzing(cat, &sopts, opts);
    let reports = pool.install(|| scanner.scan_entries(&entries, &done));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let inputs: Vec<InputStatus> = reports.iter().map(status_of).collect();
    let logs: Vec<&Report> = reports
        .iter()
        .filter_map(|r| r.analysis.as_deref())
        .collect();
    for i in inputs.iter().filter(|i| i.status == "failed") {
        output::error_line(&format!(
            "{}: {}",
            output::safe_text(i.file.as_bytes()),
            output::safe_text(i.reason.as_deref().unwrap_or("").as_bytes())
        ));
    }
    warn_unseen(args, &logs);
    let agg = Aggregate::of(&logs, &inputs);
    let paths: Vec<&str> = args.paths.iter().map(String::as_str).collect();
    let code = emit(args.output.as_deref(), &paths, |out| {
        write(out, args, &logs, &agg, &inputs)
    });
    if code != exit::OK {
        return code;
    }
    if agg.logs == 0 && agg.skipped_inputs > 0 && agg.failed_inputs == 0 {
        // No input held a log: the error the one-log command gives (exit 2), as scan does.
        for i in &inputs {
            output::error_line(&format!(
                "{}: {}",
                output::safe_text(i.file.as_bytes()),
                output::safe_text(i.reason.as_deref().unwrap_or("").as_bytes())
            ));
        }
        return exit::ERROR;
    }
    if agg.failed_inputs > 0 {
        exit::ERROR
    } else {
        exit::OK
    }
}

/// Warn about each namespace the command line names that no log names.
fn warn_unseen(args: &Args, logs: &[&Report]) {
    let mut seen = crate::namespace::Namespaces::default();
    for n in logs.iter().flat_map(|r| &r.summary.namespaces) {
        seen.learn(n.as_bytes());
    }
    let what = match logs {
        [one] => one.file.clone(),
        _ => format!("none of the {} logs", logs.len()),
    };
    crate::cli::warn_unseen(&what, &seen, &args.scope.named());
}

/// Write every report and the aggregate in `args.format`.
fn write(
    mut out: &mut dyn Write,
    args: &Args,
    logs: &[&Report],
    agg: &Aggregate,
    inputs: &[InputStatus],
) -> io::Result<()> {
    match args.format {
        Format::Text => {
            let style = Style::new(args.color.enabled());
            let width = width(args.wide);
            for (i, r) in logs.iter().enumerate() {
                aggregate::write_header(&mut out, i + 1, logs.len(), &r.file, &style, width)?;
                analyze::text::write_width(&mut out, r, &style, width)?;
                writeln!(out)?;
            }
            aggregate::write_text(&mut out, agg, inputs, &style, width)
        }
        Format::Json => {
            let doc = Document {
                schema_version: analyze::SCHEMA_VERSION,
                logs: logs.to_vec(),
                aggregate: agg,
                inputs,
            };
            serde_json::to_writer(&mut *out, &doc)?;
            writeln!(out)
        }
        Format::Ndjson => {
            for r in logs {
                write_ndjson_log(out, r)?;
            }
            let line = AggregateLine {
                kind: "aggregate",
                aggregate: agg,
                inputs,
            };
            serde_json::to_writer(&mut *out, &line)?;
            writeln!(out)
        }
        Format::Lines => logs.iter().try_for_each(|r| write_lines(&mut out, r)),
        Format::Html => unreachable!("refused before the walk"),
    }
}

/// One NDJSON line: `{"type":"log","path":…,` then the report's own JSON fields, in the
/// same order and form as the one-log `--format json` object.
fn write_ndjson_log(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let body = serde_json::to_vec(r)?;
    let path = serde_json::to_string(&r.file)?;
    write!(out, "{{\"type\":\"log\",\"path\":{path},")?;
    out.write_all(body.get(1..).unwrap_or_default())?;
    writeln!(out)
}
