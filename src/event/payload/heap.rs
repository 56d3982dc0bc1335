//! The size of a heap event:
//!
//! ```text
//! heap = { text } "Bytes:" [ "-" ] number { text }   ; HEAP_ALLOCATE|[31]|Bytes:24
//! ```

use super::{number, run};
use nom::bytes::complete::{tag, take_until};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::preceded;

/// The signed `Bytes:N` of a heap event's line (`HEAP_ALLOCATE|[31]|Bytes:24`,
/// `BULK_HEAP_ALLOCATE|Bytes:8`, `HEAP_DEALLOCATE|[5]|Bytes:-16`).
pub fn bytes(first_line: &[u8]) -> Option<i64> {
    let (neg, n) = run(
        preceded(
            (take_until(&b"Bytes:"[..]), tag(&b"Bytes:"[..])),
            (opt(char('-')), number),
        ),
        first_line,
    )?;
    let n = n as i64;
    Some(if neg.is_some() { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_bytes() {
        assert_eq!(bytes(b"[31]|Bytes:24"), Some(24));
        assert_eq!(bytes(b"Bytes:1,024"), Some(1024));
        assert_eq!(bytes(b"[5]|Bytes:-16"), Some(-16));
        assert_eq!(bytes(b"[5]|Bytes:16 trailing"), Some(16));
        assert_eq!(bytes(b"[5]|Bytes:"), None);
        assert_eq!(bytes(b"[5]|Bytes:-"), None);
        assert_eq!(bytes(b"[5]|24"), None);
    }
}
