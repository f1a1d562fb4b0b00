//! Astroport's XYK pair, running the published `astroport-pair` 1.3.3 contract (MIT) itself: its
//! `instantiate`, `reply`, `execute` and `query` entry points are called natively with this
//! node's [`wasm_host`](super::wasm_host) — the pair's own storage, the chain's bech32 API, a
//! querier over the node's bank and the other contracts (the CW20 tokens, the factory's
//! `fee_info`) — and the messages it returns (payouts) are performed by the node. Its native
//! reserve is its bank balance and its token reserve its CW20 balance, as on chain.

use cosmwasm_std::{
    Binary, Deps, DepsMut, MessageInfo, QuerierWrapper, Reply, Response, SubMsgResponse,
    SubMsgResult, WasmMsg,
};
use prost::Message as _;
use serde_json::{Value, json};
use sluice::amm::terra_swap::msg::AssetInfo;
use sluice::chain::cosmos::Coin;

use super::wasm_host::{
    Bech32Api, KvStore, NodeQuerier, apply_response, guard, wasm_coins, wasm_env,
};
use super::{Contract, ContractError, Env, State, contract_address};
use crate::cosmos::chain::Balances;

/// The chain id the pair's `env.block` carries (nothing in the pair reads it).
const CHAIN_ID: &str = "localterra";

/// An instance of the pair: its address and its storage.
#[derive(Debug, Clone)]
pub struct AstroportPair {
    pub address: String,
    /// The chain's bech32 prefix (its `deps.api`).
    pub hrp: String,
    pub storage: KvStore,
}

fn parse_err(e: impl std::fmt::Display) -> ContractError {
    ContractError(format!("Error parsing into type: {e}"))
}

fn to_bytes(msg: &Value) -> Result<Vec<u8>, ContractError> {
    serde_json::to_vec(msg).map_err(parse_err)
}

/// Runs `f` with the pair's storage taken out of `env.state` (the querier reads the rest of
/// the state meanwhile) and puts it back, changed only if `f` succeeded.
fn with_storage<T>(
    env: &mut Env<'_>,
    pair: &str,
    f: impl FnOnce(DepsMut<'_>) -> Result<T, ContractError>,
) -> Result<T, ContractError> {
    let mut storage = match env.state.contracts.get(pair) {
        Some(Contract::AstroportPair(p)) => p.storage.clone(),
        _ => return Err(ContractError(format!("{pair}: no such contract"))),
    };
    let api = Bech32Api {
        hrp: env.hrp.to_string(),
    };
    let out = {
        let querier = NodeQuerier {
            state: env.state,
            bank: env.bank,
        };
        let deps = DepsMut {
            storage: &mut storage,
            api: &api,
            querier: QuerierWrapper::new(&querier),
        };
        f(deps)?
    };
    if let Some(Contract::AstroportPair(p)) = env.state.contracts.get_mut(pair) {
        p.storage = storage;
    }
    Ok(out)
}

/// Instantiates the pair of `assets` at `address` (listed by `factory`), as the factory does:
/// the pair's `instantiate` asks for its LP token (a CW20 minted by the pair), which is created
/// here at the address of `lp_label`, then the pair's `reply` records it.
pub fn instantiate(
    env: &mut Env<'_>,
    address: &str,
    lp_label: &str,
    assets: &[AssetInfo; 2],
    factory: &str,
) -> Result<(), ContractError> {
    env.state.contracts.insert(
        address.to_string(),
        Contract::AstroportPair(AstroportPair {
            address: address.to_string(),
            hrp: env.hrp.to_string(),
            storage: KvStore::default(),
        }),
    );
    let msg = json!({
        "asset_infos": assets, "token_code_id": 1, "factory_addr": factory, "init_params": null,
    });
    let msg = to_bytes(&msg)?;
    let info = MessageInfo {
        sender: cosmwasm_std::Addr::unchecked(factory),
        funds: vec![],
    };
    let res: Response = with_storage(env, address, |deps| {
        guard(|| {
            let msg = cosmwasm_std::from_json(&msg)?;
            astroport_pair::contract::instantiate(deps, wasm_env(address, CHAIN_ID), info, msg)
        })
    })?;
    let mut replies = Vec::new();
    for sub in &res.messages {
        let cosmwasm_std::CosmosMsg::Wasm(WasmMsg::Instantiate { msg, .. }) = &sub.msg else {
            return Err(ContractError(format!(
                "pair instantiation sent an unexpected message: {:?}",
                sub.msg
            )));
        };
        let token: Value = serde_json::from_slice(msg.as_slice()).map_err(parse_err)?;
        let lp = instantiate_token(env, lp_label, &token)?;
        replies.push((sub.id, lp));
    }
    let attrs: Vec<(String, String)> = res
        .attributes
        .iter()
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect();
    let attrs: Vec<(&str, &str)> = attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.wasm_event(address, &attrs);
    for (id, lp) in replies {
        let data = cosmos_sdk_proto::cosmwasm::wasm::v1::MsgInstantiateContractResponse {
            address: lp,
            data: vec![],
        }
        .encode_to_vec();
        let reply = Reply {
            id,
            result: SubMsgResult::Ok(SubMsgResponse {
                events: vec![],
                data: Some(Binary::from(data)),
            }),
        };
        let res = with_storage(env, address, |deps| {
            guard(|| astroport_pair::contract::reply(deps, wasm_env(address, CHAIN_ID), reply))
        })?;
        apply_response(env, address, res)?;
    }
    Ok(())
}

/// A `cw20-base` instantiation (`name`, `symbol`, `decimals`, `initial_balances`, `mint`).
fn instantiate_token(env: &mut Env<'_>, label: &str, msg: &Value) -> Result<String, ContractError> {
    let text = |k: &str| {
        msg[k]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ContractError(format!("Error parsing into type: missing field `{k}`")))
    };
    let decimals = msg["decimals"]
        .as_u64()
        .and_then(|d| u8::try_from(d).ok())
        .ok_or_else(|| ContractError("Error parsing into type: decimals".into()))?;
    let addr = contract_address(env.hrp, label);
    let token = super::Token {
        name: text("name")?,
        symbol: text("symbol")?,
        decimals,
        total_supply: 0,
        minter: msg["mint"]["minter"].as_str().map(str::to_string),
        balances: Default::default(),
    };
    env.state
        .contracts
        .insert(addr.clone(), Contract::Token(token));
    Ok(addr)
}

