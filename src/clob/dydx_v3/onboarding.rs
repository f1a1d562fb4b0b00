//! dYdX v3's keys derived from the Ethereum key, as its clients derive them: the Ethereum key
//! signs an EIP-712 "action" (`dYdX STARK Key` for the STARK key, `dYdX Onboarding` for the
//! default API key) under the domain `dYdX`/`1.0`/network id (on mainnet the struct also binds
//! `onlySignOn: https://trade.dydx.exchange`); the 66-byte "typed signature" (r, s, v, then the
//! signature type byte 0 = no prefix) is then hashed into the STARK private key (Keccak-256 of
//! all 66 bytes, shifted right by 5) or into the API key, secret and passphrase (Keccak-256 of r
//! and of s).

use alloy::primitives::{B256, keccak256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use zeroize::Zeroizing;

use super::stark::{StarkError, StarkKey};
use super::starkex::NETWORK_MAINNET;

/// The action whose signature the STARK key is derived from.
pub const KEY_DERIVATION_ACTION: &str = "dYdX STARK Key";
/// The action signed to onboard, and whose signature the default API key is derived from.
pub const ONBOARDING_ACTION: &str = "dYdX Onboarding";
const ONLY_SIGN_ON_MAINNET: &str = "https://trade.dydx.exchange";

/// Why a derivation failed.
#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    #[error("dYdX v3: the Ethereum key could not sign the {action:?} action: {reason}")]
    Sign { action: String, reason: String },
    #[error(transparent)]
    Stark(#[from] StarkError),
}

fn hash_str(s: &str) -> B256 {
    keccak256(s.as_bytes())
}

/// The EIP-712 digest of an off-chain action on network `network_id`.
pub fn action_digest(action: &str, network_id: u64) -> B256 {
    let mut domain = Vec::with_capacity(128);
    domain.extend_from_slice(
        hash_str("EIP712Domain(string name,string version,uint256 chainId)").as_slice(),
    );
    domain.extend_from_slice(hash_str("dYdX").as_slice());
    domain.extend_from_slice(hash_str("1.0").as_slice());
    domain.extend_from_slice(&alloy::primitives::U256::from(network_id).to_be_bytes::<32>());
    let domain = keccak256(&domain);
    let mut data = Vec::with_capacity(96);
    if network_id == NETWORK_MAINNET {
        data.extend_from_slice(hash_str("dYdX(string action,string onlySignOn)").as_slice());
        data.extend_from_slice(hash_str(action).as_slice());
        data.extend_from_slice(hash_str(ONLY_SIGN_ON_MAINNET).as_slice());
    } else {
        data.extend_from_slice(hash_str("dYdX(string action)").as_slice());
        data.extend_from_slice(hash_str(action).as_slice());
    }
    let structure = keccak256(&data);
    let mut msg = Vec::with_capacity(66);
    msg.extend_from_slice(&[0x19, 0x01]);
    msg.extend_from_slice(domain.as_slice());
    msg.extend_from_slice(structure.as_slice());
    keccak256(&msg)
}

/// The "typed signature" of an action: r, s, v (27/28), then the signature type 0 (no prefix).
pub fn typed_signature(
    signer: &PrivateKeySigner,
    action: &str,
    network_id: u64,
) -> Result<Zeroizing<[u8; 66]>, OnboardingError> {
    let digest = action_digest(action, network_id);
    let sig = signer
        .sign_hash_sync(&digest)
        .map_err(|e| OnboardingError::Sign {
            action: action.into(),
            reason: e.to_string(),
        })?;
    let mut out = Zeroizing::new([0u8; 66]);
    out[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
    out[32..64].copy_from_slice(&sig.s().to_be_bytes::<32>());
    out[64] = 27 + u8::from(sig.v());
    out[65] = 0;
    Ok(out)
}

/// The STARK key dYdX's frontend derives for this Ethereum key on `network_id`.
pub fn derive_stark_key(
    signer: &PrivateKeySigner,
    network_id: u64,
) -> Result<StarkKey, OnboardingError> {
    let sig = typed_signature(signer, KEY_DERIVATION_ACTION, network_id)?;
    Ok(StarkKey::from_data(sig.as_slice())?)
}

/// API key credentials; the secret and passphrase are zeroized and never printed.
pub struct ApiKeyCredentials {
    pub key: String,
    pub secret: Zeroizing<String>,
    pub passphrase: Zeroizing<String>,
}

impl std::fmt::Debug for ApiKeyCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyCredentials")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The default API key dYdX's frontend creates at onboarding: from the onboarding signature,
/// the secret is the first 30 bytes of Keccak(r), the key the first 16 of Keccak(s) as a UUID,
/// the passphrase its bytes 16..31 (URL-safe base64 each).
pub fn derive_api_key(
    signer: &PrivateKeySigner,
    network_id: u64,
) -> Result<ApiKeyCredentials, OnboardingError> {
    let sig = typed_signature(signer, ONBOARDING_ACTION, network_id)?;
    let hr = Zeroizing::new(keccak256(&sig[..32]).0);
    let hs = Zeroizing::new(keccak256(&sig[32..64]).0);
    let k = hex::encode(&hs[..16]);
    let key = format!(
        "{}-{}-{}-{}-{}",
        &k[..8],
        &k[8..12],
        &k[12..16],
        &k[16..20],
        &k[20..]
    );
    Ok(ApiKeyCredentials {
        key,
        secret: Zeroizing::new(URL_SAFE.encode(&hr[..30])),
        passphrase: Zeroizing::new(URL_SAFE.encode(&hs[16..31])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clob::dydx_v3::starkex::NETWORK_SEPOLIA;

    /// Ganache's first account, the key of the official client's onboarding tests
    /// (dydx-v3-python `tests/test_onboarding.py`): public test material.
    fn ganache() -> PrivateKeySigner {
        "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d"
            .parse()
            .unwrap()
    }

    #[test]
    fn stark_keys_equal_the_sdk_on_mainnet_and_sepolia() {
        let k = derive_stark_key(&ganache(), NETWORK_MAINNET).unwrap();
        assert_eq!(
            k.public_key_hex(),
            "0x39d88860b99b1809a63add01f7dfa59676ae006bbcdf38ff30b6a69dcf55ed3"
        );
        let expected =
            StarkKey::from_hex("0x170d807cafe3d8b5758f3f698331d292bf5aeb71f6fd282f0831dee094ee891")
                .unwrap();
        assert_eq!(k.public_key(), expected.public_key());
        let k = derive_stark_key(&ganache(), NETWORK_SEPOLIA).unwrap();
        assert_eq!(
            k.public_key_hex(),
            "0x15e2e074a7ac9e78edb2ee9f11a0c0c0a080c79758ab81616eea9c032c75265"
        );
    }

    #[test]
    fn api_keys_equal_the_sdk_on_mainnet_and_sepolia() {
        let c = derive_api_key(&ganache(), NETWORK_MAINNET).unwrap();
        assert_eq!(c.key, "50fdcaa0-62b8-e827-02e8-a9520d46cb9f");
        assert_eq!(*c.secret, "rdHdKDAOCa0B_Mq-Q9kh8Fz6rK3ocZNOhKB4QsR9");
        assert_eq!(*c.passphrase, "12_1LuuJMZUxcj3kGBWc");
        let shown = format!("{c:?}");
        assert!(!shown.contains("rdHdKDAOCa0B") && !shown.contains("12_1Luu"));
        let c = derive_api_key(&ganache(), NETWORK_SEPOLIA).unwrap();
        assert_eq!(c.key, "30cb6046-8f4a-5677-a19c-a494ccb7c7e5");
        assert_eq!(*c.secret, "4Yd_6JtH_-I2taoNQKAhkCifnVHQ2Unue88sIeuc");
        assert_eq!(*c.passphrase, "Db1GQK5KpI_qeddgjF66");
    }
}
