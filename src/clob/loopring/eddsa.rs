//! Poseidon EdDSA on Baby Jubjub as Loopring signs (ethsnarks' `PoseidonEdDSA`): the curve in
//! ethsnarks' coordinates (a = 168700, d = 168696, its generator), the nonce
//! `r = SHA-512(k ‖ M) mod L` (32-byte little-endian encodings), `R = rB`, the challenge
//! `t = Poseidon_t6(R.x, R.y, A.x, A.y, M)` and `S = (r + k·t) mod E` (E = 8L, the curve order);
//! a signature verifies when `S·B = R + t·A`. Written as `0x` + R.x ‖ R.y ‖ S, 64 hex digits each.
//!
//! The arithmetic is arkworks' twisted Edwards model over ark-bn254's scalar field, configured with
//! ethsnarks' constants ([`EthsnarksJubjub`]). ark-ed-on-bn254 describes the same curve with
//! a = 1 and d = 168696/168700 (the map x ↦ x·√168700); its subgroup order L is used as is, and a
//! test checks the two descriptions agree.

use alloy::primitives::{U256, U512};
use ark_bn254::Fr;
use ark_ec::twisted_edwards::{Affine, MontCurveConfig, Projective, TECurveConfig};
use ark_ec::{AffineRepr, CurveConfig, CurveGroup};
use ark_ff::{BigInteger, MontFp, PrimeField};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

use super::poseidon::{PoseidonSet, poseidon};

/// Baby Jubjub in ethsnarks' (and Loopring's) coordinates.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EthsnarksJubjub;

impl CurveConfig for EthsnarksJubjub {
    type BaseField = Fr;
    type ScalarField = ark_ed_on_bn254::Fr;
    const COFACTOR: &'static [u64] = &[8];
    const COFACTOR_INV: ark_ed_on_bn254::Fr =
        MontFp!("2394026564107420727433200628387514462817212225638746351800188703329891451411");
}

impl TECurveConfig for EthsnarksJubjub {
    const COEFF_A: Fr = MontFp!("168700");
    const COEFF_D: Fr = MontFp!("168696");
    const GENERATOR: Affine<Self> = Affine::new_unchecked(
        MontFp!("16540640123574156134436876038791482806971768689494387082833631921987005038935"),
        MontFp!("20819045374670962167435360035096875258406992893633759881276124905556507972311"),
    );
    type MontCurveConfig = EthsnarksJubjub;
}

impl MontCurveConfig for EthsnarksJubjub {
    // ethsnarks' MONT_A and MONT_B: A = 2(a+d)/(a-d), B = 4/(a-d).
    const COEFF_A: Fr = MontFp!("168698");
    const COEFF_B: Fr = MontFp!("1");
    type TECurveConfig = EthsnarksJubjub;
}

/// A point of the curve (a public key, or a signature's R).
pub type Point = Affine<EthsnarksJubjub>;

/// The prime subgroup order L (`JUBJUB_L`).
pub fn subgroup_order() -> U256 {
    U256::from_limbs(<ark_ed_on_bn254::Fr as PrimeField>::MODULUS.0)
}

/// The curve order E = 8L (`JUBJUB_E`), the modulus of S.
pub fn curve_order() -> U256 {
    subgroup_order() * U256::from(8u8)
}

/// Why a key, a point or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EddsaError {
    #[error("Loopring EdDSA: the private key must be in 1..L (Baby Jubjub's subgroup order)")]
    KeyOutOfRange,
    #[error("Loopring EdDSA: {what} is not a point of the prime-order subgroup of Baby Jubjub")]
    NotOnCurve { what: &'static str },
    #[error(
        "Loopring EdDSA: {what} {value:?} is not a field element (below the SNARK field modulus)"
    )]
    NotInField { what: &'static str, value: String },
    #[error("Loopring EdDSA: a signature is 0x and 192 hex digits (R.x, R.y, S), got {0:?}")]
    SignatureFormat(String),
}

/// A field element from a 256-bit integer, refused when not below the modulus.
pub fn field_element(what: &'static str, v: U256) -> Result<Fr, EddsaError> {
    Fr::from_bigint(ark_ff::BigInt(v.into_limbs())).ok_or_else(|| EddsaError::NotInField {
        what,
        value: format!("{v:#x}"),
    })
}

/// A field element as a 256-bit integer.
pub fn field_to_u256(f: &Fr) -> U256 {
    U256::from_limbs(f.into_bigint().0)
}

/// `0x` and 64 hex digits.
pub fn hex64(v: U256) -> String {
    format!("0x{v:064x}")
}

fn mul(p: &Point, scalar: U256) -> Projective<EthsnarksJubjub> {
    p.mul_bigint(scalar.as_limbs())
}

/// A point given by its coordinates, checked to be on the curve and in the prime subgroup.
pub fn point(what: &'static str, x: U256, y: U256) -> Result<Point, EddsaError> {
    let x = field_element(what, x)?;
    let y = field_element(what, y)?;
    let p = Point::new_unchecked(x, y);
    if p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve() {
        Ok(p)
    } else {
        Err(EddsaError::NotOnCurve { what })
    }
}

/// A signature: the nonce point R and the scalar S (< E).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub r: Point,
    pub s: U256,
}

