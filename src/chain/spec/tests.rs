use super::*;

#[test]
fn builtin_specs_load() {
    let s = ChainSpecs::builtin().unwrap();
    assert_eq!(
        s.names(),
        [
            "anvil",
            "celo",
            "dydx",
            "dydx_local",
            "dydx_testnet",
            "ethereum",
            "terra",
            "terra_classic",
            "terra_classic_local",
            "terra_local",
            "xdai"
        ]
    );
    let local = s.get("terra_classic_local").unwrap();
    assert_eq!(local.gas_price.as_deref(), Some("28.325uluna"));
    assert!(local.burn_tax);
    assert!(!s.get("terra").unwrap().burn_tax);
    let eth = s.get("ethereum").unwrap();
    assert_eq!(eth.chain_id, ChainId::Evm(1));
    assert_eq!(eth.token("usdc").unwrap().decimals, 6);
    assert!(eth.protocol_address("uniswap_v3", "quoter_v2").is_some());
    assert_eq!(s.get("xdai").unwrap().evm_chain_id(), Some(100));
    assert_eq!(s.get("celo").unwrap().evm_chain_id(), Some(42220));
    assert_eq!(s.get("anvil").unwrap().evm_chain_id(), Some(31337));
    assert_eq!(
        s.get("terra").unwrap().chain_id,
        ChainId::Cosmos("phoenix-1".into())
    );
    assert_eq!(
        s.get("terra_classic").unwrap().chain_id,
        ChainId::Cosmos("columbus-5".into())
    );
    assert_eq!(s.get("celo").unwrap().key_path, "m/44'/52752'/0'/0");
}

fn base() -> String {
    include_str!("../../../chains/ethereum.toml").to_string()
}

fn parse(text: &str) -> Result<ChainSpec, ChainSpecError> {
    ChainSpec::parse(Path::new("chains/ethereum.toml"), text)
}

