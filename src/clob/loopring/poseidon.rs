//! The Poseidon permutation exactly as Loopring's exchange used it: ethsnarks' instantiation over
//! the BN254 scalar field (the SNARK field), S-box x^5, round constants and the Cauchy MDS matrix
//! generated from the seed `poseidon` with BLAKE2b-256, the same constant added to every state
//! element in a round, full rounds first and last, one S-box in the partial rounds, the hash being
//! the first state element after the last round. Each signed message has its own width `t`.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use blake2::Blake2b;
use blake2::digest::Digest;
use blake2::digest::consts::U32;

/// One parameter set: the state width and the round counts (the seed is always `poseidon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoseidonSpec {
    pub t: usize,
    pub full_rounds: usize,
    pub partial_rounds: usize,
}

/// The parameter sets Loopring signs with, one per message kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoseidonSet {
    /// Orders: 11 inputs (t=12).
    Order,
    /// Account updates (registering the L2 key): 8 inputs (t=9).
    UpdateAccount,
    /// Transfers: 12 inputs (t=13).
    Transfer,
    /// Withdrawals: 9 inputs (t=10).
    Withdrawal,
    /// One-input messages (t=2).
    Single,
    /// The challenge `H(R, A, M)` inside Poseidon EdDSA: 5 inputs (t=6), 52 partial rounds.
    EddsaChallenge,
}

impl PoseidonSet {
    const ALL: [PoseidonSet; 6] = [
        PoseidonSet::Order,
        PoseidonSet::UpdateAccount,
        PoseidonSet::Transfer,
        PoseidonSet::Withdrawal,
        PoseidonSet::Single,
        PoseidonSet::EddsaChallenge,
    ];

    pub const fn spec(self) -> PoseidonSpec {
        let (t, partial_rounds) = match self {
            PoseidonSet::Order => (12, 53),
            PoseidonSet::UpdateAccount => (9, 53),
            PoseidonSet::Transfer => (13, 53),
            PoseidonSet::Withdrawal => (10, 53),
            PoseidonSet::Single => (2, 53),
            PoseidonSet::EddsaChallenge => (6, 52),
        };
        PoseidonSpec {
            t,
            full_rounds: 6,
            partial_rounds,
        }
    }
}

/// Why a hash could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoseidonError {
    #[error("Poseidon t={t}: {given} inputs given, 1 to {max} accepted")]
    Arity { t: usize, given: usize, max: usize },
}

/// The generated constants of one parameter set.
pub struct PoseidonParams {
    spec: PoseidonSpec,
    round_constants: Vec<Fr>,
    mds: Vec<Vec<Fr>>,
}

/// BLAKE2b with a 32-byte digest (a parameter of the hash, not a truncation).
fn blake2b_256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Blake2b::<U32>::digest(data));
    out
}

/// ethsnarks' constant stream: h_1 = H(seed), h_{i+1} = H(h_i as 32 bytes little-endian), each
/// reduced modulo the field (the chain itself runs on the unreduced digests).
fn constants(seed: &[u8], n: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(n);
    let mut h = blake2b_256(seed);
    for _ in 0..n {
        out.push(Fr::from_le_bytes_mod_order(&h));
        h = blake2b_256(&h);
    }
    out
}

impl PoseidonParams {
    /// Generates the constants of `spec` (use [`params`] for Loopring's cached sets).
    pub fn generate(spec: PoseidonSpec) -> Self {
        let round_constants = constants(
            b"poseidon_constants",
            spec.full_rounds + spec.partial_rounds,
        );
        let t = spec.t;
        let c = constants(b"poseidon_matrix_0000", 2 * t);
        let mds = (0..t)
            .map(|i| {
                (0..t)
                    .map(|j| {
                        // The seeds make every c[i] - c[t+j] non-zero (a Cauchy matrix); a zero
                        // would only come from a different seed.
                        (c[i] - c[t + j]).inverse().unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        PoseidonParams {
            spec,
            round_constants,
            mds,
        }
    }

    pub fn spec(&self) -> PoseidonSpec {
        self.spec
    }

    /// The hash of `inputs` (1 to t-1 elements): the first state element after the permutation.
    pub fn hash(&self, inputs: &[Fr]) -> Result<Fr, PoseidonError> {
        let t = self.spec.t;
        if inputs.is_empty() || inputs.len() >= t {
            return Err(PoseidonError::Arity {
                t,
                given: inputs.len(),
                max: t - 1,
            });
        }
        let mut state = vec![Fr::ZERO; t];
        state[..inputs.len()].copy_from_slice(inputs);
        let mut next = vec![Fr::ZERO; t];
        let half_full = self.spec.full_rounds / 2;
        let partial_end = half_full + self.spec.partial_rounds;
        for (round, c) in self.round_constants.iter().enumerate() {
            for s in state.iter_mut() {
                *s += c;
            }
            if round < half_full || round >= partial_end {
                state.iter_mut().for_each(sbox);
            } else {
                sbox(&mut state[0]);
            }
            for (row, out) in self.mds.iter().zip(next.iter_mut()) {
                *out = dot(row, &state);
            }
            std::mem::swap(&mut state, &mut next);
        }
        Ok(state[0])
    }
}

/// `sum(row[i] * state[i])`, the products summed three at a time before one Montgomery reduction
/// (ark-ff's `sum_of_products`: BN254's 254-bit modulus in 256-bit words leaves room for three),
/// the same value as multiplying and reducing each product.
fn dot(row: &[Fr], state: &[Fr]) -> Fr {
    let mut sum = Fr::ZERO;
    let (mut rows, mut states) = (row.chunks_exact(3), state.chunks_exact(3));
    for (m, s) in rows.by_ref().zip(states.by_ref()) {
        sum += Fr::sum_of_products(&[m[0], m[1], m[2]], &[s[0], s[1], s[2]]);
    }
    for (m, s) in rows.remainder().iter().zip(states.remainder()) {
        sum += *m * s;
    }
    sum
}

fn sbox(x: &mut Fr) {
    let x2 = x.square();
    *x *= x2.square();
}

/// The cached constants of one of Loopring's sets (generated on first use).
pub fn params(set: PoseidonSet) -> &'static PoseidonParams {
    static CACHE: [OnceLock<PoseidonParams>; PoseidonSet::ALL.len()] =
        [const { OnceLock::new() }; PoseidonSet::ALL.len()];
    CACHE[set as usize].get_or_init(|| PoseidonParams::generate(set.spec()))
}

/// Poseidon of `inputs` with the parameter set `set`.
pub fn poseidon(set: PoseidonSet, inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    params(set).hash(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_equals_the_product_by_product_sum_for_every_width() {
        // values near the modulus and small ones, every width Loopring's sets use and the remainders
        let mut values = constants(b"dot", 40);
        values.push(-Fr::ONE);
        values.push(Fr::ZERO);
        values.push(Fr::ONE);
        for t in 1..=14 {
            for start in [0, 7, 28] {
                let row = &values[start..start + t];
                let state = &values[start + 1..start + 1 + t];
                let want: Fr = row.iter().zip(state).map(|(m, s)| *m * s).sum();
                assert_eq!(dot(row, state), want, "t={t} start={start}");
            }
        }
    }
}
