//! Chain specs: `chains/<name>.toml`. Each file is validated field by field, and a bad file is an error
//! that names the file, the key and what is wrong with it.
//!
//! The specs shipped in `chains/` are compiled into the binary; a directory given by the user
//! (`SLUICE_CHAINS_DIR`, or `--chains-dir`) adds chains or replaces shipped ones by name.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use serde::Serialize;
use toml::{Table, Value};

mod reader;
use reader::{Reader, check_bech32, check_evm_address, check_key_path};

/// The specs compiled in, as (file name, contents).
const BUILTIN: &[(&str, &str)] = &[
    ("anvil.toml", include_str!("../../chains/anvil.toml")),
    ("celo.toml", include_str!("../../chains/celo.toml")),
    ("dydx.toml", include_str!("../../chains/dydx.toml")),
    (
        "dydx_local.toml",
        include_str!("../../chains/dydx_local.toml"),
    ),
    (
        "dydx_testnet.toml",
        include_str!("../../chains/dydx_testnet.toml"),
    ),
    ("ethereum.toml", include_str!("../../chains/ethereum.toml")),
    ("terra.toml", include_str!("../../chains/terra.toml")),
    (
        "terra_classic.toml",
        include_str!("../../chains/terra_classic.toml"),
    ),
    (
        "terra_classic_local.toml",
        include_str!("../../chains/terra_classic_local.toml"),
    ),
    (
        "terra_local.toml",
        include_str!("../../chains/terra_local.toml"),
    ),
    ("xdai.toml", include_str!("../../chains/xdai.toml")),
];

/// A chain spec that could not be loaded: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}{problem}", file.display(), key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
pub struct ChainSpecError {
    pub file: PathBuf,
    pub key: Option<String>,
    pub problem: String,
}

/// A fee currency (`fee_currency = "cUSD"` or an address) that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeCurrencyError {
    #[error(
        "chain {chain:?} has the {fee_model:?} fee model: paying gas in a token (a fee currency) needs a chain whose fee model is Celo's (CIP-64)"
    )]
    NotCelo { chain: String, fee_model: FeeModel },
    #[error(
        "fee currency {value:?} is neither a token of chain {chain:?} ({known}) nor an EVM address"
    )]
    Unknown {
        chain: String,
        value: String,
        known: String,
    },
    #[error("fee currency {value:?}: {problem}")]
    BadAddress { value: String, problem: String },
}

/// Code family: decides address format, signing and transaction encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainFamily {
    Evm,
    Cosmos,
}

/// An EVM chain id, or a Cosmos chain id string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChainId {
    Evm(u64),
    Cosmos(String),
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainId::Evm(id) => write!(f, "{id}"),
            ChainId::Cosmos(id) => f.write_str(id),
        }
    }
}

/// How transactions pay for gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeeModel {
    /// EIP-1559 base fee + priority fee.
    Eip1559,
    /// A single gas price.
    Legacy,
    /// EIP-1559, plus CIP-64 fee-currency transactions (type 0x7b).
    Celo,
    /// Cosmos SDK fees in a denom.
    Cosmos,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NativeAsset {
    pub symbol: String,
    pub decimals: u8,
    /// Cosmos bank denom (`uluna`).
    pub denom: Option<String>,
}

/// A well-known token: an ERC-20 address, a CW20 contract, or a bank denom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenSpec {
    pub symbol: String,
    pub decimals: u8,
    /// EVM address (checksummed) or CW20 contract (bech32).
    pub address: Option<String>,
    /// Cosmos bank denom.
    pub denom: Option<String>,
}

impl TokenSpec {
    /// The token's EVM address (validated when the spec was loaded).
    pub fn evm_address(&self) -> Option<Address> {
        self.address.as_deref().and_then(|a| a.parse().ok())
    }
}

/// One chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainSpec {
    pub name: String,
    pub display_name: String,
    pub family: ChainFamily,
    pub chain_id: ChainId,
    /// BIP-44 path up to the account index (`m/44'/60'/0'/0`); the index is appended.
    pub key_path: String,
    pub fee_model: FeeModel,
    pub block_time_ms: u64,
    pub rpc_urls: Vec<String>,
    pub ws_urls: Vec<String>,
    pub lcd_urls: Vec<String>,
    pub bech32_prefix: Option<String>,
    /// Cosmos: the minimum gas price the chain's validators take (`0.015uluna`).
    pub gas_price: Option<String>,
    /// Cosmos: Terra Classic's burn tax is added to fees (its rate read from the node).
    pub burn_tax: bool,
    pub explorer: Option<String>,
    pub native: NativeAsset,
    pub tokens: Vec<TokenSpec>,
    /// protocol → contract role → address.
    pub protocols: BTreeMap<String, BTreeMap<String, String>>,
    /// Where it was loaded from (`builtin:ethereum.toml` or a path).
    pub source: String,
}

