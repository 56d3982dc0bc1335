//! The `USER_INFO` event:
//!
//! ```text
//! user_info = line "|" user_id "|" user_name [ "|" zone [ "|" zone_code ] ]
//! ```
//!
//! e.g. `[EXTERNAL]|005000000000001|user@example.com|(GMT+00:00) Greenwich Mean Time
//! (Europe/London)|GMTZ`.

use super::run;
use nom::bytes::complete::take_till;
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::preceded;

/// The fields of a `USER_INFO` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserInfo<'a> {
    /// The line field, `[EXTERNAL]` in every log seen.
    pub line: &'a [u8],
    /// The user's id (`005…`).
    pub user_id: &'a [u8],
    /// The user name (a login, shaped like an e-mail address).
    pub user_name: &'a [u8],
    /// The time zone as written, such as `(GMT+00:00) Greenwich Mean Time (Europe/London)`.
    pub zone: Option<&'a [u8]>,
}

impl<'a> UserInfo<'a> {
    /// Parse the event's first line.
    pub fn parse(first_line: &'a [u8]) -> Option<UserInfo<'a>> {
        let field = || take_till(|c| c == b'|');
        let (line, user_id, user_name, zone) = run(
            (
                field(),
                preceded(char('|'), field()),
                preceded(char('|'), field()),
                opt(preceded(char('|'), field())),
            ),
            first_line,
        )?;
        Some(UserInfo {
            line,
            user_id,
            user_name,
            zone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info() {
        let u = UserInfo::parse(
            b"[EXTERNAL]|005x|u@example.com|(GMT+00:00) Greenwich Mean Time (Europe/London)|GMTZ",
        )
        .unwrap();
        assert_eq!(u.line, b"[EXTERNAL]");
        assert_eq!(u.user_id, b"005x");
        assert_eq!(u.user_name, b"u@example.com");
        assert_eq!(
            u.zone,
            Some(&b"(GMT+00:00) Greenwich Mean Time (Europe/London)"[..])
        );
        let short = UserInfo::parse(b"[EXTERNAL]|005x|u@example.com").unwrap();
        assert_eq!((short.user_name, short.zone), (&b"u@example.com"[..], None));
        assert_eq!(UserInfo::parse(b"[EXTERNAL]|005x"), None);
        assert_eq!(UserInfo::parse(b""), None);
    }
}
