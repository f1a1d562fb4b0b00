//! The hand-written contracts (CW20, Terraswap pair) through the executor seam.
use super::*;

fn setup() -> (TerraContracts, Balances, String, PairInfo, String) {
    let c = TerraContracts::new("terra");
    let user = contract_address("terra", "user");
    let tst = c.add_token("t", "Test", "TST", 6, &[(user.clone(), 1_000_000)], None);
    let pair = c.add_pair(
        "p",
        [AssetInfo::token(&tst), AssetInfo::native("uluna")],
        [6, 6],
    );
    c.mint(&tst, &pair.contract_addr, 10_000_000).unwrap();
    let mut bank = Balances::new();
    bank.entry(pair.contract_addr.clone())
        .or_default()
        .insert("uluna".into(), 5_000_000);
    bank.entry(user.clone())
        .or_default()
        .insert("uluna".into(), 1_000_000);
    (c, bank, user, pair, tst)
}

fn send_swap(pair: &str, amount: u128) -> Vec<u8> {
    use base64::Engine as _;
    let hook = base64::engine::general_purpose::STANDARD.encode(br#"{"swap":{}}"#);
    serde_json::to_vec(
        &serde_json::json!({"send": {"contract": pair, "amount": amount.to_string(), "msg": hook}}),
    )
    .unwrap()
}

#[test]
fn a_cw20_swap_moves_tokens_and_coins_and_the_pool_query_sees_both() {
    let (c, mut bank, user, pair, tst) = setup();
    let pool = |bank: &Balances| -> serde_json::Value {
        serde_json::from_slice(
            &c.query(bank, &pair.contract_addr, br#"{"pool":{}}"#)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(pool(&bank)["assets"][1]["amount"], "5000000");
    c.begin();
    let events = c
        .execute(
            &mut bank,
            &user,
            &tst,
            &send_swap(&pair.contract_addr, 100_000),
            &[],
            false,
        )
        .unwrap();
    c.end(true);
    let (ret, _, _) = pair::compute_swap(10_000_000, 5_000_000, 100_000).unwrap();
    assert!(
        events
            .iter()
            .any(|(k, a)| k == "wasm" && a.contains(&("return_amount".into(), ret.to_string())))
    );
    assert_eq!(c.token_balance(&tst, &user), 900_000);
    assert_eq!(c.token_balance(&tst, &pair.contract_addr), 10_100_000);
    assert_eq!(bank[&user]["uluna"], 1_000_000 + ret);
    assert_eq!(
        pool(&bank)["assets"][1]["amount"],
        (5_000_000 - ret).to_string()
    );
}

#[test]
fn a_failed_or_rolled_back_execution_leaves_nothing() {
    let (c, mut bank, user, pair, tst) = setup();
    let before = bank.clone();
    // more than the user holds: refused, nothing moved
    let r = c.execute(
        &mut bank,
        &user,
        &tst,
        &send_swap(&pair.contract_addr, 2_000_000),
        &[],
        false,
    );
    assert!(r.is_err());
    assert_eq!(bank, before);
    assert_eq!(c.token_balance(&tst, &user), 1_000_000);
    // a native swap whose funds do not match its offer
    let msg =
        br#"{"swap":{"offer_asset":{"info":{"native_token":{"denom":"uluna"}},"amount":"10"}}}"#;
    let r = c.execute(
        &mut bank,
        &user,
        &pair.contract_addr,
        msg,
        &[Coin::new(9, "uluna")],
        false,
    );
    assert!(r.unwrap_err().log.contains("Native token balance mismatch"));
    // a successful execution undone by `end(false)` (a simulation, or a later message failed)
    c.begin();
    c.execute(
        &mut bank,
        &user,
        &tst,
        &send_swap(&pair.contract_addr, 1000),
        &[],
        true,
    )
    .unwrap();
    c.end(false);
    assert_eq!(c.token_balance(&tst, &user), 1_000_000);
}
