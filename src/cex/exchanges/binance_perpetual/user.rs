//! The futures private stream: a listenKey from `POST /fapi/v1/listenKey` (weight 1), kept alive
//! by `PUT`, closed by `DELETE`, the stream at `<user_ws_url>/ws?listenKey=<key>`; expiry
//! (`listenKeyExpired`, or a keepalive answered -1125) asks for a new key and reconnects, and the
//! framework reconciles orders and funding after every reconnect. Spot's listenKey driver does
//! all of that ([`listen_key`] with the futures' [`LISTEN_KEY_API`]).
//!
//! Frames, as the framework's events:
//! - `ORDER_TRADE_UPDATE`: its `o` object carries the letters of spot's `executionReport` (`s c S
//!   x X i l z L n N T t m`), so it is read as one: order state and, on `TRADE`, the fill with its
//!   fee and the same trade id as `GET /fapi/v1/userTrades` (the tracker counts it once); the
//!   venue's own orders (client ids `autoclose-`, `adl_autoclose`, `settlement_autoclose-`: a
//!   liquidation or auto-deleverage) are logged and not taken for ours;
//! - `ACCOUNT_UPDATE`: balances (`B`: wallet `wb`), positions (`P`) as position events, and for the
//!   reason (`m`) `FUNDING_FEE` the funding settled at `T`, read back with its `tranId`;
//! - `MARGIN_CALL`: logged, and each position at risk published as a position event;
//! - `listenKeyExpired`: handled by the driver; anything else is ignored.

use std::fmt;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use tokio::sync::watch;

use crate::cex::error::CexError;
use crate::cex::exchanges::binance::api::{ExecutionReport, order_state};
use crate::cex::exchanges::binance::listen_key::{self, ListenKeyApi, ListenKeySettings};
use crate::cex::http::RestClient;
use crate::cex::venue::{AccountUpdate, Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, ClientOrderId, MarginMode, Pair, Position, VenueEvent};
use crate::venue::{VenueError, VenueId};

use super::BinancePerpConfig;
use super::api::position_side_of;

/// The futures' listenKey endpoints.
pub const LISTEN_KEY_API: ListenKeyApi = ListenKeyApi {
    path: "/fapi/v1/listenKey",
    weight: 1,
    key_in_query: true,
};

/// The private-stream mechanism: the listenKey stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenKeyStream;

impl fmt::Display for ListenKeyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("listenKey stream")
    }
}

/// How long `open` waits for the socket before returning (it keeps trying in the background).
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// Asks for the first key (its error is the caller's), then starts the driver and waits for the
/// socket, so that events after `open` returns reach the consumer.
pub async fn open(
    cfg: &BinancePerpConfig,
    id: &VenueId,
    rest: &RestClient,
) -> Result<UserStream<ListenKeyStream>, VenueError> {
    let key = listen_key::create_key_at(rest, &LISTEN_KEY_API).await?;
    let (stop, stop_rx) = watch::channel(false);
    let settings = ListenKeySettings {
        name: format!("{} user stream", cfg.name),
        ws_url: cfg.user_ws_url.trim_end_matches('/').to_string(),
        keepalive: cfg.listen_key_keepalive,
        api: LISTEN_KEY_API,
    };
    let (driver, mut rx) = listen_key::spawn(rest.clone(), settings, key, stop_rx);
    let first = tokio::time::timeout(CONNECT_WAIT, rx.recv())
        .await
        .ok()
        .flatten();
    if first.is_none() {
        tracing::warn!(venue = %id, "user stream not connected yet; retrying in the background");
    }
    Ok(UserStream {
        mechanism: ListenKeyStream,
        keep: Box::new(driver),
        first,
        events: rx,
        stop: Some(stop),
    })
}

#[derive(Deserialize)]
struct Frame {
    #[serde(default)]
    e: String,
    #[serde(rename = "T", default)]
    transaction_time: u64,
    #[serde(default)]
    o: Option<ExecutionReport>,
    #[serde(default)]
    a: Option<AccountData>,
    /// `MARGIN_CALL`: the cross wallet balance and the positions at risk.
    #[serde(default)]
    cw: Option<Decimal>,
    #[serde(default)]
    p: Vec<StreamPosition>,
}

