//! The StarkEx messages dYdX v3 signs with the STARK key — orders, withdrawals and transfers —
//! built exactly as the official clients build them: amounts in each asset's quantums (exact for
//! sizes, rounded up for what a buyer pays and down for what a seller receives, the fee rounded up),
//! the nonce from the client id (SHA-256, low 32 bits), the expiry in hours (orders signed a week
//! past the API expiry), and the fields packed into field elements and Pedersen-hashed in the
//! protocol's order.

use std::str::FromStr;

use alloy::primitives::U256;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use starknet_crypto::Felt;

use super::stark::{StarkError, StarkKey, StarkSignature, felt_from_u256, pedersen};

/// Why a StarkEx message could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StarkExError {
    #[error("dYdX v3: unknown market {0:?} (BASE-USD of the v3 list)")]
    UnknownMarket(String),
    #[error("dYdX v3: no collateral asset for network id {0} (1: mainnet, 11155111: Sepolia)")]
    UnknownNetwork(u64),
    #[error("dYdX v3: {what} {value:?} is not a decimal amount")]
    BadAmount { what: &'static str, value: String },
    #[error("dYdX v3: {what} {value} is not a whole number of quantums (1e-{exponent})")]
    NotQuantized {
        what: &'static str,
        value: String,
        exponent: u32,
    },
    #[error("dYdX v3: {what} does not fit the message's {bits}-bit field")]
    TooLarge { what: &'static str, bits: u32 },
    #[error(transparent)]
    Stark(#[from] StarkError),
}

/// Ethereum network ids of dYdX v3's deployments.
pub const NETWORK_MAINNET: u64 = 1;
pub const NETWORK_SEPOLIA: u64 = 11_155_111;

/// The collateral (USDC) asset id on each network.
fn collateral_asset_id(network_id: u64) -> Result<U256, StarkExError> {
    let hex = match network_id {
        NETWORK_MAINNET => "02893294412a4c8f915f75892b395ebbf6859ec246ec365c3b1f56f47c3a0a5d",
        NETWORK_SEPOLIA => "01e70c509c4c6bfafe8b73d2fc1819444b2c0b435d4b82c0f24addff9565ce25",
        other => return Err(StarkExError::UnknownNetwork(other)),
    };
    U256::from_str_radix(hex, 16).map_err(|_| StarkExError::UnknownNetwork(network_id))
}

/// USDC's resolution: 10^6 quantums a unit (its ERC-20 decimals).
const COLLATERAL_EXPONENT: u32 = 6;

/// Each synthetic asset's resolution exponent (quantums per unit = 10^exponent), as dYdX v3 listed them.
const SYNTHETICS: [(&str, u32); 38] = [
    ("BTC", 10),
    ("ETH", 9),
    ("LINK", 7),
    ("AAVE", 8),
    ("UNI", 7),
    ("SUSHI", 7),
    ("SOL", 7),
    ("YFI", 10),
    ("1INCH", 7),
    ("AVAX", 7),
    ("SNX", 7),
    ("CRV", 6),
    ("UMA", 7),
    ("DOT", 7),
    ("DOGE", 5),
    ("MATIC", 6),
    ("MKR", 9),
    ("FIL", 7),
    ("ADA", 6),
    ("ATOM", 7),
    ("COMP", 8),
    ("BCH", 8),
    ("LTC", 8),
    ("EOS", 6),
    ("ALGO", 6),
    ("ZRX", 6),
    ("XMR", 8),
    ("ZEC", 8),
    ("ENJ", 6),
    ("ETC", 7),
    ("XLM", 5),
    ("TRX", 4),
    ("XTZ", 6),
    ("ICP", 7),
    ("RUNE", 6),
    ("LUNA", 6),
    ("NEAR", 6),
    ("CELO", 6),
];

/// A synthetic asset of a v3 market: its id and resolution exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synthetic {
    pub id: U256,
    pub exponent: u32,
}

/// The synthetic asset of `market` (`ETH-USD`): its id is the ASCII of `"ETH-9"` (asset, dash,
/// resolution exponent) left-aligned in 15 bytes.
pub fn synthetic(market: &str) -> Result<Synthetic, StarkExError> {
    let unknown = || StarkExError::UnknownMarket(market.into());
    let base = market.strip_suffix("-USD").ok_or_else(unknown)?;
    let (asset, exponent) = SYNTHETICS
        .iter()
        .find(|(a, _)| *a == base)
        .ok_or_else(unknown)?;
    let name = format!("{asset}-{exponent}");
    let mut bytes = [0u8; 32];
    // 15 bytes, left-aligned: bytes 17..32 of the word
    bytes[17..17 + name.len()].copy_from_slice(name.as_bytes());
    Ok(Synthetic {
        id: U256::from_be_bytes(bytes),
        exponent: *exponent,
    })
}

/// The nonce of a client id: SHA-256 of its UTF-8, modulo 2^32.
pub fn nonce_from_client_id(client_id: &str) -> u32 {
    let d = Sha256::digest(client_id.as_bytes());
    u32::from_be_bytes([d[28], d[29], d[30], d[31]])
}

/// Hours since the epoch, rounded up, of a Unix time in milliseconds.
pub fn epoch_hours_ceil(expiration_ms: u64) -> u64 {
    expiration_ms.div_ceil(3_600_000)
}

/// Orders are signed valid a week past the expiry sent to the API.
const ORDER_SIGNATURE_BUFFER_HOURS: u64 = 24 * 7;

/// Which way an amount that is not a whole number of quantums is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    Exact,
    Up,
    Down,
}