/// Each bad input gives an error naming file, key and problem.
#[test]
fn bad_inputs_are_named() {
    let cases: Vec<(String, Option<&str>, &str)> = vec![
        ("name = ".into(), None, "not valid TOML"),
        (
            base().replace("chain_id = 1\n", ""),
            Some("chain_id"),
            "missing",
        ),
        (
            base().replace("chain_id = 1", "chain_id = \"one\""),
            Some("chain_id"),
            "positive integer",
        ),
        (
            base().replace("family = \"evm\"", "family = \"solana\""),
            Some("family"),
            "not one of",
        ),
        (
            base().replace("name = \"ethereum\"", "name = \"eth\""),
            Some("name"),
            "differs from the file name",
        ),
        (
            base().replace(
                "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
                "0xa0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            ),
            Some("tokens[1].address"),
            "checksum",
        ),
        (
            base().replace("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "0x1234"),
            Some("tokens[1].address"),
            "40 hex",
        ),
        (
            base().replace("decimals = 6\n", "decimals = 300\n"),
            Some("tokens[1].decimals"),
            "out of range",
        ),
        (
            base().replace("decimals = 6\n", "decimals = \"6\"\n"),
            Some("tokens[1].decimals"),
            "integer",
        ),
        (
            base().replace("https://eth.llamarpc.com", "not a url"),
            Some("rpc_urls[1]"),
            "not a URL",
        ),
        (
            base().replace("rpc_urls = [", "rpc_urlz = ["),
            Some("rpc_urls"),
            "missing",
        ),
        (
            base().replace("m/44'/60'/0'/0", "m/44'/60'"),
            Some("key_path"),
            "4 components",
        ),
        (
            base().replace("fee_model = \"eip1559\"", "fee_model = \"cosmos\""),
            Some("fee_model"),
            "does not fit",
        ),
        (
            base().replace("[native]\nsymbol = \"ETH\"\n", "[native]\n"),
            Some("native.symbol"),
            "missing",
        ),
        (
            format!("block_tme_ms = 3\n{}", base()),
            Some("block_tme_ms"),
            "unknown key",
        ),
        (
            base().replace("symbol = \"DAI\"", "symbol = \"usdc\""),
            Some("tokens[3].symbol"),
            "listed twice",
        ),
        (
            base().replace(
                "vault = \"0xBA12222222228d8Ba445958a75a0704d566BF2C8\"",
                "vault = 5",
            ),
            Some("protocols.balancer_v2.vault"),
            "must be an address",
        ),
    ];
    for (text, key, needle) in cases {
        let e = parse(&text).expect_err(needle);
        assert_eq!(e.file, PathBuf::from("chains/ethereum.toml"));
        assert_eq!(e.key.as_deref(), key, "{e}");
        assert!(e.problem.contains(needle), "{e} should mention {needle}");
        assert!(e.to_string().starts_with("chains/ethereum.toml: "), "{e}");
    }
}

#[test]
fn fee_currencies() {
    let s = ChainSpecs::builtin().unwrap();
    let celo = s.get("celo").unwrap();
    let cusd: Address = "0x765DE816845861e75A25fCA122bb6898B8B1282a"
        .parse()
        .unwrap();
    assert_eq!(celo.fee_currency("cUSD").unwrap(), cusd);
    assert_eq!(celo.fee_currency("CUSD").unwrap(), cusd);
    assert_eq!(
        celo.fee_currency("0x765de816845861e75a25fca122bb6898b8b1282a")
            .unwrap(),
        cusd
    );
    // USDC (6 decimals) pays through its adapter, not the token.
    assert_eq!(
        celo.fee_currency("usdc").unwrap(),
        "0x2F25deB3848C207fc8E0c34035B3Ba7fC157602B"
            .parse::<Address>()
            .unwrap()
    );
    let e = celo.fee_currency("DOGE").unwrap_err();
    assert!(matches!(e, FeeCurrencyError::Unknown { .. }));
    assert!(e.to_string().contains("CUSD"), "{e}");
    assert!(matches!(
        celo.fee_currency("0x765DE816845861e75A25fCA122bb6898B8B1282A"),
        Err(FeeCurrencyError::BadAddress { .. })
    ));
    assert!(matches!(
        celo.fee_currency("0x1234"),
        Err(FeeCurrencyError::BadAddress { .. })
    ));
    assert!(matches!(
        celo.fee_currency("0x0000000000000000000000000000000000000000"),
        Err(FeeCurrencyError::BadAddress { .. })
    ));
    for chain in ["ethereum", "xdai", "anvil"] {
        let e = s.get(chain).unwrap().fee_currency("USDC").unwrap_err();
        assert!(matches!(e, FeeCurrencyError::NotCelo { .. }), "{chain}");
        assert!(e.to_string().contains("Celo"), "{e}");
    }
}

#[test]
fn cosmos_rules() {
    let terra = include_str!("../../../chains/terra.toml");
    let p = |t: &str| ChainSpec::parse(Path::new("terra.toml"), t);
    assert!(p(terra).is_ok());
    let e = p(&terra.replace(
        "terra1466nf3zuxpya8q9emxukd7vftaf6h4psr0a07srl5zw74zh84yjqxl5qul",
        "terra1xyz",
    ))
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("protocols.terraswap.factory"));
    let e = p(&terra.replace("bech32_prefix = \"terra\"\n", "")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("bech32_prefix"));
    let e = p(&terra.replace("chain_id = \"phoenix-1\"", "chain_id = 1")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("chain_id"));
}

#[test]
fn a_directory_overrides_and_reports_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let custom = base()
        .replace("name = \"ethereum\"", "name = \"mainnet_fork\"")
        .replace("chain_id = 1", "chain_id = 1337");
    std::fs::write(dir.path().join("mainnet_fork.toml"), custom).unwrap();
    let set = ChainSpecs::builtin_and_dir(dir.path()).unwrap();
    assert_eq!(set.get("mainnet_fork").unwrap().evm_chain_id(), Some(1337));
    std::fs::write(dir.path().join("broken.toml"), "name = \"broken\"\n").unwrap();
    let e = ChainSpecs::builtin_and_dir(dir.path()).unwrap_err();
    assert!(e.file.ends_with("broken.toml"));
    assert_eq!(e.key.as_deref(), Some("family"));
}
