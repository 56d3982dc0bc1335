//! Namespaces: the interner and the evidence rules that read a namespace off an event
//! (format.md §5.2). Everything here works on one event at a time, so namespace
//! resolution happens in the same streaming pass as parsing.

use crate::event::payload::type_ref::TypeRef;
use memchr::memchr;
use std::collections::HashSet;
use std::fmt;

/// An interned namespace. [`NsId::DEFAULT`] is the subscriber's own code, `(default)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NsId(pub u16);

impl NsId {
    /// The default (unnamespaced, subscriber-owned) namespace.
    pub const DEFAULT: NsId = NsId(0);

    /// True for the default namespace.
    pub fn is_default(self) -> bool {
        self == NsId::DEFAULT
    }
}

/// The namespaces seen so far. Namespaces are few (a handful per log), so a linear
/// search beats hashing.
#[derive(Clone, Debug)]
pub struct Namespaces {
    names: Vec<Box<[u8]>>,
    /// Whether each namespace is known to be a namespace (evidence seen), as opposed to
    /// merely a name that was interned.
    known: Vec<bool>,
    /// Whether the log named each namespace (learned), not only the command line.
    seen: Vec<bool>,
    /// With [`record_misses`](Namespaces::record_misses): the names [`lookup`](Namespaces::lookup)
    /// did not know.
    misses: Option<HashSet<Box<[u8]>>>,
}

impl Default for Namespaces {
    fn default() -> Self {
        Namespaces {
            names: vec![Box::from(&b"(default)"[..])],
            known: vec![true],
            seen: vec![true],
            misses: None,
        }
    }
}

/// The most namespaces one log may introduce; beyond it new names map to the last slot.
pub const MAX_NAMESPACES: usize = 4096;

impl Namespaces {
    /// Intern `name` and mark it as a known namespace. `(default)` maps to [`NsId::DEFAULT`].
    pub fn learn(&mut self, name: &[u8]) -> NsId {
        let id = self.declare(name);
        self.seen[id.0 as usize] = true;
        id
    }

    /// Intern without marking known. A name that cannot be a namespace (not an identifier:
    /// mangled text) maps to [`NsId::DEFAULT`], as `(default)` does. The empty name is kept:
    /// the platform writes markers without one.
    pub fn intern(&mut self, name: &[u8]) -> NsId {
        if name == b"(default)" || !(name.is_empty() || is_ident(name)) {
            return NsId::DEFAULT;
        }
        if let Some(i) = self.position(name) {
            return NsId(i as u16);
        }
        if self.names.len() >= MAX_NAMESPACES {
            return NsId((MAX_NAMESPACES - 1) as u16);
        }
        self.names.push(Box::from(name));
        self.known.push(false);
        self.seen.push(false);
        NsId((self.names.len() - 1) as u16)
    }

    /// Look a known namespace up without interning.
    pub fn find_known(&self, name: &[u8]) -> Option<NsId> {
        if name.is_empty() {
            return None;
        }
        self.position(name)
            .filter(|&i| self.known[i])
            .map(|i| NsId(i as u16))
    }

    /// Where `name` is interned. Salesforce namespace prefixes are case-insensitive
    /// (`MyNS` and `MyNs` are one package), so names compare ignoring ASCII case; the
    /// spelling seen first is the one kept.
    #[inline]
    fn position(&self, name: &[u8]) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    /// Whether the log itself named `name` (as opposed to it being only declared up front
    /// with [`declare`](Namespaces::declare), from `--as vendor:NS` or `--own NS`).
    pub fn seen_in_log(&self, name: &[u8]) -> bool {
        self.position(name).is_some_and(|i| self.seen[i])
    }

    /// Mark `name` known without counting it as named by the log (see
    /// [`seen_in_log`](Namespaces::seen_in_log)).
    pub fn declare(&mut self, name: &[u8]) -> NsId {
        let id = self.intern(name);
        self.known[id.0 as usize] = true;
        id
    }

    /// [`find_known`](Namespaces::find_known), remembering the names it did not know when
    /// [`record_misses`](Namespaces::record_misses) is on.
    #[inline]
    pub fn lookup(&mut self, name: &[u8]) -> Option<NsId> {
        let found = self.find_known(name);
        if found.is_none()
            && !name.is_empty()
            && let Some(m) = &mut self.misses
            && !m.contains(name)
        {
            m.insert(Box::from(name));
        }
        found
    }

    /// From now on, remember every name [`lookup`](Namespaces::lookup) does not know. A
    /// tracker that starts mid-log does this: had it known what came before, those lookups
    /// might have found a namespace.
    pub fn record_misses(&mut self) {
        self.misses.get_or_insert_with(HashSet::new);
    }

