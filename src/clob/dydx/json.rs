//! dYdX messages in proto-JSON, as `dydxprotocold tx … --generate-only` writes them: each with its
//! `"@type"`, field names in snake_case (the chain's form) or lowerCamelCase (the proto3 JSON
//! default; one or the other per field), 64-bit integers as strings (numbers accepted), 32-bit ones
//! as numbers (strings accepted), enums by name (`"SIDE_BUY"`) or number, `null` for an absent
//! message. An unknown field, both members of a oneof, or a value out of range is an error; the
//! parsed message goes through the same checks as one decoded from a transaction
//! ([`DydxMsg::from_any`]). A bank `MsgSend` is read by the Cosmos layer.

use cosmos_sdk_proto::Any;
use prost::Message;
use serde_json::{Map, Value};

use super::DydxError;
use super::msgs::DydxMsg;
use super::proto::{
    self, CancelGoodTil, GoodTilOneof, MSG_CANCEL_ORDER_URL, MSG_CREATE_TRANSFER_URL,
    MSG_DEPOSIT_TO_SUBACCOUNT_URL, MSG_PLACE_ORDER_URL, MSG_WITHDRAW_FROM_SUBACCOUNT_URL,
};
use crate::chain::cosmos::Msg;
use crate::chain::cosmos::msgs::MSG_SEND_URL;

impl DydxMsg {
    /// A messages file: a JSON array of proto-JSON messages.
    pub fn parse_file(text: &str) -> Result<Vec<DydxMsg>, DydxError> {
        let values: Vec<Value> = serde_json::from_str(text)
            .map_err(|e| DydxError::message(format!("messages file: not a JSON array: {e}")))?;
        if values.is_empty() {
            return Err(DydxError::message("messages file: no message"));
        }
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                Self::from_proto_json(v).map_err(|e| match e {
                    DydxError::Message(m) => DydxError::Message(format!("message {i}: {m}")),
                    other => other,
                })
            })
            .collect()
    }

    /// One message in proto-JSON with its `"@type"`.
    pub fn from_proto_json(v: &Value) -> Result<DydxMsg, DydxError> {
        let ty = v
            .get("@type")
            .and_then(Value::as_str)
            .ok_or_else(|| DydxError::message("a message needs its \"@type\""))?;
        let top = |fields: &[&str]| Obj::new(v, ty, &[&["@type"], fields].concat());
        let value = match ty {
            MSG_PLACE_ORDER_URL => {
                let o = top(&["order"])?;
                proto::MsgPlaceOrder {
                    order: o
                        .obj("order", ORDER_FIELDS)?
                        .map(|o| order(&o))
                        .transpose()?,
                }
                .encode_to_vec()
            }
            MSG_CANCEL_ORDER_URL => {
                let o = top(&["order_id", "good_til_block", "good_til_block_time"])?;
                proto::MsgCancelOrder {
                    order_id: o
                        .obj("order_id", ORDER_ID_FIELDS)?
                        .map(|o| order_id(&o))
                        .transpose()?,
                    good_til_oneof: match oneof(&o, "good_til_block", "good_til_block_time")? {
                        Some((true, n)) => Some(CancelGoodTil::GoodTilBlock(n)),
                        Some((false, n)) => Some(CancelGoodTil::GoodTilBlockTime(n)),
                        None => None,
                    },
                }
                .encode_to_vec()
            }
            MSG_CREATE_TRANSFER_URL => {
                let o = top(&["transfer"])?;
                let t = o
                    .obj("transfer", &["sender", "recipient", "asset_id", "amount"])?
                    .map(|t| -> Result<_, DydxError> {
                        Ok(proto::Transfer {
                            sender: subaccount(&t, "sender")?,
                            recipient: subaccount(&t, "recipient")?,
                            asset_id: t.u32("asset_id")?,
                            amount: t.u64("amount")?,
                        })
                    })
                    .transpose()?;
                proto::MsgCreateTransfer { transfer: t }.encode_to_vec()
            }
            MSG_DEPOSIT_TO_SUBACCOUNT_URL => {
                let o = top(&["sender", "recipient", "asset_id", "quantums"])?;
                proto::MsgDepositToSubaccount {
                    sender: o.string("sender")?,
                    recipient: subaccount(&o, "recipient")?,
                    asset_id: o.u32("asset_id")?,
                    quantums: o.u64("quantums")?,
                }
                .encode_to_vec()
            }
            MSG_WITHDRAW_FROM_SUBACCOUNT_URL => {
                let o = top(&["sender", "recipient", "asset_id", "quantums"])?;
                proto::MsgWithdrawFromSubaccount {
                    recipient: o.string("recipient")?,
                    sender: subaccount(&o, "sender")?,
                    asset_id: o.u32("asset_id")?,
                    quantums: o.u64("quantums")?,
                }
                .encode_to_vec()
            }
            MSG_SEND_URL => return Ok(DydxMsg::Cosmos(Msg::from_proto_json(v)?)),
            other => {
                return Err(DydxError::message(format!(
                    "message type {other:?} is not supported (supported: {MSG_PLACE_ORDER_URL}, {MSG_CANCEL_ORDER_URL}, {MSG_CREATE_TRANSFER_URL}, {MSG_DEPOSIT_TO_SUBACCOUNT_URL}, {MSG_WITHDRAW_FROM_SUBACCOUNT_URL}, {MSG_SEND_URL})"
                )));
            }
        };
        DydxMsg::from_any(&Any {
            type_url: ty.to_string(),
            value,
        })
        .map_err(|e| match e {
            DydxError::Message(m) => DydxError::Message(format!("{ty}: {m}")),
            other => other,
        })
    }
}

