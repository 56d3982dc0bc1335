//! The prefilter cover: a few strings that every literal of a catalogue holds one of.
//!
//! Shared by the crate and by `build.rs`, which computes the builtin catalogue's cover at
//! build time; so this file uses nothing but `std`.

use std::collections::HashMap;

/// Most strings in the catalogue's prefilter when the literals allow it: up to this many,
/// aho-corasick picks its faster SIMD searcher.
pub const PREFILTER_MAX: usize = 32;

/// Shortest string [`cover`] puts in place of several literals: shorter ones would match
/// too much ordinary text.
const COVER_MIN: usize = 6;

/// Longest substring [`cover`] considers.
const COVER_LEN_MAX: usize = 16;

/// Most literals [`cover`] tries to group (a multiple of 64: its sets are words of bits).
const COVER_TRY_MAX: usize = 256;
const _: () = assert!(COVER_TRY_MAX.is_multiple_of(64));

/// Strings that cover `literals`: every literal holds at least one of them, and there are
/// at most [`PREFILTER_MAX`] if grouping allows. Greedy: while there are too many, the
/// substring of at least [`COVER_MIN`] bytes held by the most literals not yet grouped
/// (the longer one on a tie) replaces them. A literal holding another literal is dropped
/// first. Deterministic, sorted, without duplicates. More than [`COVER_TRY_MAX`] literals
/// are left as they are (no grouping would bring them down to a fast searcher).
pub fn cover<'a>(literals: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut lits: Vec<&str> = literals.filter(|l| !l.is_empty()).collect();
    lits.sort_unstable();
    lits.dedup();
    if lits.len() <= PREFILTER_MAX || lits.len() > COVER_TRY_MAX {
        return lits.into_iter().map(str::to_string).collect();
    }
    let all = lits.clone();
    lits.retain(|l| !all.iter().any(|m| m != l && l.contains(m)));
    // Every substring worth grouping by → the literals holding it, as a bit set.
    type Set = [u64; COVER_TRY_MAX / 64];
    let count =
        |a: &Set, b: &Set| -> u32 { a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum() };
    let mut held: HashMap<&[u8], Set> =
        HashMap::with_capacity(lits.iter().map(|l| l.len()).sum::<usize>() * COVER_LEN_MAX);
    for (k, lit) in lits.iter().enumerate() {
        let b = lit.as_bytes();
        for i in 0..b.len() {
            for j in i + COVER_MIN..=b.len().min(i + COVER_LEN_MAX) {
                held.entry(&b[i..j]).or_insert([0; COVER_TRY_MAX / 64])[k / 64] |= 1 << (k % 64);
            }
        }
    }
    let all: Set = std::array::from_fn(|w| {
        let bits = lits.len().saturating_sub(w * 64).min(64);
        if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        }
    });
    let mut candidates: Vec<(&[u8], Set)> = held
        .into_iter()
        .filter(|(s, set)| count(set, &all) >= 2 && std::str::from_utf8(s).is_ok())
        .collect();
    candidates.sort_unstable();
    let mut left = all;
    let mut out: Vec<String> = Vec::new();
    while out.len() + count(&left, &all) as usize > PREFILTER_MAX {
        let best = candidates
            .iter()
            .map(|(s, set)| (count(set, &left), s))
            .filter(|&(n, _)| n >= 2)
            .max_by(|a, b| (a.0, a.1.len(), b.1).cmp(&(b.0, b.1.len(), a.1)));
        let Some((_, best)) = best else { break };
        let best = std::str::from_utf8(best).expect("checked above");
        for (k, lit) in lits.iter().enumerate() {
            if left[k / 64] & (1 << (k % 64)) != 0 && lit.contains(best) {
                left[k / 64] &= !(1 << (k % 64));
            }
        }
        out.push(best.to_string());
    }
    out.extend(
        lits.iter()
            .enumerate()
            .filter(|(k, _)| left[k / 64] & (1 << (k % 64)) != 0)
            .map(|(_, lit)| lit.to_string()),
    );
    out.sort_unstable();
    out.dedup();
    out
}