/// `execute` on the pair (funds already moved to it).
pub fn execute(
    env: &mut Env<'_>,
    pair: &str,
    sender: &str,
    msg: &Value,
    funds: &[Coin],
) -> Result<(), ContractError> {
    let msg = to_bytes(msg)?;
    let info = MessageInfo {
        sender: cosmwasm_std::Addr::unchecked(sender),
        funds: wasm_coins(funds),
    };
    let res = with_storage(env, pair, |deps| {
        guard(|| {
            let msg = cosmwasm_std::from_json(&msg)?;
            astroport_pair::contract::execute(deps, wasm_env(pair, CHAIN_ID), info, msg)
        })
    })?;
    apply_response(env, pair, res)
}

/// A smart query of the pair.
pub fn query(
    state: &State,
    bank: &Balances,
    pair: &AstroportPair,
    msg: &Value,
) -> Result<Value, ContractError> {
    let msg = to_bytes(msg)?;
    let api = Bech32Api {
        hrp: pair.hrp.clone(),
    };
    let querier = NodeQuerier { state, bank };
    let deps = Deps {
        storage: &pair.storage,
        api: &api,
        querier: QuerierWrapper::new(&querier),
    };
    let answer = guard(|| {
        let msg = cosmwasm_std::from_json(&msg)?;
        astroport_pair::contract::query(deps, wasm_env(&pair.address, CHAIN_ID), msg)
    })?;
    serde_json::from_slice(answer.as_slice()).map_err(parse_err)
}

#[cfg(test)]
mod tests {
    use super::super::{AstroportFees, TerraContracts};
    use super::*;
    use crate::cosmos::chain::ContractExecutor;

    const UNIT: u128 = 1_000_000;

    /// A TST/uluna Astroport pair with 1M TST and 500k LUNA, and a user holding both.
    fn setup() -> (TerraContracts, Balances, String, String, String) {
        let c = TerraContracts::new("terra");
        let user = contract_address("terra", "user");
        let tst = c.add_token("t", "Test", "TST", 6, &[(user.clone(), 1_000 * UNIT)], None);
        let fees = AstroportFees {
            total_fee_bps: 30,
            maker_fee_bps: 0,
        };
        let factory = c.add_astroport_factory("f", &user, fees);
        let pair = c
            .add_astroport_pair(
                "p",
                [AssetInfo::token(&tst), AssetInfo::native("uluna")],
                &factory,
            )
            .unwrap();
        assert_eq!(
            pair.pair_type,
            Some(sluice::amm::terra_swap::msg::PairType::Xyk {})
        );
        c.mint(&tst, &pair.contract_addr, 1_000_000 * UNIT).unwrap();
        let mut bank = Balances::new();
        bank.entry(pair.contract_addr.clone())
            .or_default()
            .insert("uluna".into(), 500_000 * UNIT);
        bank.entry(user.clone())
            .or_default()
            .insert("uluna".into(), 1_000 * UNIT);
        (c, bank, user, pair.contract_addr, tst)
    }

    /// A CW20 `send` of `amount` TST from `user` to `pair` with the swap `hook`.
    fn send_swap(
        c: &TerraContracts,
        bank: &mut Balances,
        (user, tst, pair): (&str, &str, &str),
        amount: u128,
        hook: &[u8],
    ) -> Result<Vec<crate::cosmos::chain::ContractEvent>, String> {
        use base64::Engine as _;
        let hook = base64::engine::general_purpose::STANDARD.encode(hook);
        let send = json!({"send": {"contract": pair, "amount": amount.to_string(), "msg": hook}});
        let send = serde_json::to_vec(&send).map_err(|e| e.to_string())?;
        c.execute(bank, user, tst, &send, &[], false)
            .map_err(|e| e.log)
    }

