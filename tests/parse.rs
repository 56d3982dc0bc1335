//! The parser on every trap fixture: framing, heads, fields, namespaces, frames, round trip.

mod common;

use dbglog::event::EventType;
use dbglog::framing::RecordKind;
use dbglog::input;
use dbglog::stream::{self, Item};
use dbglog::track::{CloseKind, IssueKind, Tracker};

/// What one run over a fixture saw.
#[derive(Default)]
struct Seen {
    kinds: Vec<(RecordKind, u64)>,
    events: Vec<(u64, String, String, Option<String>, u32)>, // line, type, frame_ns, caller_ns, depth
    bytes: Vec<u8>,
    closed: Vec<(String, String, CloseKind, u64)>, // entry type, name, how, self
}

fn scan(path: &std::path::Path, ns: &[&str]) -> (Seen, Tracker, dbglog::input::decode::Encoding) {
    let mut inp = input::open_path(path).expect("open fixture");
    let enc = inp.encoding;
    let mut t = Tracker::new().with_namespaces(ns);
    let mut s = Seen::default();
    let sum = stream::run(&mut inp, &mut t, |item: &Item<'_>, t: &Tracker| {
        s.kinds.push((item.record.kind, item.record.line));
        s.bytes.extend_from_slice(item.record.raw);
        if let Some(ev) = &item.event {
            let n = t.namespaces();
            s.events.push((
                ev.line,
                String::from_utf8_lossy(ev.type_name()).into_owned(),
                n.name_str(item.loc.frame_ns).into_owned(),
                item.loc.caller_ns.map(|c| n.name_str(c).into_owned()),
                item.loc.depth,
            ));
        }
        for c in t.closed() {
            s.closed.push((
                format!("{:?}", c.entry),
                String::from_utf8_lossy(c.name).into_owned(),
                c.how,
                c.self_time,
            ));
        }
        Ok(())
    })
    .expect("run");
    t.finish(sum.last_line);
    for c in t.closed() {
        s.closed.push((
            format!("{:?}", c.entry),
            String::from_utf8_lossy(c.name).into_owned(),
            c.how,
            c.self_time,
        ));
    }
    (s, t, enc)
}

type Ev = (u64, String, String, Option<String>, u32);

fn event_at(s: &Seen, line: u64) -> &Ev {
    s.events
        .iter()
        .find(|e| e.0 == line)
        .unwrap_or_else(|| panic!("no event at line {line}"))
}

#[test]
fn every_utf8_fixture_round_trips_byte_for_byte() {
    for p in common::fixture_logs() {
        let (s, _, enc) = scan(&p, &[]);
        if enc.is_utf16() {
            continue;
        }
        assert_eq!(s.bytes, std::fs::read(&p).unwrap(), "{}", p.display());
    }
}

