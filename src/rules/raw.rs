//! The schema of a rules file, shared by the run-time parser ([`super`]) and `build.rs`,
//! which compiles the builtin catalogue with the same definition (`#[path]` module). The
//! severity is a type parameter: the library reads it as [`super::Severity`], the build
//! script as a string it maps itself (it cannot see the library's types).

use serde::Deserialize;

/// One `[[rule]]` table exactly as written in TOML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule<S> {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) severity: S,
    pub(crate) literals: Vec<String>,
    #[serde(default)]
    pub(crate) regex: Option<String>,
    #[serde(default)]
    pub(crate) events: Vec<String>,
    #[serde(default)]
    pub(crate) overrides: Vec<String>,
    #[serde(default)]
    pub(crate) related: Vec<String>,
    #[serde(default)]
    pub(crate) fallback: bool,
    #[serde(default)]
    pub(crate) remedy: String,
    #[serde(default)]
    pub(crate) sample: String,
}

/// A rules file: `[[rule]]` tables (with where each starts) and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub(crate) struct RawFile<S> {
    #[serde(default)]
    pub(crate) rule: Vec<toml::Spanned<RawRule<S>>>,
}
