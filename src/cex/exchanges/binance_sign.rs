//! Binance request signing: parameters percent-encoded into `totalParams` (query string followed
//! directly by the body, no `&` between), signed with the account's key, the signature appended
//! last; WebSocket API requests sign their parameters sorted by name.

use crate::cex::auth::RequestSigner;

/// Percent-encodes `k=v` pairs in order, as Binance signs them (UTF-8 bytes as `%XX`).
pub use crate::cex::http::encode_query as encode_params;

/// `totalParams`: the query string and the body concatenated without a separator.
pub fn total_params(query: &str, body: &str) -> String {
    let mut t = String::with_capacity(query.len() + body.len());
    t.push_str(query);
    t.push_str(body);
    t
}

/// The signature of a REST request with this query string and body.
pub fn sign_rest(signer: &dyn RequestSigner, query: &str, body: &str) -> String {
    signer.sign(total_params(query, body).as_bytes())
}

/// Signs WebSocket API parameters: sorted by name, joined `k=v&…` without encoding. Returns the
/// signature; the caller adds it as the `signature` parameter.
pub fn sign_ws_params(signer: &dyn RequestSigner, params: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let payload = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    signer.sign(payload.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::auth::{ApiCredentials, HmacSha256Signer};

    /// Binance's documented example key (reference/cex-catalog.md §2.1). Not a real account.
    fn doc_signer() -> HmacSha256Signer {
        HmacSha256Signer::new(
            ApiCredentials::new(
                "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
            )
            .unwrap(),
        )
    }

    fn order_params(symbol: &str) -> Vec<(&'static str, String)> {
        vec![
            ("symbol", symbol.to_string()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "1".into()),
            ("price", "0.1".into()),
            ("recvWindow", "5000".into()),
            ("timestamp", "1499827319559".into()),
        ]
    }

    #[test]
    fn documented_examples_1_and_2() {
        let q = encode_params(&order_params("LTCBTC"));
        assert_eq!(
            q,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        );
        let want = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        assert_eq!(sign_rest(&doc_signer(), &q, ""), want, "all in the query");
        assert_eq!(sign_rest(&doc_signer(), "", &q), want, "all in the body");
    }

    #[test]
    fn documented_example_3_mixed() {
        let p = order_params("LTCBTC");
        let q = encode_params(&p[..4]);
        let b = encode_params(&p[4..]);
        assert_eq!(
            sign_rest(&doc_signer(), &q, &b),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
        );
    }

    #[test]
    fn documented_unicode_example() {
        let q = encode_params(&order_params("１２３４５６"));
        assert!(q.starts_with("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&"));
        assert_eq!(
            sign_rest(&doc_signer(), &q, ""),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
        );
    }

    #[test]
    fn wrong_secret_or_tampering_changes_the_signature() {
        let q = encode_params(&order_params("LTCBTC"));
        let good = sign_rest(&doc_signer(), &q, "");
        let other = HmacSha256Signer::new(ApiCredentials::new("k", "another").unwrap());
        assert_ne!(sign_rest(&other, &q, ""), good);
        assert_ne!(
            sign_rest(&doc_signer(), &q.replace("price=0.1", "price=0.2"), ""),
            good
        );
    }

    #[test]
    fn ws_params_are_sorted() {
        let s = doc_signer();
        let a = sign_ws_params(&s, &[("timestamp", "1".into()), ("apiKey", "k".into())]);
        assert_eq!(a, s.sign(b"apiKey=k&timestamp=1"));
    }
}