impl Signature {
    /// `0x` + R.x ‖ R.y ‖ S, 64 lowercase hex digits each (the `eddsaSignature` / `X-API-SIG` form).
    pub fn to_hex(&self) -> String {
        let (x, y) = (field_to_u256(&self.r.x), field_to_u256(&self.r.y));
        format!("0x{x:064x}{y:064x}{:064x}", self.s)
    }

    /// Parses the `0x` + 192 hex digits form; R must be on the curve.
    pub fn from_hex(text: &str) -> Result<Self, EddsaError> {
        let bad = || EddsaError::SignatureFormat(text.chars().take(200).collect());
        let digits = text.strip_prefix("0x").ok_or_else(bad)?;
        if digits.len() != 192 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let part = |i: usize| U256::from_str_radix(&digits[i * 64..(i + 1) * 64], 16);
        let (x, y, s) = (
            part(0).map_err(|_| bad())?,
            part(1).map_err(|_| bad())?,
            part(2).map_err(|_| bad())?,
        );
        let r = Point::new_unchecked(field_element("R.x", x)?, field_element("R.y", y)?);
        if !r.is_on_curve() {
            return Err(EddsaError::NotOnCurve { what: "R" });
        }
        Ok(Signature { r, s })
    }
}

/// The challenge `t = Poseidon_t6(R.x, R.y, A.x, A.y, M)`.
fn challenge(r: &Point, a: &Point, msg: Fr) -> U256 {
    // Five inputs always fit the t=6 set: the error branch cannot be taken.
    let t = poseidon(PoseidonSet::EddsaChallenge, &[r.x, r.y, a.x, a.y, msg]).unwrap_or_default();
    field_to_u256(&t)
}

/// An L2 (EdDSA) private key: zeroized on drop, never printed.
pub struct EddsaKey {
    secret: Zeroizing<[u64; 4]>,
    public: Point,
}

impl std::fmt::Debug for EddsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EddsaKey")
            .field("public_x", &hex64(field_to_u256(&self.public.x)))
            .field("public_y", &hex64(field_to_u256(&self.public.y)))
            .finish_non_exhaustive()
    }
}

impl EddsaKey {
    /// The key `k` (ethsnarks' strict parsing: 0 < k < L).
    pub fn from_scalar(k: U256) -> Result<Self, EddsaError> {
        if k.is_zero() || k >= subgroup_order() {
            return Err(EddsaError::KeyOutOfRange);
        }
        let secret = Zeroizing::new(k.into_limbs());
        let public = mul(&EthsnarksJubjub::GENERATOR, k).into_affine();
        Ok(EddsaKey { secret, public })
    }

    /// The key from a 32-byte seed read as a little-endian integer reduced mod L (Loopring's
    /// `generateKeyPair`).
    pub fn from_seed_le(seed: &[u8; 32]) -> Result<Self, EddsaError> {
        let k = ark_ed_on_bn254::Fr::from_le_bytes_mod_order(seed);
        let mut limbs = k.into_bigint().0;
        let key = EddsaKey::from_scalar(U256::from_limbs(limbs));
        limbs.zeroize();
        key
    }

    pub fn public_key(&self) -> Point {
        self.public
    }

    /// Public key coordinates as `0x` + 64 hex digits.
    pub fn public_key_hex(&self) -> (String, String) {
        (
            hex64(field_to_u256(&self.public.x)),
            hex64(field_to_u256(&self.public.y)),
        )
    }

    /// Signs the field element `msg` (a message hash).
    pub fn sign(&self, msg: Fr) -> Signature {
        let k = U256::from_limbs(*self.secret);
        let mut buf = Zeroizing::new([0u8; 64]);
        buf[..32].copy_from_slice(&k.to_le_bytes::<32>());
        buf[32..].copy_from_slice(&msg.into_bigint().to_bytes_le());
        let digest = Zeroizing::new(<[u8; 64]>::from(Sha512::digest(buf.as_slice())));
        let r = U256::from_limbs(
            ark_ed_on_bn254::Fr::from_le_bytes_mod_order(digest.as_slice())
                .into_bigint()
                .0,
        );
        let big_r = mul(&EthsnarksJubjub::GENERATOR, r).into_affine();
        let t = challenge(&big_r, &self.public, msg);
        // r < L and k < L, t < p: r + k·t < 2^510, exact in 512 bits.
        let s = (U512::from(r) + U512::from(k) * U512::from(t)) % U512::from(curve_order());
        // s < E < 2^254: the low four limbs are the whole value.
        let l = s.as_limbs();
        Signature {
            r: big_r,
            s: U256::from_limbs([l[0], l[1], l[2], l[3]]),
        }
    }
}

/// Whether `sig` is `public`'s signature of `msg`: `S·B = R + t·A`.
pub fn verify(public: &Point, msg: Fr, sig: &Signature) -> bool {
    if !sig.r.is_on_curve() || !public.is_on_curve() || public.is_zero() {
        return false;
    }
    let t = challenge(&sig.r, public, msg);
    let lhs = mul(&EthsnarksJubjub::GENERATOR, sig.s);
    let rhs = Projective::<EthsnarksJubjub>::from(sig.r) + mul(public, t);
    lhs == rhs
}
