//! The strategy config: errors name their key; aliased assets merge into one result.

use super::*;

#[test]
fn config_errors_name_the_key() {
    let base = "order_size = \"1\"\nmin_profit_pct = \"0.5\"\nexecution = \"concurrent\"\nmax_open_exposure = \"2\"\non_leg_failure = \"unwind\"\nmax_failures = 2\n[gas]\nsource = \"market\"\n[venue_a]\nvenue = \"binance\"\npair = \"ETH-USDT\"\n[venue_b]\nvenue = \"uniswap_v3@anvil\"\npair = \"WETH-USDC\"\n";
    let e = base.parse::<ArbConfig>().unwrap_err();
    assert_eq!(e.key, "venue_b.pair", "{e}");
    let ok = format!(
        "{base}[[assets]]\nasset = \"WETH\"\nsame_as = \"ETH\"\n[[assets]]\nasset = \"USDC\"\nsame_as = \"USDT\"\n"
    );
    assert!(ok.parse::<ArbConfig>().is_ok());
    let e = ok
        .replace("order_size = \"1\"", "order_size = \"0\"")
        .parse::<ArbConfig>()
        .unwrap_err();
    assert_eq!(e.key, "order_size");
    let e = ok
        .replace("execution = \"concurrent\"", "execution = \"yolo\"")
        .parse::<ArbConfig>()
        .unwrap_err();
    assert!(e.key.starts_with("line"), "{e}");
    let e = ok
        .replace("max_failures = 2", "max_failures = 0")
        .parse::<ArbConfig>()
        .unwrap_err();
    assert_eq!(e.key, "max_failures");
}

#[test]
fn aliased_flows_merge_into_the_runs_result() {
    use crate::store::AssetFlow;
    let mut cfg = config("");
    cfg.assets[1].rate = dec!(0.999); // 1 USDC = 0.999 USDT
    let flow = |asset: &str, net: Decimal| AssetFlow {
        asset: asset.into(),
        net,
    };
    let merged = cfg.merge_aliases(&[
        flow("ETH", dec!(-10.0011)),
        flow("USDC", dec!(-30000)),
        flow("USDT", dec!(30900)),
        flow("WETH", dec!(10)),
        flow("DAI", dec!(1)),
    ]);
    assert_eq!(
        merged,
        vec![
            flow("DAI", dec!(1)),
            flow("ETH", dec!(-0.0011)),
            flow("USDT", dec!(930)),
        ]
    );
}