#[derive(Deserialize)]
struct AccountData {
    #[serde(rename = "m", default)]
    reason: String,
    #[serde(rename = "B", default)]
    balances: Vec<WalletBalance>,
    #[serde(rename = "P", default)]
    positions: Vec<StreamPosition>,
}

#[derive(Deserialize)]
struct WalletBalance {
    #[serde(rename = "a")]
    asset: String,
    #[serde(rename = "wb")]
    wallet: Decimal,
    #[serde(rename = "cw", default)]
    cross_wallet: Option<Decimal>,
}

/// A position in `ACCOUNT_UPDATE` (`P`, with the entry price) or `MARGIN_CALL` (`p`, with the
/// mark price).
#[derive(Deserialize)]
struct StreamPosition {
    #[serde(rename = "s")]
    symbol: String,
    #[serde(rename = "pa")]
    amount: Decimal,
    #[serde(rename = "ep", default)]
    entry_price: Option<Decimal>,
    #[serde(rename = "mp", default)]
    mark_price: Option<Decimal>,
    #[serde(rename = "up", default)]
    unrealized: Decimal,
    #[serde(rename = "mt", default)]
    margin_type: Option<String>,
    #[serde(rename = "iw", default)]
    isolated_wallet: Option<Decimal>,
    #[serde(rename = "ps", default)]
    position_side: Option<String>,
}

impl StreamPosition {
    /// The shared form (no leverage or liquidation price: those come from `positionRisk`).
    fn to_position(&self, pair: &Pair) -> Result<Position, CexError> {
        let margin_mode = self
            .margin_type
            .as_deref()
            .map(str::parse::<MarginMode>)
            .transpose()
            .map_err(|e| CexError::decode("user stream position", e))?;
        let size = self.amount;
        let entry_notional = self.entry_price.map_or(Decimal::ZERO, |p| p * size.abs());
        Ok(Position {
            pair: pair.clone(),
            size,
            entry_notional,
            entry_price: self.entry_price.filter(|_| !size.is_zero()),
            mark_notional: self.mark_price.map(|m| (m * size).abs()),
            margin: match margin_mode {
                Some(MarginMode::Isolated) => self.isolated_wallet.unwrap_or_default(),
                _ => Decimal::ZERO,
            },
            margin_asset: pair.quote.clone(),
            unrealized_pnl: self.unrealized,
            margin_ratio: None,
            liquidation_price: None,
            funding_paid: None,
            position_side: position_side_of(self.position_side.as_deref().unwrap_or("BOTH"))?,
            mark_price: self.mark_price,
            leverage: None,
            margin_mode,
        })
    }
}

/// Position events of the positions on known symbols.
fn position_events(
    positions: &[StreamPosition],
    markets: &Markets,
) -> Result<Vec<VenueEvent>, CexError> {
    let mut out = Vec::with_capacity(positions.len());
    for p in positions {
        if let Some(pair) = markets.pair_of(&p.symbol) {
            out.push(VenueEvent::Position(Box::new(p.to_position(pair)?)));
        }
    }
    Ok(out)
}

/// One frame as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let f: Frame = serde_json::from_slice(frame).map_err(|e| {
        CexError::decode(
            "user stream frame",
            format!("{e}: {}", CexError::snippet(frame)),
        )
    })?;
    match f.e.as_str() {
        "ORDER_TRADE_UPDATE" => {
            let o =
                f.o.ok_or_else(|| CexError::decode("ORDER_TRADE_UPDATE", "no order object"))?;
            order_update(&o, markets)
        }
        "ACCOUNT_UPDATE" => {
            let a =
                f.a.ok_or_else(|| CexError::decode("ACCOUNT_UPDATE", "no account object"))?;
            account_update(a, f.transaction_time, markets)
        }
        "MARGIN_CALL" => {
            for p in &f.p {
                tracing::warn!(
                    symbol = %p.symbol,
                    size = %p.amount,
                    mark = ?p.mark_price,
                    cross_wallet = ?f.cw,
                    "margin call"
                );
            }
            Ok(UserEvent::Account(Box::new(AccountUpdate {
                events: position_events(&f.p, markets)?,
                funding_at_ms: None,
            })))
        }
        "listenKeyExpired" => {
            tracing::info!("listenKey expired; a new one is asked for");
            Ok(UserEvent::Ignored)
        }
        other => {
            tracing::debug!(kind = %other, "user stream message ignored");
            Ok(UserEvent::Ignored)
        }
    }
}

