//! Ed25519 signatures, base64 encoded (Binance Ed25519 API keys sign their `totalParams`).

use base64::Engine;
use ed25519_dalek::Signer as _;

/// The Ed25519 signature of `payload`, standard base64.
pub fn ed25519_base64(key: &ed25519_dalek::SigningKey, payload: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.sign(payload).to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8032_test_1() {
        // RFC 8032 §7.1 TEST 1: the empty message.
        let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&seed.try_into().unwrap());
        let want = hex::decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        )
        .unwrap();
        assert_eq!(
            ed25519_base64(&key, b""),
            base64::engine::general_purpose::STANDARD.encode(want)
        );
    }
}
