//! The messages sluice sends: bank `MsgSend`, CosmWasm `MsgExecuteContract` (with funds) and Terra
//! Classic's market `MsgSwap`. Each converts to its protobuf `Any`, back from one (the local node
//! decodes transactions with it), to its amino JSON form (`cosmos-sdk/MsgSend`,
//! `wasm/MsgExecuteContract`, `market/MsgSwap`) and from the Cosmos SDK's proto-JSON form with its
//! `"@type"`, as `terrad tx … --generate-only` writes it.
//!
//! `MsgSwap` is the one message declared here with `prost`'s derive: no maintained crate carries
//! Terra Classic's protos. Its fields follow `terra/market/v1beta1/tx.proto` of the Terra Classic
//! core (`trader` = 1, `offer_coin` = 2, `ask_denom` = 3).

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend as ProtoMsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract as ProtoMsgExecute;
use prost::Message;
use serde_json::{Value, json};

use super::CosmosError;
use super::coin::{Coin, sorted_coins};

pub const MSG_SEND_URL: &str = "/cosmos.bank.v1beta1.MsgSend";
pub const MSG_EXECUTE_URL: &str = "/cosmwasm.wasm.v1.MsgExecuteContract";
pub const MSG_SWAP_URL: &str = "/terra.market.v1beta1.MsgSwap";

/// Terra Classic's market swap (`terra/market/v1beta1/tx.proto`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoMsgSwap {
    #[prost(string, tag = "1")]
    pub trader: String,
    #[prost(message, optional, tag = "2")]
    pub offer_coin: Option<ProtoCoin>,
    #[prost(string, tag = "3")]
    pub ask_denom: String,
}

/// One message of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Send {
        from: String,
        to: String,
        amount: Vec<Coin>,
    },
    /// `msg` is the contract's JSON message, compact, its keys in the order given.
    Execute {
        sender: String,
        contract: String,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    },
    Swap {
        trader: String,
        offer: Coin,
        ask_denom: String,
    },
}

impl Msg {
    /// The address that must sign this message.
    pub fn signer(&self) -> &str {
        match self {
            Msg::Send { from, .. } => from,
            Msg::Execute { sender, .. } => sender,
            Msg::Swap { trader, .. } => trader,
        }
    }

