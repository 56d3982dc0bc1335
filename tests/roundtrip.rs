//! The lossless guarantee and "never a panic", on arbitrary and log-shaped bytes, through
//! the in-memory path and the chunked stdin path; plus the corpus test.

mod common;

use dbglog::framing::RecordKind;
use dbglog::input;
use dbglog::stream;
use dbglog::track::Tracker;
use proptest::prelude::*;
use std::io::Read;

type Framed = (Vec<(RecordKind, Vec<u8>, u64)>, Vec<u8>);

/// Collect (kind, raw, line) of every record, plus the number of physical lines covered.
fn frame(inp: &mut dbglog::input::Input) -> Framed {
    frame_with(inp, stream::Threads::One)
}

fn frame_with(inp: &mut dbglog::input::Input, threads: stream::Threads) -> Framed {
    let mut recs = Vec::new();
    let mut all = Vec::new();
    stream::run_with(
        inp,
        &mut Tracker::new().with_max_depth(64),
        threads,
        |i, _| {
            recs.push((i.record.kind, i.record.raw.to_vec(), i.record.line));
            all.extend_from_slice(i.record.raw);
            Ok(())
        },
    )
    .expect("run");
    (recs, all)
}

/// A reader that hands out its data in pieces of the given sizes (cycled).
struct Choppy {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    k: usize,
}

impl Read for Choppy {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.k % self.sizes.len()].max(1);
        self.k += 1;
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn log_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO".to_string()),
        Just("Execute Anonymous: System.debug(1);".to_string()),
        Just("*** Skipped 1,024 bytes of detailed log".to_string()),
        Just("*********** MAXIMUM DEBUG LOG SIZE REACHED ***********".to_string()),
        Just(String::new()),
        "[ -~]{0,40}",
        (
            0u64..5_000_000,
            prop::sample::select(vec![
                "METHOD_ENTRY|[3]|01p|acme.A.b()",
                "METHOD_EXIT|[3]|01p|acme.A.b()",
                "USER_DEBUG|[1]|DEBUG|x|y",
                "ENTERING_MANAGED_PKG|acme",
                "SOQL_EXECUTE_BEGIN|[2]|Aggregations:0|SELECT Id",
                "SOQL_EXECUTE_END|[2]|Rows:1",
                "EXCEPTION_THROWN|[9]|System.NullPointerException: boom",
                "CODE_UNIT_STARTED|[EXTERNAL]|x",
                "CODE_UNIT_FINISHED|x",
                "EXECUTION_STARTED",
                "NEW_TYPE|q",
                "FATAL_ERROR|System.LimitException: acme:Too many SOQL queries: 101",
                "USER_DEBUG|[1]|DEBUG|tail *** MAXIMUM DEBUG LOG SIZE REACHED ***",
            ])
        )
            .prop_map(|(n, rest)| format!("12:00:00.{} ({n})|{rest}", n % 1000)),
    ]
}

