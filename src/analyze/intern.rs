//! The aggregate maps' hasher and the string interner: every name and statement text the
//! analyses keep is stored once and referred to by a dense `u32` id.

use super::TEXT_CAP;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small multiply-rotate hasher (the Fx hash) for the aggregate maps: their keys are
/// short and come from the log, and no untrusted party chooses them to collide.
#[derive(Default, Clone, Copy)]
pub(super) struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ (rest.len() as u64) << 59);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(super) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Interns byte strings to dense ids (lookup by `&[u8]` before inserting).
#[derive(Default, Debug)]
pub(super) struct Interner {
    ids: FastMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
}

impl Interner {
    pub(super) fn id(&mut self, s: &[u8]) -> u32 {
        let s = &s[..s.len().min(TEXT_CAP)];
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(Box::from(s));
        self.ids.insert(Box::from(s), id);
        id
    }
    pub(super) fn name(&self, id: u32) -> &[u8] {
        &self.names[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::super::TEXT_CAP;
    use super::{FastMap, Interner};

    #[test]
    fn dense_ids_one_per_distinct_text() {
        let mut i = Interner::default();
        assert_eq!(i.id(b"A.run()"), 0);
        assert_eq!(i.id(b"B.run()"), 1);
        assert_eq!(i.id(b"A.run()"), 0);
        assert_eq!(i.name(1), b"B.run()");
        let long = vec![b'x'; TEXT_CAP + 10];
        let id = i.id(&long);
        assert_eq!(i.name(id).len(), TEXT_CAP);
        assert_eq!(i.id(&long[..TEXT_CAP]), id);
    }

    #[test]
    fn keys_of_every_length_stay_apart() {
        let mut m: FastMap<Vec<u8>, usize> = FastMap::default();
        for n in 0..40 {
            m.insert(vec![0; n], n);
        }
        assert_eq!(m.len(), 40);
        assert!((0..40).all(|n| m[&vec![0; n]] == n));
    }
}
