//! The local Terra for tests, the demo and `sluice cosmos up`: a [`LocalNode`] with the Terraswap
//! contracts ([`TerraContracts`]) at fixed addresses, the chain's parameters from its spec
//! (`chains/terra_local.toml`, `chains/terra_classic_local.toml`: chain id, gas price, burn tax),
//! the dev mnemonic's first accounts funded, and pools seeded as the demo needs: a native pair
//! (LUNA/axlUSDC, or LUNC/USTC on Classic) and a CW20 pair (TST/LUNA, TST/LUNC), listed by a
//! Terraswap factory, and the same two markets as Astroport pairs (the published
//! `astroport-pair` contract, 0.3 % fee) listed by an Astroport factory, a tenth as deep, so the
//! deepest-pool choice still trades the Terraswap ones unless an Astroport pair is named.
//! Nothing here is secret: the dev mnemonic is public test material.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sluice::amm::terra_swap::msg::{AssetInfo, PairInfo};
use sluice::chain::cosmos::Coin;
use sluice::chain::cosmos::fees::GasPrice;
use sluice::chain::{ChainSpec, ChainSpecs};
use sluice::wallet::{Mnemonic, account_path, derive_key};

use super::chain::ChainConfig;
use super::contracts::{AstroportFees, TerraContracts};
use super::server::LocalNode;

/// The dev mnemonic (anvil's, public): its accounts are funded on every local chain.
pub use crate::anvil::DEV_MNEMONIC;

/// How many dev accounts are funded.
pub const DEV_ACCOUNTS: u32 = 5;

/// Which Terra.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Terra,
    Classic,
}

