//! A deterministic generator of realistic Apex debug logs, for benchmarks and throughput
//! runs (`dbglog gen --size 100MB --seed 1`). The same seed gives the same bytes.
//!
//! The event mix follows the real corpus described in format.md §2.10: at FINEST about 90 %
//! of lines are statement, heap and variable noise, with system-method pairs, method
//! nesting, SOQL with explain plans, DML that fires triggers, multi-line debug output and
//! dynamic SOQL, managed-package calls (in `--namespaces` packages, each entered through
//! `ENTERING_MANAGED_PKG`), limit blocks per namespace, and rare errors.

use std::io::{self, Write};

/// Options for [`generate`].
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Stop after at least this many bytes (the last transaction is completed).
    pub size: u64,
    /// PRNG seed.
    pub seed: u64,
    /// Number of managed packages (namespaces `pkg0`, `pkg1`, …).
    pub namespaces: usize,
}

/// splitmix64: small, fast, and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, per_million: u64) -> bool {
        self.below(1_000_000) < per_million
    }
}

const CLASSES: &[&str] = &[
    "InvoiceService",
    "AccountSelector",
    "CaseRouter",
    "QuoteCalc",
    "OrderSync",
    "TaskPlanner",
];
const METHODS: &[&str] = &[
    "run", "load", "validate", "apply", "build", "compute", "save", "route",
];
const SYS: &[&str] = &[
    "String.valueOf(Object)",
    "System.debug(ANY)",
    "List.add(Object)",
    "Map.get(Object)",
    "Database.query(String)",
    "Set.contains(Object)",
    "Math.max(Integer, Integer)",
];
const ERRORS: &[&str] = &[
    "System.QueryException: Non-selective query against large object type (more than 200000 rows). Consider an indexed filter or contact salesforce.com about custom indexing.",
    "System.NullPointerException: Attempt to de-reference a null object",
    "System.ListException: List index out of bounds: 0",
    "System.DmlException: Update failed. First exception on row 0 with id 0015g00000AbCdEAAZ; first error: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access to this record: []",
    "System.QueryException: List has no rows for assignment to SObject",
];

struct Gen<'w, W: Write> {
    w: &'w mut W,
    rng: Rng,
    nanos: u64,
    wall_ms: u64,
    written: u64,
    ns: Vec<String>,
    events: u64,
    /// In archive mode ([`generate_folder`]): stop adding statements once this many bytes
    /// are written, so that small logs come out small.
    cap: Option<u64>,
    /// In archive mode: no random errors and no `CLOSE TO LIMIT` (the log's one error, if
    /// any, is placed by [`Gen::transaction`]).
    quiet: bool,
    /// In archive mode: this log ends its transaction in an uncaught exception.
    fail: bool,
    /// In archive mode: the exception was written; the log ends with its transaction.
    failed: bool,
}