    /// The names [`lookup`](Namespaces::lookup) did not know (none unless recording).
    pub fn misses(&self) -> impl Iterator<Item = &[u8]> {
        self.misses.iter().flatten().map(|m| &m[..])
    }

    /// The name of a namespace (`(default)` for the default).
    pub fn name(&self, id: NsId) -> &[u8] {
        self.names.get(id.0 as usize).map_or(b"?", |n| &n[..])
    }

    /// The name as a string (lossy).
    pub fn name_str(&self, id: NsId) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.name(id))
    }

    /// All interned namespaces, default first.
    pub fn iter(&self) -> impl Iterator<Item = (NsId, &[u8])> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, n)| (NsId(i as u16), &n[..]))
    }

    /// Number of interned namespaces (default included).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Never empty: the default namespace is always there.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl fmt::Display for NsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ns#{}", self.0)
    }
}

/// The namespace an `ENTERING_MANAGED_PKG` line names (the text after `TYPE|` on its first
/// line; a dotted name counts by its last part), or `None` when that is no name at all
/// (mangled text). The platform also writes markers with an empty name.
pub fn marker_name(first_line: &[u8]) -> Option<&[u8]> {
    let name = first_line
        .split(|&c| c == b'|')
        .next()
        .unwrap_or(first_line);
    let name = name.rsplit(|&c| c == b'.').next().unwrap_or(name);
    (name.is_empty() || is_ident(name)).then_some(name)
}