const ORDER_ID_FIELDS: &[&str] = &["subaccount_id", "client_id", "order_flags", "clob_pair_id"];
const ORDER_FIELDS: &[&str] = &[
    "order_id",
    "side",
    "quantums",
    "subticks",
    "good_til_block",
    "good_til_block_time",
    "time_in_force",
    "reduce_only",
    "client_metadata",
    "condition_type",
    "conditional_order_trigger_subticks",
    "twap_parameters",
    "builder_code_parameters",
    "order_router_address",
];

fn subaccount(o: &Obj<'_>, field: &str) -> Result<Option<proto::SubaccountId>, DydxError> {
    o.obj(field, &["owner", "number"])?
        .map(|s| {
            Ok(proto::SubaccountId {
                owner: s.string("owner")?,
                number: s.u32("number")?,
            })
        })
        .transpose()
}

fn order_id(o: &Obj<'_>) -> Result<proto::OrderId, DydxError> {
    Ok(proto::OrderId {
        subaccount_id: subaccount(o, "subaccount_id")?,
        client_id: o.u32("client_id")?,
        order_flags: o.u32("order_flags")?,
        clob_pair_id: o.u32("clob_pair_id")?,
    })
}

fn order(o: &Obj<'_>) -> Result<proto::Order, DydxError> {
    Ok(proto::Order {
        order_id: o
            .obj("order_id", ORDER_ID_FIELDS)?
            .map(|i| order_id(&i))
            .transpose()?,
        side: o.enumeration("side", &["SIDE_UNSPECIFIED", "SIDE_BUY", "SIDE_SELL"])?,
        quantums: o.u64("quantums")?,
        subticks: o.u64("subticks")?,
        good_til_oneof: match oneof(o, "good_til_block", "good_til_block_time")? {
            Some((true, n)) => Some(GoodTilOneof::GoodTilBlock(n)),
            Some((false, n)) => Some(GoodTilOneof::GoodTilBlockTime(n)),
            None => None,
        },
        time_in_force: o.enumeration(
            "time_in_force",
            &[
                "TIME_IN_FORCE_UNSPECIFIED",
                "TIME_IN_FORCE_IOC",
                "TIME_IN_FORCE_POST_ONLY",
                "TIME_IN_FORCE_FILL_OR_KILL",
            ],
        )?,
        reduce_only: o.bool("reduce_only")?,
        client_metadata: o.u32("client_metadata")?,
        condition_type: o.enumeration(
            "condition_type",
            &[
                "CONDITION_TYPE_UNSPECIFIED",
                "CONDITION_TYPE_STOP_LOSS",
                "CONDITION_TYPE_TAKE_PROFIT",
            ],
        )?,
        conditional_order_trigger_subticks: o.u64("conditional_order_trigger_subticks")?,
        twap_parameters: o
            .obj(
                "twap_parameters",
                &["duration", "interval", "price_tolerance"],
            )?
            .map(|t| -> Result<_, DydxError> {
                Ok(proto::TwapParameters {
                    duration: t.u32("duration")?,
                    interval: t.u32("interval")?,
                    price_tolerance: t.u32("price_tolerance")?,
                })
            })
            .transpose()?,
        builder_code_parameters: o
            .obj("builder_code_parameters", &["builder_address", "fee_ppm"])?
            .map(|b| -> Result<_, DydxError> {
                Ok(proto::BuilderCodeParameters {
                    builder_address: b.string("builder_address")?,
                    fee_ppm: b.u32("fee_ppm")?,
                })
            })
            .transpose()?,
        order_router_address: o.string("order_router_address")?,
    })
}

