//! Views: what a log looks like to a subscriber, a vendor, or with everything shown.

pub mod spec;

pub use spec::ViewSpec;
