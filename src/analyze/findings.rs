//! Findings: the key every finding is aggregated under (rule, namespaces, method, source
//! line), the known-error catalogue applied to events, and the view filter and ranking that
//! turn the aggregates into the report's [`Finding`] list. Exceptions, limits, loops and
//! opaque packages raise their findings through [`Analyzer::add_finding`].

use super::namespaces::NsView;
use super::{Analyzer, Finding, cap_text, lossy, verdict};
use crate::event::{Event, EventType};
use crate::namespace::{Namespaces, NsId};
use crate::rules::{Catalogue, MARKER_EVENT, RuleMatch, Severity};
use crate::stream::Item;
use crate::track::Tracker;
use std::collections::HashSet;

/// At most this many distinct event texts keep their catalogue matches cached.
const RULE_CACHE_CAP: usize = 4096;
/// Longest event text whose catalogue matches are cached.
const RULE_CACHE_TEXT: usize = 4096;

/// No method, no source line.
pub(super) const NONE: u32 = u32::MAX;

/// What a finding is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Ctx {
    pub(super) ns: NsId,
    pub(super) caller: Option<NsId>,
    /// Interned name of the innermost method, or [`NONE`].
    pub(super) method: u32,
    /// Source line, or [`NONE`].
    pub(super) src_line: u32,
}

impl Ctx {
    /// A namespace as a whole: no caller, method or line (limit blocks, markers, packages).
    pub(super) fn of_ns(ns: NsId) -> Self {
        Ctx {
            ns,
            caller: None,
            method: NONE,
            src_line: NONE,
        }
    }
}

/// Which rule a finding is: a catalogue rule, or one analyze raises itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Ident {
    Rule(usize),
    Native(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct FindingKey {
    pub(super) id: Ident,
    pub(super) ctx: Ctx,
    /// 0 = not an exception, 1 = caught, 2 = uncaught; for limits the label id.
    pub(super) extra: u32,
}

#[derive(Clone, Debug)]
pub(super) struct FindingAgg {
    pub(super) severity: Severity,
    pub(super) message: String,
    pub(super) first_line: u64,
    pub(super) last_line: u64,
    pub(super) count: u64,
    pub(super) uncaught: Option<bool>,
    pub(super) fatal_line: Option<u64>,
    pub(super) keep_if_hidden: Keep,
    /// For limit findings: the peak as a percentage of the maximum (ranking).
    pub(super) pct: Option<u64>,
    /// For exceptions: the exception's own text (the verdict quotes it).
    pub(super) detail: Option<String>,
}

/// What a view does with a finding from a hidden namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Keep {
    /// Dropped.
    Drop,
    /// Kept, class/method/line hidden.
    OriginHidden,
    /// Kept, line kept, method hidden (SOQL/DML lines are visible to subscribers).
    LineOnly,
    /// Kept as is (limit blocks, log markers).
    AsIs,
}

/// Which event types the catalogue applies to: a flag per known type (indexed by
/// `EventType as usize`), the type names the event table does not know, and whether some
/// rule applies to every event type (events of other types are then matched when the
/// catalogue's prefilter finds one of its literals in them).
pub(super) fn rule_types(cat: &Catalogue) -> (Vec<bool>, HashSet<Vec<u8>>, bool) {
    let mut rule_types = vec![false; crate::event::table::KNOWN_COUNT + 1];
    let mut rule_unknown_types = HashSet::new();
    // Rules name the event types they apply to; a rule that names none applies to
    // every event (the catalogue's rule, as scan applies it).
    let any_type_rules = cat.rules().iter().any(|r| r.events.is_empty());
    for r in cat.rules() {
        for e in &r.events {
            if e == MARKER_EVENT {
                continue;
            }
            let t = EventType::from_name(e.as_bytes());
            if t == EventType::Unknown {
                rule_unknown_types.insert(e.as_bytes().to_vec());
            } else {
                rule_types[t as usize] = true;
            }
        }
    }
    rule_types[EventType::ExceptionThrown as usize] = true;
    (rule_types, rule_unknown_types, any_type_rules)
}

