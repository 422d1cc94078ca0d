//! Secrets at rest: an application's password is kept only as a salted PBKDF2-HMAC-SHA256 hash,
//! its session token only as a SHA-256 digest; both are compared in constant time.
//!
//! Why [`ITERATIONS`] is 4,096: the site draws every password itself (12 characters from 56,
//! about 70 bits), so no dictionary or human habit helps someone who reads the records: each
//! guess must be one of 2^70, and 4,096 (2^12) iterations make each cost as much as 4,096 hashes,
//! some 82 bits of work in all (at 10^10 SHA-256 a second, millions of years). OWASP's 600,000
//! iterations are for passwords people choose, whose entropy is low; here they would add less
//! than 8 bits while costing every approval (the hash is made where the password is) and every
//! login 150 times as much CPU. 4,096 add about 0.3 ms of the site's CPU per enrollment in
//! `make bench` (aws-lc), less than the certificate's RSA signature. A session token (32 characters from 62, about 190 bits)
//! needs no slowing at all: one SHA-256.

use std::num::NonZeroU32;

use aws_lc_rs::{constant_time, digest, pbkdf2};
use base64::{Engine as _, engine::general_purpose::STANDARD_NO_PAD as B64};

/// PBKDF2 iterations for a password made by the site (see the module's comment).
pub const ITERATIONS: u32 = 4_096;

const ALGORITHM: pbkdf2::Algorithm = pbkdf2::PBKDF2_HMAC_SHA256;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// A password's salted hash, as kept in the records.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: NonZeroU32,
    salt: [u8; SALT_LEN],
    hash: [u8; HASH_LEN],
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

impl PasswordHash {
    /// The hash of `password` with `salt` (drawn from the site's entropy, so a seeded run
    /// repeats), at [`ITERATIONS`].
    pub fn new(password: &str, salt: [u8; SALT_LEN]) -> Self {
        // Invariant: ITERATIONS is a non-zero constant.
        let iterations = NonZeroU32::new(ITERATIONS).unwrap_or(NonZeroU32::MIN);
        let mut hash = [0u8; HASH_LEN];
        pbkdf2::derive(ALGORITHM, iterations, &salt, password.as_bytes(), &mut hash);
        Self {
            iterations,
            salt,
            hash,
        }
    }

    /// Whether `password` is the one hashed; in time independent of where it differs.
    pub fn verify(&self, password: &str) -> bool {
        pbkdf2::verify(
            ALGORITHM,
            self.iterations,
            &self.salt,
            password.as_bytes(),
            &self.hash,
        )
        .is_ok()
    }

    /// Spends what a [`Self::verify`] spends, for a login to an application that has no password
    /// (not approved yet): its answer then takes as long as a wrong password's.
    pub fn verify_none(password: &str) {
        let _ = Self::new(password, [0; SALT_LEN]);
    }

    /// The stored form, as in the PHC string format: `$pbkdf2-sha256$i=N$<salt>$<hash>`
    /// (base64 without padding), readable with `sqlite3`.
    pub fn to_phc(&self) -> String {
        format!(
            "$pbkdf2-sha256$i={}${}${}",
            self.iterations,
            B64.encode(self.salt),
            B64.encode(self.hash)
        )
    }

    /// Reads [`Self::to_phc`]'s form.
    pub fn from_phc(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("$pbkdf2-sha256$i=")?;
        let mut parts = rest.split('$');
        let iterations = NonZeroU32::new(parts.next()?.parse().ok()?)?;
        let salt = B64.decode(parts.next()?).ok()?.try_into().ok()?;
        let hash = B64.decode(parts.next()?).ok()?.try_into().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            iterations,
            salt,
            hash,
        })
    }
}

/// A session token's SHA-256 digest: what the records keep of a session.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionDigest([u8; HASH_LEN]);

impl std::fmt::Debug for SessionDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionDigest(..)")
    }
}

impl SessionDigest {
    /// The digest of `token`.
    pub fn of(token: &str) -> Self {
        let mut out = [0u8; HASH_LEN];
        out.copy_from_slice(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
        Self(out)
    }

    /// Whether `token` is the session's; in time independent of where it differs.
    pub fn matches(&self, token: &str) -> bool {
        constant_time::verify_slices_are_equal(&Self::of(token).0, &self.0).is_ok()
    }

    /// Hex, lower case, as stored.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads [`Self::to_hex`]'s form.
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != HASH_LEN * 2 || !text.is_ascii() {
            return None;
        }
        let mut out = [0u8; HASH_LEN];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_and_no_other_does() {
        let hash = PasswordHash::new("Abc23456defg", [7; SALT_LEN]);
        assert!(hash.verify("Abc23456defg"));
        assert!(!hash.verify("Abc23456defh"));
        assert!(!hash.verify(""));
    }

    #[test]
    fn the_same_password_with_another_salt_hashes_differently() {
        let a = PasswordHash::new("pw", [1; SALT_LEN]);
        let b = PasswordHash::new("pw", [2; SALT_LEN]);
        assert_ne!(a.to_phc(), b.to_phc());
        assert!(a.verify("pw") && b.verify("pw"));
    }

    #[test]
    fn the_stored_form_reads_back_and_holds_no_password() {
        let hash = PasswordHash::new("Abc23456defg", [9; SALT_LEN]);
        let phc = hash.to_phc();
        assert!(phc.starts_with(&format!("$pbkdf2-sha256$i={ITERATIONS}$")));
        assert!(!phc.contains("Abc23456defg"));
        assert_eq!(PasswordHash::from_phc(&phc), Some(hash));
        assert_eq!(PasswordHash::from_phc("$pbkdf2-sha256$i=0$AA$AA"), None);
        assert_eq!(PasswordHash::from_phc("plain"), None);
    }

    #[test]
    fn a_session_digest_matches_its_token_only_and_reads_back() {
        let digest = SessionDigest::of("token");
        assert!(digest.matches("token"));
        assert!(!digest.matches("tokem"));
        assert_eq!(SessionDigest::from_hex(&digest.to_hex()), Some(digest));
        assert_eq!(SessionDigest::from_hex("zz"), None);
    }
}
