//! How each exchange's stored keys sign: the venue names `sluice keys` knows, whether the venue
//! issues a passphrase, and the [`Signer`] its connector signs with (the recipe of
//! [`crate::cex::sign::recipes`] in the connector's configuration). `sluice keys add` checks new
//! keys with it, `sluice keys sign` signs through it, and the connector builds its signer with
//! the same function, so the printed request is the one the connector sends.

use std::sync::Arc;

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::http::HttpProtocol;
use crate::cex::sign::recipes::{AscendEx, BitMart, BybitV5, DydxV3, GateV4, HtxV2, KuCoinV2, Okx};
use crate::cex::sign::{KeyForm, Signer, SigningRecipe};

use super::binance::api::BinanceProtocol;
use super::binance::{BinanceConfig, binance_signer};

/// One venue's way of signing with stored keys.
#[derive(Debug, Clone, Copy)]
pub struct KeyScheme {
    pub venue: &'static str,
    /// Whether its keys come with a passphrase (read as a third line by `keys add --stdin`).
    pub needs_passphrase: bool,
    signer: fn(&ApiCredentials) -> Result<Signer, CexError>,
    protocol: Option<fn() -> Arc<dyn HttpProtocol>>,
}

impl KeyScheme {
    /// The signer these credentials sign with, as the venue's connector builds it.
    pub fn signer(&self, creds: &ApiCredentials) -> Result<Signer, CexError> {
        (self.signer)(creds)
    }

    /// The venue's HTTP protocol, for venues with a connector.
    pub fn protocol(&self) -> Option<Arc<dyn HttpProtocol>> {
        self.protocol.map(|p| p())
    }
}

fn binance(creds: &ApiCredentials) -> Result<Signer, CexError> {
    binance_signer(creds, BinanceConfig::binance().recv_window_ms)
}

fn binance_protocol() -> Arc<dyn HttpProtocol> {
    Arc::new(BinanceProtocol {
        recv_window_ms: BinanceConfig::binance().recv_window_ms,
    })
}

fn with(
    recipe: Box<dyn SigningRecipe>,
    form: KeyForm,
    creds: &ApiCredentials,
) -> Result<Signer, CexError> {
    Ok(Signer::new(recipe, creds.to_signing(form)?)?)
}

macro_rules! scheme {
    ($venue:literal, $pass:literal, $recipe:expr, $form:expr) => {
        KeyScheme {
            venue: $venue,
            needs_passphrase: $pass,
            signer: |c| with(Box::new($recipe), $form, c),
            protocol: None,
        }
    };
}

/// Every venue whose keys sluice can sign with.
pub fn key_schemes() -> Vec<KeyScheme> {
    let binance_like = |venue| KeyScheme {
        venue,
        needs_passphrase: false,
        signer: binance,
        protocol: Some(binance_protocol),
    };
    vec![
        binance_like("binance"),
        binance_like("binance_us"),
        binance_like("binance_perpetual"),
        scheme!("okx", true, Okx, KeyForm::HmacRaw),
        scheme!("kucoin", true, KuCoinV2, KeyForm::HmacRaw),
        KeyScheme {
            venue: "coinbase_pro",
            needs_passphrase: true,
            signer: super::coinbase_pro::coinbase_signer,
            protocol: Some(|| Arc::new(super::coinbase_pro::api::CoinbaseProtocol)),
        },
        KeyScheme {
            venue: "coinbase_advanced",
            needs_passphrase: false,
            signer: super::coinbase_advanced::coinbase_advanced_signer,
            protocol: Some(|| Arc::new(super::coinbase_advanced::api::CoinbaseProtocol)),
        },
        KeyScheme {
            venue: "kraken",
            needs_passphrase: false,
            signer: super::kraken::kraken_signer,
            protocol: Some(|| Arc::new(super::kraken::api::KrakenProtocol)),
        },
        scheme!(
            "bybit",
            false,
            BybitV5 {
                recv_window_ms: 5000
            },
            KeyForm::HmacRaw
        ),
        scheme!(
            "bybit_perpetual",
            false,
            BybitV5::default(),
            KeyForm::HmacRaw
        ),
        scheme!("gate_io", false, GateV4, KeyForm::HmacRaw),
        scheme!("htx", false, HtxV2, KeyForm::HmacRaw),
        scheme!("bitmart", true, BitMart, KeyForm::HmacRaw),
        scheme!("ascend_ex", false, AscendEx, KeyForm::HmacRaw),
        scheme!("dydx_v3", true, DydxV3, KeyForm::HmacBase64Url),
    ]
}

/// The scheme of `venue`, if sluice knows how its keys sign.
pub fn key_scheme(venue: &str) -> Option<KeyScheme> {
    key_schemes().into_iter().find(|s| s.venue == venue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_checks_its_key_form_and_passphrase() {
        let hmac = ApiCredentials::new("k", "czNjcjN0").unwrap();
        assert!(key_scheme("binance").unwrap().signer(&hmac).is_ok());
        assert!(key_scheme("kraken").unwrap().signer(&hmac).is_ok());
        // OKX needs its passphrase; Coinbase a P-256 PEM key.
        assert!(key_scheme("okx").unwrap().signer(&hmac).is_err());
        let with_pass = hmac.clone().with_passphrase("pp").unwrap();
        assert!(key_scheme("okx").unwrap().signer(&with_pass).is_ok());
        assert!(
            key_scheme("coinbase_advanced")
                .unwrap()
                .signer(&hmac)
                .is_err()
        );
        assert!(key_scheme("no_such_venue").is_none());
        let names: Vec<_> = key_schemes().iter().map(|s| s.venue).collect();
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(names.len(), unique.len());
        assert!(key_scheme("binance").unwrap().protocol().is_some());
        assert!(key_scheme("okx").unwrap().protocol().is_none());
    }
}