pub(super) fn is_method_frame(t: EventType) -> bool {
    matches!(
        t,
        EventType::MethodEntry | EventType::ConstructorEntry | EventType::CodeUnitStarted
    )
}

impl<'c> Analyzer<'c> {
    /// Run the known-error catalogue on `text` and keep the matches (rule, ns capture).
    /// Called only for the rare event types the catalogue applies to.
    pub(super) fn run_rules(&mut self, etype: &str, text: &[u8]) {
        self.matches.clear();
        let cache = text.len() <= RULE_CACHE_TEXT;
        if cache {
            // Real logs repeat the same error texts: match each distinct text once.
            self.cache_key.clear();
            self.cache_key.extend_from_slice(etype.as_bytes());
            self.cache_key.push(0);
            self.cache_key.extend_from_slice(text);
            if let Some(m) = self.rule_cache.get(&self.cache_key[..]) {
                self.matches.extend_from_slice(m);
                return;
            }
        }
        let mut out: Vec<RuleMatch<'_>> = Vec::new();
        self.cat.match_event(etype, text, &mut out);
        self.matches.extend(out.iter().map(|m| m.rule));
        if cache && self.rule_cache.len() < RULE_CACHE_CAP {
            self.rule_cache
                .insert(Box::from(&self.cache_key[..]), Box::from(&self.matches[..]));
        }
    }

    pub(super) fn native_rule(&self, id: &str) -> bool {
        is_native_rule(id)
    }

