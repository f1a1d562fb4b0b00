//! Kraken's private stream (WebSocket v2, `wss://ws-auth.kraken.com/v2`): a token from
//! `GetWebSocketsToken` (fresh for every connection: a token is good for 15 minutes until used),
//! the `executions` channel (order acknowledgements, fills with their fees, cancels, expiries) and
//! the `balances` channel, each subscribed with the token. The connection sends heartbeats; a
//! silent or dropped connection is reopened with a new token, and the framework reconciles the
//! open orders after each reconnect. Each frame becomes the framework's [`UserEvent`].
//!
//! Numbers are read from their JSON text (never through `f64`). The `balances` channel reports
//! totals only; its events carry the total as `available` too (a REST `balances()` call tells the
//! part held by open orders). An `executions` frame normally carries one event; should one carry
//! several, the first is applied and the others are left to the reconciler (logged).

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{mpsc, watch};

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, ClientOrderId, Fill, OrderState, Side};
use crate::venue::{VenueError, VenueId};

use super::api::{asset_name, pair_of_slash};
use super::rest::{self, Private};

/// The one mechanism: the v2 private WebSocket with a REST token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenWs;

impl std::fmt::Display for TokenWs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ws_v2_token")
    }
}

/// The subscriptions sent on each connection.
pub fn subscriptions(token: &str) -> Vec<String> {
    vec![
        serde_json::json!({"method": "subscribe", "params": {
            "channel": "executions", "token": token, "snap_orders": false, "snap_trades": false}})
        .to_string(),
        serde_json::json!({"method": "subscribe", "params": {
            "channel": "balances", "token": token, "snapshot": true}})
        .to_string(),
    ]
}

/// Opens the private stream: the first token is asked for here (a refusal is the caller's
/// error), then a driver keeps a connection with a fresh token each time.
pub async fn open(
    id: &VenueId,
    rest: &RestClient,
    private: &Private,
    ws_auth_url: &str,
    first_wait: Duration,
) -> Result<UserStream<TokenWs>, VenueError> {
    if rest.signer().is_none() {
        return Err(VenueError::Auth("the user stream needs API keys".into()));
    }
    let token = rest::ws_token(private, rest).await?;
    let (tx, mut rx) = mpsc::channel(stream::DEFAULT_BUFFER);
    let (stop, stop_rx) = watch::channel(false);
    let driver = tokio::spawn(drive(
        format!("{id} user stream"),
        ws_auth_url.to_string(),
        rest.clone(),
        private.clone(),
        Some(token),
        tx,
        stop_rx,
    ));
    let first = tokio::time::timeout(first_wait, rx.recv())
        .await
        .ok()
        .flatten();
    if first.is_none() {
        tracing::warn!(venue = %id, "private stream not connected yet; retrying in the background");
    }
    Ok(UserStream {
        mechanism: TokenWs,
        keep: Box::new(AbortOnDrop(driver)),
        first,
        events: rx,
        stop: Some(stop),
    })
}

/// Aborts the driver when the consumer ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keeps one authenticated connection: a token, a stream subscribed with it, forwarded until it
/// drops; then a new token and a new connection.
async fn drive(
    name: String,
    url: String,
    rest: RestClient,
    private: Private,
    mut token: Option<String>,
    tx: mpsc::Sender<StreamEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connected_before = false;
    let mut attempt = 0u32;
    loop {
        let t = match token.take() {
            Some(t) => t,
            None => match rest::ws_token(&private, &rest).await {
                Ok(t) => t,
                Err(e) => {
                    attempt = attempt.saturating_add(1);
                    let wait = Duration::from_millis(250).saturating_mul(attempt.min(40));
                    tracing::warn!(error = %e, "no WebSocket token; retrying in {wait:?}");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => continue,
                        _ = stop.changed() => return,
                    }
                }
            },
        };
        let subs = subscriptions(&t);
        let mut cfg = StreamConfig::new(&name, &url);
        cfg.idle_timeout = Duration::from_secs(10);
        cfg.ping_interval = Duration::from_secs(5);
        let (handle, mut rx) = stream::spawn(cfg, Arc::new(move || subs.clone()));
        loop {
            let ev = tokio::select! {
                ev = rx.recv() => ev,
                _ = stop.changed() => return,
            };
            let Some(ev) = ev else { return };
            let forward = match ev {
                StreamEvent::Connected { .. } => {
                    attempt = 0;
                    let e = StreamEvent::Connected {
                        reconnect: connected_before,
                    };
                    connected_before = true;
                    e
                }
                StreamEvent::Disconnected { reason } => {
                    if tx.send(StreamEvent::Disconnected { reason }).await.is_err() {
                        return;
                    }
                    break;
                }
                m @ StreamEvent::Message(_) => m,
            };
            if tx.send(forward).await.is_err() {
                return;
            }
        }
        drop(handle);
        attempt = attempt.saturating_add(1);
        let wait = Duration::from_millis(100).saturating_mul(attempt.min(50));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// A decimal read from a JSON number's (or string's) text.
fn exact<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let raw: Option<Box<RawValue>> = Option::deserialize(d)?;
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get().trim_matches('"');
    if text == "null" {
        return Ok(None);
    }
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text))
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("{text}: {e}")))
}

