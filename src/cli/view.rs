//! `dbglog view FILE|- --as …`: stream a view of a log.

use crate::cli::exit;
use crate::output;
use crate::view::{self, Markers, RedactSpec, ViewOptions, ViewSpec, Visibility};
use std::io::Write;

/// Arguments of `dbglog view`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Log file (also `.gz`, or a zip holding one log, or `a.zip!member`), or `-` for
    /// stdin, which is the default when stdin is not a terminal.
    #[arg(default_value = "-", hide_default_value = true)]
    pub input: String,
    /// Which view: `subscriber` (only your own code), `vendor:NS[,NS...]` (your code plus
    /// those packages) or `full` (everything, a byte-exact copy).
    #[arg(long = "as", value_name = "VIEW", default_value = "full")]
    pub view: ViewSpec,
    /// A namespace that is your own code (visible in every view); repeatable or comma-separated.
    #[arg(long = "own", value_name = "NS", value_delimiter = ',', value_parser = parse_ns)]
    pub own: Vec<String>,
    /// How hidden code is written: `run` = one ENTERING_MANAGED_PKG line per run,
    /// `every` = one per hidden event, as Salesforce writes them.
    #[arg(long, value_enum, value_name = "STYLE", default_value = "run")]
    pub markers: Markers,
    /// Mask personal data and secrets: `pii` (e-mails, tokens, passwords and other
    /// secrets, API and private keys), plus any of `ids` (record ids), `contact` (phone
    /// numbers), `cards` (card numbers), `ip` (IP addresses), comma-separated (`pii,ids`);
    /// `all` for every class. Works with every view; see docs/redaction.md.
    #[arg(long, value_name = "CLASSES")]
    pub redact: Option<RedactSpec>,
    /// Write to this file instead of stdout (through a temporary file renamed into place
    /// on success). Refused when it is the input itself: see `--in-place`.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUT",
        conflicts_with = "in_place"
    )]
    pub output: Option<String>,
    /// Rewrite the input file with the view (for example `--redact pii --in-place`): the
    /// view is written beside it and renamed over it only when it is complete.
    #[arg(long = "in-place")]
    pub in_place: bool,
}

/// Parse a namespace name (`--own`).
pub fn parse_ns(s: &str) -> Result<String, String> {
    if crate::namespace::is_ident(s.as_bytes()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "bad namespace '{s}': namespaces are letters, digits and _ (starting with a letter)"
        ))
    }
}

/// Run `dbglog view`.
pub fn run(args: Args) -> u8 {
    let mut input = match super::open_input(&args.input) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let target = match (&args.output, args.in_place) {
        (_, true) if args.input == "-" => {
            output::error_line(&"--in-place needs a log file, not stdin");
            return exit::ERROR;
        }
        (_, true) => Some(super::create_output(&args.input, &[])),
        (Some(p), _) if p != "-" => Some(super::create_output(p, &[&args.input])),
        _ => None,
    };
    let mut file = match target.transpose() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let out: Box<dyn Write + '_> = match file.as_mut() {
        Some(f) => Box::new(f),
        None => output::log_stdout(256 * 1024),
    };
    let opts = ViewOptions {
        visibility: Visibility::new(&args.view, &args.own),
        markers: args.markers,
        redact: args.redact,
    };
    // UTF-16 input is read as UTF-8; give the output the input's encoding back.
    let mut out = output::Reencode::new(out, input.encoding);
    let res = view::write_view(&mut input, &opts, &mut out).and_then(|s| {
        out.flush()
            .map_err(crate::stream::RunError::Consumer)
            .map(|_| s)
    });
    drop(out);
    let summary = match res {
        Ok(s) => s,
        Err(e) => return super::fail(&e),
    };
    // No log: the output file (if any) is not written, and the command fails.
    if let Some(code) = super::not_a_log(&input.name, summary.logs, summary.bytes) {
        return code;
    }
    let res = match file {
        Some(f) => f.commit().map_err(crate::stream::RunError::Consumer),
        None => Ok(()),
    };
    match res {
        Ok(()) => exit::OK,
        Err(e) => super::fail(&e),
    }
}
