//! File names for captured logs: the `--name` template, file-system-safe text, and the
//! run date.

use std::fmt;

/// Longest file name stem (before the uniqueness suffix and the extension), in bytes.
pub const MAX_STEM: usize = 120;

/// The default template: first event's time, user and entry point.
pub const DEFAULT_TEMPLATE: &str = "{time}_{user}_{entry}";

/// The placeholders a template may use, for help and error texts.
pub const PLACEHOLDERS: &str = "{n}, {time}, {user}, {entry}, {date}, {nanos}";

/// One piece of a parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Seq,
    Time,
    User,
    Entry,
    Date,
    Nanos,
}

/// A parsed `--name` template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// A template that names an unknown placeholder or has an unclosed `{`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

impl Default for Template {
    fn default() -> Self {
        Template::parse(DEFAULT_TEMPLATE).expect("the default template is valid")
    }
}

/// What a log supplies to its name.
#[derive(Clone, Copy, Debug, Default)]
pub struct NameParts<'a> {
    /// Sequence number of the log within this run (1-based).
    pub seq: u64,
    /// Wall-clock time of the first event, in milliseconds since midnight.
    pub wall_ms: Option<u32>,
    /// NANOS of the first event.
    pub nanos: Option<u64>,
    /// The user name (from USER_INFO), possibly already redacted.
    pub user: &'a [u8],
    /// The entry point (first CODE_UNIT_STARTED name).
    pub entry: &'a [u8],
    /// The local date when the log is filed, `YYYY-MM-DD`.
    pub date: &'a str,
}

impl Template {
    /// Parse a template. Placeholders: see [`PLACEHOLDERS`]; any other text is kept (made
    /// safe for file systems when the name is built).
    pub fn parse(s: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Lit(rest[..open].to_string()));
            }
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return Err(TemplateError(format!(
                    "--name '{s}': unclosed '{{'; placeholders are {PLACEHOLDERS}"
                )));
            };
            let piece = match &after[..close] {
                "n" => Piece::Seq,
                "time" => Piece::Time,
                "user" => Piece::User,
                "entry" => Piece::Entry,
                "date" => Piece::Date,
                "nanos" => Piece::Nanos,
                other => {
                    return Err(TemplateError(format!(
                        "--name '{s}': unknown placeholder '{{{other}}}'; placeholders are {PLACEHOLDERS}"
                    )));
                }
            };
            pieces.push(piece);
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Lit(rest.to_string()));
        }
        Ok(Template { pieces })
    }

    /// True if the template uses `{date}` (which costs a look-up of the local time).
    pub fn uses_date(&self) -> bool {
        self.pieces.contains(&Piece::Date)
    }

    /// Build a safe file name stem (no extension, no uniqueness suffix).
    pub fn render(&self, p: &NameParts<'_>) -> String {
        let mut raw: Vec<u8> = Vec::with_capacity(96);
        for piece in &self.pieces {
            match piece {
                Piece::Lit(s) => raw.extend_from_slice(s.as_bytes()),
                Piece::Seq => raw.extend_from_slice(p.seq.to_string().as_bytes()),
                Piece::Time => match p.wall_ms {
                    Some(ms) => raw.extend_from_slice(format_wall(ms).as_bytes()),
                    None => raw.extend_from_slice(b"notime"),
                },
                Piece::Nanos => match p.nanos {
                    Some(n) => raw.extend_from_slice(n.to_string().as_bytes()),
                    None => raw.extend_from_slice(b"nonanos"),
                },
                Piece::User => raw.extend_from_slice(or_unknown(p.user)),
                Piece::Entry => raw.extend_from_slice(or_unknown(p.entry)),
                Piece::Date => raw.extend_from_slice(p.date.as_bytes()),
            }
        }
        safe_stem(&raw)
    }
}

fn or_unknown(b: &[u8]) -> &[u8] {
    if b.is_empty() { b"unknown" } else { b }
}

