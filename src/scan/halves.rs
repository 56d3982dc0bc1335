//! Scanning a large buffer as two halves at once, cut at an execution start: each half
//! has its own tracker, and the second's records count only when the cut held.

use crate::event::EventType;
use crate::event::parse::Head;
use crate::framing::{self, Framer};
use crate::stream::{Halt, Item, RunError, Sink, State, Threads, each, run_bytes};
use crate::track::Tracker;

/// Where [`run_halves`] may cut `buf`: the first line in `from..to` that starts an
/// execution (`EXECUTION_STARTED`) and is a framing seam ([`framing::seam`]). Returns its
/// offset and head.
pub fn execution_seam(buf: &[u8], from: usize, to: usize) -> Option<(usize, Head)> {
    let limit = to.min(buf.len());
    let finder = memchr::memmem::Finder::new(b"|EXECUTION_STARTED");
    let mut at = from;
    while at < limit {
        let i = at + finder.find(&buf[at..limit])?;
        let line_start = memchr::memrchr(b'\n', &buf[..i]).map_or(0, |p| p + 1);
        if line_start < from {
            at = i + 1;
            continue;
        }
        if let Some((pos, h)) = framing::seam(buf, line_start)
            && pos == line_start
            && h.etype == EventType::ExecutionStarted
        {
            return Some((pos, h));
        }
        at = i + 1;
    }
    None
}

/// What [`run_halves`] did.
#[derive(Debug)]
pub struct Halves {
    /// The second half's records are the ones a single run would have given from the seam
    /// on (lines counted from 1 at the seam: add `lines_before`). When false, the first
    /// half's consumer went on to the end and the second half's output must be dropped.
    pub held: bool,
    /// Lines before the seam.
    pub lines_before: u64,
}

/// Run `buf` as two halves at once, cut at `at`, a line from [`execution_seam`] whose head
/// is `seam`. `sa` gets the records before it, located by `ta`; `sb` those from it on,
/// located by `tb` (from `ta.fresh_for_rest()`), with lines counted from 1 at the seam and
/// offsets as in `buf`. The cut holds when a single run would read the same from the seam
/// on: its framer starts a record there ([`Framer::would_quote`] says no), and its tracker
/// would locate every event there as `tb` did ([`Tracker::resumed_by`]: an execution start
/// closes every frame, so only the namespaces learned before it could differ). If the cut
/// does not hold, `sa` gets the rest of `buf` as a single run would give it, and the
/// caller drops what `sb` made. The run ends ([`Sink::end`], the tracker finished) for the
/// half that reached the end of `buf`: `sb` when the cut held, else `sa`. `Item::log`
/// counts from 0 in each half: compare it only within one half.
pub fn run_halves<SA, SB>(
    buf: &[u8],
    at: usize,
    seam: Head,
    ta: &mut Tracker,
    sa: SA,
    tb: &mut Tracker,
    sb: SB,
) -> Result<Halves, RunError>
where
    SA: Sink + Send,
    SB: Sink + Send,
{
    // Both halves know every namespace the whole buffer names (the namespace stage, run
    // once).
    if ta.wants_prepare() || tb.wants_prepare() {
        let mut names = crate::namespace::Namespaces::default();
        crate::prepare::learn_namespaces(buf, &mut names);
        for t in [&mut *ta, &mut *tb] {
            if t.wants_prepare() {
                for (_, n) in names.iter().skip(1) {
                    t.namespaces_mut().learn(n);
                }
            }
        }
    }
    let mut sa = State::new(ta, sa);
    let mut sb = State::new(tb, sb);
    // As if the first half held a header (logs do): a header in the second half then
    // starts a new log, as it would in a single run (checked below).
    sb.headers = 1;
    let (a, b) = rayon::join(
        || -> Result<(Framer, usize, bool), Halt> {
            let mut fr = Framer::new();
            let used = fr.feed(&buf[..at], false, &mut |r| sa.record(r))?;
            if fr.would_quote(&seam) {
                return Ok((fr, used, false));
            }
            fr.feed(&buf[used..at], true, &mut |r| sa.record(r))?;
            Ok((fr, at, true))
        },
        || sb.frame_from(buf, at, 0),
    );
    let whole = buf.len() as u64;
    let (mut fr, used, cut) = match a {
        Ok(a) => a,
        Err(halt) => {
            // The first half's consumer is done before the seam: so is the run.
            sa.finish(Err(halt), whole)?;
            return Ok(Halves {
                held: false,
                lines_before: 0,
            });
        }
    };
    let lines_before = fr.next_line() - 1;
    let logs_agree = sa.headers >= 1 || sb.headers == 1;
    if cut && logs_agree && sa.tracker.resumed_by(sb.tracker, seam.nanos) {
        sb.finish(b, whole - at as u64)?;
        return Ok(Halves {
            held: true,
            lines_before,
        });
    }
    let rest = if cut {
        // The framer held but the tracker did not: go on from the seam, where a framer
        // starts afresh.
        sa.frame_from(buf, at, lines_before)
    } else {
        fr.feed(&buf[used..], true, &mut |r| sa.record(r))
            .map(|_| ())
    };
    sa.finish(rest, whole)?;
    Ok(Halves {
        held: false,
        lines_before,
    })
}