#[derive(Debug, Deserialize)]
struct Header {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Frame<T> {
    data: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct Fee {
    asset: String,
    #[serde(deserialize_with = "exact")]
    qty: Option<Decimal>,
}

/// One event of the `executions` channel.
#[derive(Debug, Deserialize)]
struct Execution {
    order_id: String,
    #[serde(default)]
    cl_ord_id: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
    exec_type: String,
    #[serde(default)]
    exec_id: Option<String>,
    #[serde(default)]
    order_status: Option<String>,
    #[serde(default)]
    side: Option<String>,
    #[serde(default, deserialize_with = "exact")]
    cum_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "exact")]
    last_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "exact")]
    last_price: Option<Decimal>,
    #[serde(default)]
    liquidity_ind: Option<String>,
    #[serde(default)]
    fees: Vec<Fee>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BalanceItem {
    asset: String,
    #[serde(default, deserialize_with = "exact")]
    balance: Option<Decimal>,
}

/// An order status of the executions channel on the shared state machine.
pub fn exec_state(status: &str) -> Option<OrderState> {
    Some(match status {
        "pending_new" | "new" => OrderState::Open,
        "partially_filled" => OrderState::PartiallyFilled,
        "filled" => OrderState::Filled,
        "canceled" | "expired" => OrderState::Cancelled,
        _ => return None,
    })
}

pub use crate::cex::sign::time::rfc3339_ms;

/// One frame of the private stream as the framework's event.
pub fn parse_frame(frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    let decode = |e: serde_json::Error| {
        CexError::decode(
            "private stream frame",
            format!("{e}; frame starts {:?}", CexError::snippet(frame)),
        )
    };
    let h: Header = serde_json::from_slice(frame).map_err(decode)?;
    if h.success == Some(false) {
        tracing::error!(method = ?h.method, error = ?h.error, "private stream request refused");
        return Ok(UserEvent::Ignored);
    }
    match h.channel.as_deref() {
        Some("executions") => {
            let f: Frame<Execution> = serde_json::from_slice(frame).map_err(decode)?;
            let mut ours = f.data.into_iter().filter(|e| e.cl_ord_id.is_some());
            let Some(e) = ours.next() else {
                return Ok(UserEvent::Ignored);
            };
            let rest = ours.count();
            if rest > 0 {
                tracing::warn!(
                    more = rest,
                    "several executions in one frame; the rest is reconciled by polling"
                );
            }
            execution(e, markets)
        }
        Some("balances") => {
            let f: Frame<BalanceItem> = serde_json::from_slice(frame).map_err(decode)?;
            let mut out = Vec::with_capacity(f.data.len());
            for b in f.data {
                let (Some(total), Ok(asset)) = (b.balance, Asset::new(asset_name(&b.asset))) else {
                    continue;
                };
                out.push(Balance::new(asset, total, total));
            }
            Ok(UserEvent::Balances(out))
        }
        _ => Ok(UserEvent::Ignored),
    }
}