/// Is `s` a plausible namespace/identifier (`[A-Za-z][A-Za-z0-9_]*`)?
pub fn is_ident(s: &[u8]) -> bool {
    matches!(s.first(), Some(c) if c.is_ascii_alphabetic())
        && s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The dotted prefix of a signature, `ns.Class.method(Args)` → `[ns, Class, method]` segments
/// count and the first segment.
fn sig_head(sig: &[u8]) -> (&[u8], usize) {
    let end = memchr(b'(', sig).unwrap_or(sig.len());
    let path = &sig[..end];
    let first = memchr(b'.', path).map_or(path, |d| &path[..d]);
    let segments = path.iter().filter(|&&c| c == b'.').count() + 1;
    (first, segments)
}

/// The namespace named by a method signature, if its first segment is a known namespace
/// and the signature has at least `Class.method` after it.
pub fn from_signature(ns: &mut Namespaces, sig: &[u8]) -> Option<NsId> {
    let (first, segments) = sig_head(sig);
    if segments >= 3 {
        ns.lookup(first)
    } else {
        None
    }
}

/// A candidate namespace from a signature (first segment of a 3+ segment path), whether or
/// not it is known yet. Used to learn namespaces right after an `ENTERING_MANAGED_PKG`.
pub fn signature_prefix(sig: &[u8]) -> Option<&[u8]> {
    let (first, segments) = sig_head(sig);
    (segments >= 3 && is_ident(first)).then_some(first)
}

/// Namespace evidence in a typeRef or code-unit name:
/// `__sfdc_trigger/ns/Name`, `ns/Class$Inner`, `apex://ns.Ctl/ACTION$m`, `VF: /apex/ns__Page`.
/// Returns `Some(Some(ns))` for a namespaced form, `Some(None)` for an explicitly
/// unnamespaced form, `None` when the text carries no evidence. The grammar is [`crate::event::payload::type_ref`].
pub fn from_type_ref(t: &[u8]) -> Option<Option<&[u8]>> {
    TypeRef::parse(t).map(|r| r.namespace)
}

/// Namespace evidence in a code unit's name beyond typeRefs and signatures, as the name
/// itself spells it (format.md §5.2):
/// - `ns.Trigger on Obj trigger event BeforeInsert`, `ns.VFRemote: ns.Ctl invoke(save)`:
///   a dotted first word names `ns`, if `ns` is a known namespace;
/// - `EventService:ns__Event__e`, `Validation:ns__Obj__c:…`: a namespaced object name
///   (`ns__Name__suffix`) names `ns` outright.
pub fn from_code_unit(ns: &mut Namespaces, name: &[u8]) -> Option<NsId> {
    let word = &name[..name
        .iter()
        .position(|&c| c == b' ' || c == b':')
        .unwrap_or(name.len())];
    if let Some(d) = memchr(b'.', word)
        && let Some(id) = ns.lookup(&word[..d])
    {
        return Some(id);
    }
    for part in name.split(|&c| c == b':').skip(1) {
        let part = part.trim_ascii();
        let end = part
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            .unwrap_or(part.len());
        let obj = &part[..end];
        if let Some(u) = memchr::memmem::find(obj, b"__") {
            let rest = &obj[u + 2..];
            if memchr::memmem::find(rest, b"__").is_some() && is_ident(&obj[..u]) {
                return Some(ns.learn(&obj[..u]));
            }
        }
    }
    None
}

/// The namespace prefix of a `ns:Message` LimitException text, e.g. `acme:Too many…`.
pub fn from_limit_message(msg: &[u8]) -> Option<&[u8]> {
    crate::event::payload::exception::limit_namespace(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_needs_a_known_namespace() {
        let mut ns = Namespaces::default();
        assert_eq!(from_signature(&mut ns, b"acme.Svc.run(Integer)"), None);
        let acme = ns.learn(b"acme");
        assert_eq!(
            from_signature(&mut ns, b"acme.Svc.run(Integer)"),
            Some(acme)
        );
        assert_eq!(from_signature(&mut ns, b"Svc.Inner.run()"), None);
        assert_eq!(from_signature(&mut ns, b"acme.run()"), None);
        assert_eq!(signature_prefix(b"Outer.Inner.m()"), Some(&b"Outer"[..]));
    }

    #[test]
    fn type_refs() {
        assert_eq!(
            from_type_ref(b"__sfdc_trigger/acme/InvTrigger"),
            Some(Some(&b"acme"[..]))
        );
        assert_eq!(from_type_ref(b"__sfdc_trigger/InvTrigger"), Some(None));
        assert_eq!(from_type_ref(b"acme/Svc$Line"), Some(Some(&b"acme"[..])));
        assert_eq!(
            from_type_ref(b"apex://zed.BillingCtl/ACTION$load"),
            Some(Some(&b"zed"[..]))
        );
        assert_eq!(from_type_ref(b"apex://BillingCtl/ACTION$load"), Some(None));
        assert_eq!(
            from_type_ref(b"VF: /apex/acme__Setup"),
            Some(Some(&b"acme"[..]))
        );
        assert_eq!(from_type_ref(b"InvoiceService.Line"), None);
    }

    #[test]
    fn code_unit_forms() {
        let mut ns = Namespaces::default();
        let acme = ns.learn(b"acme");
        for name in [
            &b"ACME.InvTrigger on Invoice__c trigger event BeforeInsert"[..],
            b"acme.VFRemote: acme.Ctl invoke(save)",
        ] {
            assert_eq!(from_code_unit(&mut ns, name), Some(acme), "{name:?}");
        }
        let ev = from_code_unit(&mut ns, b"EventService:zed__Order__e").unwrap();
        assert_eq!(ns.name(ev), b"zed");
        assert_eq!(
            from_code_unit(&mut ns, b"Outer.Inner on X trigger event A"),
            None
        );
        assert_eq!(from_code_unit(&mut ns, b"EventService:Order__e"), None);
        assert_eq!(from_code_unit(&mut ns, b"execute_anonymous_apex"), None);
    }

    #[test]
    fn limit_prefix() {
        assert_eq!(
            from_limit_message(b"System.LimitException: zed:Too many future calls: 51"),
            Some(&b"zed"[..])
        );
        assert_eq!(
            from_limit_message(b"System.LimitException: Too many SOQL queries: 101"),
            None
        );
    }

    #[test]
    fn interning() {
        let mut ns = Namespaces::default();
        assert_eq!(ns.learn(b"(default)"), NsId::DEFAULT);
        let a = ns.learn(b"a");
        assert_eq!(ns.intern(b"a"), a);
        assert_eq!(ns.name(a), b"a");
        assert_eq!(ns.learn(b""), NsId(2));
    }

    #[test]
    fn names_ignore_case_and_declared_is_not_seen() {
        let mut ns = Namespaces::default();
        let a = ns.learn(b"MyNS");
        assert_eq!(ns.find_known(b"myns"), Some(a));
        assert_eq!(ns.intern(b"MYNS"), a);
        assert_eq!(ns.name(a), b"MyNS");
        let mut f = Namespaces::default();
        f.learn(b"acme");
        assert_eq!(
            from_signature(&mut f, b"ACME.Svc.run()"),
            f.find_known(b"acme")
        );
        let v = ns.declare(b"vend");
        assert!(ns.find_known(b"VEND") == Some(v) && !ns.seen_in_log(b"vend"));
        assert!(ns.seen_in_log(b"myns"));
        ns.learn(b"Vend");
        assert!(ns.seen_in_log(b"vend"));
    }
}
