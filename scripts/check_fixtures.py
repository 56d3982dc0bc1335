#!/usr/bin/env python3
"""Sanity checks for the hand-written debug-log fixtures in fixtures/.

Stdlib only. Usage: python3 scripts/check_fixtures.py [fixtures-dir]

Checks, per *.log file (UTF-16 files are decoded via their BOM):
  * encoding / BOM / line endings / final newline match what the file name promises
    (only trap-bom-utf8, trap-utf16le, trap-utf16be may have a BOM; only trap-crlf and
    trap-utf16le may use CRLF, and then every line must);
  * every line is a header, preamble (before the first event of a log), event
    (`^\\d{2}:\\d{2}:\\d{2}\\.\\d{1,3}( \\(\\d+\\))?\\|[A-Z][A-Z0-9_]*(\\||$)`), truncation marker or
    continuation; continuation text only follows event types that carry free text;
  * NANOS non-decreasing within each log (wall clock non-decreasing for logs without NANOS);
    the first event's fraction equals floor(NANOS/1e6) mod 1000; fractions are unpadded;
  * event types are in /work/shared/reference/events.tsv (column 1), except in
    trap-unknown-type.log;
  * `[line]` field shape for Apex events;
  * ENTRY/EXIT (and BEGIN/END, STARTED/FINISHED) balance with equal line numbers; frames may be
    skipped only after EXCEPTION_THROWN/FATAL_ERROR or a truncation marker. Problems are errors
    for ordinary fixtures and informational reports for trap-*.log.
Also: errors-catalogue.expected.tsv rows point at event lines of the stated type, and every
string in pii.labels.json occurs in pii.log.
Exit status 1 if any error was found.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(os.path.dirname(HERE), "fixtures")
EVENTS_TSV = "/work/shared/reference/events.tsv"

# The header shape of src/header.rs: odd entries allowed, at least one CATEGORY,LEVEL pair.
HEADER_RE = re.compile(r"^\d+\.\d+ (?=(?:[A-Za-z0-9_,]*;)*[A-Z_]+,[A-Za-z]+(?:;|$))[A-Za-z0-9_,;]*$")
EVENT_RE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{1,3})( \((\d+)\))?\|([A-Z][A-Z0-9_]*)(\||$)")
SKIP_RE = re.compile(r"^\*\*\* Skipped [\d,]+ bytes of detailed log$")
MAXSIZE_RE = re.compile(r"^\*+ MAXIMUM DEBUG LOG SIZE REACHED \*+ *$")
MAXSIZE_TAIL_RE = re.compile(r"\*+ MAXIMUM DEBUG LOG SIZE REACHED \*+ *$")
LINEFIELD_RE = re.compile(r"^\[(\d+|EXTERNAL)\]$")

TEXT_TYPES = {
    "USER_DEBUG", "USER_DEBUG_ERROR", "USER_DEBUG_WARN", "USER_DEBUG_INFO", "USER_DEBUG_DEBUG",
    "USER_DEBUG_FINE", "USER_DEBUG_FINER", "USER_DEBUG_FINEST", "SOQL_EXECUTE_BEGIN", "LIMIT_USAGE_FOR_NS",
    "STATIC_VARIABLE_LIST", "CUMULATIVE_PROFILING", "FATAL_ERROR", "EXCEPTION_THROWN", "FLOW_ELEMENT_ERROR",
    "FLOW_ELEMENT_FAULT", "FLOW_START_INTERVIEWS_ERROR", "FLOW_CREATE_INTERVIEW_ERROR", "FLOW_VALUE_ASSIGNMENT",
    "WF_RULE_FILTER", "WF_FORMULA", "VALIDATION_FORMULA", "VALIDATION_ERROR", "WF_FLOW_ACTION_ERROR",
    "WF_FLOW_ACTION_ERROR_DETAIL", "VF_PAGE_MESSAGE", "EMAIL_QUEUE", "STACK_FRAME_VARIABLE_LIST",
    "TESTING_LIMITS", "NAMED_CREDENTIAL_RESPONSE_DETAIL", "NAMED_CREDENTIAL_RESPONSE", "INVOCABLE_ACTION_ERROR",
    "DATAWEAVE_USER_DEBUG",
}
BLANK_AFTER = TEXT_TYPES | {"CUMULATIVE_LIMIT_USAGE_END", "CUMULATIVE_PROFILING_END"}
LINE_TYPES = {
    "METHOD_ENTRY", "METHOD_EXIT", "CONSTRUCTOR_ENTRY", "CONSTRUCTOR_EXIT", "STATEMENT_EXECUTE", "HEAP_ALLOCATE",
    "VARIABLE_SCOPE_BEGIN", "VARIABLE_ASSIGNMENT", "USER_DEBUG", "EXCEPTION_THROWN", "SYSTEM_METHOD_ENTRY",
    "SYSTEM_METHOD_EXIT", "SYSTEM_CONSTRUCTOR_ENTRY", "SYSTEM_CONSTRUCTOR_EXIT", "SOQL_EXECUTE_BEGIN",
    "SOQL_EXECUTE_END", "SOQL_EXECUTE_EXPLAIN", "DML_BEGIN", "DML_END", "CODE_UNIT_STARTED", "USER_INFO",
    "CALLOUT_REQUEST", "CALLOUT_RESPONSE", "SOSL_EXECUTE_BEGIN", "SOSL_EXECUTE_END",
}
PAIRS = {
    "METHOD_ENTRY": "METHOD_EXIT", "CONSTRUCTOR_ENTRY": "CONSTRUCTOR_EXIT",
    "SYSTEM_METHOD_ENTRY": "SYSTEM_METHOD_EXIT", "SYSTEM_CONSTRUCTOR_ENTRY": "SYSTEM_CONSTRUCTOR_EXIT",
    "CODE_UNIT_STARTED": "CODE_UNIT_FINISHED", "DML_BEGIN": "DML_END", "SOQL_EXECUTE_BEGIN": "SOQL_EXECUTE_END",
    "SOSL_EXECUTE_BEGIN": "SOSL_EXECUTE_END", "EXECUTION_STARTED": "EXECUTION_FINISHED",
    "CUMULATIVE_LIMIT_USAGE": "CUMULATIVE_LIMIT_USAGE_END", "CUMULATIVE_PROFILING_BEGIN": "CUMULATIVE_PROFILING_END",
    "CALLOUT_REQUEST": "CALLOUT_RESPONSE", "FLOW_START_INTERVIEWS_BEGIN": "FLOW_START_INTERVIEWS_END",
    "FLOW_START_INTERVIEW_BEGIN": "FLOW_START_INTERVIEW_END",
}
CLOSERS = {v: k for k, v in PAIRS.items()}
LINE_KEYED = {"METHOD_ENTRY", "CONSTRUCTOR_ENTRY", "SYSTEM_METHOD_ENTRY", "SYSTEM_CONSTRUCTOR_ENTRY", "DML_BEGIN",
              "SOQL_EXECUTE_BEGIN", "SOSL_EXECUTE_BEGIN", "CALLOUT_REQUEST"}
ID_RE = re.compile(r"^0[0-9A-Za-z]{14}([0-9A-Za-z]{3})?$")

BOM_ALLOWED = {"trap-bom-utf8.log", "trap-utf16le.log", "trap-utf16be.log"}
CRLF_FILES = {"trap-crlf.log", "trap-utf16le.log"}
NO_HEADER_OK = {"trap-no-header.log"}
UNKNOWN_OK = {"trap-unknown-type.log"}
OUT_OF_ORDER_OK = {"trap-out-of-order.log"}


def load_known_types():
    known = set()
    with open(EVENTS_TSV, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == 0:
                continue
            name = line.split("\t", 1)[0].strip()
            if name:
                known.add(name)
    return known


def decode(raw):
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-bom"
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le"), "utf-16le"
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be"), "utf-16be"
    return raw.decode("utf-8"), "utf-8"


def unit_key(fields, start):
    if start:
        rest = fields[1:] if fields and fields[0] == "[EXTERNAL]" else fields
        if len(rest) > 1 and ID_RE.match(rest[0]):
            rest = rest[1:]
        return "|".join(rest)
    return "|".join(fields)


class Checker:
    def __init__(self, name, known):
        self.name = name
        self.known = known
        self.errors = []
        self.notes = []
        self.trap = name.startswith("trap-")
        self.events = {}  # physical line -> type

    def err(self, ln, msg):
        self.errors.append(f"{self.name}:{ln}: {msg}")

    def balance(self, ln, msg):
        if self.trap:
            self.notes.append(f"{self.name}:{ln}: {msg}")
        else:
            self.err(ln, msg)

    # ------------------------------------------------------------------
    def run(self, raw):
        try:
            text, enc = decode(raw)
        except UnicodeDecodeError as e:
            self.err(0, f"cannot decode: {e}")
            return
        if enc != "utf-8" and self.name not in BOM_ALLOWED:
            self.err(1, f"unexpected BOM/encoding {enc}")
        if self.name == "trap-bom-utf8.log" and enc != "utf-8-bom":
            self.err(1, "expected UTF-8 BOM")
        if self.name == "trap-utf16le.log" and enc != "utf-16le":
            self.err(1, "expected UTF-16LE BOM")
        if self.name == "trap-utf16be.log" and enc != "utf-16be":
            self.err(1, "expected UTF-16BE BOM")
        if "\ufeff" in text:
            self.err(0, "stray U+FEFF inside the text")
        if not text.endswith("\n"):
            self.err(0, "file does not end with a newline")
        body = text[:-1] if text.endswith("\n") else text
        lines = body.split("\n")
        crlf = self.name in CRLF_FILES
        for i, l in enumerate(lines, 1):
            if crlf:
                if not l.endswith("\r"):
                    self.err(i, "expected CRLF line ending")
                else:
                    l = l[:-1]
            if "\r" in l:
                self.err(i, "stray CR")
            lines[i - 1] = l
        self.check_lines(lines)

    def check_lines(self, lines):
        # positions of header lines; a non-event line before a later header belongs to that log's preamble
        headers = [i for i, l in enumerate(lines) if HEADER_RE.match(l)]
        if not headers and self.name not in NO_HEADER_OK:
            self.err(1, "no header line")
        in_log_events = False
        prev = None        # (type) of previous event
        last_nanos = None
        last_wall = None
        has_nanos = None
        stack = []
        first_event_of_log = True
        for idx, l in enumerate(lines):
            ln = idx + 1
            if HEADER_RE.match(l):
                if in_log_events:
                    self.end_log(ln - 1, stack)
                    self.notes.append(f"{self.name}:{ln}: second header (concatenated log)")
                in_log_events = False
                prev = None
                last_nanos = last_wall = has_nanos = None
                stack = []
                first_event_of_log = True
                continue
            m = EVENT_RE.match(l)
            if m:
                in_log_events = True
                typ = m.group(7)
                self.events[ln] = typ
                h, mi, s, frac = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
                nanos = int(m.group(6)) if m.group(6) is not None else None
                wall = ((h * 60 + mi) * 60 + s) * 1000 + int(frac)
                if has_nanos is None:
                    has_nanos = nanos is not None
                elif has_nanos != (nanos is not None):
                    self.err(ln, "mix of events with and without NANOS in one log")
                if nanos is not None:
                    if len(frac) > 1 and frac.startswith("0"):
                        self.err(ln, f"zero-padded fraction .{frac} in a NANOS log")
                    if first_event_of_log and int(frac) != (nanos // 1_000_000) % 1000:
                        self.err(ln, f"first event fraction .{frac} != floor(NANOS/1e6) mod 1000")
                    if last_nanos is not None and nanos < last_nanos:
                        (self.balance if self.name in OUT_OF_ORDER_OK else self.err)(ln, f"NANOS decreases ({nanos} < {last_nanos})")
                    last_nanos = nanos
                else:
                    if last_wall is not None and wall < last_wall:
                        self.err(ln, "wall clock decreases in a log without NANOS")
                    last_wall = wall
                first_event_of_log = False
                if typ not in self.known and self.name not in UNKNOWN_OK:
                    self.err(ln, f"unknown event type {typ}")
                rest = l[m.end(7):]
                fields = rest[1:].split("|") if rest.startswith("|") else []
                if typ in LINE_TYPES and (not fields or not LINEFIELD_RE.match(fields[0])):
                    self.err(ln, f"{typ}: first field is not [line]/[EXTERNAL]")
                self.frames(ln, typ, fields, stack)
                if MAXSIZE_TAIL_RE.search(l):
                    self.notes.append(f"{self.name}:{ln}: MAXIMUM DEBUG LOG SIZE marker at end of event line")
                    for f in stack:
                        f["cut"] = True
                prev = typ
                continue
            if SKIP_RE.match(l) or MAXSIZE_RE.match(l):
                self.notes.append(f"{self.name}:{ln}: truncation marker")
                for f in stack:
                    f["cut"] = True
                continue
            # text line
            if not in_log_events:
                continue  # preamble (before first event of this log)
            if any(h > idx for h in headers) and all(
                    not EVENT_RE.match(x) for x in lines[idx:min(h for h in headers if h > idx)]):
                self.notes.append(f"{self.name}:{ln}: banner/preamble line before the next header")
                continue
            if prev is None:
                self.err(ln, "continuation without an event")
            elif l.strip() == "":
                if prev not in BLANK_AFTER and prev in self.known:
                    self.err(ln, f"blank line after {prev}")
            elif prev not in TEXT_TYPES and prev in self.known:
                self.err(ln, f"continuation text after {prev} (does not carry text)")
        if in_log_events:
            self.end_log(len(lines), stack)

    # ------------------------------------------------------------------
    def frames(self, ln, typ, fields, stack):
        if typ in ("EXCEPTION_THROWN", "FATAL_ERROR"):
            for f in stack:
                f["exc"] = True
            return
        if typ == "ENTERING_MANAGED_PKG":
            # hidden package code follows: a frame opened by package code (e.g. its SOQL) may
            # be abandoned by an exception the subscriber's log does not show
            for f in stack:
                f["pkg"] = True
            return
        if typ == "EXECUTION_STARTED" and any(f["type"] == "EXECUTION_STARTED" for f in stack):
            self.balance(ln, "EXECUTION_STARTED while an execution is open")
        if typ in PAIRS:
            key = None
            if typ in LINE_KEYED:
                key = fields[0] if fields else ""
            elif typ == "CODE_UNIT_STARTED":
                key = unit_key(fields, True)
            elif typ == "FLOW_START_INTERVIEW_BEGIN":
                key = fields[0] if fields else ""
            stack.append(dict(type=typ, key=key, ln=ln, fields=fields, exc=False, cut=False, pkg=False))
            return
        if typ not in CLOSERS:
            return
        opener = CLOSERS[typ]
        if opener in LINE_KEYED:
            key = fields[0] if fields else ""
        elif opener == "CODE_UNIT_STARTED":
            key = unit_key(fields, False)
        elif opener == "FLOW_START_INTERVIEW_BEGIN":
            key = fields[0] if fields else ""
        else:
            key = None
        for depth in range(len(stack) - 1, -1, -1):
            f = stack[depth]
            if f["type"] == opener and (key is None or f["key"] == key):
                skipped = stack[depth + 1:]
                bad = [s for s in skipped if not (s["exc"] or s["cut"] or s["pkg"])]
                hidden = [s for s in skipped if s["pkg"] and not (s["exc"] or s["cut"])]
                if hidden:
                    self.notes.append(f"{self.name}:{ln}: {typ} closes over frame(s) left open inside a managed-package "
                                      "run (exception hidden from this view): " +
                                      ", ".join(f"{s['type']}@{s['ln']}" for s in hidden))
                if bad:
                    self.balance(ln, f"{typ} {key or ''} closes over open frame(s) without exception: " +
                                 ", ".join(f"{s['type']}@{s['ln']}" for s in bad))
                if typ == "METHOD_EXIT" and len(fields) >= 3 and len(f["fields"]) >= 3 and fields[2] != f["fields"][2]:
                    self.balance(ln, f"METHOD_EXIT signature {fields[2]} != entry {f['fields'][2]}")
                if typ == "METHOD_EXIT" and len(fields) == 2 and len(f["fields"]) >= 3 and \
                        not f["fields"][2].startswith(fields[1] + "."):
                    self.balance(ln, f"static-init METHOD_EXIT {fields[1]} does not match entry {f['fields'][2]}")
                del stack[depth:]
                return
        self.balance(ln, f"{typ} {key or ''} without a matching entry")

    def end_log(self, ln, stack):
        open_frames = [f for f in stack]
        if open_frames:
            self.balance(ln, "frames left open at end of log: " +
                         ", ".join(f"{f['type']}@{f['ln']}" for f in open_frames))


def check_expected_tsv(d, results):
    path = os.path.join(d, "errors-catalogue.expected.tsv")
    log = results.get("errors-catalogue.log")
    errs = []
    if not os.path.exists(path) or log is None:
        return errs
    with open(path, encoding="utf-8") as f:
        rows = [r.rstrip("\n").split("\t") for r in f if r.strip()]
    if rows and rows[0][0] == "rule_id":
        rows = rows[1:]
    for r in rows:
        if len(r) != 4:
            errs.append(f"errors-catalogue.expected.tsv: bad row {r}")
            continue
        rid, line, typ, ns = r
        got = log.events.get(int(line))
        if got != typ:
            errs.append(f"errors-catalogue.expected.tsv: line {line} is {got}, expected {typ} ({rid})")
        if ns not in ("(default)", "acme"):
            errs.append(f"errors-catalogue.expected.tsv: bad namespace {ns}")
    return errs


def check_pii(d):
    errs = []
    lp, jp = os.path.join(d, "pii.log"), os.path.join(d, "pii.labels.json")
    if not (os.path.exists(lp) and os.path.exists(jp)):
        return errs
    text = open(lp, encoding="utf-8").read()
    labels = json.load(open(jp, encoding="utf-8"))
    for k in ("emails", "tokens", "record_ids"):
        for s in labels.get(k, []):
            if s not in text:
                errs.append(f"pii.labels.json: {k} entry not in pii.log: {s[:40]}")
    for e in set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)):
        if e not in labels.get("emails", []):
            errs.append(f"pii.log: e-mail not labelled: {e}")
    return errs


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    known = load_known_types()
    results = {}
    all_errors, all_notes = [], []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".log"):
            continue
        c = Checker(name, known)
        with open(os.path.join(d, name), "rb") as f:
            c.run(f.read())
        results[name] = c
        all_errors += c.errors
        all_notes += c.notes
        print(f"{'FAIL' if c.errors else 'ok  '} {name}  ({len(c.events)} events, {len(c.notes)} notes)")
    all_errors += check_expected_tsv(d, results)
    all_errors += check_pii(d)
    if all_notes:
        print("\nreports (expected in trap fixtures):")
        for n in all_notes:
            print("  " + n)
    if all_errors:
        print("\nERRORS:")
        for e in all_errors:
            print("  " + e)
        return 1
    print("\nall fixtures clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