fn execution(e: Execution, markets: &Markets) -> Result<UserEvent, CexError> {
    let bad = |what: &str| CexError::decode("executions", what.to_string());
    let symbol = e.symbol.as_deref().ok_or_else(|| bad("no symbol"))?;
    let Some(pair) = pair_of_slash(symbol).filter(|p| markets.get(p).is_some()) else {
        return Ok(UserEvent::UnknownSymbol(symbol.to_string()));
    };
    let client = e.cl_ord_id.as_deref().unwrap_or_default();
    let client_id = ClientOrderId::new(client).map_err(|_| bad("an invalid cl_ord_id"))?;
    let status = e
        .order_status
        .as_deref()
        .unwrap_or(match e.exec_type.as_str() {
            "canceled" | "expired" => "canceled",
            "filled" => "filled",
            _ => "new",
        });
    let state = exec_state(status).ok_or_else(|| bad(&format!("unknown order status {status}")))?;
    let fill = match (e.exec_type.as_str(), e.last_qty, e.last_price, &e.exec_id) {
        ("trade", Some(qty), Some(price), Some(tid)) if !qty.is_zero() => {
            let fee = e.fees.first();
            Some(Fill {
                venue: String::new(),
                trade_id: tid.clone(),
                client_id: Some(client_id.clone()),
                venue_order_id: Some(e.order_id.clone()),
                pair: pair.clone(),
                side: if e.side.as_deref() == Some("sell") {
                    Side::Sell
                } else {
                    Side::Buy
                },
                price,
                amount: qty,
                fee_asset: match fee {
                    Some(f) => Asset::new(asset_name(&f.asset))?,
                    None => pair.quote.clone(),
                },
                fee_amount: fee.and_then(|f| f.qty).unwrap_or_default(),
                is_maker: e.liquidity_ind.as_deref() == Some("m"),
                timestamp_ms: e.timestamp.as_deref().and_then(rfc3339_ms).unwrap_or(0),
            })
        }
        _ => None,
    };
    Ok(UserEvent::Order(Box::new(OrderUpdate {
        client_id,
        pair,
        venue_order_id: e.order_id,
        state,
        reason: e.reason,
        fill,
        cumulative_filled: e.cum_qty.unwrap_or_default(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::venue::Market;
    use crate::core::MarketRules;
    use rust_decimal_macros::dec;

    fn markets() -> Markets {
        let mut r = MarketRules::unrestricted("BTC-USD".parse().unwrap(), "XBTUSD", dec!(0.004));
        r.tick_size = dec!(0.1);
        r.step_size = dec!(0.00000001);
        Markets::new(vec![Market::new(r).unwrap()])
    }

    #[test]
    fn a_trade_becomes_a_fill_with_its_fee() {
        let f = br#"{"channel":"executions","type":"update","data":[{"order_id":"OK4GJX-KSTLS-7DZZO5",
            "cl_ord_id":"sluice-1","symbol":"BTC/USD","order_qty":1.25,"cum_cost":1.2,"time_in_force":"GTC",
            "exec_type":"trade","exec_id":"TJFVKX-HGTRL-OCUBKI","side":"sell","order_type":"limit",
            "order_status":"partially_filled","limit_price":30000.0,"last_qty":0.00004,"last_price":30010.1,
            "liquidity_ind":"t","cost":1.200404,"cum_qty":0.00004,"avg_price":30010.1,
            "fees":[{"asset":"USD","qty":0.0048}],"fee_usd_equiv":0.0048,"timestamp":"2023-09-27T08:01:51.111111Z",
            "unknown_field":[1,2]}],"sequence":7}"#;
        let UserEvent::Order(u) = parse_frame(f, &markets()).unwrap() else {
            panic!("not an order update")
        };
        assert_eq!(u.state, OrderState::PartiallyFilled);
        assert_eq!(u.cumulative_filled, dec!(0.00004));
        let fill = u.fill.unwrap();
        assert_eq!(
            (
                fill.trade_id.as_str(),
                fill.price,
                fill.fee_amount,
                fill.side,
                fill.is_maker
            ),
            (
                "TJFVKX-HGTRL-OCUBKI",
                dec!(30010.1),
                dec!(0.0048),
                Side::Sell,
                false
            )
        );
        assert_eq!(fill.timestamp_ms, 1_695_801_711_111);
    }

    #[test]
    fn control_frames_balances_and_hostile_input() {
        let m = markets();
        for f in [
            &br#"{"channel":"heartbeat"}"#[..],
            br#"{"method":"subscribe","result":{"channel":"executions"},"success":true}"#,
            br#"{"method":"subscribe","error":"EAPI:Invalid token","success":false}"#,
            br#"{"channel":"executions","type":"update","data":[{"order_id":"O1","exec_type":"new","symbol":"BTC/USD"}]}"#,
        ] {
            assert_eq!(parse_frame(f, &m).unwrap(), UserEvent::Ignored);
        }
        let b = br#"{"channel":"balances","type":"update","data":[{"asset":"XBT","balance":1.5,"ledger_id":"L1"}]}"#;
        let UserEvent::Balances(v) = parse_frame(b, &m).unwrap() else {
            panic!()
        };
        assert_eq!((v[0].asset.as_str(), v[0].total), ("BTC", dec!(1.5)));
        let other = br#"{"channel":"executions","type":"update","data":[{"order_id":"O1","cl_ord_id":"x","exec_type":"new","symbol":"DOGE/EUR"}]}"#;
        assert_eq!(
            parse_frame(other, &m).unwrap(),
            UserEvent::UnknownSymbol("DOGE/EUR".into())
        );
        for bad in [
            &b"<html>"[..],
            br#"{"channel":"executions","data":[{"order_id":"O1","cl_ord_id":"x","exec_type":"trade","symbol":"BTC/USD","last_qty":1e99999}]}"#,
            br#"{"channel":"executions","data":[{"order_id":"O1","cl_ord_id":"x","exec_type":"new","symbol":"BTC/USD","order_status":"odd"}]}"#,
            br#"{"channel":"balances","data":"#,
        ] {
            assert!(parse_frame(bad, &m).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