impl Flavor {
    /// `terra` or `terra_classic` (the `--chain` of `sluice cosmos up`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "terra" => Some(Flavor::Terra),
            "terra_classic" => Some(Flavor::Classic),
            _ => None,
        }
    }

    /// The spec of the local chain.
    pub fn spec_name(self) -> &'static str {
        match self {
            Flavor::Terra => "terra_local",
            Flavor::Classic => "terra_classic_local",
        }
    }

    /// (native symbol, stable symbol, stable denom).
    fn assets(self) -> (&'static str, &'static str) {
        match self {
            Flavor::Terra => ("LUNA", "axlUSDC"),
            Flavor::Classic => ("LUNC", "USTC"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LocalTerraError {
    #[error("chain spec: {0}")]
    Spec(String),
    #[error("cannot start the node: {0}")]
    Io(#[from] std::io::Error),
    #[error("genesis: {0}")]
    Genesis(String),
}

/// A dev account and what it was given.
#[derive(Debug, Clone)]
pub struct DevAccount {
    pub index: u32,
    pub address: String,
    pub coins: Vec<Coin>,
    /// CW20 balances: (symbol, contract, amount).
    pub cw20: Vec<(String, String, u128)>,
}

/// A running local Terra.
pub struct LocalTerra {
    pub node: LocalNode,
    pub contracts: Arc<TerraContracts>,
    pub spec: ChainSpec,
    pub chain_id: String,
    /// Contract name (`terraswap_factory`, `pair_LUNA_axlUSDC`, `token_TST`, …) → address.
    pub addresses: BTreeMap<String, String>,
    /// The Terraswap pairs: native, then CW20.
    pub pairs: Vec<PairInfo>,
    /// The Astroport pairs (`astroport-pair`): native, then CW20.
    pub astroport_pairs: Vec<PairInfo>,
    pub accounts: Vec<DevAccount>,
}

/// One whole token in micro units (6 decimals).
const UNIT: u128 = 1_000_000;

fn denom_of(spec: &ChainSpec, symbol: &str) -> Result<String, LocalTerraError> {
    spec.token(symbol)
        .and_then(|t| t.denom.clone())
        .ok_or_else(|| LocalTerraError::Spec(format!("{}: no denom for {symbol}", spec.name)))
}

/// The node's parameters from the chain spec (Classic's tax rate: 0.5 %).
pub fn chain_config(spec: &ChainSpec) -> Result<ChainConfig, LocalTerraError> {
    let gas = spec
        .gas_price
        .as_deref()
        .ok_or_else(|| LocalTerraError::Spec(format!("{}: no gas_price", spec.name)))?;
    let min_gas_price = GasPrice::parse(gas).map_err(|e| LocalTerraError::Spec(e.to_string()))?;
    Ok(ChainConfig {
        chain_id: spec.chain_id.to_string(),
        hrp: spec.bech32_prefix.clone().unwrap_or_else(|| "terra".into()),
        min_gas_price,
        tax_rate: spec.burn_tax.then(|| Decimal::new(5, 3)),
        block_time: Duration::from_millis(spec.block_time_ms.max(50)),
    })
}

/// The dev mnemonic's account `index` on a Terra chain.
pub fn dev_address(index: u32, hrp: &str) -> Result<String, LocalTerraError> {
    let m = Mnemonic::parse(DEV_MNEMONIC).map_err(|e| LocalTerraError::Genesis(e.to_string()))?;
    let seed = m.to_seed(&"".into());
    let path = account_path("m/44'/330'/0'/0", index.into())
        .map_err(|e| LocalTerraError::Genesis(e.to_string()))?;
    let key = derive_key(&seed, &path).map_err(|e| LocalTerraError::Genesis(e.to_string()))?;
    key.cosmos_address(hrp)
        .map_err(|e| LocalTerraError::Genesis(e.to_string()))
}

impl LocalTerra {
    /// Starts the local chain of `flavor` on 127.0.0.1:`port` (0: any free port).
    pub async fn start(flavor: Flavor, port: u16) -> Result<Self, LocalTerraError> {
        let specs = ChainSpecs::builtin().map_err(|e| LocalTerraError::Spec(e.to_string()))?;
        let spec = specs
            .get(flavor.spec_name())
            .cloned()
            .ok_or_else(|| LocalTerraError::Spec(format!("no spec {}", flavor.spec_name())))?;
        let cfg = chain_config(&spec)?;
        let hrp = cfg.hrp.clone();
        let chain_id = cfg.chain_id.clone();
        let (native_sym, stable_sym) = flavor.assets();
        let native = denom_of(&spec, native_sym)?;
        let stable = denom_of(&spec, stable_sym)?;

        let contracts = Arc::new(TerraContracts::new(&hrp));
        let mut accounts = Vec::new();
        for i in 0..DEV_ACCOUNTS {
            accounts.push(DevAccount {
                index: i,
                address: dev_address(i, &hrp)?,
                coins: vec![
                    Coin::new(10_000_000 * UNIT, native.clone()),
                    Coin::new(1_000_000 * UNIT, stable.clone()),
                ],
                cw20: vec![],
            });
        }
        let owner = accounts[0].address.clone();
        let tst = contracts.add_token("token/TST", "Test Token", "TST", 6, &[], None);
        for a in &mut accounts {
            contracts
                .mint(&tst, &a.address, 1_000_000 * UNIT)
                .map_err(|e| LocalTerraError::Genesis(e.0))?;
            a.cw20.push(("TST".into(), tst.clone(), 1_000_000 * UNIT));
        }
        // price 0.5 stable per native; 1 TST = 0.5 native
        let native_pair = contracts.add_pair(
            &format!("pair/{native_sym}-{stable_sym}"),
            [AssetInfo::native(&native), AssetInfo::native(&stable)],
            [6, 6],
        );
        let token_pair = contracts.add_pair(
            &format!("pair/TST-{native_sym}"),
            [AssetInfo::token(&tst), AssetInfo::native(&native)],
            [6, 6],
        );
        let factory = contracts.add_factory(
            "terraswap/factory",
            &owner,
            &[
                native_pair.contract_addr.clone(),
                token_pair.contract_addr.clone(),
            ],
        );
        let genesis = |e: super::contracts::ContractError| LocalTerraError::Genesis(e.0);
        // Astroport on Terra only (Terra Classic's pairs are Terraswap's)
        let astroport = match flavor {
            Flavor::Terra => Some(
                seed_astroport(&contracts, &owner, &native, &stable, &tst, flavor)
                    .map_err(genesis)?,
            ),
            Flavor::Classic => None,
        };
        let node = LocalNode::start(cfg, contracts.clone(), port).await?;
        {
            let mut chain = node.chain();
            for a in &accounts {
                chain.fund(&a.address, &a.coins);
            }
            chain.fund(
                &native_pair.contract_addr,
                &[
                    Coin::new(2_000_000 * UNIT, native.clone()),
                    Coin::new(1_000_000 * UNIT, stable.clone()),
                ],
            );
            chain.fund(
                &token_pair.contract_addr,
                &[Coin::new(500_000 * UNIT, native.clone())],
            );
            if let Some((_, [n, t])) = &astroport {
                chain.fund(
                    &n.contract_addr,
                    &[
                        Coin::new(200_000 * UNIT, native.clone()),
                        Coin::new(100_000 * UNIT, stable.clone()),
                    ],
                );
                chain.fund(
                    &t.contract_addr,
                    &[Coin::new(50_000 * UNIT, native.clone())],
                );
            }
        }
        contracts
            .mint(&tst, &token_pair.contract_addr, 1_000_000 * UNIT)
            .map_err(|e| LocalTerraError::Genesis(e.0))?;
        let mut lp_shares = vec![
            (&native_pair, 2_000_000 * UNIT, 1_000_000 * UNIT),
            (&token_pair, 1_000_000 * UNIT, 500_000 * UNIT),
        ];
        if let Some((_, [n, t])) = &astroport {
            contracts
                .mint(&tst, &t.contract_addr, 100_000 * UNIT)
                .map_err(genesis)?;
            lp_shares.push((n, 200_000 * UNIT, 100_000 * UNIT));
            lp_shares.push((t, 100_000 * UNIT, 50_000 * UNIT));
        }
        // LP shares to the owner: sqrt(a·b), as the pair's first provision mints.
        for (p, a, b) in lp_shares {
            let share = isqrt(a * b);
            contracts
                .mint(&p.liquidity_token, &owner, share)
                .map_err(|e| LocalTerraError::Genesis(e.0))?;
        }
        let mut addresses = BTreeMap::new();
        addresses.insert("terraswap_factory".to_string(), factory);
        addresses.insert("token_TST".to_string(), tst);
        addresses.insert(
            format!("pair_{native_sym}_{stable_sym}"),
            native_pair.contract_addr.clone(),
        );
        addresses.insert(
            format!("pair_TST_{native_sym}"),
            token_pair.contract_addr.clone(),
        );
        let mut astroport_pairs = vec![];
        if let Some((factory, [n, t])) = astroport {
            addresses.insert("astroport_factory".to_string(), factory);
            addresses.insert(
                format!("astroport_pair_{native_sym}_{stable_sym}"),
                n.contract_addr.clone(),
            );
            addresses.insert(
                format!("astroport_pair_TST_{native_sym}"),
                t.contract_addr.clone(),
            );
            astroport_pairs = vec![n, t];
        }
        Ok(Self {
            node,
            contracts,
            spec,
            chain_id,
            addresses,
            pairs: vec![native_pair, token_pair],
            astroport_pairs,
            accounts,
        })
    }

    pub fn lcd_url(&self) -> &str {
        &self.node.lcd_url
    }

    /// `{"lcd_url","chain_id","contracts":{…},"accounts":[…]}` (what `sluice cosmos up` prints).
    pub fn summary(&self) -> Value {
        let accounts: Vec<Value> = self
            .accounts
            .iter()
            .map(|a| {
                let cw20: BTreeMap<&str, Value> = a
                    .cw20
                    .iter()
                    .map(|(sym, addr, amt)| {
                        (
                            sym.as_str(),
                            json!({"contract": addr, "amount": amt.to_string()}),
                        )
                    })
                    .collect();
                json!({
                    "index": a.index, "address": a.address,
                    "balances": a.coins, "cw20": cw20,
                })
            })
            .collect();
        json!({
            "lcd_url": self.node.lcd_url,
            "chain": self.spec.name,
            "chain_id": self.chain_id,
            "contracts": self.addresses,
            "accounts": accounts,
        })
    }
}

/// The Astroport factory (0.3 % fee) and its two pairs, native and CW20, instantiated from
/// `astroport-pair` (unfunded: the caller funds them).
fn seed_astroport(
    contracts: &TerraContracts,
    owner: &str,
    native: &str,
    stable: &str,
    tst: &str,
    flavor: Flavor,
) -> Result<(String, [PairInfo; 2]), super::contracts::ContractError> {
    let (native_sym, stable_sym) = flavor.assets();
    let fees = AstroportFees {
        total_fee_bps: 30,
        maker_fee_bps: 0,
    };
    let factory = contracts.add_astroport_factory("astroport/factory", owner, fees);
    let n = contracts.add_astroport_pair(
        &format!("astroport/pair/{native_sym}-{stable_sym}"),
        [AssetInfo::native(native), AssetInfo::native(stable)],
        &factory,
    )?;
    let t = contracts.add_astroport_pair(
        &format!("astroport/pair/TST-{native_sym}"),
        [AssetInfo::token(tst), AssetInfo::native(native)],
        &factory,
    )?;
    Ok((factory, [n, t]))
}

fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = (n as f64).sqrt() as u128;
    while x.saturating_mul(x) > n {
        x -= 1;
    }
    while (x + 1).saturating_mul(x + 1) <= n {
        x += 1;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_square_root() {
        for n in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            10u128.pow(24),
            u64::MAX as u128 * 7,
        ] {
            let r = isqrt(n);
            assert!(r * r <= n && (r + 1) * (r + 1) > n, "{n}");
        }
    }

    #[tokio::test]
    async fn the_specs_name_the_contracts_the_node_creates() {
        for flavor in [Flavor::Terra, Flavor::Classic] {
            let t = LocalTerra::start(flavor, 0).await.unwrap();
            let spec = &t.spec;
            assert_eq!(
                spec.protocols["terraswap"]["factory"],
                t.addresses["terraswap_factory"]
            );
            assert_eq!(
                spec.protocols.get("astroport").map(|p| &p["factory"]),
                t.addresses.get("astroport_factory")
            );
            assert_eq!(
                spec.token("TST").and_then(|t| t.address.clone()),
                Some(t.addresses["token_TST"].clone())
            );
        }
    }
}