#[test]
fn utf16_fixtures_decode_to_the_same_events_as_utf8() {
    for name in ["trap-utf16le.log", "trap-utf16be.log"] {
        let (s, _, enc) = scan(&common::fixture(name), &[]);
        assert!(enc.is_utf16(), "{name}");
        assert!(s.events.len() > 5, "{name}: {} events", s.events.len());
        assert!(s.kinds.iter().any(|k| k.0 == RecordKind::Header), "{name}");
        assert!(
            s.events
                .iter()
                .all(|e| e.1.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        );
    }
}

#[test]
fn crlf_lines_are_events_and_fields_have_no_cr() {
    let p = common::fixture("trap-crlf.log");
    let bytes = std::fs::read(&p).unwrap();
    let recs = dbglog::framing::records(&bytes);
    let mut n = 0;
    for r in recs.iter().filter(|r| r.kind == RecordKind::Event) {
        let ev = dbglog::event::Event::new(r.head.unwrap(), r.raw, r.offset, r.line);
        for f in ev.fields() {
            if !f.contains(&b'\n') {
                assert!(!f.ends_with(b"\r"), "field ends with CR at line {}", r.line);
            }
        }
        n += 1;
    }
    assert!(n > 5);
}

#[test]
fn bom_is_its_own_record() {
    let (s, _, enc) = scan(&common::fixture("trap-bom-utf8.log"), &[]);
    assert_eq!(enc, dbglog::input::decode::Encoding::Utf8Bom);
    assert_eq!(s.kinds[0], (RecordKind::Bom, 1));
    assert_eq!(s.kinds[1], (RecordKind::Header, 1));
}

#[test]
fn old_logs_without_nanos_parse() {
    let (s, _, _) = scan(&common::fixture("trap-old-no-nanos.log"), &[]);
    assert!(s.events.len() > 3);
    assert!(s.events.iter().any(|e| e.1 == "EXECUTION_STARTED"));
}

#[test]
fn preamble_and_banners_are_text_records() {
    let (s, _, _) = scan(&common::fixture("trap-preamble.log"), &[]);
    let first_header = s
        .kinds
        .iter()
        .position(|k| k.0 == RecordKind::Header)
        .unwrap();
    assert!(first_header > 0, "banner lines come before the header");
    assert!(
        s.kinds[..first_header]
            .iter()
            .all(|k| k.0 == RecordKind::Text)
    );
    let first_event = s
        .kinds
        .iter()
        .position(|k| k.0 == RecordKind::Event)
        .unwrap();
    assert!(
        s.kinds[first_header + 1..first_event]
            .iter()
            .all(|k| k.0 == RecordKind::Text)
    );
    assert!(
        first_event > first_header + 1,
        "Execute Anonymous lines are preamble"
    );
}

#[test]
fn two_headers_mean_two_logs() {
    let (s, t, _) = scan(&common::fixture("trap-two-logs.log"), &[]);
    assert_eq!(
        s.kinds.iter().filter(|k| k.0 == RecordKind::Header).count(),
        2
    );
    assert_eq!(t.logs(), 2);
    assert_eq!(t.issue_count(IssueKind::MultipleLogs), 1);
}

#[test]
fn skipped_markers_are_records_and_issues() {
    let (s, t, _) = scan(&common::fixture("trap-skipped.log"), &[]);
    assert_eq!(
        s.kinds
            .iter()
            .filter(|k| k.0 == RecordKind::Skipped)
            .count(),
        2
    );
    assert_eq!(t.issue_count(IssueKind::Skipped), 2);
    let bytes = std::fs::read(common::fixture("trap-skipped.log")).unwrap();
    let sk: Vec<_> = dbglog::framing::records(&bytes)
        .into_iter()
        .filter_map(|r| r.skipped_bytes())
        .collect();
    assert_eq!(sk, vec![22_606_355, 1024]);
}

#[test]
fn max_size_marker_cuts_the_line_and_closes_frames() {
    let p = common::fixture("trap-maxsize.log");
    let (s, t, _) = scan(&p, &[]);
    assert_eq!(
        s.kinds
            .iter()
            .filter(|k| k.0 == RecordKind::MaxSize)
            .count(),
        1
    );
    assert_eq!(t.issue_count(IssueKind::MaxSize), 1);
    let bytes = std::fs::read(&p).unwrap();
    let recs = dbglog::framing::records(&bytes);
    let i = recs
        .iter()
        .position(|r| r.kind == RecordKind::MaxSize)
        .unwrap();
    assert!(
        recs[i]
            .raw
            .windows(30)
            .any(|w| w == b"MAXIMUM DEBUG LOG SIZE REACHED")
    );
    assert!(
        !recs[i - 1].raw.windows(7).any(|w| w == b"MAXIMUM"),
        "event before the marker is cut"
    );
    assert!(
        s.closed.iter().any(|c| c.2 == CloseKind::Open),
        "frames closed as estimated"
    );
}

#[test]
fn unknown_types_are_kept_and_counted() {
    let (s, _, _) = scan(&common::fixture("trap-unknown-type.log"), &[]);
    assert!(s.events.iter().any(|e| e.1 == "FUTURE_NEW_EVENT_TYPE"));
    let bytes = std::fs::read(common::fixture("trap-unknown-type.log")).unwrap();
    let mut st = dbglog::stats::Stats::default();
    let mut inp = input::from_bytes("x", bytes);
    stream::run(&mut inp, &mut Tracker::new(), |i, _| {
        st.add(i);
        Ok(())
    })
    .unwrap();
    assert!(st.unknown_total() >= 2);
    assert!(st.unknown().contains_key(&b"FUTURE_NEW_EVENT_TYPE"[..]));
}

#[test]
fn no_header_and_header_only() {
    let (s, _, _) = scan(&common::fixture("trap-no-header.log"), &[]);
    assert!(s.kinds.iter().all(|k| k.0 != RecordKind::Header));
    assert!(s.events.len() > 3);
    let (s, _, _) = scan(&common::fixture("trap-header-only.log"), &[]);
    assert_eq!(
        s.kinds.iter().filter(|k| k.0 == RecordKind::Header).count(),
        1
    );
    assert!(s.events.is_empty());
}

#[test]
fn multiline_events_keep_their_continuations() {
    let p = common::fixture("trap-multiline.log");
    let bytes = std::fs::read(&p).unwrap();
    let recs = dbglog::framing::records(&bytes);
    let evs: Vec<_> = recs
        .iter()
        .filter(|r| r.kind == RecordKind::Event)
        .map(|r| dbglog::event::Event::new(r.head.unwrap(), r.raw, r.offset, r.line))
        .collect();
    let multi: Vec<_> = evs
        .iter()
        .filter(|e| e.is_multiline())
        .map(|e| e.etype())
        .collect();
    for t in [
        EventType::UserDebug,
        EventType::SoqlExecuteBegin,
        EventType::LimitUsageForNs,
        EventType::FatalError,
    ] {
        assert!(
            multi.contains(&t),
            "{t:?} should span lines; multi-line types: {multi:?}"
        );
    }
    // The tail-fixed flow error recovers its element type and name from a continuation line.
    let fe = evs
        .iter()
        .find(|e| e.etype() == EventType::FlowElementError)
        .expect("FLOW_ELEMENT_ERROR");
    let f: Vec<_> = fe.fields().collect();
    assert_eq!(
        f.len(),
        3,
        "{:?}",
        f.iter()
            .map(|x| String::from_utf8_lossy(x))
            .collect::<Vec<_>>()
    );
    assert!(f[0].contains(&b'|'), "message keeps its pipe");
    // No text line became an event of its own: every event type here is known.
    assert!(evs.iter().all(|e| e.etype() != EventType::Unknown));
}

#[test]
fn namespaces_from_every_kind_of_evidence() {
    let (s, t, _) = scan(&common::fixture("trap-namespaces.log"), &[]);
    let names: Vec<String> = t
        .namespaces()
        .iter()
        .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
        .collect();
    for n in ["acme", "zed", "java__util", ""] {
        assert!(
            names.iter().any(|x| x == n),
            "namespace {n:?} not found in {names:?}"
        );
    }
    assert!(
        !names.iter().any(|x| x == "InvoiceHelper"),
        "an inner class is not a namespace: {names:?}"
    );
    // Every METHOD_ENTRY of acme.* / zed.* is in that namespace; InvoiceHelper.* stays default.
    let bytes = std::fs::read(common::fixture("trap-namespaces.log")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for (i, line) in text.lines().enumerate() {
        if !line.contains("|METHOD_ENTRY|") {
            continue;
        }
        let sig = line.rsplit('|').next().unwrap();
        let e = event_at(&s, i as u64 + 1);
        let want = if sig.starts_with("acme.") {
            "acme"
        } else if sig.starts_with("zed.") {
            "zed"
        } else if sig.starts_with("InvoiceHelper.") {
            "(default)"
        } else {
            continue;
        };
        assert_eq!(e.2, want, "line {}: {sig}", i + 1);
    }
    // LIMIT_USAGE_FOR_NS names its block's namespace.
    let lim: Vec<_> = s
        .events
        .iter()
        .filter(|e| e.1 == "LIMIT_USAGE_FOR_NS")
        .map(|e| e.2.clone())
        .collect();
    assert!(
        lim.contains(&"acme".to_string()) && lim.contains(&"zed".to_string()),
        "{lim:?}"
    );
}

#[test]
fn e2cp_handled_namespaces_and_frames() {
    let (s, _, _) = scan(&common::fixture("e2cp-handled.log"), &[]);
    let soql = event_at(&s, 118);
    assert_eq!(
        (soql.1.as_str(), soql.2.as_str()),
        ("SOQL_EXECUTE_BEGIN", "E2CP")
    );
    assert_eq!(soql.3.as_deref(), Some("(default)"));
    let exc = event_at(&s, 119);
    assert_eq!(
        (exc.1.as_str(), exc.2.as_str()),
        ("EXCEPTION_THROWN", "E2CP")
    );
    let dbg = event_at(&s, 160);
    assert_eq!(
        (dbg.1.as_str(), dbg.2.as_str()),
        ("USER_DEBUG", "(default)")
    );
    let handler = event_at(&s, 62);
    assert_eq!(handler.2, "E2CP");
    // Both package methods close with a matching exit and a positive self time.
    for m in [
        "E2CP.ThreadMatcher.findParent(Case)",
        "E2CP.CaseCreationHandler.handleBeforeInsert(List<Case>)",
    ] {
        let c = s
            .closed
            .iter()
            .find(|c| c.1 == m)
            .unwrap_or_else(|| panic!("{m} not closed"));
        assert_eq!(c.2, CloseKind::Exit, "{m}");
    }
}

#[test]
fn e2cp_fatal_unwinds_after_the_exception() {
    let (s, t, _) = scan(&common::fixture("e2cp-fatal.log"), &[]);
    let c = s
        .closed
        .iter()
        .find(|c| c.1 == "E2CP.ThreadMatcher.findParent(Case)")
        .expect("closed");
    assert_eq!(c.2, CloseKind::Unwound);
    assert_eq!(
        t.issue_count(IssueKind::MissingExit),
        0,
        "exits missing after an exception are expected"
    );
    assert_eq!(event_at(&s, 123).1, "FATAL_ERROR");
}

#[test]
fn e2cp_subscriber_log_package_runs() {
    let (s, _, _) = scan(&common::fixture("e2cp-subscriber.log"), &[]);
    let soql = event_at(&s, 117);
    assert_eq!(
        (soql.1.as_str(), soql.2.as_str()),
        ("SOQL_EXECUTE_BEGIN", "E2CP"),
        "SOQL between markers is the package's"
    );
    assert_eq!(
        event_at(&s, 154).2,
        "(default)",
        "the trigger's own debug line is the subscriber's"
    );
    assert!(
        s.closed
            .iter()
            .any(|c| c.2 == CloseKind::PackageRun && c.1 == "E2CP")
    );
}

#[test]
fn unbalanced_frames_are_reported_not_fatal() {
    let (s, t, _) = scan(&common::fixture("trap-unbalanced.log"), &[]);
    assert!(t.issue_count(IssueKind::UnexpectedExit) >= 1);
    assert!(
        t.issue_count(IssueKind::MissingExit) >= 1,
        "an entry never closed is reported when its code unit ends"
    );
    assert!(
        s.closed
            .iter()
            .any(|c| c.2 == CloseKind::Exit && c.0 == "MethodEntry")
    );
}

#[test]
fn depth_is_capped() {
    let mut log = b"61.0 APEX_CODE,FINE\n".to_vec();
    for i in 0..50u64 {
        log.extend_from_slice(
            format!("12:00:00.1 ({})|METHOD_ENTRY|[1]|01p|A.b()\n", 100 + i).as_bytes(),
        );
    }
    let mut inp = input::from_bytes("deep", log);
    let mut t = Tracker::new().with_max_depth(10);
    let mut max = 0;
    stream::run(&mut inp, &mut t, |i, _| {
        max = max.max(i.loc.depth);
        Ok(())
    })
    .unwrap();
    assert_eq!(max, 10);
    assert_eq!(t.issue_count(IssueKind::DepthCap), 1);
}

/// A marker names its namespace on its first line; one whose first line is no name (text
/// glued on by a mangled log) starts no package run and teaches no namespace.
#[test]
fn a_marker_names_its_namespace_on_its_first_line_only() {
    let log = b"61.0 APEX_CODE,FINEST\n\
        12:00:00.1 (1)|EXECUTION_STARTED\n\
        12:00:00.1 (2)|ENTERING_MANAGED_PKG|acme\n\
        continued text.debug('x');\n\
        12:00:00.1 (3)|ENTERING_MANAGED_PKG|not a name\n\
        12:00:00.1 (4)|EXECUTION_FINISHED\n";
    let mut t = dbglog::track::Tracker::new();
    let mut depths = Vec::new();
    dbglog::stream::run(
        &mut dbglog::input::from_bytes("m", log.to_vec()),
        &mut t,
        |item, _| {
            if item.event.is_some() {
                depths.push(item.loc.depth);
            }
            Ok(())
        },
    )
    .unwrap();
    let names: Vec<String> = t
        .namespaces()
        .iter()
        .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
        .collect();
    assert_eq!(names, ["(default)", "acme"]);
    // The second marker starts no run of its own: it sits in acme's run, at the same depth.
    assert_eq!(depths[1], depths[2]);
}

/// A line of code cannot run inside a query: a SOQL frame whose exception skipped its
/// `SOQL_EXECUTE_END` ends, unwound, at the first line of the catch block (not when the
/// method returns).
#[test]
fn a_query_frame_without_its_end_ends_where_code_runs_again() {
    let log = b"61.0 APEX_CODE,FINEST\n\
        12:00:00.1 (1)|EXECUTION_STARTED\n\
        12:00:00.1 (2)|METHOD_ENTRY|[1]|01p000000000001|Finder.find()\n\
        12:00:00.1 (3)|SOQL_EXECUTE_BEGIN|[5]|Aggregations:0|SELECT Id FROM Case\n\
        12:00:00.1 (4)|EXCEPTION_THROWN|[5]|System.QueryException: Non-selective query\n\
        12:00:00.1 (5)|STATEMENT_EXECUTE|[7]\n\
        12:00:00.1 (6)|METHOD_EXIT|[1]|01p000000000001|Finder.find()\n\
        12:00:00.1 (7)|EXECUTION_FINISHED\n";
    let mut t = Tracker::new();
    let mut seen = Vec::new();
    stream::run(
        &mut input::from_bytes("q", log.to_vec()),
        &mut t,
        |item, t| {
            if let Some(ev) = &item.event {
                let closed: Vec<_> = t.closed().map(|c| (c.entry, c.how)).collect();
                seen.push((ev.etype(), item.loc.depth, closed));
            }
            Ok(())
        },
    )
    .unwrap();
    let stmt = seen
        .iter()
        .find(|s| s.0 == EventType::StatementExecute)
        .unwrap();
    assert_eq!(
        stmt.1, 2,
        "the statement runs in the method, not in the query"
    );
    assert_eq!(
        stmt.2,
        vec![(EventType::SoqlExecuteBegin, CloseKind::Unwound)]
    );
    assert_eq!(
        t.issues().len(),
        0,
        "after an exception a missing end is expected"
    );
}