/// The promise of [`run_halves`], checked on `buf` at its first `max_cuts` execution
/// starts from byte `from` on: whether each cut holds or not, every record gets the place a single run gives
/// it (line, offset, type, namespace, caller, depth). Returns how many cuts held, or the
/// first difference. For the tests and the `halves` fuzz target.
pub fn check_halves(buf: &[u8], from: usize, max_cuts: usize) -> Result<usize, String> {
    /// A record's line and the rest of its place.
    fn place(i: &Item<'_>, t: &Tracker) -> (u64, String) {
        let ns = t.namespaces();
        let rest = format!(
            "at {} {:?} in {} from {:?} depth {}",
            i.record.offset,
            i.record.head.map(|h| h.etype),
            ns.name_str(i.loc.frame_ns),
            i.loc.caller_ns.map(|c| ns.name_str(c).into_owned()),
            i.loc.depth
        );
        (i.record.line, rest)
    }
    let mut one = Vec::new();
    run_bytes(
        buf,
        &mut Tracker::new().without_closed(),
        Threads::One,
        |i, t| {
            one.push(place(i, t));
            Ok(())
        },
    )
    .map_err(|e| e.to_string())?;
    let mut held = 0;
    let mut from = from;
    for _ in 0..max_cuts {
        let Some((at, seam)) = execution_seam(buf, from, buf.len()) else {
            break;
        };
        from = at + 1;
        let mut ta = Tracker::new().without_closed();
        let mut tb = ta.fresh_for_rest();
        let (mut two, mut second) = (Vec::new(), Vec::new());
        let h = run_halves(
            buf,
            at,
            seam,
            &mut ta,
            each(|i, t| {
                two.push(place(i, t));
                Ok(())
            }),
            &mut tb,
            each(|i, t| {
                second.push(place(i, t));
                Ok(())
            }),
        )
        .map_err(|e| e.to_string())?;
        if h.held {
            held += 1;
            two.extend(second.into_iter().map(|(l, p)| (l + h.lines_before, p)));
        }
        if two != one {
            let k = two.iter().zip(&one).take_while(|(a, b)| a == b).count();
            return Err(format!(
                "cut at byte {at} (held: {}): record {k} is {:?} in two halves, {:?} in one run",
                h.held,
                two.get(k),
                one.get(k)
            ));
        }
    }
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two halves give every record the place one run gives it, at every execution start
    /// of a generated log with packages.
    #[test]
    fn halves_locate_as_one_run_does() {
        let doc = crate::generate::sample(600 << 10, 5);
        assert!(check_halves(&doc, 0, usize::MAX).unwrap() >= 3);
    }

    /// Where the second half alone would read a log otherwise, the cut does not hold and
    /// the first half's run goes on to the end: quoted text whose clock runs back across
    /// the cut; a header after the cut in a log that had none before it. A namespace named
    /// before the cut and used after it no longer breaks the cut: the namespace stage
    /// teaches both halves every name the buffer names.
    #[test]
    fn halves_that_would_read_otherwise_fall_back_to_one_run() {
        let exec = |n: u64| format!("12:00:00.0 ({n})|EXECUTION_STARTED\n");
        let mut learned = String::from("61.0 APEX_CODE,FINEST\n");
        learned += &exec(1);
        learned += "12:00:00.0 (2)|LIMIT_USAGE_FOR_NS|acme|\n";
        learned += "12:00:00.0 (3)|EXECUTION_FINISHED\n";
        let at_learned = learned.len();
        learned += &exec(4);
        learned += "12:00:00.0 (5)|METHOD_ENTRY|[1]|01p000000000001|acme.Svc.run()\n";
        learned += "12:00:00.0 (6)|FATAL_ERROR|System.LimitException: Too many SOQL queries: 101\n";
        learned += "12:00:00.0 (7)|METHOD_EXIT|[1]|01p000000000001|acme.Svc.run()\n";

        let mut quoted = String::from("61.0 APEX_CODE,FINEST\n");
        quoted += &exec(10);
        quoted += "12:00:00.0 (20)|USER_DEBUG|[1]|DEBUG|another log:\n";
        let at_quoted = quoted.len();
        quoted += &exec(5);
        quoted += "12:00:00.0 (30)|EXECUTION_FINISHED\n";

        let mut headerless = exec(1);
        headerless += "12:00:00.0 (2)|EXECUTION_FINISHED\n";
        let at_headerless = headerless.len();
        headerless += &exec(3);
        headerless += "61.0 APEX_CODE,FINEST\n";
        headerless += "12:00:00.0 (4)|FATAL_ERROR|x\n";

        // The same logs without what breaks the cut: it holds.
        let unlearned = learned.replace("|acme|", "|acm2|");
        let forward = quoted.replace(&exec(5), &exec(25));
        let headed = format!("61.0 APEX_CODE,FINEST\n{headerless}");
        let at_headed = at_headerless + "61.0 APEX_CODE,FINEST\n".len();
        for (doc, at, holds) in [
            (learned, at_learned, true),
            (quoted, at_quoted, false),
            (headerless, at_headerless, false),
            (unlearned, at_learned, true),
            (forward, at_quoted, true),
            (headed, at_headed, true),
        ] {
            assert_eq!(
                execution_seam(doc.as_bytes(), at, doc.len()).map(|s| s.0),
                Some(at)
            );
            let held = check_halves(doc.as_bytes(), at, 1).unwrap();
            assert_eq!(held, usize::from(holds), "{doc}");
        }
    }
}