    pub fn type_url(&self) -> &'static str {
        match self {
            Msg::Send { .. } => MSG_SEND_URL,
            Msg::Execute { .. } => MSG_EXECUTE_URL,
            Msg::Swap { .. } => MSG_SWAP_URL,
        }
    }

    /// The coins this message moves out of the signer's account.
    pub fn coins_sent(&self) -> Vec<Coin> {
        match self {
            Msg::Send { amount, .. } => amount.clone(),
            Msg::Execute { funds, .. } => funds.clone(),
            Msg::Swap { offer, .. } => vec![offer.clone()],
        }
    }

    pub fn to_any(&self) -> Any {
        let value = match self {
            Msg::Send { from, to, amount } => ProtoMsgSend {
                from_address: from.clone(),
                to_address: to.clone(),
                amount: amount.iter().map(Coin::to_proto).collect(),
            }
            .encode_to_vec(),
            Msg::Execute {
                sender,
                contract,
                msg,
                funds,
            } => ProtoMsgExecute {
                sender: sender.clone(),
                contract: contract.clone(),
                msg: msg.clone(),
                funds: funds.iter().map(Coin::to_proto).collect(),
            }
            .encode_to_vec(),
            Msg::Swap {
                trader,
                offer,
                ask_denom,
            } => ProtoMsgSwap {
                trader: trader.clone(),
                offer_coin: Some(offer.to_proto()),
                ask_denom: ask_denom.clone(),
            }
            .encode_to_vec(),
        };
        Any {
            type_url: self.type_url().to_string(),
            value,
        }
    }

    /// The message in an `Any` from a transaction; an unknown type is an error.
    pub fn from_any(any: &Any) -> Result<Self, CosmosError> {
        let decode_err = |detail: prost::DecodeError| CosmosError::Decode {
            what: "message",
            detail: format!("{}: {detail}", any.type_url),
        };
        let coins = |cs: &[ProtoCoin]| {
            cs.iter()
                .map(Coin::from_proto)
                .collect::<Result<Vec<_>, _>>()
        };
        match any.type_url.as_str() {
            MSG_SEND_URL => {
                let m = ProtoMsgSend::decode(any.value.as_slice()).map_err(decode_err)?;
                Ok(Msg::Send {
                    from: m.from_address,
                    to: m.to_address,
                    amount: coins(&m.amount)?,
                })
            }
            MSG_EXECUTE_URL => {
                let m = ProtoMsgExecute::decode(any.value.as_slice()).map_err(decode_err)?;
                Ok(Msg::Execute {
                    sender: m.sender,
                    contract: m.contract,
                    msg: m.msg,
                    funds: coins(&m.funds)?,
                })
            }
            MSG_SWAP_URL => {
                let m = ProtoMsgSwap::decode(any.value.as_slice()).map_err(decode_err)?;
                let offer = m
                    .offer_coin
                    .as_ref()
                    .ok_or_else(|| CosmosError::invalid("MsgSwap without offer_coin"))?;
                Ok(Msg::Swap {
                    trader: m.trader,
                    offer: Coin::from_proto(offer)?,
                    ask_denom: m.ask_denom,
                })
            }
            other => Err(CosmosError::invalid(format!(
                "message type {other:?} is not supported"
            ))),
        }
    }

    /// The amino JSON form (`{"type": …, "value": …}`), before key sorting.
    pub fn amino_json(&self) -> Result<Value, CosmosError> {
        let coins = |cs: &[Coin]| Value::Array(cs.iter().map(coin_json).collect());
        Ok(match self {
            Msg::Send { from, to, amount } => json!({
                "type": "cosmos-sdk/MsgSend",
                "value": {"from_address": from, "to_address": to, "amount": coins(amount)},
            }),
            Msg::Execute {
                sender,
                contract,
                msg,
                funds,
            } => {
                let msg: Value = serde_json::from_slice(msg).map_err(|e| {
                    CosmosError::invalid(format!("contract message is not JSON: {e}"))
                })?;
                json!({
                    "type": "wasm/MsgExecuteContract",
                    "value": {"sender": sender, "contract": contract, "msg": msg, "funds": coins(funds)},
                })
            }
            Msg::Swap {
                trader,
                offer,
                ask_denom,
            } => json!({
                "type": "market/MsgSwap",
                "value": {"trader": trader, "offer_coin": coin_json(offer), "ask_denom": ask_denom},
            }),
        })
    }

    /// One message in proto-JSON with its `"@type"` (snake_case field names, as `terrad` writes).
    pub fn from_proto_json(v: &Value) -> Result<Self, CosmosError> {
        let obj = v
            .as_object()
            .ok_or_else(|| CosmosError::invalid("a message must be a JSON object"))?;
        let ty = obj
            .get("@type")
            .and_then(Value::as_str)
            .ok_or_else(|| CosmosError::invalid("a message needs its \"@type\""))?;
        let allowed: &[&str] = match ty {
            MSG_SEND_URL => &["@type", "from_address", "to_address", "amount"],
            MSG_EXECUTE_URL => &["@type", "sender", "contract", "msg", "funds"],
            MSG_SWAP_URL => &["@type", "trader", "offer_coin", "ask_denom"],
            other => {
                return Err(CosmosError::invalid(format!(
                    "message type {other:?} is not supported (supported: {MSG_SEND_URL}, {MSG_EXECUTE_URL}, {MSG_SWAP_URL})"
                )));
            }
        };
        if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(CosmosError::invalid(format!("{ty}: unknown field {k:?}")));
        }
        let s = |k: &str| -> Result<String, CosmosError> {
            obj.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| CosmosError::invalid(format!("{ty}: {k:?} missing or not a string")))
        };
        let coins = |k: &str, required: bool| -> Result<Vec<Coin>, CosmosError> {
            match obj.get(k) {
                None if !required => Ok(vec![]),
                Some(v) => {
                    let cs: Vec<Coin> = serde_json::from_value(v.clone())
                        .map_err(|e| CosmosError::invalid(format!("{ty}: {k:?}: {e}")))?;
                    sorted_coins(cs)
                }
                None => Err(CosmosError::invalid(format!("{ty}: {k:?} missing"))),
            }
        };
        match ty {
            MSG_SEND_URL => Ok(Msg::Send {
                from: s("from_address")?,
                to: s("to_address")?,
                amount: coins("amount", true)?,
            }),
            MSG_EXECUTE_URL => {
                let msg = match obj.get("msg") {
                    Some(Value::Object(_)) => compact_json(
                        &serde_json::to_string(&obj["msg"])
                            .map_err(|e| CosmosError::invalid(format!("{ty}: msg: {e}")))?,
                    ),
                    _ => {
                        return Err(CosmosError::invalid(format!(
                            "{ty}: \"msg\" must be the contract's JSON object"
                        )));
                    }
                };
                Ok(Msg::Execute {
                    sender: s("sender")?,
                    contract: s("contract")?,
                    msg,
                    funds: coins("funds", false)?,
                })
            }
            _ => {
                let offer: Coin = obj
                    .get("offer_coin")
                    .cloned()
                    .ok_or_else(|| CosmosError::invalid(format!("{ty}: offer_coin missing")))
                    .and_then(|v| {
                        serde_json::from_value(v)
                            .map_err(|e| CosmosError::invalid(format!("{ty}: offer_coin: {e}")))
                    })?;
                Ok(Msg::Swap {
                    trader: s("trader")?,
                    offer,
                    ask_denom: s("ask_denom")?,
                })
            }
        }
    }

    /// A messages file: a JSON array of proto-JSON messages. The contract messages keep the key
    /// order they have in the file (the bytes signed are the file's, compacted).
    pub fn parse_file(text: &str) -> Result<Vec<Msg>, CosmosError> {
        // Parsed twice: with key order kept (raw values) for contract messages, and as values.
        let raw: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(text)
            .map_err(|e| CosmosError::invalid(format!("messages file: not a JSON array: {e}")))?;
        if raw.is_empty() {
            return Err(CosmosError::invalid("messages file: no message"));
        }
        raw.iter()
            .enumerate()
            .map(|(i, r)| {
                let v: Value = serde_json::from_str(r.get())
                    .map_err(|e| CosmosError::invalid(format!("message {i}: {e}")))?;
                let mut m = Msg::from_proto_json(&v)
                    .map_err(|e| CosmosError::invalid(format!("message {i}: {e}")))?;
                if let Msg::Execute { msg, .. } = &mut m {
                    *msg = ordered_contract_msg(r.get())?;
                }
                Ok(m)
            })
            .collect()
    }
}

