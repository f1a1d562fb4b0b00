//! Kraken's signature block: `base64(HMAC-SHA512(key, path || SHA256(nonce || postdata)))`, with
//! the key the base64-decoded API secret.

use super::hmac::{Encoding, HmacHash, hmac_encoded, sha256};

/// Kraken's `API-Sign` value for `path` (e.g. `/0/private/AddOrder`), `nonce` and the exact
/// `postdata` sent (which itself contains `nonce=…`).
pub fn kraken_api_sign(key: &[u8], path: &[u8], nonce: &[u8], postdata: &[u8]) -> String {
    let inner = sha256(&[nonce, postdata]);
    hmac_encoded(HmacHash::Sha512, key, &[path, &inner], Encoding::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    #[test]
    fn kraken_spot_documented_example() {
        // reference/cex-catalog.md §2.3 (docs.kraken.com spot REST auth guide).
        let secret = b64(
            "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
        );
        assert_eq!(
            kraken_api_sign(
                &secret,
                b"/0/private/AddOrder",
                b"1616492376594",
                b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25",
            ),
            "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
        );
    }

    #[test]
    fn kraken_futures_ws_challenge_is_the_same_block() {
        // §2.3 bonus: the futures WS challenge is HMAC-SHA512(secret, SHA256(challenge)).
        let secret = b64(
            "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm",
        );
        assert_eq!(
            kraken_api_sign(&secret, b"", b"", b"c100b894-1729-464d-ace1-52dbce11db42"),
            "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A=="
        );
    }
}