/// `HHMMSS.mmm` from milliseconds since midnight (hours may exceed 23 in odd logs).
pub fn format_wall(ms: u32) -> String {
    let (h, rem) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let (s, frac) = (rem / 1000, rem % 1000);
    format!("{h:02}{m:02}{s:02}.{frac:03}")
}

/// Make `raw` a safe file name stem: every byte outside `[A-Za-z0-9._-]` becomes `_`, runs
/// of `_` collapse, a leading `.` or `-` becomes `_` (no hidden files, no option look-alikes,
/// never `.` or `..`), and the result is capped at [`MAX_STEM`] bytes. Empty input gives `log`.
pub fn safe_stem(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_STEM));
    for &c in raw {
        if out.len() >= MAX_STEM {
            break;
        }
        let ok = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
        let ch = if ok { c as char } else { '_' };
        if ch == '_' && out.ends_with('_') {
            continue;
        }
        if out.is_empty() && (ch == '.' || ch == '-') {
            out.push('_');
            continue;
        }
        out.push(ch);
    }
    while out.ends_with('_') && out.len() > 1 {
        out.pop();
    }
    if out.is_empty() || out == "_" {
        return "log".to_string();
    }
    out
}

/// Today's date in local time as `YYYY-MM-DD`, from the C library's `localtime_r` (which
/// reads the time zone from `TZ` or the system's zone file; no process is started). Falls
/// back to the UTC date when the local time is not known.
pub fn local_date() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    #[cfg(unix)]
    {
        let t = now as libc::time_t;
        // SAFETY: `tm` is plain data that `localtime_r` fills; both pointers are valid for
        // the call and `localtime_r` keeps neither.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        if !unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
            return format!(
                "{:04}-{:02}-{:02}",
                tm.tm_year as i64 + 1900,
                tm.tm_mon + 1,
                tm.tm_mday
            );
        }
    }
    date_of(now)
}

/// The UTC date of `secs` seconds after the epoch, `YYYY-MM-DD`.
fn date_of(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn utc_date() -> String {
    date_of(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_stem_rules() {
        assert_eq!(safe_stem(b"a@b.c/../x y"), "a_b.c_.._x_y");
        assert_eq!(safe_stem(b"..hidden"), "_.hidden");
        assert_eq!(safe_stem(b"-rf"), "_rf");
        assert_eq!(safe_stem(b""), "log");
        assert_eq!(safe_stem(b"///"), "log");
        assert_eq!(safe_stem("ü€x".as_bytes()), "_x");
        assert_eq!(safe_stem(&[b'a'; 500]).len(), MAX_STEM);
    }

    #[test]
    fn template_render() {
        let t = Template::parse("{date}-{n}-{time}-{nanos}-{user}-{entry}").unwrap();
        let p = NameParts {
            seq: 3,
            wall_ms: Some(((10 * 60 + 15) * 60 + 42) * 1000 + 57),
            nanos: Some(1234),
            user: b"jo.lee@example.org",
            entry: b"CaseTrigger on Case trigger event BeforeInsert",
            date: "2024-05-01",
        };
        assert_eq!(
            t.render(&p),
            "2024-05-01-3-101542.057-1234-jo.lee_example.org-CaseTrigger_on_Case_trigger_event_BeforeInsert"
        );
        let d = Template::default().render(&NameParts::default());
        assert_eq!(d, "notime_unknown_unknown");
    }

    #[test]
    fn template_errors() {
        let e = Template::parse("{bogus}").unwrap_err();
        assert!(e.0.contains("unknown placeholder '{bogus}'"), "{e}");
        assert!(Template::parse("x{time").is_err());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(date_of(1_709_251_199), "2024-02-29");
    }

    #[test]
    fn local_date_is_a_date() {
        let d = local_date();
        assert_eq!(d.len(), 10, "{d}");
        assert!(d.bytes().enumerate().all(|(i, c)| if i == 4 || i == 7 {
            c == b'-'
        } else {
            c.is_ascii_digit()
        }));
    }
}
