//! Callouts: each `CALLOUT_REQUEST` with its endpoint, HTTP method, the status of its
//! `CALLOUT_RESPONSE` and the time between them, and totals per namespace.
//!
//! The endpoint is the request's `Endpoint=` with its query string and fragment dropped
//! (they carry parameters, often tokens or record data): scheme, host and path, or
//! `callout:Name/path` for a named credential. It is the one field of the section that
//! holds text from the log, so [`CalloutTable::redact`] can pass every endpoint through a
//! [`Redactor`] in one place.

use super::Report;
use super::text::{clip, ms};
use crate::event::{Event, EventType};
use crate::namespace::NsId;
use crate::output::Style;
use crate::view::redact::Redactor;
use serde::Serialize;
use std::io::{self, Write};

/// At most this many callouts are listed (the totals count every one).
pub const LIST_CAP: usize = 1_000;
/// Most callouts printed in the text report.
const TEXT_ROWS: usize = 15;

/// One callout.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Callout {
    /// Scheme, host and path (`https://api.example.net/v2/orders`), query string dropped.
    pub endpoint: String,
    /// `GET`, `POST`, …; null when the request does not say.
    pub method: Option<String>,
    /// The response's `StatusCode`; null without a response.
    pub status_code: Option<u16>,
    /// The response's `Status` text (`OK`, `Not Found`); null without a response.
    pub status: Option<String>,
    /// Request to response; null without a response (a timeout, or a cut log).
    pub time_nanos: Option<u64>,
    /// The namespace of the code that called out.
    pub namespace: String,
    /// The request's `[N]`.
    pub source_line: Option<u32>,
    /// The request's log line.
    pub log_line: u64,
}

/// Callouts of one namespace.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NsCallouts {
    /// The namespace.
    pub namespace: String,
    /// Requests.
    pub count: u64,
    /// Time of those with a response.
    pub time_nanos: u64,
    /// Responses with a status code of 400 or more, and requests without a response.
    pub failed: u64,
}

/// The `callouts` section of the report.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CalloutTable {
    /// `CALLOUT_REQUEST` events.
    pub count: u64,
    /// Request-to-response time, summed.
    pub time_nanos: u64,
    /// The first [`LIST_CAP`] callouts, in log order.
    pub callouts: Vec<Callout>,
    /// Per namespace, most requests first.
    pub by_namespace: Vec<NsCallouts>,
}

impl CalloutTable {
    /// Pass every endpoint through `r` (the redaction classes of a view).
    pub fn redact(&mut self, r: &mut Redactor) {
        let mut out = Vec::new();
        for c in &mut self.callouts {
            out.clear();
            if r.redact(c.endpoint.as_bytes(), &mut out) {
                c.endpoint = String::from_utf8_lossy(&out).into_owned();
            }
        }
    }
}

/// The accumulator, fed by the `Analyzer` with every event.
#[derive(Debug, Default)]
pub(super) struct Callouts {
    list: Vec<(NsId, Callout)>,
    /// The open request: its index in `list` (or none past the cap), namespace, nanos.
    open: Option<(Option<usize>, NsId, Option<u64>)>,
    /// Per namespace: requests, time, failed.
    per_ns: Vec<(u64, u64, u64)>,
    count: u64,
    time: u64,
}

/// The value of `key` (`Endpoint=`) in a bracketed `A=1, B=2]` list, up to `, ` or `]`.
fn field<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let p = memchr::memmem::find(text, key)? + key.len();
    let v = &text[p..];
    let end = memchr::memmem::find(v, b", ")
        .into_iter()
        .chain(memchr::memrchr(b']', v))
        .min()
        .unwrap_or(v.len());
    Some(&v[..end])
}

/// The endpoint without its query string and fragment.
pub fn endpoint(url: &[u8]) -> String {
    let end = url
        .iter()
        .position(|&c| c == b'?' || c == b'#')
        .unwrap_or(url.len());
    String::from_utf8_lossy(&url[..end]).into_owned()
}

impl Callouts {
    fn ns(&mut self, ns: NsId) -> &mut (u64, u64, u64) {
        let i = ns.0 as usize;
        if i >= self.per_ns.len() {
            self.per_ns.resize(i + 1, (0, 0, 0));
        }
        &mut self.per_ns[i]
    }

    /// Look at one event in namespace `ns`.
    #[inline]
    pub fn event(&mut self, ev: &Event<'_>, ns: NsId) {
        match ev.etype() {
            EventType::CalloutRequest => self.request(ev, ns),
            EventType::CalloutResponse => self.response(ev),
            EventType::ExecutionStarted => self.close_open(),
            _ => {}
        }
    }