/// An amount as an integer with a decimal scale (`mantissa / 10^scale`), exact.
fn parse_amount(what: &'static str, s: &str) -> Result<(U256, u32), StarkExError> {
    let bad = || StarkExError::BadAmount {
        what,
        value: s.chars().take(64).collect(),
    };
    let d = Decimal::from_str_exact(s.trim()).map_err(|_| bad())?;
    if d.is_sign_negative() {
        return Err(bad());
    }
    Ok((U256::from(d.mantissa().unsigned_abs()), d.scale()))
}

fn pow10(e: u32) -> U256 {
    U256::from(10u8).pow(U256::from(e))
}

/// `mantissa / 10^scale × 10^exponent` as a whole number of quantums, rounded as asked.
fn quantize(
    what: &'static str,
    (mantissa, scale): (U256, u32),
    exponent: u32,
    round: Round,
) -> Result<u64, StarkExError> {
    let scaled = mantissa * pow10(exponent);
    let div = pow10(scale);
    let (q, r) = scaled.div_rem(div);
    let q = match round {
        Round::Exact if !r.is_zero() => {
            return Err(StarkExError::NotQuantized {
                what,
                value: format!("{}e-{scale}", mantissa),
                exponent,
            });
        }
        Round::Up if !r.is_zero() => q + U256::ONE,
        _ => q,
    };
    u64::try_from(q).map_err(|_| StarkExError::TooLarge { what, bits: 64 })
}

/// Python's decimal context rounds a product to 28 significant digits (up or down, as the
/// client's context says) before it is quantized; done here on the exact product.
fn round_to_28_digits((mantissa, scale): (U256, u32), up: bool) -> (U256, u32) {
    let digits = mantissa.to_string().len() as u32;
    if digits <= 28 {
        return (mantissa, scale);
    }
    let cut = digits - 28;
    let (q, r) = mantissa.div_rem(pow10(cut));
    let q = if up && !r.is_zero() { q + U256::ONE } else { q };
    // a scale below zero means the value is q × 10^(cut - scale): fold it into the mantissa
    if cut > scale {
        (q * pow10(cut - scale), 0)
    } else {
        (q, scale - cut)
    }
}

/// The fee limit as a fraction, truncated to six decimals (the clients' `ROUND_DOWN` quantize),
/// as millionths.
fn limit_fee_millionths(s: &str) -> Result<u64, StarkExError> {
    let bad = || StarkExError::BadAmount {
        what: "limit fee",
        value: s.chars().take(64).collect(),
    };
    let t = s.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let frac6: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let frac6: u64 = frac6.parse().map_err(|_| bad())?;
    int.checked_mul(1_000_000)
        .and_then(|v| v.checked_add(frac6))
        .ok_or_else(bad)
}

/// A field element of a packed word (at most 251 bits by construction).
fn felt(v: U256) -> Result<Felt, StarkExError> {
    Ok(felt_from_u256(v)?)
}

/// The side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSide {
    Buy,
    Sell,
}