fn coin_json(c: &Coin) -> Value {
    json!({"denom": c.denom, "amount": c.amount.to_string()})
}

/// The `"msg"` member of an execute message, with its keys in file order, compacted.
fn ordered_contract_msg(raw_message: &str) -> Result<Vec<u8>, CosmosError> {
    #[derive(serde::Deserialize)]
    struct Only<'a> {
        #[serde(borrow)]
        msg: &'a serde_json::value::RawValue,
    }
    let only: Only<'_> = serde_json::from_str(raw_message)
        .map_err(|e| CosmosError::invalid(format!("execute message: {e}")))?;
    Ok(compact_json(only.msg.get()))
}

/// JSON text without the whitespace outside strings (as `JSON.stringify` writes it).
pub fn compact_json(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let (mut in_str, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_str {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
            out.push(b);
        } else if !b.is_ascii_whitespace() {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "terra1hsk6jryyqjfhp5dhc55tc9jtckygx0ep37hdd2";
    const B: &str = "terra18wukp84dq227wu4mgh0jm6n9nlnj6rs82pp9wf";

    #[test]
    fn messages_round_trip_through_any_and_file() {
        let file = format!(
            r#"[{{"@type":"{MSG_SEND_URL}","from_address":"{A}","to_address":"{B}","amount":[{{"denom":"uluna","amount":"5"}}]}},
               {{"@type":"{MSG_EXECUTE_URL}","sender":"{A}","contract":"{B}","msg":{{ "swap": {{"max_spread":"0.01", "belief_price" : "1 2"}} }},"funds":[{{"denom":"uusd","amount":"7"}}]}},
               {{"@type":"{MSG_SWAP_URL}","trader":"{A}","offer_coin":{{"denom":"uusd","amount":"9"}},"ask_denom":"uluna"}}]"#
        );
        let msgs = Msg::parse_file(&file).unwrap();
        assert_eq!(msgs.len(), 3);
        let Msg::Execute { msg, .. } = &msgs[1] else {
            panic!("not an execute")
        };
        assert_eq!(
            std::str::from_utf8(msg).unwrap(),
            r#"{"swap":{"max_spread":"0.01","belief_price":"1 2"}}"#
        );
        for m in &msgs {
            assert_eq!(&Msg::from_any(&m.to_any()).unwrap(), m);
            assert_eq!(m.signer(), A);
        }
    }

    #[test]
    fn bad_messages_are_named() {
        for (bad, want) in [
            (r#"[{"@type":"/x.Y"}]"#, "not supported"),
            (r#"[{"from_address":"a"}]"#, "@type"),
            (r#"[]"#, "no message"),
            (
                r#"[{"@type":"/cosmos.bank.v1beta1.MsgSend","from_address":"a","to_address":"b","amount":[],"extra":1}]"#,
                "unknown field",
            ),
            (
                r#"[{"@type":"/cosmwasm.wasm.v1.MsgExecuteContract","sender":"a","contract":"b","msg":"e30="}]"#,
                "JSON object",
            ),
        ] {
            let e = Msg::parse_file(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }
}
