//! Options that several commands share, as one struct each: the view (`--as`, `--own`),
//! the rules (`--rules`), and the CLI's own spellings of library choices (`--color`,
//! `--markers`), so that the library's types need no command-line traits.

use crate::output;
use crate::rules::Catalogue;
use crate::view::{self, RedactSpec, ViewSpec, Visibility};
use std::borrow::Cow;
use std::path::PathBuf;

/// `--as VIEW` and `--own NS`: what a command sees of a log.
#[derive(clap::Args, Debug, Clone)]
pub struct Scope {
    /// Which view: `subscriber` (only your own code), `vendor:NS[,NS...]` (your code plus
    /// those packages) or `full` (everything).
    #[arg(long = "as", value_name = "VIEW", default_value = "full")]
    pub view: ViewSpec,
    /// A namespace that is your own code (visible in every view); repeatable or comma-separated.
    #[arg(long = "own", value_name = "NS", value_delimiter = ',', value_parser = parse_ns)]
    pub own: Vec<String>,
}

impl Scope {
    /// The namespaces the view shows.
    pub fn visibility(&self) -> Visibility {
        Visibility::new(&self.view, &self.own)
    }

    /// Every namespace the command line names (`--as vendor:NS` and `--own NS`).
    pub fn named(&self) -> Vec<&[u8]> {
        self.view
            .named_namespaces()
            .iter()
            .chain(&self.own)
            .map(|n| n.as_bytes())
            .collect()
    }
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

/// `--redact CLASSES`: what personal data and secrets are masked (docs/redaction.md).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Redact {
    /// Mask personal data and secrets: `pii` (e-mails, tokens, passwords and other
    /// secrets, API and private keys), plus any of `ids` (record ids), `contact` (phone
    /// numbers), `cards` (card numbers), `ip` (IP addresses), comma-separated (`pii,ids`);
    /// `all` for every class. Works with every view; see docs/redaction.md.
    #[arg(long, value_name = "CLASSES")]
    pub redact: Option<RedactSpec>,
}

/// `--rules FILE`: known-error rules added to the builtin catalogue.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Rules {
    /// Extra known-error rules (TOML, same schema as the builtin catalogue,
    /// docs/rules.md); a rule with a builtin id replaces it.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

impl Rules {
    /// The catalogue to use: the builtin one, plus the file's rules. A bad file is
    /// reported (naming it) and gives the error exit code.
    pub fn catalogue(&self) -> Result<Cow<'static, Catalogue>, u8> {
        match &self.rules {
            None => Ok(Cow::Borrowed(Catalogue::builtin())),
            Some(path) => match Catalogue::load_file(path) {
                Ok(c) => Ok(Cow::Owned(Catalogue::builtin().with_extra(c))),
                Err(e) => {
                    output::error_line(&e);
                    Err(super::exit::ERROR)
                }
            },
        }
    }
}

/// `--color WHEN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, `NO_COLOR` is unset and `TERM` is not `dumb`.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Decide for stdout.
    pub fn enabled(self) -> bool {
        output::ColorChoice::from(self).enabled()
    }
}

impl From<ColorChoice> for output::ColorChoice {
    fn from(c: ColorChoice) -> Self {
        match c {
            ColorChoice::Auto => output::ColorChoice::Auto,
            ColorChoice::Always => output::ColorChoice::Always,
            ColorChoice::Never => output::ColorChoice::Never,
        }
    }
}

/// `--markers STYLE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Markers {
    /// One `ENTERING_MANAGED_PKG` line per run of hidden events.
    #[default]
    Run,
    /// One `ENTERING_MANAGED_PKG` line per hidden event (as Salesforce writes them).
    Every,
}

impl From<Markers> for view::Markers {
    fn from(m: Markers) -> Self {
        match m {
            Markers::Run => view::Markers::Run,
            Markers::Every => view::Markers::Every,
        }
    }
}