/// An order as the API takes it (human amounts as decimal text).
#[derive(Debug, Clone)]
pub struct OrderParams<'a> {
    pub network_id: u64,
    pub market: &'a str,
    pub side: OrderSide,
    pub position_id: u64,
    pub size: &'a str,
    pub price: &'a str,
    /// The largest fee the order may pay, as a fraction of its notional (`0.0015`).
    pub limit_fee: &'a str,
    pub client_id: &'a str,
    /// The expiry sent to the API, Unix milliseconds.
    pub expiration_ms: u64,
}

/// An order in StarkEx's terms: what is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarkOrder {
    pub asset_id_synthetic: U256,
    pub asset_id_collateral: U256,
    pub quantums_synthetic: u64,
    pub quantums_collateral: u64,
    pub quantums_fee: u64,
    pub is_buying_synthetic: bool,
    pub position_id: u64,
    pub nonce: u32,
    pub expiration_epoch_hours: u64,
}

impl StarkOrder {
    pub fn new(p: &OrderParams<'_>) -> Result<Self, StarkExError> {
        let syn = synthetic(p.market)?;
        let collateral = collateral_asset_id(p.network_id)?;
        let size = parse_amount("size", p.size)?;
        let price = parse_amount("price", p.price)?;
        let buying = p.side == OrderSide::Buy;
        let quantums_synthetic = quantize("size", size, syn.exponent, Round::Exact)?;
        let cost = round_to_28_digits((size.0 * price.0, size.1 + price.1), buying);
        let quantums_collateral = quantize(
            "notional",
            cost,
            COLLATERAL_EXPONENT,
            if buying { Round::Up } else { Round::Down },
        )?;
        let fee = U256::from(limit_fee_millionths(p.limit_fee)?) * U256::from(quantums_collateral);
        let quantums_fee = quantize("fee", (fee, 6), 0, Round::Up)?;
        Ok(Self {
            asset_id_synthetic: syn.id,
            asset_id_collateral: collateral,
            quantums_synthetic,
            quantums_collateral,
            quantums_fee,
            is_buying_synthetic: buying,
            position_id: p.position_id,
            nonce: nonce_from_client_id(p.client_id),
            expiration_epoch_hours: epoch_hours_ceil(p.expiration_ms)
                + ORDER_SIGNATURE_BUFFER_HOURS,
        })
    }

    /// The message hash: Pedersen over the assets, then the amounts and nonce, then the
    /// positions and expiry (prefix 3, limit order with fees).
    pub fn hash(&self) -> Result<Felt, StarkExError> {
        let (sell_id, buy_id, sell, buy) = if self.is_buying_synthetic {
            (
                self.asset_id_collateral,
                self.asset_id_synthetic,
                self.quantums_collateral,
                self.quantums_synthetic,
            )
        } else {
            (
                self.asset_id_synthetic,
                self.asset_id_collateral,
                self.quantums_synthetic,
                self.quantums_collateral,
            )
        };
        let hours =
            u32::try_from(self.expiration_epoch_hours).map_err(|_| StarkExError::TooLarge {
                what: "expiration",
                bits: 32,
            })?;
        let part1 =
            (((U256::from(sell) << 64) + U256::from(buy)) << 64) + U256::from(self.quantums_fee);
        let part1 = (part1 << 32) + U256::from(self.nonce);
        let mut part2 = U256::from(3u8);
        for _ in 0..3 {
            part2 = (part2 << 64) + U256::from(self.position_id);
        }
        let part2 = ((part2 << 32) + U256::from(hours)) << 17;
        let assets = pedersen(
            &pedersen(&felt(sell_id)?, &felt(buy_id)?),
            &felt(self.asset_id_collateral)?,
        );
        Ok(pedersen(&pedersen(&assets, &felt(part1)?), &felt(part2)?))
    }

    pub fn sign(&self, key: &StarkKey) -> Result<StarkSignature, StarkExError> {
        Ok(key.sign(&self.hash()?)?)
    }
}

/// A withdrawal of collateral from a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarkWithdrawal {
    pub network_id: u64,
    pub position_id: u64,
    pub quantums: u64,
    pub nonce: u32,
    pub expiration_epoch_hours: u64,
}

