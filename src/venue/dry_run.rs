//! What an order would put on the wire, built and signed by the venue's own send path but not
//! sent ([`Venue::dry_run`](super::Venue::dry_run), `sluice order place … --dry-run`): an HTTP
//! request for an exchange, a signed transaction for a chain venue.
//!
//! These carry live credentials (an API-key header, a signature, a signed transaction that anyone
//! could broadcast): `Debug` shows only the venue, the kind and the endpoint.

use std::fmt;

use serde::Serialize;
use serde::ser::SerializeMap;

/// One order's dry run: the venue and the exact thing it would send.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct DryRun {
    pub venue: String,
    #[serde(flatten)]
    pub wire: WireForm,
}

/// The exact bytes an order would send, by transport.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireForm {
    /// A signed HTTP request (an exchange), as `sluice keys sign` prints one.
    Http {
        method: String,
        /// The full URL, query (and its signature, where the exchange signs there) included.
        url: String,
        /// In the order they would be sent.
        #[serde(serialize_with = "ordered_map")]
        headers: Vec<(String, String)>,
        body: Option<String>,
    },
    /// A signed EVM transaction (EIP-2718 bytes) with its decoded fields; amounts in wei, decimal.
    EvmTx(EvmTxForm),
    /// A signed Cosmos transaction (`TxRaw` bytes).
    CosmosTx {
        /// `TxRaw`, base64 (what `/cosmos/tx/v1beta1/txs` takes as `tx_bytes`).
        tx_bytes: String,
        /// SHA-256 of the bytes, upper-case hex (the chain's transaction hash).
        txhash: String,
        from: String,
        account_number: u64,
        sequence: u64,
    },
}

/// The fields of a signed EVM transaction (see [`WireForm::EvmTx`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvmTxForm {
    /// `0x`-prefixed EIP-2718 encoding, ready for `eth_sendRawTransaction`.
    pub raw_tx: String,
    pub hash: String,
    pub chain_id: u64,
    pub from: String,
    pub to: Option<String>,
    pub nonce: u64,
    pub gas: u64,
    pub value: String,
    pub max_fee_per_gas: Option<String>,
    pub max_priority_fee_per_gas: Option<String>,
    pub gas_price: Option<String>,
    /// The call data, `0x` hex.
    pub input: String,
}

fn ordered_map<S: serde::Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

impl WireForm {
    /// `http`, `evm_tx` or `cosmos_tx`.
    pub fn kind(&self) -> &'static str {
        match self {
            WireForm::Http { .. } => "http",
            WireForm::EvmTx(_) => "evm_tx",
            WireForm::CosmosTx { .. } => "cosmos_tx",
        }
    }
}

/// Venue, kind and where it would go; never headers, query, body or signed bytes.
impl fmt::Debug for DryRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("DryRun");
        d.field("venue", &self.venue)
            .field("kind", &self.wire.kind());
        match &self.wire {
            WireForm::Http { method, url, .. } => {
                let endpoint = url.split('?').next().unwrap_or_default();
                d.field("method", method).field("endpoint", &endpoint)
            }
            WireForm::EvmTx(t) => d.field("to", &t.to).field("nonce", &t.nonce),
            WireForm::CosmosTx { from, sequence, .. } => {
                d.field("from", from).field("sequence", sequence)
            }
        };
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_form_is_flat_json_with_headers_in_order_and_a_quiet_debug() {
        let d = DryRun {
            venue: "binance".into(),
            wire: WireForm::Http {
                method: "POST".into(),
                url: "http://127.0.0.1:1/api/v3/order?a=1&signature=SECRETSIG".into(),
                headers: vec![
                    ("X-MBX-APIKEY".into(), "SECRETKEY".into()),
                    ("A-Second".into(), "2".into()),
                ],
                body: None,
            },
        };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            "{\"venue\":\"binance\",\"kind\":\"http\",\"method\":\"POST\",\
             \"url\":\"http://127.0.0.1:1/api/v3/order?a=1&signature=SECRETSIG\",\
             \"headers\":{\"X-MBX-APIKEY\":\"SECRETKEY\",\"A-Second\":\"2\"},\"body\":null}"
        );
        let debug = format!("{d:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("/api/v3/order"), "{debug}");
    }
}
