//! dbglog: parse, view, redact, diff, analyze, scan and capture Salesforce Apex debug logs.
//!
//! The pipeline runs one way, one module per stage:
//!
//! ```text
//! input ──► framing ──► event ──► track ──► view / analyze / scan / capture ──► output
//! bytes     records     Event<'a>  frames +    consumers                      printers
//!                                  namespaces
//! ```
//!
//! [`stream::run`] drives the first four stages over any input in one pass.
//!
//! ```
//! use dbglog::stream::{self, Item};
//! let log = b"61.0 APEX_CODE,FINE\n12:00:00.1 (100)|EXECUTION_STARTED\n12:00:00.1 (200)|EXECUTION_FINISHED\n";
//! let mut input = dbglog::input::from_bytes("example", log.to_vec());
//! let mut events = 0;
//! stream::run(&mut input, &mut dbglog::track::Tracker::new(), |item: &Item<'_>, _t: &dbglog::track::Tracker| {
//!     if item.event.is_some() { events += 1; }
//!     Ok(())
//! }).unwrap();
//! assert_eq!(events, 2);
//! ```

pub mod analyze;
pub mod bytes;
pub mod capture;
pub mod compare;
pub mod debug;
pub mod event;
pub mod findings;
pub mod framing;
pub mod generate;
pub mod grep;
pub mod header;
pub mod input;
pub mod namespace;
pub mod output;
pub mod prepare;
pub mod rules;
pub mod scan;
pub mod stats;
pub mod stream;
pub mod track;
pub mod view;
