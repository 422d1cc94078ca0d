//! Where the site's random numbers come from: passwords, session tokens, serial numbers.
//!
//! Injected so that a scenario can make them repeatable. RSA key generation is not drawn from here:
//! aws-lc draws its own, which is why transcripts redact keys and thumbprints.

use std::fmt;

/// A source of random bytes.
pub trait Entropy: Send + fmt::Debug {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

/// The operating system's generator, through aws-lc. What a real site uses.
#[derive(Debug, Default)]
pub struct SystemEntropy;

impl Entropy for SystemEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // aws-lc's generator fails only if the OS has no entropy source at all; the site cannot
        // run safely without one.
        aws_lc_rs::rand::fill(buf).expect("the operating system's random generator failed");
    }
}

/// A repeatable sequence (SplitMix64) for deterministic scenarios. Not for secrets that matter.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    state: u64,
}

impl SeededEntropy {
    /// A sequence that is the same for the same seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Draws a string of `len` characters from `alphabet`, without modulo bias.
pub fn draw_string(entropy: &mut dyn Entropy, alphabet: &[u8], len: usize) -> String {
    debug_assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut byte = [0u8; 1];
    while out.len() < len {
        entropy.fill(&mut byte);
        if usize::from(byte[0]) < limit {
            out.push(char::from(alphabet[usize::from(byte[0]) % alphabet.len()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_entropy_repeats_for_the_same_seed() {
        let (mut a, mut b) = (SeededEntropy::new(7), SeededEntropy::new(7));
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 13]);
    }

    #[test]
    fn drawn_strings_use_only_the_alphabet() {
        let s = draw_string(&mut SeededEntropy::new(1), b"abc", 64);
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|c| b"abc".contains(&c)));
    }
}