impl<W: Write> Gen<'_, W> {
    fn full(&self) -> bool {
        self.cap.is_some_and(|c| self.written >= c)
    }

    fn line(&mut self, rest: &str) -> io::Result<()> {
        self.nanos += 800 + self.rng.below(40_000);
        let ms = self.wall_ms + self.nanos / 1_000_000;
        let (h, m, s, f) = (
            (ms / 3_600_000) % 24,
            (ms / 60_000) % 60,
            (ms / 1000) % 60,
            ms % 1000,
        );
        let l = format!("{h:02}:{m:02}:{s:02}.{f} ({})|{rest}\n", self.nanos);
        self.w.write_all(l.as_bytes())?;
        self.written += l.len() as u64;
        self.events += 1;
        Ok(())
    }

    fn raw(&mut self, text: &str) -> io::Result<()> {
        self.w.write_all(text.as_bytes())?;
        self.written += text.len() as u64;
        Ok(())
    }

    fn class(&mut self, ns: Option<&str>) -> String {
        let c = CLASSES[self.rng.below(CLASSES.len() as u64) as usize];
        let m = METHODS[self.rng.below(METHODS.len() as u64) as usize];
        match ns {
            Some(ns) => format!("{ns}.{c}.{m}(Id)"),
            None => format!("{c}.{m}(Id)"),
        }
    }

    fn method(&mut self, depth: u32, ns: Option<String>) -> io::Result<()> {
        let call_line = 1 + self.rng.below(300);
        let sig = self.class(ns.as_deref());
        {
            let t = format!(
                "METHOD_ENTRY|[{call_line}]|01p5g00000Gen{:03}|{sig}",
                self.rng.below(1000)
            );
            self.line(&t)
        }?;
        let n = 10 + self.rng.below(40);
        for _ in 0..n {
            if self.full() {
                break;
            }
            let l = 1 + self.rng.below(400);
            let r = self.rng.below(1000);
            match r {
                0..=279 => {
                    let t = format!("STATEMENT_EXECUTE|[{l}]");
                    self.line(&t)
                }?,
                280..=449 => {
                    let t = format!("HEAP_ALLOCATE|[{l}]|Bytes:{}", 4 + self.rng.below(200));
                    self.line(&t)
                }?,
                450..=579 => {
                    let t = format!("VARIABLE_SCOPE_BEGIN|[{l}]|rec|Account|true|false");
                    self.line(&t)
                }?,
                580..=739 => {
                    let v = self.rng.below(100_000);
                    {
                        let t = format!(
                            "VARIABLE_ASSIGNMENT|[{l}]|total|{{\"Amount__c\":{v},\"Id\":\"a015g00000Q{v:05}\"}}|0x{:x}",
                            self.rng.next() >> 36
                        );
                        self.line(&t)
                    }?
                }
                740..=939 => {
                    let s = SYS[self.rng.below(SYS.len() as u64) as usize];
                    {
                        let t = format!("SYSTEM_METHOD_ENTRY|[{l}]|{s}");
                        self.line(&t)
                    }?;
                    {
                        let t = format!("SYSTEM_METHOD_EXIT|[{l}]|{s}");
                        self.line(&t)
                    }?;
                }
                940..=952 if depth < 10 => self.method(depth + 1, ns.clone())?,
                953..=960 => self.soql(l)?,
                961..=963 => self.dml(l, depth)?,
                964..=971 => self.debug(l)?,
                972..=977 if !self.ns.is_empty() && ns.is_none() && depth < 10 => {
                    let p = self.ns[self.rng.below(self.ns.len() as u64) as usize].clone();
                    {
                        let t = format!("ENTERING_MANAGED_PKG|{p}");
                        self.line(&t)
                    }?;
                    self.method(depth + 1, Some(p))?;
                }
                978 if !self.quiet && self.rng.chance(100_000) => {
                    let e = ERRORS[self.rng.below(ERRORS.len() as u64) as usize];
                    {
                        let t = format!("EXCEPTION_THROWN|[{l}]|{e}");
                        self.line(&t)
                    }?;
                }
                _ => {
                    let t = format!("STATEMENT_EXECUTE|[{l}]");
                    self.line(&t)
                }?,
            }
        }
        {
            let t = format!("METHOD_EXIT|[{call_line}]|01p5g00000Gen000|{sig}");
            self.line(&t)
        }
    }

    fn soql(&mut self, l: u64) -> io::Result<()> {
        if self.rng.chance(150_000) {
            {
                let t = format!(
                    "SOQL_EXECUTE_BEGIN|[{l}]|Aggregations:0|SELECT Id, Name\n\t, Amount__c\nFROM Invoice__c\nWHERE Status__c = 'Open'"
                );
                self.line(&t)
            }?;
        } else {
            {
                let t = format!(
                    "SOQL_EXECUTE_BEGIN|[{l}]|Aggregations:0|SELECT Id, Name FROM Account WHERE Id IN :tmpVar1 LIMIT {}",
                    1 + self.rng.below(200)
                );
                self.line(&t)
            }?;
        }
        if self.rng.chance(300_000) {
            let card = self.rng.below(900_000);
            {
                let t = format!(
                    "SOQL_EXECUTE_EXPLAIN|[{l}]|Index on Account : [Id], cardinality: {card}, sobjectCardinality: 912000, relativeCost 0.{}",
                    self.rng.below(9)
                );
                self.line(&t)
            }?;
        }
        {
            let t = format!("SOQL_EXECUTE_END|[{l}]|Rows:{}", self.rng.below(50));
            self.line(&t)
        }
    }

    fn dml(&mut self, l: u64, depth: u32) -> io::Result<()> {
        let rows = 1 + self.rng.below(20);
        {
            let t = format!("DML_BEGIN|[{l}]|Op:Update|Type:Account|Rows:{rows}");
            self.line(&t)
        }?;
        self.line("CODE_UNIT_STARTED|[EXTERNAL]|TRIGGERS")?;
        self.line("CODE_UNIT_STARTED|[EXTERNAL]|01q5g00000TrGen|AccountTrigger on Account trigger event BeforeUpdate|__sfdc_trigger/AccountTrigger")?;
        if depth < 8 {
            self.method(depth + 2, None)?;
        }
        self.line("CODE_UNIT_FINISHED|AccountTrigger on Account trigger event BeforeUpdate|__sfdc_trigger/AccountTrigger")?;
        self.line("CODE_UNIT_FINISHED|TRIGGERS")?;
        {
            let t = format!("DML_END|[{l}]");
            self.line(&t)
        }
    }

    fn debug(&mut self, l: u64) -> io::Result<()> {
        if self.rng.chance(200_000) {
            let v = self.rng.below(1000);
            {
                let t = format!(
                    "USER_DEBUG|[{l}]|DEBUG|payload:\n{{\n  \"invoice\" : \"INV-{v:04}\",\n  \"lines\" : {}\n}}",
                    v % 17
                );
                self.line(&t)
            }
        } else {
            {
                let t = format!(
                    "USER_DEBUG|[{l}]|DEBUG|processed {} records",
                    self.rng.below(500)
                );
                self.line(&t)
            }
        }
    }

    fn limits(&mut self, ns: &str) -> io::Result<()> {
        {
            let t = format!("LIMIT_USAGE_FOR_NS|{ns}|");
            self.line(&t)
        }?;
        let soql = self.rng.below(100);
        let cpu = self.rng.below(10_000);
        let block = format!(
            "  Number of SOQL queries: {soql} out of 100\n  Number of query rows: {} out of 50000\n  Number of SOSL queries: 0 out of 20\n  Number of DML statements: {} out of 150\n  Number of Publish Immediate DML: 0 out of 150\n  Number of DML rows: {} out of 10000\n  Maximum CPU time: {cpu} out of 10000{}\n  Maximum heap size: {} out of 6000000\n  Number of callouts: 0 out of 100\n  Number of Email Invocations: 0 out of 10\n  Number of future calls: 0 out of 50\n  Number of queueable jobs added to the queue: 0 out of 50\n  Number of Mobile Apex push calls: 0 out of 10\n\n",
            soql * 7,
            self.rng.below(150),
            self.rng.below(10_000),
            if cpu > 8000 && !self.quiet {
                " ******* CLOSE TO LIMIT"
            } else {
                ""
            },
            self.rng.below(6_000_000)
        );
        self.raw(&block)
    }

    fn transaction(&mut self, target_events: u64) -> io::Result<()> {
        self.line("USER_INFO|[EXTERNAL]|0055g00000GenUsr|gen.user@example.invalid|(GMT+00:00) Greenwich Mean Time (Europe/London)|GMTZ")?;
        self.line("EXECUTION_STARTED")?;
        self.line("CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex")?;
        let start = self.events;
        while self.events - start < target_events && !self.full() {
            self.method(0, None)?;
        }
        // The transaction whose closing blocks reach the cap is the log's last: it holds
        // the error, if the log has one.
        if self.fail && self.cap.is_some_and(|c| self.written + TAIL_ROOM >= c) {
            self.failed = true;
            let e = ERRORS[self.rng.below(ERRORS.len() as u64) as usize];
            let l = 1 + self.rng.below(400);
            self.line(&format!("EXCEPTION_THROWN|[{l}]|{e}"))?;
            self.line(&format!(
                "FATAL_ERROR|{e}\n\nClass.InvoiceService.run: line {l}, column 1"
            ))?;
        } else if !self.quiet && self.rng.chance(5_000) {
            let e = ERRORS[self.rng.below(ERRORS.len() as u64) as usize];
            {
                let t = format!("FATAL_ERROR|{e}\n\nAnonymousBlock: line 1, column 1");
                self.line(&t)
            }?;
        }
        self.line("CUMULATIVE_LIMIT_USAGE")?;
        self.limits("(default)")?;
        for i in 0..self.ns.len() {
            let ns = self.ns[i].clone();
            self.limits(&ns)?;
        }
        self.line("CUMULATIVE_LIMIT_USAGE_END")?;
        self.raw("\n")?;
        self.line("CODE_UNIT_FINISHED|execute_anonymous_apex")?;
        self.line("EXECUTION_FINISHED")
    }
}

