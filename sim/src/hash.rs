//! A stable, platform-independent hasher for trace fingerprints.
//!
//! `std`'s `DefaultHasher` may change between Rust releases and is seeded per
//! process, so fingerprints use this one instead: every integer is fed as
//! little-endian 64-bit words (so `usize` hashes the same on 32- and 64-bit
//! machines) and mixed with a fixed multiply-rotate step.

use std::hash::{BuildHasherDefault, Hash, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// A deterministic [`Hasher`]: the same input gives the same output on every
/// machine, process and Rust version.
#[derive(Clone, Copy, Debug, Default)]
pub struct StableHasher {
    state: u64,
}

impl StableHasher {
    /// A hasher with a given starting state.
    pub const fn with_state(state: u64) -> Self {
        StableHasher { state }
    }

    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for StableHasher {
    #[inline]
    fn finish(&self) -> u64 {
        crate::rng::mix64(self.state)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 56));
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
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.add(i as i64 as u64);
    }
}

/// The stable hash of one value.
pub fn stable_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = StableHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// A `BuildHasher` for `HashMap`/`HashSet` with no random state. Use it only
/// for lookups; iterate a `BTreeMap` where order matters.
pub type FixedState = BuildHasherDefault<StableHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_sensitive() {
        assert_eq!(stable_hash(&(1u32, "a")), stable_hash(&(1u32, "a")));
        assert_ne!(stable_hash(&(1u32, "a")), stable_hash(&(2u32, "a")));
        assert_ne!(stable_hash("ab"), stable_hash("ba"));
        assert_eq!(stable_hash(&7usize), stable_hash(&7u64));
    }
}
