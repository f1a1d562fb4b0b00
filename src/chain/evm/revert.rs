//! Decoding revert data: `Error(string)`, `Panic(uint256)`, a custom error (reported by its selector
//! and arguments), or an empty revert. Also pulls the revert data out of a node's error answer.

use std::fmt;

use alloy::primitives::{Bytes, U256};
use alloy::sol_types::{Panic, Revert, SolError};
use alloy::transports::{RpcError, TransportError};
use serde::Serialize;

/// Why a call or transaction reverted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RevertReason {
    /// `revert("...")` / `require(cond, "...")`.
    Error { message: String },
    /// A compiler-inserted panic (`assert`, overflow, division by zero, ...).
    Panic { code: U256, meaning: &'static str },
    /// A custom error: its 4-byte selector and the ABI-encoded arguments.
    Custom { selector: [u8; 4], args: Bytes },
    /// A revert without data (`revert()`, `require(cond)` without a message, out of gas).
    Empty,
    /// Data too short to hold a selector.
    Malformed { data: Bytes },
    /// The node said the call reverted but returned no data field at all.
    Unknown { message: String },
}

impl RevertReason {
    /// Decodes revert data as returned by the EVM.
    pub fn decode(data: &[u8]) -> Self {
        if data.is_empty() {
            return RevertReason::Empty;
        }
        let Some(selector) = data.get(..4).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
            return RevertReason::Malformed {
                data: Bytes::copy_from_slice(data),
            };
        };
        if selector == Revert::SELECTOR
            && let Ok(r) = Revert::abi_decode(data)
        {
            return RevertReason::Error { message: r.reason };
        }
        if selector == Panic::SELECTOR
            && let Ok(p) = Panic::abi_decode(data)
        {
            return RevertReason::Panic {
                code: p.code,
                meaning: panic_meaning(p.code),
            };
        }
        RevertReason::Custom {
            selector,
            args: Bytes::copy_from_slice(&data[4..]),
        }
    }

    /// The revert reason inside a node's error answer (`eth_call` or `eth_estimateGas`), if the
    /// answer is a revert. Nodes put the data in the error's `data` field; some only say
    /// "execution reverted" in the message.
    pub fn from_rpc_error(err: &TransportError) -> Option<Self> {
        let RpcError::ErrorResp(payload) = err else {
            return None;
        };
        if let Some(data) = payload.as_revert_data() {
            return Some(Self::decode(&data));
        }
        let msg = payload.message.to_ascii_lowercase();
        if msg.contains("revert") {
            return Some(RevertReason::Unknown {
                message: payload.message.to_string(),
            });
        }
        None
    }
}

impl fmt::Display for RevertReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevertReason::Error { message } => write!(f, "Error({message:?})"),
            RevertReason::Panic { code, meaning } => write!(f, "Panic(0x{code:x}: {meaning})"),
            RevertReason::Custom { selector, args } => write!(
                f,
                "custom error 0x{} with {} bytes of arguments",
                hex::encode(selector),
                args.len()
            ),
            RevertReason::Empty => f.write_str("no reason given"),
            RevertReason::Malformed { data } => write!(f, "malformed revert data {data}"),
            RevertReason::Unknown { message } => write!(f, "{message}"),
        }
    }
}

/// What the Solidity panic codes mean.
fn panic_meaning(code: U256) -> &'static str {
    let Ok(c) = u64::try_from(code) else {
        return "unknown panic code";
    };
    match c {
        0x00 => "generic compiler panic",
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow or underflow",
        0x12 => "division or modulo by zero",
        0x21 => "invalid enum value",
        0x22 => "corrupt storage byte array",
        0x31 => "pop on an empty array",
        0x32 => "array index out of bounds",
        0x41 => "out of memory",
        0x51 => "call to an uninitialized function",
        _ => "unknown panic code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::hex;

    #[test]
    fn error_string() {
        let data = Revert::from("ERC20: transfer amount exceeds balance").abi_encode();
        assert_eq!(&data[..4], hex!("08c379a0"));
        assert_eq!(
            RevertReason::decode(&data),
            RevertReason::Error {
                message: "ERC20: transfer amount exceeds balance".into()
            }
        );
    }

    #[test]
    fn panics() {
        let data = Panic::from(U256::from(0x11)).abi_encode();
        assert_eq!(&data[..4], hex!("4e487b71"));
        let r = RevertReason::decode(&data);
        assert_eq!(
            r,
            RevertReason::Panic {
                code: U256::from(0x11),
                meaning: "arithmetic overflow or underflow"
            }
        );
        assert_eq!(
            r.to_string(),
            "Panic(0x11: arithmetic overflow or underflow)"
        );
        let r = RevertReason::decode(&Panic::from(U256::from(0x99)).abi_encode());
        assert!(matches!(
            r,
            RevertReason::Panic {
                meaning: "unknown panic code",
                ..
            }
        ));
    }

    #[test]
    fn custom_empty_and_malformed() {
        // InsufficientBalance(uint256,uint256) style error: selector then arguments.
        let mut data = hex!("cf479181").to_vec();
        data.extend_from_slice(&U256::from(5).to_be_bytes::<32>());
        let r = RevertReason::decode(&data);
        assert_eq!(
            r,
            RevertReason::Custom {
                selector: hex!("cf479181"),
                args: Bytes::copy_from_slice(&U256::from(5).to_be_bytes::<32>())
            }
        );
        assert!(r.to_string().contains("0xcf479181"));
        assert_eq!(RevertReason::decode(&[]), RevertReason::Empty);
        assert!(matches!(
            RevertReason::decode(&[1, 2]),
            RevertReason::Malformed { .. }
        ));
        // The Error selector with garbage after it is reported as custom, not mis-decoded.
        let r = RevertReason::decode(&hex!("08c379a0ff"));
        assert!(matches!(r, RevertReason::Custom { .. }));
    }

    fn node_error(code: i64, message: &str, data: Option<String>) -> TransportError {
        RpcError::ErrorResp(alloy::rpc::json_rpc::ErrorPayload {
            code,
            message: message.to_string().into(),
            data: data.map(|d| serde_json::value::to_raw_value(&d).unwrap()),
        })
    }

    #[test]
    fn from_node_errors() {
        let data = Revert::from("nope").abi_encode();
        let err = node_error(
            3,
            "execution reverted: nope",
            Some(format!("0x{}", hex::encode(&data))),
        );
        assert_eq!(
            RevertReason::from_rpc_error(&err),
            Some(RevertReason::Error {
                message: "nope".into()
            })
        );
        let err = node_error(-32000, "execution reverted", None);
        assert!(matches!(
            RevertReason::from_rpc_error(&err),
            Some(RevertReason::Unknown { .. })
        ));
        let err = node_error(-32000, "insufficient funds", None);
        assert_eq!(RevertReason::from_rpc_error(&err), None);
    }
}
