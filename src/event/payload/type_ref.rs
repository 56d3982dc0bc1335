//! typeRefs and the other names that carry a namespace (format.md §5.2):
//!
//! ```text
//! type_ref   = trigger | controller | page | class
//! trigger    = "__sfdc_trigger/" [ ns "/" ] name      ; __sfdc_trigger/ns/Name
//! controller = "apex://" [ ns "." ] class "/" …       ; apex://ns.Ctl/ACTION$m
//! page       = … "/apex/" [ ns "__" ] page            ; VF: /apex/ns__Page
//! class      = ident "/" …                            ; ns/Class$Inner
//! ```

use super::{Res, is_ident_byte, run};
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_until, take_while, take_while_m_n};
use nom::character::complete::char;
use nom::combinator::{map, opt, verify};
use nom::sequence::{preceded, terminated};

/// Which form a typeRef has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// `__sfdc_trigger/…`
    Trigger,
    /// `apex://…` (an Aura or LWC controller)
    Controller,
    /// `…/apex/Page` (a Visualforce page)
    Page,
    /// `ns/Class`
    Class,
}

/// A typeRef and the namespace it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeRef<'a> {
    /// The form.
    pub kind: RefKind,
    /// The namespace, `None` for an unnamespaced name of that form.
    pub namespace: Option<&'a [u8]>,
}

/// `X/` → `X`: the text up to a `/`, when there is one.
fn up_to(c: u8) -> impl Fn(&[u8]) -> Res<'_, &[u8]> {
    move |i| terminated(take_till(|b| b == c), char(c as char)).parse(i)
}

fn trigger(i: &[u8]) -> Res<'_, TypeRef<'_>> {
    map(
        preceded(tag(&b"__sfdc_trigger/"[..]), opt(up_to(b'/'))),
        |namespace| TypeRef {
            kind: RefKind::Trigger,
            namespace,
        },
    )
    .parse(i)
}

fn controller(i: &[u8]) -> Res<'_, TypeRef<'_>> {
    let (i, path) = preceded(tag(&b"apex://"[..]), take_till(|c| c == b'/')).parse(i)?;
    let namespace = run(up_to(b'.'), path);
    Ok((
        i,
        TypeRef {
            kind: RefKind::Controller,
            namespace,
        },
    ))
}

fn page(i: &[u8]) -> Res<'_, TypeRef<'_>> {
    let (i, page) = preceded(
        (take_until(&b"/apex/"[..]), tag(&b"/apex/"[..])),
        take_while(is_ident_byte),
    )
    .parse(i)?;
    let namespace = run(
        take_until::<_, _, nom::error::Error<&[u8]>>(&b"__"[..]),
        page,
    );
    Ok((
        i,
        TypeRef {
            kind: RefKind::Page,
            namespace,
        },
    ))
}

fn class(i: &[u8]) -> Res<'_, TypeRef<'_>> {
    map(
        verify(up_to(b'/'), |ns: &[u8]| crate::namespace::is_ident(ns)),
        |ns| TypeRef {
            kind: RefKind::Class,
            namespace: Some(ns),
        },
    )
    .parse(i)
}

impl<'a> TypeRef<'a> {
    /// Parse a typeRef or code-unit name; `None` when it has none of the forms.
    pub fn parse(t: &'a [u8]) -> Option<TypeRef<'a>> {
        run(alt((trigger, controller, page, class)), t)
    }
}

/// The needles of raw log text that are followed by a namespace ([`after_needle`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needle {
    /// `__sfdc_trigger/`, followed by `ns/`.
    Trigger,
    /// `apex://`, followed by `ns.`.
    Controller,
    /// `/apex/`, followed by `ns__Page`.
    Page,
}

/// The namespace that raw log text names right after a needle (the needle itself not
/// included in `rest`): an identifier of at most 64 bytes and the byte that ends it.
pub fn after_needle(needle: Needle, rest: &[u8]) -> Option<&[u8]> {
    let word = |i| take_while_m_n(0, 64, is_ident_byte).parse(i);
    let ns = match needle {
        Needle::Trigger => run(terminated(word, char('/')), rest),
        Needle::Controller => run(terminated(word, char('.')), rest),
        Needle::Page => run(word, rest).and_then(|page| {
            run(
                take_until::<_, _, nom::error::Error<&[u8]>>(&b"__"[..]),
                page,
            )
        }),
    }?;
    crate::namespace::is_ident(ns).then_some(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(t: &[u8]) -> Option<Option<&[u8]>> {
        TypeRef::parse(t).map(|r| r.namespace)
    }

    #[test]
    fn forms() {
        assert_eq!(
            TypeRef::parse(b"__sfdc_trigger/ns/Name"),
            Some(TypeRef {
                kind: RefKind::Trigger,
                namespace: Some(b"ns")
            })
        );
        assert_eq!(ns(b"__sfdc_trigger/Name"), Some(None));
        assert_eq!(
            TypeRef::parse(b"apex://zed.BillingCtl/ACTION$load").map(|r| r.kind),
            Some(RefKind::Controller)
        );
        assert_eq!(
            ns(b"apex://zed.BillingCtl/ACTION$load"),
            Some(Some(&b"zed"[..]))
        );
        assert_eq!(ns(b"apex://BillingCtl/ACTION$load"), Some(None));
        assert_eq!(ns(b"VF: /apex/acme__Invoice"), Some(Some(&b"acme"[..])));
        assert_eq!(ns(b"VF: /apex/Invoice?x=1"), Some(None));
        assert_eq!(ns(b"acme/Svc$Inner"), Some(Some(&b"acme"[..])));
    }

    #[test]
    fn no_forms() {
        assert_eq!(ns(b"Svc"), None);
        assert_eq!(ns(b"9x/Svc"), None);
        assert_eq!(ns(b"a b/Svc"), None);
        assert_eq!(ns(b""), None);
    }

    #[test]
    fn needles() {
        assert_eq!(
            after_needle(Needle::Trigger, b"acme/T|"),
            Some(&b"acme"[..])
        );
        assert_eq!(after_needle(Needle::Trigger, b"T"), None);
        assert_eq!(
            after_needle(Needle::Controller, b"acme.Ctl/ACTION$m"),
            Some(&b"acme"[..])
        );
        assert_eq!(after_needle(Needle::Controller, b"Ctl/ACTION$m"), None);
        assert_eq!(
            after_needle(Needle::Page, b"acme__Page\n"),
            Some(&b"acme"[..])
        );
        assert_eq!(after_needle(Needle::Page, b"Page"), None);
        assert_eq!(after_needle(Needle::Page, b"__Page"), None);
        let long = [b'a'; 70];
        assert_eq!(after_needle(Needle::Trigger, &long), None);
    }
}