    /// The context of an event: namespaces, innermost method and source line.
    pub(super) fn ctx(&mut self, item: &Item<'_>, t: &Tracker) -> Ctx {
        let method = t
            .open_frames()
            .filter(|(e, _, _)| is_method_frame(*e))
            .last()
            .map_or(NONE, |(_, _, name)| self.names.id(name));
        let ctx = Ctx {
            ns: item.loc.frame_ns,
            caller: item.loc.caller_ns,
            method,
            src_line: item
                .event
                .as_ref()
                .and_then(|e| e.source_line())
                .unwrap_or(NONE),
        };
        self.note_caller_unit(ctx, t);
        ctx
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_finding(
        &mut self,
        id: Ident,
        ctx: Ctx,
        extra: u32,
        severity: Severity,
        line: u64,
        keep: Keep,
        message: impl FnOnce() -> String,
    ) -> &mut FindingAgg {
        let key = FindingKey { id, ctx, extra };
        let f = self.findings.entry(key).or_insert_with(|| FindingAgg {
            severity,
            message: message(),
            first_line: line,
            last_line: line,
            count: 0,
            uncaught: None,
            fatal_line: None,
            keep_if_hidden: keep,
            pct: None,
            detail: None,
        });
        f.count += 1;
        f.last_line = f.last_line.max(line);
        f.severity = f.severity.max(severity);
        f
    }

    pub(super) fn other_rules(&mut self, item: &Item<'_>, t: &Tracker, ev: &Event<'_>) {
        let ctx = self.ctx(item, t);
        self.other_rules_ctx(ctx, ev, Keep::Drop);
    }

    pub(super) fn other_rules_ctx(&mut self, ctx: Ctx, ev: &Event<'_>, keep: Keep) {
        let name = std::str::from_utf8(ev.type_name()).unwrap_or("");
        self.run_rules(name, ev.body());
        if self.matches.is_empty() {
            return;
        }
        let matches = std::mem::take(&mut self.matches);
        let cat = self.cat;
        for rule in &matches {
            let r = &cat.rules()[*rule];
            if is_native_rule(&r.id) {
                continue;
            }
            self.add_finding(
                Ident::Rule(*rule),
                ctx,
                0,
                r.severity,
                ev.line,
                keep,
                || {
                    format!(
                        "{}: {name} {}",
                        r.title,
                        cap_text(first_line(ev.body()), 300)
                    )
                },
            );
        }
        self.matches = matches;
    }

    /// Whether the catalogue applies to this event: its type is one the rules name, or a
    /// rule for every type finds one of its literals in it.
    pub(super) fn rules_wanted(&self, et: EventType, ev: &Event<'_>) -> bool {
        (if et == EventType::Unknown {
            !self.rule_unknown_types.is_empty() && self.rule_unknown_types.contains(ev.type_name())
        } else {
            self.rule_types[et as usize]
        }) || (self.any_type_rules && self.cat.prefilter().is_match(ev.body()))
    }

    /// The findings, filtered by the view (findings of hidden namespaces are dropped or
    /// lose their origin, as their [`Keep`] says), with their titles and remedies.
    pub(super) fn finish_findings(
        &mut self,
        nss: &Namespaces,
        vis: &NsView,
    ) -> Vec<verdict::Ranked> {
        let ns_name = |id: NsId| lossy(nss.name(id));
        let mut findings = Vec::new();
        for (k, f) in std::mem::take(&mut self.findings) {
            let hidden_origin = vis.hides(k.ctx.ns);
            let (show_method, show_line) = if hidden_origin {
                match f.keep_if_hidden {
                    Keep::Drop => continue,
                    Keep::OriginHidden => (false, false),
                    Keep::LineOnly => (false, true),
                    Keep::AsIs => (true, true),
                }
            } else {
                (true, true)
            };
            let (id, title, remedy) = match k.id {
                Ident::Rule(r) => {
                    let rule = &self.cat.rules()[r];
                    (
                        rule.id.clone(),
                        rule.title.clone(),
                        Some(rule.remedy.clone()).filter(|s| !s.is_empty()),
                    )
                }
                Ident::Native(id) => {
                    let (title, remedy) = native_text(id);
                    let rule = self.cat.get(id);
                    (
                        id.to_string(),
                        rule.map_or_else(|| title.to_string(), |r| r.title.clone()),
                        rule.map(|r| r.remedy.clone())
                            .filter(|s| !s.is_empty())
                            .or_else(|| remedy.map(str::to_string)),
                    )
                }
            };
            let message = f.message;
            let (pct, detail) = (f.pct, f.detail);
            let finding = Finding {
                id,
                severity: f.severity,
                title,
                message,
                namespace: ns_name(k.ctx.ns),
                caller_namespace: k.ctx.caller.map(ns_name),
                method: (show_method && k.ctx.method != NONE)
                    .then(|| lossy(self.names.name(k.ctx.method))),
                source_line: (show_line && k.ctx.src_line != NONE).then_some(k.ctx.src_line),
                log_line: f.first_line,
                last_line: f.last_line,
                count: f.count,
                uncaught: f.uncaught,
                fatal_line: f.fatal_line,
                origin_hidden: hidden_origin && !show_method,
                remedy,
                event: None,
                message_ns: None,
            };
            let caller_unit = self
                .caller_units
                .get(&k.ctx)
                .map(|&u| lossy(self.names.name(u)));
            findings.push(verdict::Ranked {
                finding,
                pct,
                detail,
                caller_unit,
            });
        }
        findings
    }
}

/// Rule ids whose findings analyze raises itself, with richer detail than a text match.
pub(super) fn is_native_rule(id: &str) -> bool {
    matches!(
        id,
        "NEAR_LIMIT" | "SOQL_TABLESCAN" | "LOG_SKIPPED" | "LOG_MAX_SIZE"
    )
}

pub(super) fn first_line(b: &[u8]) -> &[u8] {
    let b = match memchr::memchr(b'\n', b) {
        Some(n) => &b[..n],
        None => b,
    };
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Titles and remedies of the findings analyze raises itself.
fn native_text(id: &str) -> (&'static str, Option<&'static str>) {
    match id {
        "NEAR_LIMIT" => (
            "Governor limit close to its maximum",
            Some(
                "Reduce the work of this namespace in one transaction; each certified managed package has its own pool.",
            ),
        ),
        "LIMIT_REACHED" => (
            "Governor limit reached",
            Some(
                "This namespace used all of the limit; the next unit of work fails. Reduce that usage.",
            ),
        ),
        "LIMIT_USAGE_HIGH" => (
            "Governor limit usage high",
            Some(
                "Reduce the work of this namespace in one transaction; each certified managed package has its own pool.",
            ),
        ),
        "SOQL_IN_LOOP" => (
            "The same query repeated from one line",
            Some("Move the query out of the loop: query once for all records and use a map."),
        ),
        "DML_IN_LOOP" => (
            "The same DML statement repeated from one line",
            Some(
                "Collect the records in a list and save them with one DML statement after the loop.",
            ),
        ),
        "SOQL_TABLESCAN_CHEAP" => (
            "Query plan uses a table scan (cheap today)",
            Some(
                "The object is small now; filter on an indexed field before it grows, or the scan becomes a non-selective query error.",
            ),
        ),
        "SOQL_TABLESCAN" => (
            "Expensive query plan",
            Some(
                "Filter on an indexed field with a selective value; a table scan on a large object predicts a non-selective query error.",
            ),
        ),
        "OPAQUE_PACKAGE" => (
            "Managed package code is opaque here",
            Some(
                "Ask the package vendor to reproduce with Login Access (Subscriber Support) and capture a vendor-view log.",
            ),
        ),
        "EXCEPTION_UNCAUGHT" => ("Uncaught exception", None),
        "EXCEPTION_CAUGHT" => ("Caught exception", None),
        "LOG_SKIPPED" => ("Salesforce skipped part of the log", None),
        "LOG_MAX_SIZE" => ("The log reached its maximum size", None),
        id => super::save_order::native_text(id)
            .or_else(|| super::lint::native_text(id))
            .or_else(|| super::coverage::native_text(id))
            .unwrap_or(("Finding", None)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Options;
    use super::super::testlog::{report, run};
    use super::{first_line, is_native_rule};
    use crate::view::ViewSpec;

    #[test]
    fn first_lines_and_native_rules() {
        assert_eq!(first_line(b"a\r\nb"), b"a");
        assert_eq!(first_line(b"a"), b"a");
        assert!(is_native_rule("NEAR_LIMIT"));
        assert!(!is_native_rule("EXCEPTION_CAUGHT"));
    }

    const LOG: &str = "(100)|EXECUTION_STARTED
        (110)|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex
        (120)|METHOD_ENTRY|[1]|01p000000000001|acme.Billing.post()
        (125)|ENTERING_MANAGED_PKG|acme
        (130)|STATEMENT_EXECUTE|[4]
        (200)|EXCEPTION_THROWN|[4]|System.MathException: Divide by 0
        (300)|EXCEPTION_THROWN|[5]|System.NullPointerException: Attempt to de-reference a null object
        (310)|FATAL_ERROR|System.NullPointerException: Attempt to de-reference a null object
        (400)|METHOD_EXIT|[1]|01p000000000001|acme.Billing.post()
        (500)|CODE_UNIT_FINISHED|execute_anonymous_apex
        (510)|EXECUTION_FINISHED";

    #[test]
    fn full_view_keeps_every_origin() {
        let r = report(LOG);
        let found: Vec<_> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.id.as_str(),
                    f.namespace.as_str(),
                    f.method.as_deref(),
                    f.origin_hidden,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("NULL_POINTER", "acme", Some("acme.Billing.post()"), false),
                (
                    "EXCEPTION_CAUGHT",
                    "acme",
                    Some("acme.Billing.post()"),
                    false
                ),
            ]
        );
    }

    #[test]
    fn subscriber_view_drops_caught_and_hides_the_origin_of_uncaught() {
        let opts = Options {
            view: ViewSpec::Subscriber,
            ..Options::default()
        };
        let r = run(LOG, &opts);
        let found: Vec<_> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.id.as_str(),
                    f.method.as_deref(),
                    f.source_line,
                    f.origin_hidden,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("NULL_POINTER", None, None, true),
                ("OPAQUE_PACKAGE", None, None, false)
            ]
        );
    }
}
