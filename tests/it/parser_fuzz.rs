//! Fuzz-style property tests of every parser of network input: real messages (Binance REST
//! responses, user-stream events wrapped and bare, websocket depth diffs in Binance's exact layout
//! and in the general one, EVM Swap/Sync/Transfer logs) and random bytes, edited at random (byte
//! flips, truncations, insertions, numeric fields replaced by huge, negative or non-numeric
//! values), fed to the parsers and to what consumes their output (market rules, fills applied to
//! an order, balances, the synced book). None may panic (proptest reports a panic as a failure);
//! errors must be the parsers' typed errors with a message. Seeded: the same cases every run.

use alloy::primitives::{Address, B256, Bytes, LogData, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use sluice::amm::PoolSet;
use sluice::amm::adoption::transfer_amounts;
use sluice::amm::native::wrapped_by;
use sluice::amm::swap_logs::pool_event;
use sluice::amm::uniswap_v2::abi::IUniswapV2Pair;
use sluice::amm::uniswap_v2::state::{PairState, V2Pairs};
use sluice::amm::uniswap_v3::abi::IUniswapV3Pool;
use sluice::amm::uniswap_v3::pool::PoolState;
use sluice::amm::uniswap_v3::state::apply_log;
use sluice::amm::uniswap_v3::ticks::TickSet;
use sluice::cex::exchanges::binance::api::{
    Account, AccountTrade, BinanceProtocol, ExchangeInfo, OrderResponse, balance_total, decode,
    order_state, symbol_rules,
};
use sluice::cex::exchanges::binance::depth::{DepthParser, SyncedBook};
use sluice::cex::exchanges::binance::user::{self as binance_user, UserMessage};
use sluice::cex::grid::Grid;
use sluice::cex::http::HttpProtocol;
use sluice::cex::json_scan::event_type;
use sluice::core::{ClientOrderId, Order, OrderRequest, OrderType, Pair, Side, TimeInForce};

/// Cases per parser: enough edits to reach every field of the real messages, small enough that
/// the whole file runs in a few seconds in a debug build.
const CASES: u32 = 4000;

/// Runs `check` on `CASES` inputs from `strategy`, with a fixed seed.
fn run<S: Strategy>(seed: u8, strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    if let Err(e) = runner.run(&strategy, check) {
        panic!("{e}");
    }
}

// ---- real messages ----

const EXCHANGE_INFO: &str = r#"{"timezone":"UTC","serverTime":1764072000000,"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50},{"rateLimitType":"RAW_REQUESTS","interval":"MINUTE","intervalNum":5,"limit":300000}],"exchangeFilters":[],"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","baseAssetPrecision":8,"quoteAsset":"USDT","quotePrecision":8,"orderTypes":["LIMIT","LIMIT_MAKER","MARKET"],"filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},{"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},{"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5},{"filterType":"MAX_NUM_ORDERS","maxNumOrders":200}],"permissions":[],"permissionSets":[["SPOT"]]}]}"#;

const SNAPSHOT: &str = r#"{"lastUpdateId":1027024,"bids":[["59999.49000000","0.00824000"],["59999.48000000","1.20000000"]],"asks":[["60000.01000000","0.50000000"],["60000.02000000","2.00000000"]]}"#;

const ORDER_FULL: &str = r#"{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"sl-6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595,"price":"60000.01000000","origQty":"1.00000000","executedQty":"1.00000000","origQuoteOrderQty":"0.00000000","cummulativeQuoteQty":"60000.01000000","status":"FILLED","timeInForce":"GTC","type":"LIMIT","side":"BUY","workingTime":1507725176595,"selfTradePreventionMode":"NONE","fills":[{"price":"60000.01000000","qty":"0.60000000","commission":"0.00060000","commissionAsset":"BTC","tradeId":56},{"price":"60000.01000000","qty":"0.40000000","commission":"0.00040000","commissionAsset":"BTC","tradeId":57}]}"#;

const MY_TRADES: &str = r#"[{"symbol":"BTCUSDT","id":28457,"orderId":100234,"orderListId":-1,"price":"60000.01000000","qty":"0.60000000","quoteQty":"36000.00600000","commission":"0.00060000","commissionAsset":"BTC","time":1499865549590,"isBuyer":true,"isMaker":false,"isBestMatch":true},{"symbol":"BTCUSDT","id":28458,"orderId":100234,"orderListId":-1,"price":"60000.02000000","qty":"0.40000000","quoteQty":"24000.00800000","commission":"0.00040000","commissionAsset":"BTC","time":1499865549591,"isBuyer":true,"isMaker":true,"isBestMatch":true}]"#;

const ACCOUNT: &str = r#"{"makerCommission":10,"takerCommission":10,"canTrade":true,"updateTime":123456789,"accountType":"SPOT","balances":[{"asset":"BTC","free":"4723846.89208129","locked":"0.00000000"},{"asset":"USDT","free":"4763368.68006011","locked":"12.50000000"}],"permissions":["SPOT"],"uid":354937868}"#;

const ERROR_BODY: &str = r#"{"code":-1121,"msg":"Invalid symbol."}"#;

const SERVER_TIME: &str = r#"{"serverTime":1499827319559}"#;

const EXECUTION_REPORT: &str = r#"{"e":"executionReport","E":1499405658658,"s":"BTCUSDT","c":"sl-6gCrw2kRUAF9CvJDGP16IP","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"60000.01000000","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":4293153,"l":"0.25000000","z":"0.25000000","L":"60000.01000000","n":"0.00025000","N":"BTC","T":1499405658657,"t":77,"I":8641984,"w":false,"m":false,"M":true,"O":1499405658657,"Z":"15000.00250000","Y":"15000.00250000","Q":"0.00000000","W":1499405658657,"V":"NONE"}"#;

const ACCOUNT_POSITION: &str = r#"{"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,"B":[{"a":"BTC","f":"10.00000000","l":"0.25000000"},{"a":"USDT","f":"9000.00000000","l":"0.00000000"}]}"#;

const BALANCE_UPDATE: &str =
    r#"{"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}"#;

const LISTEN_KEY_EXPIRED: &str = r#"{"e":"listenKeyExpired","E":1699596037418,"listenKey":"OfYGbUzi3PraNagEkdKuFwUHn48brFsItTdsuiIXrucEvD0rhRXZ7I6URWfE8YE8"}"#;

const SUBSCRIBED: &str = r#"{"id":"sluice-user-stream","status":200,"result":{"subscriptionId":0},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":2}]}"#;

const REFUSED: &str = r#"{"id":"sluice-user-stream","status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}}"#;

const DIFF: &str = r#"{"e":"depthUpdate","E":1764072000100,"s":"BTCUSDT","U":1027025,"u":1027027,"b":[["59999.49","0.00824000"],["59999.47","0.10000000"],["59999.48","0.00000000"]],"a":[["60000.01","0.50000000"],["60000.02","2.50000000"]]}"#;

const DIFF_GENERAL: &str = r#"{"stream":"btcusdt@depth@100ms","data":{ "a": [["60000.03","1"]], "b": [], "u": 1027030, "U": 1027028, "s": "BTCUSDT", "e": "depthUpdate", "E": 1764072000200 }}"#;

/// A user-stream event as the WebSocket API wraps it.
fn wrapped(event: &str) -> String {
    format!(r#"{{"subscriptionId":0,"event":{event}}}"#)
}

/// Every real network message above, with the user-stream events both wrapped and bare.
fn real_messages() -> Vec<String> {
    let mut v: Vec<String> = [
        EXCHANGE_INFO,
        SNAPSHOT,
        ORDER_FULL,
        MY_TRADES,
        ACCOUNT,
        ERROR_BODY,
        SERVER_TIME,
        SUBSCRIBED,
        REFUSED,
        DIFF,
        DIFF_GENERAL,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for e in [
        EXECUTION_REPORT,
        ACCOUNT_POSITION,
        BALANCE_UPDATE,
        LISTEN_KEY_EXPIRED,
    ] {
        v.push(e.to_string());
        v.push(wrapped(e));
    }
    v
}

// ---- edits ----

/// Values a hostile or broken peer might put where a number belongs.
const NASTY_NUMBERS: &[&str] = &[
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999999999999",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "0.0000000000000000000000000001",
    "0.00000000000000000000000000001",
    "-1",
    "-0",
    "-79228162514264337593543950335",
    "1e308",
    "1e-400",
    "NaN",
    "Infinity",
    "abc",
    "",
    "0x10",
    "1.2.3",
    " 1",
    "\u{00e9}",
];

/// One random change to a message.
#[derive(Debug, Clone)]
enum Edit {
    /// Flips one bit of the byte at this position (modulo the length).
    Flip(usize, u8),
    /// Replaces the byte at this position.
    Set(usize, u8),
    /// Cuts the message at this position.
    Truncate(usize),
    /// Inserts bytes at this position.
    Insert(usize, Vec<u8>),
    /// Replaces the k-th run of digits (a numeric field, quoted or not) by a nasty value.
    Number(usize, &'static str),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(vec![
            b"\"".to_vec(),
            b"{".to_vec(),
            b"}".to_vec(),
            b"[".to_vec(),
            b"]".to_vec(),
            b",".to_vec(),
            b":".to_vec(),
            b"\\".to_vec(),
            b"null".to_vec(),
            b"{\"e\":".to_vec(),
            b"[[\"1\",\"1\"]]".to_vec(),
        ]),
    ];
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), token).prop_map(|(i, t)| Edit::Insert(i, t)),
        (0usize..64, prop::sample::select(NASTY_NUMBERS)).prop_map(|(k, v)| Edit::Number(k, v)),
        (0usize..64, prop::sample::select(NASTY_NUMBERS)).prop_map(|(k, v)| Edit::Number(k, v)),
    ]
}