/// A uint32 oneof of two members: `(true, n)` for the first, `(false, n)` for the second.
fn oneof(o: &Obj<'_>, first: &str, second: &str) -> Result<Option<(bool, u32)>, DydxError> {
    match (o.get(first), o.get(second)) {
        (Some(_), Some(_)) => Err(o.bad(format!("both {first} and {second} (one of them)"))),
        (Some(_), None) => Ok(Some((true, o.u32(first)?))),
        (None, Some(_)) => Ok(Some((false, o.u32(second)?))),
        (None, None) => Ok(None),
    }
}

/// `order_id` → `orderId`.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One JSON object of a message, its fields known by their snake_case names.
struct Obj<'a> {
    what: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, what: &str, fields: &[&str]) -> Result<Self, DydxError> {
        let map = v
            .as_object()
            .ok_or_else(|| DydxError::message(format!("{what}: not a JSON object")))?;
        for key in map.keys() {
            if !fields.iter().any(|f| f == key || camel(f) == *key) {
                return Err(DydxError::message(format!("{what}: unknown field {key:?}")));
            }
        }
        for f in fields {
            let c = camel(f);
            if c != *f && map.contains_key(*f) && map.contains_key(&c) {
                return Err(DydxError::message(format!(
                    "{what}: {f:?} given twice ({f:?} and {c:?})"
                )));
            }
        }
        Ok(Self {
            what: what.to_string(),
            map,
        })
    }

    fn bad(&self, problem: String) -> DydxError {
        DydxError::message(format!("{}: {problem}", self.what))
    }

    /// The field's value, `null` counting as absent.
    fn get(&self, field: &str) -> Option<&'a Value> {
        self.map
            .get(field)
            .or_else(|| self.map.get(&camel(field)))
            .filter(|v| !v.is_null())
    }

    fn obj(&self, field: &str, fields: &[&str]) -> Result<Option<Obj<'a>>, DydxError> {
        self.get(field)
            .map(|v| Obj::new(v, &format!("{}.{field}", self.what), fields))
            .transpose()
    }

    fn string(&self, field: &str) -> Result<String, DydxError> {
        match self.get(field) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(self.bad(format!("{field}: {other} is not a string"))),
        }
    }

    fn bool(&self, field: &str) -> Result<bool, DydxError> {
        match self.get(field) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.bad(format!("{field}: {other} is not true or false"))),
        }
    }

    /// An unsigned integer as a JSON number or a string of decimal digits.
    fn u64(&self, field: &str) -> Result<u64, DydxError> {
        let bad = |v: &Value| self.bad(format!("{field}: {v} is not an unsigned integer"));
        match self.get(field) {
            None => Ok(0),
            Some(v @ Value::Number(n)) => n.as_u64().ok_or_else(|| bad(v)),
            Some(v @ Value::String(s)) => {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(v));
                }
                s.parse().map_err(|_| bad(v))
            }
            Some(v) => Err(bad(v)),
        }
    }

    fn u32(&self, field: &str) -> Result<u32, DydxError> {
        let n = self.u64(field)?;
        u32::try_from(n).map_err(|_| self.bad(format!("{field}: {n} does not fit 32 bits")))
    }

    /// An enum by name (`names[i]` is value `i`) or by number.
    fn enumeration(&self, field: &str, names: &[&str]) -> Result<i32, DydxError> {
        let bad = |v: &Value| {
            self.bad(format!(
                "{field}: {v} is not one of {} (or its number)",
                names.join(", ")
            ))
        };
        let i = match self.get(field) {
            None => return Ok(0),
            Some(v @ Value::String(s)) => {
                names.iter().position(|n| n == s).ok_or_else(|| bad(v))?
            }
            Some(v @ Value::Number(n)) => n
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n < names.len())
                .ok_or_else(|| bad(v))?,
            Some(v) => return Err(bad(v)),
        };
        i32::try_from(i).map_err(|_| self.bad(format!("{field}: enum value {i}")))
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