/// The client id prefixes of the orders the venue places itself: a liquidation (`autoclose-`), an
/// auto-deleverage (`adl_autoclose`) or a delisting settlement (`settlement_autoclose-`).
const VENUE_ORDER_PREFIXES: [&str; 3] = ["autoclose-", "adl_autoclose", "settlement_autoclose-"];

/// Whether an order's client id is one of the venue's own (never one of ours).
pub fn is_venue_order(client_id: &str) -> bool {
    VENUE_ORDER_PREFIXES
        .iter()
        .any(|p| client_id.starts_with(p))
}

fn order_update(o: &ExecutionReport, markets: &Markets) -> Result<UserEvent, CexError> {
    if is_venue_order(o.order_client_id()) {
        // the position and the wallet it changed come in the ACCOUNT_UPDATE that follows
        tracing::warn!(
            symbol = %o.symbol,
            client_id = %o.order_client_id(),
            side = %o.side,
            qty = %o.last_qty,
            price = %o.last_price,
            "the exchange closed a position (liquidation or auto-deleverage)"
        );
        return Ok(UserEvent::Ignored);
    }
    let Some(pair) = markets.pair_of(&o.symbol) else {
        return Ok(UserEvent::UnknownSymbol(o.symbol.clone()));
    };
    let id = ClientOrderId::new(o.order_client_id())
        .map_err(|_| CexError::decode("ORDER_TRADE_UPDATE", "an invalid client order id"))?;
    let state = order_state(&o.status).ok_or_else(|| {
        CexError::decode(
            "ORDER_TRADE_UPDATE",
            format!("unknown order status {}", o.status),
        )
    })?;
    let fill = o.fill(&id, pair)?;
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id: id,
        pair: pair.clone(),
        venue_order_id: o.order_id.to_string(),
        state,
        reason: None,
        fill,
        cumulative_filled: o.cumulative_qty,
    })))
}

