//! `SIGN_MODE_LEGACY_AMINO_JSON`: the `StdSignDoc` (`account_number`, `chain_id`, `fee`, `memo`,
//! `msgs`, `sequence`, and `timeout_height` when set), written as the SDK writes it for signing:
//! compact JSON with every object's keys sorted, numbers of the doc as strings, and Go's
//! `encoding/json` escaping of `<`, `>`, `&`, U+2028 and U+2029 (`sdk.MustSortJSON`).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::CosmosError;
use super::coin::Coin;
use super::msgs::Msg;

/// What an amino sign doc covers besides the messages.
#[derive(Debug, Clone)]
pub struct StdSignDocParams<'a> {
    pub chain_id: &'a str,
    pub account_number: u64,
    pub sequence: u64,
    pub fee: &'a [Coin],
    pub gas_limit: u64,
    pub memo: &'a str,
    pub timeout_height: u64,
}

/// The bytes signed in amino JSON mode.
pub fn std_sign_doc_bytes(p: &StdSignDocParams<'_>, msgs: &[Msg]) -> Result<Vec<u8>, CosmosError> {
    let msgs = msgs
        .iter()
        .map(Msg::amino_json)
        .collect::<Result<Vec<_>, _>>()?;
    let mut doc = json!({
        "account_number": p.account_number.to_string(),
        "chain_id": p.chain_id,
        "fee": {
            "amount": p.fee.iter().map(|c| json!({"amount": c.amount.to_string(), "denom": c.denom})).collect::<Vec<_>>(),
            "gas": p.gas_limit.to_string(),
        },
        "memo": p.memo,
        "msgs": msgs,
        "sequence": p.sequence.to_string(),
    });
    if p.timeout_height > 0
        && let Some(o) = doc.as_object_mut()
    {
        o.insert(
            "timeout_height".into(),
            Value::String(p.timeout_height.to_string()),
        );
    }
    Ok(sorted_json(&doc).into_bytes())
}

/// Compact JSON, keys sorted at every level, strings escaped as Go's `encoding/json` does.
pub fn sorted_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, x);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value(out, &o[k]);
            }
            out.push('}');
        }
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Cosmos SDK's own expectation for a `MsgSend` with memo and timeout height
    /// (`getBytesToSign` test in the SDK's client tooling: account 1, sequence 2, chainid-1).
    #[test]
    fn sdk_documented_sign_doc_with_timeout_height() {
        let msg = Msg::Send {
            from: "cosmos1shzsqakdakzwhvy05cvjlt9acwf3hfjksy0ht5".into(),
            to: "cosmos18lu8k4n7nmqhz2z3y9a5y39fzgapchfq6mvaeg".into(),
            amount: vec![Coin::new(1000, "token")],
        };
        let fee = [Coin::new(10, "token")];
        let p = StdSignDocParams {
            chain_id: "chainid-1",
            account_number: 1,
            sequence: 2,
            fee: &fee,
            gas_limit: 200000,
            memo: "a memo",
            timeout_height: 42,
        };
        let doc = String::from_utf8(std_sign_doc_bytes(&p, &[msg]).unwrap()).unwrap();
        assert_eq!(
            doc,
            r#"{"account_number":"1","chain_id":"chainid-1","fee":{"amount":[{"amount":"10","denom":"token"}],"gas":"200000"},"memo":"a memo","msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"1000","denom":"token"}],"from_address":"cosmos1shzsqakdakzwhvy05cvjlt9acwf3hfjksy0ht5","to_address":"cosmos18lu8k4n7nmqhz2z3y9a5y39fzgapchfq6mvaeg"}}],"sequence":"2","timeout_height":"42"}"#
        );
    }

    #[test]
    fn go_escaping_and_nested_sorting() {
        let v = json!({"b": {"z": 1, "a": "<&>\u{2028}\n\u{1}"}, "a": []});
        assert_eq!(
            sorted_json(&v),
            r#"{"a":[],"b":{"a":"\u003c\u0026\u003e\u2028\n\u0001","z":1}}"#
        );
    }

    #[test]
    fn execute_and_swap_amino_names() {
        let exec = Msg::Execute {
            sender: "terra1a".into(),
            contract: "terra1c".into(),
            msg: br#"{"swap":{"offer_asset":{"amount":"5"}}}"#.to_vec(),
            funds: vec![],
        };
        let swap = Msg::Swap {
            trader: "terra1a".into(),
            offer: Coin::new(3, "uusd"),
            ask_denom: "uluna".into(),
        };
        assert_eq!(
            sorted_json(&exec.amino_json().unwrap()),
            r#"{"type":"wasm/MsgExecuteContract","value":{"contract":"terra1c","funds":[],"msg":{"swap":{"offer_asset":{"amount":"5"}}},"sender":"terra1a"}}"#
        );
        assert_eq!(
            sorted_json(&swap.amino_json().unwrap()),
            r#"{"type":"market/MsgSwap","value":{"ask_denom":"uluna","offer_coin":{"amount":"3","denom":"uusd"},"trader":"terra1a"}}"#
        );
    }
}