impl ChainSpec {
    /// The EVM chain id, if this is an EVM chain.
    pub fn evm_chain_id(&self) -> Option<u64> {
        match self.chain_id {
            ChainId::Evm(id) => Some(id),
            ChainId::Cosmos(_) => None,
        }
    }

    /// A token by symbol (case-insensitive).
    pub fn token(&self, symbol: &str) -> Option<&TokenSpec> {
        self.tokens
            .iter()
            .find(|t| t.symbol.eq_ignore_ascii_case(symbol))
    }

    /// A protocol contract address as an EVM address.
    pub fn protocol_address(&self, protocol: &str, role: &str) -> Option<Address> {
        self.protocols.get(protocol)?.get(role)?.parse().ok()
    }

    /// The `feeCurrency` of a CIP-64 transaction for `value`: a token symbol of this chain
    /// (case-insensitive; its adapter from `[protocols.fee_currency_adapters]` when it has one, as
    /// tokens of other than 18 decimals do) or an address (EIP-55 checked when mixed-case).
    /// Refused on a chain whose fee model is not Celo's.
    pub fn fee_currency(&self, value: &str) -> Result<Address, FeeCurrencyError> {
        if self.fee_model != FeeModel::Celo {
            return Err(FeeCurrencyError::NotCelo {
                chain: self.name.clone(),
                fee_model: self.fee_model,
            });
        }
        let value = value.trim();
        let bad = |problem: String| FeeCurrencyError::BadAddress {
            value: value.to_string(),
            problem,
        };
        if value.starts_with("0x") {
            check_evm_address(value).map_err(bad)?;
            let address: Address = value.parse().map_err(|e| bad(format!("{e}")))?;
            if address == Address::ZERO {
                return Err(bad("the zero address is not a token".into()));
            }
            return Ok(address);
        }
        let adapter = self
            .protocols
            .get("fee_currency_adapters")
            .and_then(|a| a.get(&value.to_ascii_lowercase()))
            .and_then(|a| a.parse().ok());
        adapter
            .or_else(|| self.token(value).and_then(TokenSpec::evm_address))
            .ok_or_else(|| FeeCurrencyError::Unknown {
                chain: self.name.clone(),
                value: value.to_string(),
                known: self
                    .tokens
                    .iter()
                    .map(|t| t.symbol.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Parses and validates one spec. `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Self, ChainSpecError> {
        let err = |key: Option<&str>, problem: String| ChainSpecError {
            file: file.to_path_buf(),
            key: key.map(str::to_string),
            problem,
        };
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| err(None, format!("not valid TOML: {}", e.message())))?;
        let mut r = Reader {
            table: &table,
            prefix: String::new(),
            err: &err,
        };

        let name = r.string("name")?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(err(
                Some("name"),
                format!("{name:?} must be lower-case letters, digits or '_'"),
            ));
        }
        if let Some(stem) = file.file_stem().and_then(|s| s.to_str())
            && stem != name
        {
            return Err(err(
                Some("name"),
                format!("{name:?} differs from the file name {stem:?}"),
            ));
        }
        let family = match r.string("family")?.as_str() {
            "evm" => ChainFamily::Evm,
            "cosmos" => ChainFamily::Cosmos,
            other => {
                return Err(err(
                    Some("family"),
                    format!("{other:?} is not one of evm, cosmos"),
                ));
            }
        };
        let chain_id = match (family, table.get("chain_id")) {
            (ChainFamily::Evm, Some(Value::Integer(i))) if *i > 0 => ChainId::Evm(*i as u64),
            (ChainFamily::Evm, Some(v)) => {
                return Err(err(
                    Some("chain_id"),
                    format!("an EVM chain id must be a positive integer, got {v}"),
                ));
            }
            (ChainFamily::Cosmos, Some(Value::String(s))) if !s.is_empty() => {
                ChainId::Cosmos(s.clone())
            }
            (ChainFamily::Cosmos, Some(v)) => {
                return Err(err(
                    Some("chain_id"),
                    format!("a Cosmos chain id must be a string, got {v}"),
                ));
            }
            (_, None) => return Err(err(Some("chain_id"), "missing".into())),
        };
        let key_path = r.string("key_path")?;
        check_key_path(&key_path).map_err(|p| err(Some("key_path"), p))?;
        let fee_model = match r.string("fee_model")?.as_str() {
            "eip1559" => FeeModel::Eip1559,
            "legacy" => FeeModel::Legacy,
            "celo" => FeeModel::Celo,
            "cosmos" => FeeModel::Cosmos,
            other => {
                return Err(err(
                    Some("fee_model"),
                    format!("{other:?} is not one of eip1559, legacy, celo, cosmos"),
                ));
            }
        };
        if (family == ChainFamily::Cosmos) != (fee_model == FeeModel::Cosmos) {
            return Err(err(
                Some("fee_model"),
                format!("{fee_model:?} does not fit the {family:?} family"),
            ));
        }
        let block_time_ms = r.integer("block_time_ms")?;
        let rpc_urls = r.urls("rpc_urls", true)?;
        let ws_urls = r.urls("ws_urls", false)?;
        let lcd_urls = r.urls("lcd_urls", false)?;
        let bech32_prefix = r.opt_string("bech32_prefix")?;
        if family == ChainFamily::Cosmos {
            if lcd_urls.is_empty() {
                return Err(err(
                    Some("lcd_urls"),
                    "a Cosmos chain needs at least one LCD endpoint".into(),
                ));
            }
            if bech32_prefix.is_none() {
                return Err(err(
                    Some("bech32_prefix"),
                    "missing (a Cosmos chain needs its address prefix)".into(),
                ));
            }
        }
        let explorer = r.opt_string("explorer")?;
        let gas_price = r.opt_string("gas_price")?;
        if let Some(g) = &gas_price {
            if family != ChainFamily::Cosmos {
                return Err(err(
                    Some("gas_price"),
                    "only Cosmos chains take a gas price here".into(),
                ));
            }
            crate::chain::cosmos::fees::GasPrice::parse(g)
                .map_err(|e| err(Some("gas_price"), e.to_string()))?;
        }
        let burn_tax = match table.get("burn_tax") {
            None => false,
            Some(Value::Boolean(b)) if !*b || family == ChainFamily::Cosmos => *b,
            Some(Value::Boolean(_)) => {
                return Err(err(
                    Some("burn_tax"),
                    "only Cosmos chains have a burn tax".into(),
                ));
            }
            Some(v) => {
                return Err(err(
                    Some("burn_tax"),
                    format!("must be true or false, got {v}"),
                ));
            }
        };

        let native_table = r.table("native")?;
        let mut nr = Reader {
            table: native_table,
            prefix: "native.".into(),
            err: &err,
        };
        let native = NativeAsset {
            symbol: nr.string("symbol")?,
            decimals: nr.decimals("decimals")?,
            denom: nr.opt_string("denom")?,
        };
        if family == ChainFamily::Cosmos && native.denom.is_none() {
            return Err(err(
                Some("native.denom"),
                "missing (a Cosmos native asset needs its denom)".into(),
            ));
        }

        let addr_check = |key: &str, value: &str| -> Result<(), ChainSpecError> {
            match family {
                ChainFamily::Evm => check_evm_address(value),
                ChainFamily::Cosmos => check_bech32(value, bech32_prefix.as_deref().unwrap_or("")),
            }
            .map_err(|p| err(Some(key), p))
        };

        let mut tokens = Vec::new();
        match table.get("tokens") {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let key = format!("tokens[{i}]");
                    let t = item
                        .as_table()
                        .ok_or_else(|| err(Some(&key), "must be a table ([[tokens]])".into()))?;
                    let mut tr = Reader {
                        table: t,
                        prefix: format!("{key}."),
                        err: &err,
                    };
                    let token = TokenSpec {
                        symbol: tr.string("symbol")?,
                        decimals: tr.decimals("decimals")?,
                        address: tr.opt_string("address")?,
                        denom: tr.opt_string("denom")?,
                    };
                    match (&token.address, &token.denom) {
                        (Some(a), None) => addr_check(&format!("{key}.address"), a)?,
                        (None, Some(_)) if family == ChainFamily::Cosmos => {}
                        (None, Some(_)) => {
                            return Err(err(
                                Some(&format!("{key}.denom")),
                                "an EVM token needs an address, not a denom".into(),
                            ));
                        }
                        _ => {
                            return Err(err(
                                Some(&key),
                                "needs exactly one of `address` or `denom`".into(),
                            ));
                        }
                    }
                    if tokens
                        .iter()
                        .any(|o: &TokenSpec| o.symbol.eq_ignore_ascii_case(&token.symbol))
                    {
                        return Err(err(
                            Some(&format!("{key}.symbol")),
                            format!("{} is listed twice", token.symbol),
                        ));
                    }
                    tokens.push(token);
                }
            }
            Some(_) => {
                return Err(err(
                    Some("tokens"),
                    "must be an array of tables ([[tokens]])".into(),
                ));
            }
        }

        let mut protocols = BTreeMap::new();
        match table.get("protocols") {
            None => {}
            Some(Value::Table(ps)) => {
                for (proto, roles) in ps {
                    let roles = roles.as_table().ok_or_else(|| {
                        err(
                            Some(&format!("protocols.{proto}")),
                            "must be a table of addresses".into(),
                        )
                    })?;
                    let mut out = BTreeMap::new();
                    for (role, v) in roles {
                        let key = format!("protocols.{proto}.{role}");
                        let s = v.as_str().ok_or_else(|| {
                            err(Some(&key), format!("must be an address string, got {v}"))
                        })?;
                        addr_check(&key, s)?;
                        out.insert(role.clone(), s.to_string());
                    }
                    protocols.insert(proto.clone(), out);
                }
            }
            Some(_) => return Err(err(Some("protocols"), "must be a table".into())),
        }

        const KNOWN: &[&str] = &[
            "name",
            "display_name",
            "family",
            "chain_id",
            "key_path",
            "fee_model",
            "block_time_ms",
            "rpc_urls",
            "ws_urls",
            "lcd_urls",
            "bech32_prefix",
            "gas_price",
            "burn_tax",
            "explorer",
            "native",
            "tokens",
            "protocols",
        ];
        if let Some(unknown) = table.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(err(Some(unknown), "unknown key (a typo?)".into()));
        }

        Ok(ChainSpec {
            display_name: r
                .opt_string("display_name")?
                .unwrap_or_else(|| name.clone()),
            name,
            family,
            chain_id,
            key_path,
            fee_model,
            block_time_ms,
            rpc_urls,
            ws_urls,
            lcd_urls,
            bech32_prefix,
            gas_price,
            burn_tax,
            explorer,
            native,
            tokens,
            protocols,
            source: file.display().to_string(),
        })
    }
}

/// A set of chain specs by name.
#[derive(Debug, Clone)]
pub struct ChainSpecs {
    specs: BTreeMap<String, ChainSpec>,
}

impl ChainSpecs {
    /// The specs compiled into the binary.
    pub fn builtin() -> Result<Self, ChainSpecError> {
        let mut specs = BTreeMap::new();
        for (file, text) in BUILTIN {
            let spec = ChainSpec::parse(Path::new(&format!("chains/{file}")), text)?;
            specs.insert(spec.name.clone(), spec);
        }
        Ok(Self { specs })
    }

    /// Built-in specs, then every `*.toml` in `dir` (adding or replacing by name).
    pub fn builtin_and_dir(dir: &Path) -> Result<Self, ChainSpecError> {
        let mut set = Self::builtin()?;
        set.load_dir(dir)?;
        Ok(set)
    }

    /// Loads every `*.toml` of a directory into the set.
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), ChainSpecError> {
        let io_err = |file: &Path, e: std::io::Error| ChainSpecError {
            file: file.to_path_buf(),
            key: None,
            problem: format!("cannot read: {e}"),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| io_err(&file, e))?;
            let spec = ChainSpec::parse(&file, &text)?;
            self.specs.insert(spec.name.clone(), spec);
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&ChainSpec> {
        self.specs.get(name)
    }

    /// Adds `spec` under its name, replacing one of the same name.
    pub fn insert(&mut self, spec: ChainSpec) {
        self.specs.insert(spec.name.clone(), spec);
    }

    pub fn iter(&self) -> impl Iterator<Item = &ChainSpec> {
        self.specs.values()
    }

    pub fn names(&self) -> Vec<&str> {
        self.specs.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests;