    fn close_open(&mut self) {
        if let Some((_, ns, _)) = self.open.take() {
            self.ns(ns).2 += 1;
        }
    }

    fn request(&mut self, ev: &Event<'_>, ns: NsId) {
        self.close_open();
        self.count += 1;
        self.ns(ns).0 += 1;
        let body = ev.first_line();
        let idx = (self.list.len() < LIST_CAP).then(|| {
            self.list.push((
                ns,
                Callout {
                    endpoint: field(body, b"Endpoint=").map_or_else(String::new, endpoint),
                    method: field(body, b"Method=").map(|m| String::from_utf8_lossy(m).into()),
                    status_code: None,
                    status: None,
                    time_nanos: None,
                    namespace: String::new(),
                    source_line: ev.source_line(),
                    log_line: ev.line,
                },
            ));
            self.list.len() - 1
        });
        self.open = Some((idx, ns, ev.nanos()));
    }

    fn response(&mut self, ev: &Event<'_>) {
        let Some((idx, ns, start)) = self.open.take() else {
            return;
        };
        let body = ev.first_line();
        let code = field(body, b"StatusCode=")
            .and_then(|c| std::str::from_utf8(c).ok())
            .and_then(|c| c.parse::<u16>().ok());
        let time = match (start, ev.nanos()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        self.time += time;
        let acc = self.ns(ns);
        acc.1 += time;
        if code.is_none_or(|c| c >= 400) {
            acc.2 += 1;
        }
        if let Some((_, c)) = idx.and_then(|i| self.list.get_mut(i)) {
            c.status_code = code;
            c.status = field(body, b"Status=").map(|s| String::from_utf8_lossy(s).into());
            c.time_nanos = Some(time);
        }
    }

    /// The section, namespaces named by `ns_name`.
    pub fn finish(mut self, ns_name: &dyn Fn(NsId) -> String) -> CalloutTable {
        self.close_open();
        let mut by_namespace: Vec<NsCallouts> = self
            .per_ns
            .iter()
            .enumerate()
            .filter(|(_, a)| a.0 > 0)
            .map(|(i, a)| NsCallouts {
                namespace: ns_name(NsId(i as u16)),
                count: a.0,
                time_nanos: a.1,
                failed: a.2,
            })
            .collect();
        by_namespace.sort_by(|a, b| b.count.cmp(&a.count).then(a.namespace.cmp(&b.namespace)));
        CalloutTable {
            count: self.count,
            time_nanos: self.time,
            callouts: self
                .list
                .into_iter()
                .map(|(ns, mut c)| {
                    c.namespace = ns_name(ns);
                    c
                })
                .collect(),
            by_namespace,
        }
    }
}

/// The text section `Callouts`: totals per namespace, then each callout.
pub(super) fn write_text<W: Write>(
    w: &mut W,
    r: &Report,
    st: &Style,
    width: usize,
) -> io::Result<()> {
    let c = &r.callouts;
    if c.count == 0 {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        st.bold(&format!(
            "Callouts: {} requests, {} ms",
            c.count,
            ms(c.time_nanos)
        ))
    )?;
    for n in &c.by_namespace {
        writeln!(
            w,
            "  {:<24} {:>7} requests {:>12} ms {:>5} failed",
            clip(&n.namespace, 24),
            n.count,
            ms(n.time_nanos),
            n.failed
        )?;
    }
    writeln!(
        w,
        "  {:>6} {:<6} {:>10}  {:<10} endpoint",
        "status", "method", "ms", "namespace"
    )?;
    for k in c.callouts.iter().take(TEXT_ROWS) {
        // 2 + 6 + 1 + 6 + 1 + 10 + 2 + 10 + 1 = 39 columns, then the endpoint.
        let status = k.status_code.map_or_else(|| "-".into(), |s| s.to_string());
        let time = k.time_nanos.map_or_else(|| "-".into(), ms);
        writeln!(
            w,
            "  {:>6} {:<6} {:>10}  {:<10} {}",
            clip(&status, 6),
            clip(k.method.as_deref().unwrap_or("-"), 6),
            time,
            clip(&k.namespace, 10),
            clip(&k.endpoint, width.saturating_sub(39)),
        )?;
    }
    if c.callouts.len() > TEXT_ROWS {
        writeln!(
            w,
            "  {}",
            st.dim(&format!(
                "… {} more callouts (see --format json)",
                c.callouts.len() - TEXT_ROWS
            ))
        )?;
    }
    Ok(())
}
