//! Events: the parsed form of one event record. [`kind`] holds the event-type table,
//! [`parse`] the nom grammar for the event head and the field splitter.

pub mod kind;
pub mod parse;
pub mod payload;
pub mod table;
pub mod usage;

pub use kind::{Category, Layout, Level, Role};
pub use parse::{Event, Fields, Head};
pub use table::EventType;