/// Where each run of ASCII digits starts and ends.
fn digit_runs(m: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < m.len() {
        if m[i].is_ascii_digit() {
            let start = i;
            while i < m.len() && (m[i].is_ascii_digit() || m[i] == b'.') {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

fn apply(mut m: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = m.len().max(1);
        match e {
            Edit::Flip(i, bit) => {
                if let Some(b) = m.get_mut(i % len) {
                    *b ^= 1 << bit;
                }
            }
            Edit::Set(i, v) => {
                if let Some(b) = m.get_mut(i % len) {
                    *b = *v;
                }
            }
            Edit::Truncate(i) => m.truncate(i % len),
            Edit::Insert(i, bytes) => {
                let at = (i % len).min(m.len());
                m.splice(at..at, bytes.iter().copied());
            }
            Edit::Number(k, v) => {
                let runs = digit_runs(&m);
                if !runs.is_empty() {
                    let (s, e) = runs[k % runs.len()];
                    m.splice(s..e, v.bytes());
                }
            }
        }
    }
    m
}

/// A real message with 1 to 4 random edits, or random bytes.
fn input_from(messages: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (
            prop::sample::select(messages),
            proptest::collection::vec(edit_strategy(), 1..5)
        )
            .prop_map(|(m, edits)| apply(m.into_bytes(), &edits)),
        1 => proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

/// A typed error must say something.
fn typed(e: impl std::fmt::Display) -> Result<(), TestCaseError> {
    prop_assert!(!e.to_string().is_empty());
    Ok(())
}

// ---- what consumes the parsers' output ----

fn pair() -> Pair {
    "BTC-USDT".parse().unwrap()
}

fn client_id() -> ClientOrderId {
    ClientOrderId::new("sl-6gCrw2kRUAF9CvJDGP16IP").unwrap()
}

/// An open order that fills can be applied to (amount large enough for every real fill).
fn open_order() -> Order {
    let mut o = Order::new(OrderRequest {
        client_id: client_id(),
        pair: pair(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(60000.01)),
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    });
    let _ = o.transition(sluice::core::OrderState::Open);
    o
}

fn synced_book() -> SyncedBook {
    let mut b = SyncedBook::new(
        "BTCUSDT",
        Grid::new(dec!(0.01)).unwrap(),
        Grid::new(dec!(0.00001)).unwrap(),
    );
    b.on_snapshot(SNAPSHOT.as_bytes()).unwrap();
    b
}

/// Every Binance parser on the same bytes, and what consumes each result.
fn binance_parsers(m: &[u8]) -> Result<(), TestCaseError> {
    let protocol = BinanceProtocol {
        recv_window_ms: 5000,
    };
    let _ = protocol.parse_error(m);
    let _ = protocol.parse_server_time(m);
    if let Err(e) = event_type(m) {
        typed(e)?;
    }
    match decode::<ExchangeInfo>("exchangeInfo", m) {
        Ok(info) => {
            let _ = info.limits();
            for s in &info.symbols {
                if let Some(r) = symbol_rules(s, dec!(0.001), dec!(0.001)) {
                    let _ = (Grid::new(r.tick_size), Grid::new(r.step_size));
                    let _ = r.quantize_price(dec!(60000.015), sluice::core::Rounding::Down);
                    let _ = r.price_to_ticks(dec!(60000.01));
                    let _ = r.check(dec!(60000.01), dec!(0.5), true);
                }
            }
        }
        Err(e) => typed(e)?,
    }
    match decode::<OrderResponse>("order", m) {
        Ok(r) => {
            let _ = order_state(&r.status);
            if let Err(e) = r.to_request(&pair()) {
                typed(e)?;
            }
            let mut o = open_order();
            for f in &r.fills {
                let fill = sluice::core::Fill {
                    venue: "binance".into(),
                    trade_id: f.trade_id.to_string(),
                    client_id: Some(client_id()),
                    venue_order_id: None,
                    pair: pair(),
                    side: Side::Buy,
                    price: f.price,
                    amount: f.qty,
                    fee_asset: sluice::core::Asset::new("BTC").unwrap(),
                    fee_amount: f.commission,
                    is_maker: false,
                    timestamp_ms: 0,
                };
                if let Err(e) = o.apply_fill(&fill) {
                    typed(e)?;
                }
            }
            let _ = (o.average_price(), o.remaining());
        }
        Err(e) => typed(e)?,
    }
    match decode::<Vec<AccountTrade>>("myTrades", m) {
        Ok(trades) => {
            let mut o = open_order();
            for t in trades {
                match t.to_fill(&client_id(), &pair()) {
                    Ok(f) => {
                        if let Err(e) = o.apply_fill(&f) {
                            typed(e)?;
                        }
                    }
                    Err(e) => typed(e)?,
                }
            }
            let _ = (o.average_price(), o.remaining());
        }
        Err(e) => typed(e)?,
    }
    match decode::<Account>("account", m) {
        Ok(a) => {
            for b in &a.balances {
                if let Err(e) = b.to_balance() {
                    typed(e)?;
                }
            }
        }
        Err(e) => typed(e)?,
    }
    user_stream(m)?;
    depth(m)
}

fn user_stream(m: &[u8]) -> Result<(), TestCaseError> {
    match binance_user::parse(m) {
        Ok(UserMessage::Execution(e)) => {
            let _ = (order_state(&e.status), e.order_client_id());
            match e.fill(&client_id(), &pair()) {
                Ok(Some(f)) => {
                    let mut o = open_order();
                    if let Err(e) = o.apply_fill(&f) {
                        typed(e)?;
                    }
                    let _ = (o.average_price(), o.remaining());
                }
                Ok(None) => {}
                Err(e) => typed(e)?,
            }
        }
        Ok(UserMessage::Account(a)) => {
            for b in &a.balances {
                if let Err(e) = balance_total(&b.asset, b.free, b.locked) {
                    typed(e)?;
                }
            }
        }
        Ok(_) => {}
        Err(e) => typed(e)?,
    }
    Ok(())
}

fn depth(m: &[u8]) -> Result<(), TestCaseError> {
    let mut p = DepthParser::new(
        "BTCUSDT",
        Grid::new(dec!(0.01)).unwrap(),
        Grid::new(dec!(0.00001)).unwrap(),
    );
    if let Err(e) = p.parse_diff(m) {
        typed(e)?;
    }
    if let Err(e) = p.parse_snapshot(m) {
        typed(e)?;
    }
    // a diff on a synced book, and the bytes as the snapshot of a book with buffered diffs
    let mut b = synced_book();
    if let Err(e) = b.on_frame(m) {
        typed(e)?;
    }
    let mut b = SyncedBook::new(
        "BTCUSDT",
        Grid::new(dec!(0.01)).unwrap(),
        Grid::new(dec!(0.00001)).unwrap(),
    );
    let _ = b.on_frame(DIFF.as_bytes());
    if let Err(e) = b.on_snapshot(m) {
        typed(e)?;
    }
    if b.is_synced() {
        let _ = b.book.quote(Side::Buy, dec!(0.5), dec!(0.001));
        let _ = b.book.quote(Side::Sell, Decimal::MAX, dec!(0.001));
    }
    Ok(())
}

#[test]
fn binance_messages_with_random_edits() {
    run(1, input_from(real_messages()), |m| binance_parsers(&m));
}

#[test]
fn depth_diffs_with_random_edits() {
    // the diffs alone, so that most edits reach the depth parsers' fast and general paths
    let diffs = vec![DIFF.to_string(), DIFF_GENERAL.to_string()];
    run(2, input_from(diffs), |m| depth(&m));
}

#[test]
fn user_stream_events_with_random_edits() {
    let mut events = Vec::new();
    for e in [
        EXECUTION_REPORT,
        ACCOUNT_POSITION,
        BALANCE_UPDATE,
        LISTEN_KEY_EXPIRED,
        SUBSCRIBED,
        REFUSED,
    ] {
        events.push(e.to_string());
        events.push(wrapped(e));
    }
    run(3, input_from(events), |m| {
        if let Err(e) = event_type(&m) {
            typed(e)?;
        }
        user_stream(&m)
    });
}

// ---- EVM logs ----

const POOL: Address = Address::repeat_byte(0x11);
const ACCOUNT_ADDR: Address = Address::repeat_byte(0x22);
const TOKEN_IN: Address = Address::repeat_byte(0x33);
const TOKEN_OUT: Address = Address::repeat_byte(0x44);

/// Topics drawn from the events the decoders know, and random ones.
fn topic() -> impl Strategy<Value = B256> {
    prop_oneof![
        prop::sample::select(vec![
            IUniswapV2Pair::Sync::SIGNATURE_HASH,
            IUniswapV2Pair::Swap::SIGNATURE_HASH,
            IUniswapV3Pool::Swap::SIGNATURE_HASH,
            IUniswapV3Pool::Mint::SIGNATURE_HASH,
            IUniswapV3Pool::Burn::SIGNATURE_HASH,
            sluice::amm::evm::abi::IERC20::Transfer::SIGNATURE_HASH,
            B256::left_padding_from(ACCOUNT_ADDR.as_slice()),
            B256::left_padding_from(POOL.as_slice()),
            B256::ZERO,
            B256::repeat_byte(0xff),
        ]),
        any::<[u8; 32]>().prop_map(B256::from),
    ]
}

/// Words of log data: 32-byte values at the edges of the ABI types' ranges, or random.
fn word() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        prop::sample::select(vec![
            [0u8; 32],
            [0xff; 32],
            {
                let mut w = [0u8; 32];
                w[31] = 1;
                w
            },
            {
                let mut w = [0u8; 32];
                w[0] = 0x80;
                w
            },
            {
                let mut w = [0xffu8; 32];
                w[0] = 0x7f;
                w
            },
            {
                // 2^112 - 1: uint112's top
                let mut w = [0u8; 32];
                w[18..].fill(0xff);
                w
            },
            {
                // int24 edges: -8388608 sign-extended
                let mut w = [0xffu8; 32];
                w[29] = 0x80;
                w[30] = 0;
                w[31] = 0;
                w
            },
        ]),
        any::<[u8; 32]>(),
    ]
}

fn log_strategy() -> impl Strategy<Value = Log> {
    let data = prop_oneof![
        3 => proptest::collection::vec(word(), 0..8).prop_map(|ws| ws.concat()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
    ];
    (
        prop::sample::select(vec![POOL, TOKEN_IN, TOKEN_OUT, ACCOUNT_ADDR]),
        proptest::collection::vec(topic(), 0..5),
        data,
    )
        .prop_map(|(address, topics, data)| Log {
            inner: alloy::primitives::Log {
                address,
                data: LogData::new_unchecked(topics, Bytes::from(data)),
            },
            ..Log::default()
        })
}

#[test]
fn evm_logs_with_random_topics_and_data() {
    let v2 = V2Pairs {
        pairs: [(
            POOL,
            PairState {
                address: POOL,
                token0: TOKEN_IN,
                token1: TOKEN_OUT,
                reserve0: U256::from(1_000_000u64),
                reserve1: U256::from(2_000_000u64),
                fee_bps: 30,
            },
        )]
        .into_iter()
        .collect(),
    };
    let v3 = PoolState {
        address: POOL,
        token0: TOKEN_IN,
        token1: TOKEN_OUT,
        fee: 3000,
        tick_spacing: 60,
        sqrt_price_x96: U256::from(1u128 << 96),
        tick: 0,
        liquidity: 1_000_000,
        ticks: TickSet::default(),
    };
    run(4, proptest::collection::vec(log_strategy(), 1..6), |logs| {
        let mut pairs = v2.clone();
        let mut pool = v3.clone();
        for l in &logs {
            if let Err(e) = pairs.apply(l) {
                typed(e)?;
            }
            if let Err(e) = apply_log(&mut pool, l) {
                typed(e)?;
            }
        }
        if let Err(e) = pool_event::<IUniswapV2Pair::Swap>(&logs, POOL) {
            typed(e)?;
        }
        if let Err(e) = pool_event::<IUniswapV3Pool::Swap>(&logs, POOL) {
            typed(e)?;
        }
        let _ = transfer_amounts(&logs, ACCOUNT_ADDR, TOKEN_IN, TOKEN_OUT);
        if let Err(e) = wrapped_by(&logs, TOKEN_IN, ACCOUNT_ADDR) {
            typed(e)?;
        }
        Ok(())
    });
}
