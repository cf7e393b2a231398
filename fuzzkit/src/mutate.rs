//! Byte-level and token-level mutations of seed inputs, driven by a small deterministic PRNG
//! (SplitMix64) so a run is reproducible from `FUZZ_SEED`.

/// SplitMix64: fast, seedable, good enough to pick mutations.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A seed from `pool`, damaged by one to eight mutations.
    pub fn mutate(&mut self, pool: &[Vec<u8>], dictionary: &[&str]) -> Vec<u8> {
        let mut out = pool[self.below(pool.len())].clone();
        for _ in 0..=self.below(8) {
            self.once(&mut out, pool, dictionary);
        }
        out
    }

    fn once(&mut self, b: &mut Vec<u8>, pool: &[Vec<u8>], dictionary: &[&str]) {
        let at = self.below(b.len() + 1);
        match self.below(10) {
            // Flip bits of one byte.
            0 if !b.is_empty() => {
                let i = self.below(b.len());
                b[i] ^= 1 << self.below(8);
            }
            // A random byte (any value, so invalid UTF-8 too).
            1 => b.insert(at, self.next_u64() as u8),
            // Delete a range.
            2 if !b.is_empty() => {
                let end = (at + 1 + self.below(16)).min(b.len());
                b.drain(at.min(end)..end);
            }
            // Duplicate a range (repeated lines, keys, chunks).
            3 if !b.is_empty() => {
                let start = self.below(b.len());
                let end = (start + 1 + self.below(64)).min(b.len());
                let piece = b[start..end].to_vec();
                b.splice(at..at, piece);
            }
            // Splice in a piece of another seed.
            4 => {
                let other = &pool[self.below(pool.len())];
                if !other.is_empty() {
                    let start = self.below(other.len());
                    let end = (start + 1 + self.below(64)).min(other.len());
                    b.splice(at..at, other[start..end].iter().copied());
                }
            }
            // Replace a byte with an interesting one.
            5 if !b.is_empty() => {
                const BYTES: [u8; 10] = [0, 0xff, 0x7f, 0x80, b'\n', b'"', b'{', b'}', b':', b'#'];
                let i = self.below(b.len());
                b[i] = BYTES[self.below(BYTES.len())];
            }
            // Overwrite four bytes with an edge-case little-endian number (sizes, counts).
            6 if b.len() >= 4 => {
                const NUMS: [u32; 7] = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000, 0xffff, 3];
                let i = self.below(b.len() - 3);
                b[i..i + 4].copy_from_slice(&NUMS[self.below(NUMS.len())].to_le_bytes());
            }
            // Truncate.
            7 => b.truncate(at),
            // A long run of one byte (huge lines, deep nesting).
            8 => {
                let byte = [b'[', b'{', b'a', b' ', b'-', b'9'][self.below(6)];
                let n = 1 << self.below(14);
                b.splice(at..at, std::iter::repeat_n(byte, n));
            }
            // A dictionary token.
            _ if !dictionary.is_empty() => {
                let t = dictionary[self.below(dictionary.len())];
                b.splice(at..at, t.bytes());
            }
            _ => b.push(self.next_u64() as u8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_same_seed_makes_the_same_inputs() {
        let pool = vec![b"labels: [a, b]\n".to_vec()];
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.mutate(&pool, &["x"]), b.mutate(&pool, &["x"]));
        }
    }

    #[test]
    fn mutations_change_inputs_and_keep_some_intact() {
        let pool = vec![b"abcdefghijklmnop".to_vec()];
        let mut rng = Rng::new(1);
        let outs: Vec<Vec<u8>> = (0..200).map(|_| rng.mutate(&pool, &["TOKEN"])).collect();
        assert!(outs.iter().filter(|o| **o != pool[0]).count() > 150);
        assert!(outs.iter().any(|o| o.windows(5).any(|w| w == b"TOKEN")));
    }
}
