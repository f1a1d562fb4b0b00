//! Password-based key derivation: scrypt with bounded parameters, and PBKDF2-HMAC-SHA256.
//!
//! The bounds accept every parameter set real wallets use (geth's "standard" n=2^18 r=8 p=1, the Web3
//! Secret Storage vector n=2^18 r=1 p=8, "light" n=2^12 r=8 p=6) while refusing ones that would take
//! gigabytes of memory or minutes of work, so a hostile file cannot stall or exhaust the process.

use thiserror::Error;
use zeroize::Zeroizing;

/// Largest scrypt memory accepted (128·r·N bytes): 1 GiB.
pub const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
/// Largest scrypt work accepted (128·r·N·p bytes mixed): 4 GiB, a few seconds.
pub const MAX_SCRYPT_WORK: u64 = 1 << 32;
/// Largest PBKDF2 iteration count accepted.
pub const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;
/// Longest derived key a caller may ask for.
pub const MAX_DERIVED_LEN: usize = 64;

/// Why a key could not be derived. Never holds the password.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KdfError {
    #[error("scrypt parameters out of range (n=2^{log_n}, r={r}, p={p}): {reason}")]
    ScryptParams {
        log_n: u8,
        r: u32,
        p: u32,
        reason: &'static str,
    },
    #[error("scrypt n={0} is not a power of two greater than 1")]
    ScryptN(u64),
    #[error("pbkdf2 iteration count {0} out of range (1..={MAX_PBKDF2_ROUNDS})")]
    Pbkdf2Rounds(u32),
    #[error("derived key length {0} out of range (1..={MAX_DERIVED_LEN})")]
    OutputLen(usize),
}

/// scrypt cost parameters: N = 2^`log_n`, block size `r`, parallelism `p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScryptParams {
    log_n: u8,
    r: u32,
    p: u32,
}

impl ScryptParams {
    /// What sluice uses for its own files: N=2^17, r=8, p=1 (128 MiB, well under a second optimized).
    pub const DEFAULT: ScryptParams = ScryptParams {
        log_n: 17,
        r: 8,
        p: 1,
    };

    /// geth's "standard" keystore parameters: N=2^18, r=8, p=1.
    pub const GETH_STANDARD: ScryptParams = ScryptParams {
        log_n: 18,
        r: 8,
        p: 1,
    };

    /// Checked constructor: `log_n` in 1..=30, `r`, `p` ≥ 1, memory and work within the limits above.
    pub fn new(log_n: u8, r: u32, p: u32) -> Result<Self, KdfError> {
        let err = |reason| KdfError::ScryptParams {
            log_n,
            r,
            p,
            reason,
        };
        if log_n == 0 || log_n > 30 {
            return Err(err("log_n must be in 1..=30"));
        }
        if r == 0 || p == 0 {
            return Err(err("r and p must be at least 1"));
        }
        let memory = 128u64 * u64::from(r) * (1u64 << log_n);
        if memory > MAX_SCRYPT_MEMORY {
            return Err(err("needs more than 1 GiB of memory"));
        }
        if memory.saturating_mul(u64::from(p)) > MAX_SCRYPT_WORK {
            return Err(err("needs more than 4 GiB of mixing work"));
        }
        Ok(Self { log_n, r, p })
    }

    /// From N itself, as keystore files give it (`"n": 262144`).
    pub fn from_n(n: u64, r: u32, p: u32) -> Result<Self, KdfError> {
        if n < 2 || !n.is_power_of_two() {
            return Err(KdfError::ScryptN(n));
        }
        let log_n = u8::try_from(n.trailing_zeros()).map_err(|_| KdfError::ScryptN(n))?;
        Self::new(log_n, r, p)
    }

    pub fn log_n(&self) -> u8 {
        self.log_n
    }
    pub fn n(&self) -> u64 {
        1u64 << self.log_n
    }
    pub fn r(&self) -> u32 {
        self.r
    }
    pub fn p(&self) -> u32 {
        self.p
    }
}

/// scrypt(password, salt) into a key of `len` bytes (1..=64).
pub fn scrypt(
    password: &[u8],
    salt: &[u8],
    params: ScryptParams,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, KdfError> {
    check_len(len)?;
    // scrypt 0.12 checks only overflow-type limits (our bounds are stricter) and, unlike 0.11, does not
    // apply RFC 7914's erroneous `log_n < 16·r` rule that refuses real keystores.
    let inner = scrypt::Params::new(params.log_n, params.r, params.p).map_err(|_| {
        KdfError::ScryptParams {
            log_n: params.log_n,
            r: params.r,
            p: params.p,
            reason: "refused by the scrypt implementation",
        }
    })?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    scrypt::scrypt(password, salt, &inner, &mut out).map_err(|_| KdfError::OutputLen(len))?;
    Ok(out)
}

/// PBKDF2-HMAC-SHA256(password, salt, rounds) into a key of `len` bytes (1..=64).
pub fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    rounds: u32,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, KdfError> {
    check_len(len)?;
    if rounds == 0 || rounds > MAX_PBKDF2_ROUNDS {
        return Err(KdfError::Pbkdf2Rounds(rounds));
    }
    let mut out = Zeroizing::new(vec![0u8; len]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut out);
    Ok(out)
}

fn check_len(len: usize) -> Result<(), KdfError> {
    if len == 0 || len > MAX_DERIVED_LEN {
        return Err(KdfError::OutputLen(len));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7914 section 12, second vector: P="password", S="NaCl", N=1024, r=8, p=16.
    #[test]
    fn scrypt_rfc7914_vector() {
        let params = ScryptParams::from_n(1024, 8, 16).unwrap();
        let out = scrypt(b"password", b"NaCl", params, 64).unwrap();
        assert_eq!(
            hex::encode(&*out),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162\
             2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
        );
    }

    // RFC 7914 section 11 (PBKDF2-HMAC-SHA256): P="passwd", S="salt", c=1, dkLen=64.
    #[test]
    fn pbkdf2_rfc7914_vector() {
        let out = pbkdf2_sha256(b"passwd", b"salt", 1, 64).unwrap();
        assert_eq!(
            hex::encode(&*out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    #[test]
    fn accepts_r1_p8_and_refuses_huge() {
        assert!(ScryptParams::from_n(262_144, 1, 8).is_ok());
        assert!(ScryptParams::from_n(262_144, 8, 1).is_ok());
        assert!(matches!(
            ScryptParams::from_n(1000, 8, 1),
            Err(KdfError::ScryptN(1000))
        ));
        assert!(ScryptParams::new(24, 8, 1).is_err());
        assert!(ScryptParams::new(18, 8, 64).is_err());
        assert!(ScryptParams::new(10, 0, 1).is_err());
        assert!(pbkdf2_sha256(b"x", b"y", 0, 32).is_err());
        assert!(scrypt(b"x", b"y", ScryptParams::new(4, 1, 1).unwrap(), 0).is_err());
    }
}