impl StarkWithdrawal {
    pub fn new(
        network_id: u64,
        position_id: u64,
        amount: &str,
        client_id: &str,
        expiration_ms: u64,
    ) -> Result<Self, StarkExError> {
        let quantums = collateral_quantums(network_id, amount)?;
        Ok(Self {
            network_id,
            position_id,
            quantums,
            nonce: nonce_from_client_id(client_id),
            expiration_epoch_hours: epoch_hours_ceil(expiration_ms),
        })
    }

    /// Pedersen(collateral id, packed word) with prefix 6.
    pub fn hash(&self) -> Result<Felt, StarkExError> {
        let hours = hours32(self.expiration_epoch_hours)?;
        let packed = (U256::from(6u8) << 64) + U256::from(self.position_id);
        let packed = (packed << 32) + U256::from(self.nonce);
        let packed = (packed << 64) + U256::from(self.quantums);
        let packed = ((packed << 32) + U256::from(hours)) << 49;
        Ok(pedersen(
            &felt(collateral_asset_id(self.network_id)?)?,
            &felt(packed)?,
        ))
    }

    pub fn sign(&self, key: &StarkKey) -> Result<StarkSignature, StarkExError> {
        Ok(key.sign(&self.hash()?)?)
    }
}

/// A transfer of collateral to another position (no fee).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarkTransfer {
    pub network_id: u64,
    pub sender_position_id: u64,
    pub receiver_position_id: u64,
    pub receiver_public_key: U256,
    pub quantums: u64,
    pub nonce: u32,
    pub expiration_epoch_hours: u64,
}

impl StarkTransfer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        network_id: u64,
        sender_position_id: u64,
        receiver_position_id: u64,
        receiver_public_key: &str,
        amount: &str,
        client_id: &str,
        expiration_ms: u64,
    ) -> Result<Self, StarkExError> {
        let quantums = collateral_quantums(network_id, amount)?;
        let key = super::stark::felt_from_hex(receiver_public_key)?;
        Ok(Self {
            network_id,
            sender_position_id,
            receiver_position_id,
            receiver_public_key: U256::from_be_bytes(key.to_bytes_be()),
            quantums,
            nonce: nonce_from_client_id(client_id),
            expiration_epoch_hours: epoch_hours_ceil(expiration_ms),
        })
    }

    /// Pedersen over (collateral id, fee asset 0), the receiver's key, the positions and nonce,
    /// then the amounts and expiry with prefix 4.
    pub fn hash(&self) -> Result<Felt, StarkExError> {
        let hours = hours32(self.expiration_epoch_hours)?;
        let assets = pedersen(&felt(collateral_asset_id(self.network_id)?)?, &Felt::ZERO);
        let part1 = pedersen(&assets, &felt(self.receiver_public_key)?);
        let part2 =
            (U256::from(self.sender_position_id) << 64) + U256::from(self.receiver_position_id);
        let part2 = (part2 << 64) + U256::from(self.sender_position_id);
        let part2 = (part2 << 32) + U256::from(self.nonce);
        let part3 = (U256::from(4u8) << 64) + U256::from(self.quantums);
        // the maximum fee, always 0 for transfers
        let part3 = part3 << 64;
        let part3 = ((part3 << 32) + U256::from(hours)) << 81;
        Ok(pedersen(&pedersen(&part1, &felt(part2)?), &felt(part3)?))
    }

    pub fn sign(&self, key: &StarkKey) -> Result<StarkSignature, StarkExError> {
        Ok(key.sign(&self.hash()?)?)
    }
}

/// A collateral amount in quantums, exact, on a network with a collateral asset.
fn collateral_quantums(network_id: u64, amount: &str) -> Result<u64, StarkExError> {
    collateral_asset_id(network_id)?;
    quantize(
        "amount",
        parse_amount("amount", amount)?,
        COLLATERAL_EXPONENT,
        Round::Exact,
    )
}

fn hours32(h: u64) -> Result<u32, StarkExError> {
    u32::try_from(h).map_err(|_| StarkExError::TooLarge {
        what: "expiration",
        bits: 32,
    })
}

impl FromStr for OrderSide {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "BUY" => Ok(Self::Buy),
            "SELL" => Ok(Self::Sell),
            _ => Err(format!("order side {s:?}: BUY or SELL")),
        }
    }
}

#[cfg(test)]
#[path = "starkex_tests.rs"]
mod tests;
