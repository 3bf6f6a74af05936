//! The one hash function of the hashing module, written out so placement
//! never depends on a library's or a platform's hasher.
//!
//! Definition (fixed; changing it moves every key in every lesson table):
//!
//! - [`mix64`] is SplitMix64's finaliser, a bijection on 64-bit words with
//!   full avalanche.
//! - [`hash_bytes`] reads the bytes as little-endian 64-bit words (the last
//!   one zero-padded), starts from `SEED`, and for each word sets
//!   `h = mix64(h ^ word) + GOLDEN`; it returns `mix64(h ^ len)`, so inputs
//!   that differ only in trailing zero bytes still differ.
//! - [`hash_pair`] places the `index`-th point of `node` (virtual nodes,
//!   rendezvous salts): `mix64(mix64(node ^ SALT) ^ index * GOLDEN)`.

pub use faultline_sim::rng::mix64;

/// Starting state of [`hash_bytes`].
const SEED: u64 = 0x6a09_e667_f3bc_c908;
/// The golden ratio in 64-bit fixed point: an odd constant with well
/// spread bits, used to separate consecutive words and indices.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
/// Separates node ids from other inputs of the mixer.
const SALT: u64 = 0xbb67_ae85_84ca_a73b;

/// The hash of a byte string (a key).
///
/// ```
/// use faultline_algorithms::hashing::hash::hash_bytes;
/// assert_eq!(hash_bytes(b"k1"), hash_bytes(b"k1"));
/// assert_ne!(hash_bytes(b"k1"), hash_bytes(b"k1\0"));
/// ```
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = SEED;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        h = mix64(h ^ word).wrapping_add(GOLDEN);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = mix64(h ^ u64::from_le_bytes(buf)).wrapping_add(GOLDEN);
    }
    mix64(h ^ bytes.len() as u64)
}

/// The hash of a string key.
#[inline]
pub fn key_hash(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

/// A point derived from a node id and an index (a virtual node's position
/// on the ring, or a node's rendezvous salt with index 0).
#[inline]
pub fn hash_pair(node: u64, index: u64) -> u64 {
    mix64(mix64(node ^ SALT) ^ index.wrapping_mul(GOLDEN))
}

/// A 64-bit hash as a fraction of the ring, in `[0, 1)` (for drawing).
#[inline]
pub fn ring_fraction(hash: u64) -> f64 {
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_values_are_pinned() {
        // Pinned so an accidental change of the function shows up here,
        // not as silently different lesson tables.
        assert_eq!(hash_bytes(b""), mix64(SEED));
        let a = hash_bytes(b"k0");
        let b = hash_bytes(b"k1");
        assert_ne!(a, b);
        assert_eq!(hash_pair(3, 0), mix64(mix64(3 ^ SALT)));
    }

    #[test]
    fn single_bit_changes_flip_about_half_the_output_bits() {
        let mut total = 0u32;
        for i in 0..1000u64 {
            let x = hash_bytes(&i.to_le_bytes());
            let y = hash_bytes(&(i ^ 1 << (i % 64)).to_le_bytes());
            total += (x ^ y).count_ones();
        }
        let mean = total as f64 / 1000.0;
        assert!((28.0..36.0).contains(&mean), "mean flipped bits {mean}");
    }
}
