//! dbglog: parse, view, redact, diff, analyze, scan and capture Salesforce Apex debug logs.

pub mod rules;