/// Write a generated log of at least `opts.size` bytes to `w`. Returns the bytes written.
pub fn generate<W: Write>(opts: &GenOptions, w: &mut W) -> io::Result<u64> {
    let mut g = Gen {
        w,
        rng: Rng(opts.seed ^ 0x5EED),
        nanos: 1_000_000,
        wall_ms: 9 * 3_600_000,
        written: 0,
        ns: (0..opts.namespaces).map(|i| format!("pkg{i}")).collect(),
        events: 0,
        cap: None,
        quiet: false,
        fail: false,
        failed: false,
    };
    g.raw("61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO;CALLOUT,INFO;DB,FINEST;NBA,INFO;SYSTEM,FINE;VALIDATION,INFO;VISUALFORCE,INFO;WAVE,INFO;WORKFLOW,INFO\n")?;
    while g.written < opts.size {
        let n = 2_000 + g.rng.below(20_000);
        g.transaction(n)?;
    }
    Ok(g.written)
}

/// Options for [`generate_folder`]: an archive of many logs shaped like real ones.
#[derive(Clone, Debug)]
pub struct ArchiveOptions {
    /// Number of logs.
    pub count: usize,
    /// PRNG seed: the same seed gives the same files.
    pub seed: u64,
    /// Number of managed packages the code calls into.
    pub namespaces: usize,
}