fn log_doc() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((log_line(), any::<bool>()), 0..60),
        any::<bool>(),
    )
        .prop_map(|(lines, bom)| {
            let mut v = Vec::new();
            if bom {
                v.extend_from_slice(b"\xEF\xBB\xBF");
            }
            for (l, crlf) in lines {
                v.extend_from_slice(l.as_bytes());
                v.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_round_trip(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        // Skip inputs that sniff as UTF-16 (they are transcoded, by design).
        prop_assume!(!dbglog::input::decode::sniff(&data).is_utf16());
        let (_, all) = frame(&mut input::from_bytes("p", data.clone()));
        prop_assert_eq!(all, data);
    }

    #[test]
    fn log_shaped_bytes_round_trip_and_chunking_changes_nothing(
        doc in log_doc(),
        sizes in prop::collection::vec(1usize..300, 1..8),
    ) {
        let (whole, all) = frame(&mut input::from_bytes("p", doc.clone()));
        prop_assert_eq!(&all, &doc);
        let two = frame_with(&mut input::from_bytes("p", doc.clone()), stream::Threads::Two);
        prop_assert_eq!(&two.0, &whole);
        let r = Choppy { data: doc.clone(), pos: 0, sizes, k: 0 };
        let (chunked, all2) = frame(&mut input::from_reader("p", Box::new(r)));
        prop_assert_eq!(all2, doc);
        prop_assert_eq!(chunked, whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_through_utf16(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut d = vec![0xFF, 0xFE];
        d.extend_from_slice(&data);
        let _ = frame(&mut input::from_bytes("p", d.clone()));
        let _ = frame(&mut input::from_reader("p", Box::new(std::io::Cursor::new(d))));
    }
}

/// Every located item (record, event, namespaces, depth, log index) of a run.
fn located(inp: &mut dbglog::input::Input, threads: stream::Threads) -> Vec<String> {
    let mut out = Vec::new();
    stream::run_with(inp, &mut Tracker::new(), threads, |i, t| {
        out.push(format!(
            "{:?} {} {} {:?} {} {} {:?} {}",
            i.record.kind,
            i.record.offset,
            i.record.line,
            i.event.map(|e| e.etype()),
            i.loc.depth,
            String::from_utf8_lossy(t.namespaces().name(i.loc.frame_ns)),
            i.loc
                .caller_ns
                .map(|n| String::from_utf8_lossy(t.namespaces().name(n)).into_owned()),
            i.log
        ));
        Ok(())
    })
    .expect("run");
    out
}

/// Framing on a second thread hands the tracker exactly what one thread does, across many
/// batches of records.
#[test]
fn two_threads_locate_every_record_as_one_does() {
    let log = dbglog::generate::sample(3 << 20, 7);
    let one = located(
        &mut input::from_bytes("gen", log.clone()),
        stream::Threads::One,
    );
    let two = located(&mut input::from_bytes("gen", log), stream::Threads::Two);
    assert!(one.len() > 20_000, "several batches: {}", one.len());
    assert_eq!(one, two);
}

/// A consumer error ends a two-thread run with that error (the framing thread stops too).
#[test]
fn a_consumer_error_stops_a_two_thread_run() {
    let log = dbglog::generate::sample(3 << 20, 8);
    let mut seen = 0u64;
    let res = stream::run_with(
        &mut input::from_bytes("gen", log),
        &mut Tracker::new(),
        stream::Threads::Two,
        |_, _| {
            seen += 1;
            if seen == 5000 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "closed",
                ));
            }
            Ok(())
        },
    );
    assert!(
        matches!(res, Err(stream::RunError::Consumer(e)) if e.kind() == std::io::ErrorKind::BrokenPipe)
    );
    assert_eq!(seen, 5000);
}

/// The corpus test: every real log parses, round-trips byte for byte, and every line is
/// accounted for by exactly one record. Prints the unknown-type count.
#[test]
fn corpus_round_trip_and_unknown_types() {
    let mut files = common::fixture_logs();
    let from_corpus = match common::corpus_logs() {
        Some(c) => {
            let n = c.len();
            files.extend(c);
            n
        }
        None => 0,
    };
    let mut unknown = 0u64;
    let mut events = 0u64;
    for p in &files {
        let raw = std::fs::read(p).unwrap();
        let mut inp = input::open_path(p).unwrap();
        let utf16 = inp.encoding.is_utf16();
        let mut st = dbglog::stats::Stats::default();
        let mut all = Vec::new();
        let mut next_line = 1u64;
        stream::run(&mut inp, &mut Tracker::new(), |i, _| {
            st.add(i);
            all.extend_from_slice(i.record.raw);
            // Records tile the lines: each starts on the line where the last one ended
            // (a record cut mid-line by a marker shares its line with the marker).
            assert!(
                i.record.line == next_line || i.record.line + 1 == next_line,
                "{}: line {}",
                p.display(),
                i.record.line
            );
            next_line = i.record.line + memchr::memchr_iter(b'\n', i.record.raw).count() as u64;
            Ok(())
        })
        .unwrap();
        if !utf16 {
            assert_eq!(all, raw, "{}: round trip", p.display());
        }
        unknown += st.unknown_total();
        events += st.events;
    }
    eprintln!(
        "corpus test: {} files ({} from the corpus), {} events, {} of unknown types",
        files.len(),
        from_corpus,
        events,
        unknown
    );
}

fn head_like() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(b"0123456789:.() |ABCZ_x\r".to_vec()), 0..40),
        ("[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{0,4}( \\([0-9]{0,21}\\))?\\|[A-Z_0-9a-z]{0,12}[|\r x]?").prop_map(|s| s.into_bytes()),
    ]
}

proptest! {
    #[test]
    fn fast_head_parser_agrees_with_the_nom_grammar(line in head_like()) {
        prop_assert_eq!(dbglog::event::parse::head(&line), dbglog::event::parse::head_nom(&line));
    }
}