    fn query(c: &TerraContracts, bank: &Balances, to: &str, q: Value) -> Result<Value, String> {
        c.query(bank, to, &serde_json::to_vec(&q).unwrap())
            .map(|b| serde_json::from_slice(&b).unwrap())
            .map_err(|e| e.log)
    }

    #[test]
    fn the_published_pair_instantiates_answers_and_swaps_natively() {
        let (c, mut bank, user, pair, tst) = setup();
        // its own pair/pool answers: the LP token it asked for at instantiation exists
        let info = query(&c, &bank, &pair, json!({"pair": {}})).unwrap();
        let lp = info["liquidity_token"].as_str().unwrap().to_string();
        assert_eq!(info["pair_type"], json!({"xyk": {}}));
        let lp_info = query(&c, &bank, &lp, json!({"token_info": {}})).unwrap();
        assert_eq!(lp_info["symbol"], "uLP");
        let pool = query(&c, &bank, &pair, json!({"pool": {}})).unwrap();
        assert_eq!(pool["assets"][0]["amount"], (1_000_000 * UNIT).to_string());
        assert_eq!(pool["assets"][1]["amount"], (500_000 * UNIT).to_string());
        // simulation, then the native swap pays exactly that
        let offer = json!({"info": {"native_token": {"denom": "uluna"}}, "amount": "1000000"});
        let sim = query(
            &c,
            &bank,
            &pair,
            json!({"simulation": {"offer_asset": offer}}),
        )
        .unwrap();
        let ret: u128 = sim["return_amount"].as_str().unwrap().parse().unwrap();
        let swap = json!({"swap": {"offer_asset": offer, "max_spread": "0.01"}});
        let funds = [Coin::new(1_000_000, "uluna")];
        crate::cosmos::chain::transfer(&mut bank, &user, &pair, &funds).unwrap();
        c.begin();
        let events = c
            .execute(
                &mut bank,
                &user,
                &pair,
                &serde_json::to_vec(&swap).unwrap(),
                &funds,
                false,
            )
            .unwrap();
        c.end(true);
        assert!(events.iter().any(|(k, a)| k == "wasm"
            && a.contains(&("return_amount".into(), ret.to_string()))));
        assert_eq!(c.token_balance(&tst, &user), 1_000 * UNIT + ret);
        // a CW20 send with the swap hook: LUNA back
        let luna_before = bank[&user]["uluna"];
        send_swap(
            &c,
            &mut bank,
            (&user, &tst, &pair),
            2 * UNIT,
            br#"{"swap":{}}"#,
        )
        .unwrap();
        assert!(bank[&user]["uluna"] > luna_before);
    }

    #[test]
    fn the_contracts_refusals_move_nothing() {
        let (c, mut bank, user, pair, tst) = setup();
        let before = (bank.clone(), c.token_balance(&tst, &user));
        // a belief price the pool is far from: the contract's max spread assertion
        let hook = br#"{"swap":{"belief_price":"0.1","max_spread":"0.01"}}"#;
        let err = send_swap(&c, &mut bank, (&user, &tst, &pair), 2 * UNIT, hook).unwrap_err();
        assert!(err.contains("max spread"), "{err}");
        // funds that do not match the offer
        let offer = json!({"info": {"native_token": {"denom": "uluna"}}, "amount": "10"});
        let swap = serde_json::to_vec(&json!({"swap": {"offer_asset": offer}})).unwrap();
        let err = c
            .execute(
                &mut bank,
                &user,
                &pair,
                &swap,
                &[Coin::new(9, "uluna")],
                false,
            )
            .unwrap_err();
        assert!(!err.log.is_empty());
        assert_eq!((bank.clone(), c.token_balance(&tst, &user)), before);
        // a query the contract refuses (a zero offer) is an error, not a panic of the node
        let zero = json!({"info": {"native_token": {"denom": "uluna"}}, "amount": "0"});
        let r = query(
            &c,
            &bank,
            &pair,
            json!({"simulation": {"offer_asset": zero}}),
        );
        assert!(r.unwrap_err().contains("Swap amount must not be zero"));
        // a panic inside the contract (its 128-bit price of a 10^30 : 1 pool overflows) is the
        // wasm VM's abort: an error, and the node goes on
        c.mint(&tst, &pair, 10u128.pow(30)).unwrap();
        bank.insert(pair.clone(), [("uluna".to_string(), 1)].into());
        let ask = json!({"info": {"token": {"contract_addr": tst}}, "amount": "1"});
        let r = query(
            &c,
            &bank,
            &pair,
            json!({"reverse_simulation": {"ask_asset": ask}}),
        );
        assert!(r.unwrap_err().contains("panicked"));
        assert!(query(&c, &bank, &pair, json!({"pool": {}})).is_ok());
    }
}