/// Median size of a generated archive log, in bytes (real archives: 13–20 KB).
pub const ARCHIVE_MEDIAN: f64 = 16_000.0;

/// Log-normal σ of the archive log sizes. With the median above it puts the 90th percentile
/// at about 240–260 KB and the mean at about 150–175 KB, as in a real archive of 2,273 logs
/// (398 MB).
pub const ARCHIVE_SIGMA: f64 = 2.15;

/// Largest archive log, in bytes (the log-normal tail is cut here).
pub const ARCHIVE_MAX: u64 = 20 << 20;

/// Smallest archive log target, in bytes (a header, one entry point and its limit block).
pub const ARCHIVE_MIN: u64 = 1_500;

/// Share of archive logs, in millionths, that end in an error the catalogue knows.
pub const ARCHIVE_HIT_PER_MILLION: u64 = 150_000;

/// Bytes that a transaction's close (error, limit blocks, end lines) may add past the cap.
const TAIL_ROOM: u64 = 3_000;

/// splitmix64 of `seed` and `i`: the seed of log `i` of an archive.
fn log_seed(seed: u64, i: usize) -> u64 {
    let mut r = Rng(seed ^ 0xA5C1_17E5 ^ ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    r.next()
}

/// The size target and whether it fails, for log `i` of an archive.
pub fn archive_plan(opts: &ArchiveOptions, i: usize) -> (u64, bool) {
    let mut r = Rng(log_seed(opts.seed, i));
    // Box–Muller: a standard normal from two uniforms in (0, 1].
    let u1 = ((r.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = ((r.next() >> 11) as f64) / (1u64 << 53) as f64;
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let size = (ARCHIVE_MEDIAN * (ARCHIVE_SIGMA * z).exp()) as u64;
    let fail = r.chance(ARCHIVE_HIT_PER_MILLION);
    (size.clamp(ARCHIVE_MIN, ARCHIVE_MAX), fail)
}

/// Write log `i` of an archive to `w`. Returns the bytes written.
pub fn generate_archive_log<W: Write>(
    opts: &ArchiveOptions,
    i: usize,
    w: &mut W,
) -> io::Result<u64> {
    let (size, fail) = archive_plan(opts, i);
    let mut g = Gen {
        w,
        rng: Rng(log_seed(opts.seed, i) ^ 0x5EED),
        nanos: 1_000_000,
        wall_ms: 9 * 3_600_000 + (i as u64 % 50_000) * 1_000,
        written: 0,
        ns: (0..opts.namespaces).map(|i| format!("pkg{i}")).collect(),
        events: 0,
        cap: Some(size),
        quiet: true,
        fail: false,
        failed: false,
    };
    g.raw("61.0 APEX_CODE,FINEST;APEX_PROFILING,INFO;CALLOUT,INFO;DB,FINEST;NBA,INFO;SYSTEM,FINE;VALIDATION,INFO;VISUALFORCE,INFO;WAVE,INFO;WORKFLOW,INFO\n")?;
    // Leave room for the limit blocks that close the transaction; the transaction that
    // reaches the cap is the last, and ends in the error if the log has one.
    let room = 700 * (1 + g.ns.len() as u64);
    g.cap = Some(size.saturating_sub(room).max(1));
    g.fail = fail;
    loop {
        let n = 2_000 + g.rng.below(20_000);
        g.transaction(n)?;
        if g.full() || g.failed {
            break;
        }
    }
    Ok(g.written)
}

/// Write `opts.count` logs, `log-00000.log` …, into the folder `dir` (created if missing).
/// Their sizes follow a log-normal fit of real archives ([`ARCHIVE_MEDIAN`],
/// [`ARCHIVE_SIGMA`]) and about [`ARCHIVE_HIT_PER_MILLION`] of them end in an uncaught
/// exception the catalogue knows; the others hold no error at all. Returns the total bytes.
pub fn generate_folder(opts: &ArchiveOptions, dir: &std::path::Path) -> io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut total = 0;
    let mut buf = Vec::new();
    for i in 0..opts.count {
        buf.clear();
        total += generate_archive_log(opts, i, &mut buf)?;
        std::fs::write(dir.join(format!("log-{i:05}.log")), &buf)?;
    }
    Ok(total)
}

/// A generated log of about `size` bytes in memory (for benches and tests).
pub fn sample(size: u64, seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(size as usize + (1 << 20));
    let opts = GenOptions {
        size,
        seed,
        namespaces: 2,
    };
    generate(&opts, &mut v).expect("writing to a Vec cannot fail");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let o = GenOptions {
            size: 200_000,
            seed: 7,
            namespaces: 2,
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        generate(&o, &mut a).unwrap();
        generate(&o, &mut b).unwrap();
        assert_eq!(a, b);
        assert!(a.len() >= 200_000);
        let mut c = Vec::new();
        generate(&GenOptions { seed: 8, ..o }, &mut c).unwrap();
        assert_ne!(a, c);
    }

    fn quantile(v: &mut [u64], q: f64) -> u64 {
        v.sort_unstable();
        v[((v.len() - 1) as f64 * q).round() as usize]
    }

    fn archive(seed: u64) -> ArchiveOptions {
        ArchiveOptions {
            count: 2_000,
            seed,
            namespaces: 2,
        }
    }

    #[test]
    fn archive_plan_follows_the_real_distribution() {
        let o = archive(1);
        let plans: Vec<(u64, bool)> = (0..o.count).map(|i| archive_plan(&o, i)).collect();
        let mut sizes: Vec<u64> = plans.iter().map(|p| p.0).collect();
        let median = quantile(&mut sizes, 0.5);
        let p90 = quantile(&mut sizes, 0.9);
        // Real archives: median 13–20 KB, 90% under 250 KB–1.4 MB.
        assert!((13_000..=20_000).contains(&median), "median {median}");
        assert!((225_000..=1_400_000).contains(&p90), "p90 {p90}");
        let fails = plans.iter().filter(|p| p.1).count() as f64 / o.count as f64;
        assert!((0.135..=0.165).contains(&fails), "{fails}");
        // Deterministic, and the seed matters.
        assert_eq!(plans[17], archive_plan(&o, 17));
        let other: Vec<(u64, bool)> = (0..50).map(|i| archive_plan(&archive(2), i)).collect();
        assert_ne!(other[..], plans[..50]);
    }

    #[test]
    fn archive_logs_are_deterministic_and_near_their_planned_size() {
        let o = archive(3);
        let mut sizes = Vec::new();
        for i in 0..60 {
            let (planned, _) = archive_plan(&o, i);
            if planned > 2 << 20 {
                continue;
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let n = generate_archive_log(&o, i, &mut a).unwrap();
            generate_archive_log(&o, i, &mut b).unwrap();
            assert_eq!(a, b, "log {i}");
            assert_eq!(n as usize, a.len());
            assert!(a.starts_with(b"61.0 APEX_CODE,FINEST;"));
            assert!(a.ends_with(b"|EXECUTION_FINISHED\n"));
            // At least the target; past it by at most one method and the limit blocks.
            let size = a.len() as u64;
            assert!(size + 2_200 >= planned, "log {i}: {size} for {planned}");
            assert!(size <= planned + 12_000, "log {i}: {size} for {planned}");
            sizes.push(size);
        }
        let mut c = Vec::new();
        generate_archive_log(&archive(4), 0, &mut c).unwrap();
        let mut a = Vec::new();
        generate_archive_log(&o, 0, &mut a).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn only_failing_archive_logs_hold_errors() {
        let o = archive(5);
        let mut seen = (0, 0);
        for i in 0..80 {
            let (planned, fail) = archive_plan(&o, i);
            if planned > 1 << 20 {
                continue;
            }
            let mut a = Vec::new();
            generate_archive_log(&o, i, &mut a).unwrap();
            let text = String::from_utf8(a).unwrap();
            assert_eq!(text.contains("|FATAL_ERROR|"), fail, "log {i}");
            assert_eq!(
                text.matches("|EXCEPTION_THROWN|").count(),
                fail as usize,
                "log {i}"
            );
            assert!(!text.contains("CLOSE TO LIMIT"), "log {i}");
            if fail {
                seen.0 += 1;
            } else {
                seen.1 += 1;
            }
        }
        assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
    }
}
