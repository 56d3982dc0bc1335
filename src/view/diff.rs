//! The view diff (being built).
