//! `--as subscriber|vendor:NS[,NS…]|full`: which namespaces' internals a view shows.

use std::fmt;
use std::str::FromStr;

/// A view setting. A view is defined by the set of namespaces whose internals are visible;
/// the subscriber's own code (the default namespace, plus any namespaces named with
/// `--own`) is always visible.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ViewSpec {
    /// Only the subscriber's own code is visible.
    Subscriber,
    /// The subscriber's code plus these packages.
    Vendor(Vec<String>),
    /// Everything.
    #[default]
    Full,
}

/// The valid forms, for usage errors.
pub const VALID_FORMS: &str = "subscriber, vendor:NS[,NS...] (e.g. vendor:E2CP), full";

impl FromStr for ViewSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "subscriber" => Ok(ViewSpec::Subscriber),
            "full" => Ok(ViewSpec::Full),
            _ => {
                let Some(list) = s.strip_prefix("vendor:") else {
                    return Err(format!("unknown view '{s}'; valid forms: {VALID_FORMS}"));
                };
                let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
                if names.is_empty()
                    || names
                        .iter()
                        .any(|n| !crate::namespace::is_ident(n.as_bytes()))
                {
                    return Err(format!(
                        "bad namespace list '{list}' in '{s}': namespaces are letters, digits and _ (starting with a letter); valid forms: {VALID_FORMS}"
                    ));
                }
                Ok(ViewSpec::Vendor(names))
            }
        }
    }
}

impl fmt::Display for ViewSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewSpec::Subscriber => f.write_str("subscriber"),
            ViewSpec::Full => f.write_str("full"),
            ViewSpec::Vendor(ns) => write!(f, "vendor:{}", ns.join(",")),
        }
    }
}

impl ViewSpec {
    /// Namespaces the spec names (to seed the tracker's known namespaces).
    pub fn named_namespaces(&self) -> &[String] {
        match self {
            ViewSpec::Vendor(v) => v,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!("subscriber".parse::<ViewSpec>(), Ok(ViewSpec::Subscriber));
        assert_eq!("full".parse::<ViewSpec>(), Ok(ViewSpec::Full));
        assert_eq!(
            "vendor:E2CP,acme".parse::<ViewSpec>(),
            Ok(ViewSpec::Vendor(vec!["E2CP".into(), "acme".into()]))
        );
        let e = "vendor:".parse::<ViewSpec>().unwrap_err();
        assert!(e.contains("valid forms"), "{e}");
        let e = "customer".parse::<ViewSpec>().unwrap_err();
        assert!(e.contains("subscriber"), "{e}");
    }
}
