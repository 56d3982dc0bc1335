//! The payload grammars (`dbglog::event::payload`) against an oracle: hand-written
//! parsers of the same fields (the `hand` module), on every event of every fixture and
//! corpus log. Two independent readings of each grammar must give the same answers on
//! every real event; the grammars' own unit tests cover malformed input.

mod common;

use dbglog::event::payload::{dml, explain, heap, limit};
use dbglog::event::{Event, EventType};
use dbglog::framing::{RecordKind, records};
use dbglog::input::decode::{Encoding, sniff, utf16_to_utf8};

mod hand {
    use dbglog::event::Event;
    use dbglog::event::parse::parse_u64_commas;

    pub fn heap_bytes(first_line: &[u8]) -> Option<i64> {
        let p = memchr::memmem::find(first_line, b"Bytes:")? + 6;
        let v = &first_line[p..];
        let (neg, v) = match v.strip_prefix(b"-") {
            Some(r) => (true, r),
            None => (false, v),
        };
        let n = v
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b',')
            .count();
        let b = parse_u64_commas(&v[..n])? as i64;
        Some(if neg { -b } else { b })
    }

    pub fn rows_field(first_line: &[u8]) -> Option<u64> {
        let p = memchr::memrchr(b'|', first_line).map_or(0, |p| p + 1);
        let v = first_line[p..].strip_prefix(b"Rows:")?;
        parse_u64_commas(v)
    }

    pub fn relative_cost(b: &[u8]) -> Option<f64> {
        let p = memchr::memmem::find(b, b"relativeCost ")? + 13;
        let n = b[p..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
        std::str::from_utf8(&b[p..p + n]).ok()?.parse().ok()
    }

    pub fn limit_line(l: &[u8]) -> Option<(&[u8], u64, u64, bool)> {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        let start = l.iter().position(|c| !c.is_ascii_whitespace())?;
        let l = &l[start..];
        let colon = memchr::memchr(b':', l)?;
        let label = &l[..colon];
        let rest = l[colon + 1..].strip_prefix(b" ")?;
        let digits = |b: &[u8]| {
            b.iter()
                .take_while(|c| c.is_ascii_digit() || **c == b',')
                .count()
        };
        let n = digits(rest);
        let used = parse_u64_commas(&rest[..n])?;
        let after = rest[n..].strip_prefix(b" out of ")?;
        let m = digits(after);
        let max = parse_u64_commas(&after[..m])?;
        let close = memchr::memchr(b'*', &after[m..]).is_some();
        Some((label, used, max, close))
    }

    pub fn dml_name<'a>(ev: &Event<'a>) -> &'a [u8] {
        let body = ev.first_line();
        let body = match memchr::memchr(b'|', body) {
            Some(p) if body.starts_with(b"[") => &body[p + 1..],
            _ => body,
        };
        match memchr::memrchr(b'|', body) {
            Some(p) if body[p + 1..].starts_with(b"Rows:") => &body[..p],
            _ => body,
        }
    }
}

/// Every log to compare on: the fixtures, and the corpus when there is one.
fn logs() -> Vec<std::path::PathBuf> {
    let mut v = common::fixture_logs();
    v.extend(common::corpus_logs().unwrap_or_default());
    v
}

fn utf8(path: &std::path::Path) -> Vec<u8> {
    let b = std::fs::read(path).expect("read log");
    match sniff(&b) {
        e @ (Encoding::Utf16Le | Encoding::Utf16Be) => utf16_to_utf8(&b, e),
        _ => b,
    }
}

/// Call `check` with every event of every log; returns how many events there were.
fn each_event(mut check: impl FnMut(&Event<'_>)) -> usize {
    let mut n = 0;
    for path in logs() {
        let buf = utf8(&path);
        for r in records(&buf) {
            if let (RecordKind::Event, Some(h)) = (r.kind, r.head) {
                check(&Event::new(h, r.raw, r.offset, r.line));
                n += 1;
            }
        }
    }
    n
}

#[test]
fn analyze_hand_parsers_equal_the_grammars_on_every_event() {
    let (mut limit_lines, mut rows, mut heaps, mut costs, mut dmls) = (0, 0, 0, 0, 0);
    let events = each_event(|ev| {
        let first = ev.first_line();
        let t = ev.etype();
        // Every parser on every event's first line: equal answers, also on text of
        // another shape.
        let want = hand::rows_field(first);
        assert_eq!(dml::rows(first), want, "rows_field, line {}", ev.line);
        rows += usize::from(want.is_some());
        let want = hand::heap_bytes(first);
        assert_eq!(heap::bytes(first), want, "heap_bytes, line {}", ev.line);
        heaps += usize::from(want.is_some());
        let text = ev.field(1).unwrap_or(b"");
        let want = hand::relative_cost(text);
        assert_eq!(
            explain::relative_cost(text),
            want,
            "relative_cost, line {}",
            ev.line
        );
        costs += usize::from(want.is_some());
        if t == EventType::DmlBegin {
            assert_eq!(
                dml::name(first),
                hand::dml_name(ev),
                "dml_name, line {}",
                ev.line
            );
            dmls += 1;
        }
        for l in ev.body().split(|&c| c == b'\n') {
            let want = hand::limit_line(l);
            let got = limit::line(l).map(|x| (x.label, x.used, x.max, x.close));
            assert_eq!(got, want, "limit_line, line {}", ev.line);
            limit_lines += usize::from(want.is_some());
        }
    });
    assert!(events > 0);
    for (what, n) in [
        ("limit lines", limit_lines),
        ("Rows: fields", rows),
        ("heap events", heaps),
        ("plans", costs),
        ("DML lines", dmls),
    ] {
        assert!(n > 0, "no {what} compared");
    }
}

#[test]
fn limit_blocks_read_the_lines_analyze_reads() {
    each_event(|ev| {
        if ev.etype() != EventType::LimitUsageForNs {
            return;
        }
        let body = ev.body();
        let want: Vec<_> = body
            .split(|&c| c == b'\n')
            .enumerate()
            .skip(1)
            .filter_map(|(i, l)| hand::limit_line(l).map(|x| (i, x)))
            .collect();
        let block = limit::Block::parse(body).expect("a limits block");
        let got: Vec<_> = block
            .lines()
            .map(|(i, x)| (i, (x.label, x.used, x.max, x.close)))
            .collect();
        assert_eq!(got, want, "line {}", ev.line);
    });
}

#[test]
fn plans_parse_where_analyze_finds_a_cost() {
    each_event(|ev| {
        if ev.etype() != EventType::SoqlExecuteExplain {
            return;
        }
        let text = ev.field(1).unwrap_or(b"");
        if let Some(p) = explain::Plan::parse(text) {
            assert_eq!(Some(p.relative_cost), hand::relative_cost(text));
            assert_eq!(p.is_table_scan(), text.starts_with(b"TableScan"));
        }
    });
}