fn account_update(a: AccountData, time: u64, markets: &Markets) -> Result<UserEvent, CexError> {
    let mut events = Vec::with_capacity(a.balances.len() + a.positions.len());
    for b in &a.balances {
        let asset = Asset::new(&b.asset)?;
        let available = b.cross_wallet.unwrap_or(b.wallet).min(b.wallet);
        events.push(VenueEvent::Balance(Balance::new(
            asset, b.wallet, available,
        )));
    }
    events.extend(position_events(&a.positions, markets)?);
    let funding_at_ms = (a.reason == "FUNDING_FEE").then_some(time);
    Ok(UserEvent::Account(Box::new(AccountUpdate {
        events,
        funding_at_ms,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::venue::Market;
    use crate::core::{MarketRules, OrderState, PositionSide};

    fn markets() -> Markets {
        let rules = MarketRules {
            pair: "BTC-USDT".parse().unwrap(),
            venue_symbol: "BTCUSDT".into(),
            tick_size: Decimal::new(1, 2),
            step_size: Decimal::new(1, 3),
            min_size: Decimal::new(1, 3),
            max_size: None,
            min_notional: Decimal::ONE,
            maker_fee: Decimal::new(2, 4),
            taker_fee: Decimal::new(5, 4),
        };
        Markets::new(vec![Market::new(rules).unwrap()])
    }

    fn account(frame: &str) -> AccountUpdate {
        match parse_frame(frame.as_bytes(), &markets()).unwrap() {
            UserEvent::Account(a) => *a,
            other => panic!("not an account update: {other:?}"),
        }
    }

    #[test]
    fn order_trade_update_is_an_order_update_with_its_fill() {
        let frame = r#"{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{
            "s":"BTCUSDT","c":"sluice-1","S":"SELL","o":"MARKET","f":"GTC","q":"0.002","p":"0",
            "ap":"9000","sp":"0","x":"TRADE","X":"FILLED","i":8886774,"l":"0.002","z":"0.002",
            "L":"9000","N":"USDT","n":"0.009","T":1568879465650,"t":12,"b":"0","a":"0",
            "m":false,"R":true,"wt":"CONTRACT_PRICE","ot":"MARKET","ps":"BOTH","cp":false,
            "rp":"0"}}"#;
        let UserEvent::Order(u) = parse_frame(frame.as_bytes(), &markets()).unwrap() else {
            panic!("not an order update");
        };
        assert_eq!(u.state, OrderState::Filled);
        assert_eq!(u.venue_order_id, "8886774");
        let fill = u.fill.unwrap();
        assert_eq!(fill.amount, Decimal::new(2, 3));
        assert_eq!(fill.fee_amount, Decimal::new(9, 3));
        assert_eq!(fill.fee_asset.to_string(), "USDT");
    }

    #[test]
    fn account_updates_give_balances_positions_and_funding() {
        let a = account(
            r#"{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"FUNDING_FEE",
            "B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"-0.5"}],
            "P":[{"s":"BTCUSDT","pa":"-1","ep":"9000","cr":"0","up":"-1.2","mt":"isolated",
                  "iw":"450","ps":"SHORT"},{"s":"XYZUSDT","pa":"1","ep":"1","ps":"LONG"}]}}"#,
        );
        assert_eq!(a.funding_at_ms, Some(1_564_745_798_938));
        assert_eq!(
            a.events.len(),
            2,
            "the unknown symbol's position is left out"
        );
        let VenueEvent::Position(p) = &a.events[1] else {
            panic!("not a position");
        };
        assert_eq!(p.size, Decimal::NEGATIVE_ONE);
        assert_eq!(p.position_side, PositionSide::Short);
        assert_eq!(p.margin, Decimal::new(450, 0));
        assert_eq!(p.entry_notional, Decimal::new(9000, 0));
        let order =
            account(r#"{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"ORDER","B":[],"P":[]}}"#);
        assert_eq!(order.funding_at_ms, None);
        let call = account(
            r#"{"e":"MARGIN_CALL","E":1,"cw":"3.16","p":[{"s":"BTCUSDT","ps":"LONG","pa":"1.327",
            "mt":"CROSSED","iw":"0","mp":"187.17","up":"-1.166","mm":"1.614"}]}"#,
        );
        let VenueEvent::Position(p) = &call.events[0] else {
            panic!("not a position");
        };
        assert_eq!(p.mark_price, Some(Decimal::new(18717, 2)));
    }

    #[test]
    fn a_liquidation_order_is_not_taken_for_one_of_ours() {
        let frame = br#"{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"BTCUSDT","c":"autoclose-17","S":"SELL","o":"LIMIT","f":"IOC","q":"2","p":"90","x":"TRADE","X":"FILLED","i":8000000001,"l":"2","z":"2","L":"90","n":"0","N":"USDT","T":1,"t":8000000001,"m":false,"R":true,"ps":"BOTH"}}"#;
        assert!(matches!(
            parse_frame(frame, &markets()).unwrap(),
            UserEvent::Ignored
        ));
        assert!(is_venue_order("adl_autoclose"));
        assert!(!is_venue_order("x-autoclose-1"));
    }

    #[test]
    fn hostile_frames_are_typed_errors() {
        let m = markets();
        for bad in [
            &b"not json"[..],
            br#"{"e":"ORDER_TRADE_UPDATE","E":1}"#,
            br#"{"e":"ACCOUNT_UPDATE","E":1}"#,
            br#"{"e":"ACCOUNT_UPDATE","T":1,"a":{"m":"ORDER","P":[{"s":"BTCUSDT","pa":"x","ep":"1"}]}}"#,
            br#"{"e":"ACCOUNT_UPDATE","T":1,"a":{"m":"ORDER","P":[{"s":"BTCUSDT","pa":"1","ep":"1","ps":"UP"}]}}"#,
            br#"{"e":"ORDER_TRADE_UPDATE","o":{"s":"BTCUSDT","c":"a b","S":"BUY","x":"NEW","X":"NEW","i":1,"l":"0","z":"0","L":"0"}}"#,
            br#"{"e":"ORDER_TRADE_UPDATE","o":{"s":"BTCUSDT","c":"ok","S":"BUY","x":"NEW","X":"WEIRD","i":1,"l":"0","z":"0","L":"0"}}"#,
        ] {
            assert!(parse_frame(bad, &m).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(matches!(
            parse_frame(br#"{"e":"listenKeyExpired","E":1}"#, &m),
            Ok(UserEvent::Ignored)
        ));
    }
}
