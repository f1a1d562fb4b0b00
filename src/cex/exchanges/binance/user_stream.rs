//! Binance's private stream as the framework asks for it: opened by the WebSocket API
//! subscription or the legacy listenKey stream (whichever the server speaks, or the one
//! configured, see the module doc of [`super`]), and each frame turned into the framework's
//! [`UserEvent`]. The consumer that applies them is the framework's ([`crate::cex::venue`]).

use tokio::sync::watch;

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::stream::StreamConfig;
use crate::cex::venue::{Markets, OrderUpdate, UserEvent, UserStream};
use crate::core::{Asset, Balance, ClientOrderId};
use crate::venue::{VenueError, VenueId};

use super::api::{self, order_state};
use super::listen_key::{self, ListenKeySettings};
use super::user::{self, UserMessage, UserStreamMode, WsApiStart};
use super::{BinanceConfig, errors};

/// Logs the mechanism in use (on each connect).
pub fn log_mechanism(id: &VenueId, mechanism: UserStreamMode) {
    let how = match mechanism {
        UserStreamMode::ListenKey => "legacy listenKey stream",
        _ => "WebSocket API userDataStream.subscribe.signature",
    };
    tracing::info!(venue = %id, %mechanism, "user data stream connected: {how}");
}

/// Opens the private stream by the mechanism of [`BinanceConfig::user_stream`].
pub async fn open(
    cfg: &BinanceConfig,
    id: &VenueId,
    rest: &RestClient,
) -> Result<UserStream<UserStreamMode>, VenueError> {
    let signer = rest
        .signer()
        .cloned()
        .ok_or_else(|| VenueError::Auth("the user stream needs API keys".into()))?;
    if cfg.user_stream == UserStreamMode::ListenKey {
        return start_listen_key(cfg, id, rest).await;
    }
    let ws = StreamConfig::new(&format!("{} user stream", cfg.name), &cfg.ws_api_url);
    let (handle, rx, first) = user::start_ws_api(rest, signer, ws, cfg.user_stream_timeout).await;
    let ws_api = |handle| UserStream {
        mechanism: UserStreamMode::WsApi,
        keep: Box::new(handle),
        first: None,
        events: rx,
        stop: None,
    };
    let auto = cfg.user_stream == UserStreamMode::Auto;
    match first {
        WsApiStart::Subscribed => {
            log_mechanism(id, UserStreamMode::WsApi);
            Ok(ws_api(handle))
        }
        WsApiStart::Refused { status, code, msg } => {
            tracing::error!(venue = %id, status, code, %msg, "user stream subscription refused");
            let kind = errors::classify(status, code, &msg);
            Err(CexError::Api {
                status,
                code,
                msg,
                kind,
            }
            .into())
        }
        WsApiStart::Unsupported(reason) | WsApiStart::NoAnswer(reason) if auto => {
            drop(handle);
            tracing::info!(
                venue = %id,
                "the WebSocket API user stream is not served ({reason}); \
                 falling back to the listenKey stream"
            );
            start_listen_key(cfg, id, rest).await.map_err(|e| {
                let both = format!(
                    "user stream: the WebSocket API subscription is not served \
                     ({reason}) and the listenKey stream failed too: {e}"
                );
                match e {
                    VenueError::Auth(_) => VenueError::Auth(both),
                    _ => VenueError::NotSupported(both),
                }
            })
        }
        WsApiStart::Unsupported(reason) => Err(VenueError::NotSupported(format!(
            "user stream: the WebSocket API subscription is not served ({reason})"
        ))),
        WsApiStart::NoAnswer(reason) => {
            tracing::warn!(
                venue = %id,
                "user stream not answered yet ({reason}); retrying in the background"
            );
            Ok(ws_api(handle))
        }
    }
}

/// The first listenKey (its error is the caller's), then the driver that keeps it.
async fn start_listen_key(
    cfg: &BinanceConfig,
    id: &VenueId,
    rest: &RestClient,
) -> Result<UserStream<UserStreamMode>, VenueError> {
    let key = listen_key::create_key(rest).await?;
    let (stop, stop_rx) = watch::channel(false);
    let settings = ListenKeySettings {
        name: format!("{} user stream (listenKey)", cfg.name),
        ws_url: cfg.ws_url.trim_end_matches('/').to_string(),
        keepalive: cfg.listen_key_keepalive,
        api: listen_key::SPOT,
    };
    let (driver, mut rx) = listen_key::spawn(rest.clone(), settings, key, stop_rx);
    // Return once the socket is up (events sent before it would only be found by polling);
    // whatever came first is applied before the rest.
    let first = tokio::time::timeout(cfg.user_stream_timeout, rx.recv())
        .await
        .ok()
        .flatten();
    if first.is_none() {
        tracing::warn!(venue = %id, "listenKey stream not connected yet; retrying in the background");
    }
    Ok(UserStream {
        mechanism: UserStreamMode::ListenKey,
        keep: Box::new(driver),
        first,
        events: rx,
        stop: Some(stop),
    })
}

/// One frame of either mechanism as the framework's event. Control frames are logged here.
pub fn parse_frame(venue: &str, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError> {
    Ok(match user::parse(frame)? {
        UserMessage::Execution(e) => {
            let Some(pair) = markets.pair_of(&e.symbol) else {
                return Ok(UserEvent::UnknownSymbol(e.symbol.clone()));
            };
            let id = ClientOrderId::new(e.order_client_id())
                .map_err(|_| CexError::decode("executionReport", "an invalid client order id"))?;
            let state = order_state(&e.status).ok_or_else(|| {
                CexError::decode(
                    "executionReport",
                    format!("unknown order status {}", e.status),
                )
            })?;
            let fill = match e.fill(&id, pair) {
                Ok(f) => f,
                Err(err) => {
                    tracing::error!(error = %err, "bad fill in an execution report");
                    None
                }
            };
            UserEvent::Order(Box::new(OrderUpdate {
                client_id: id,
                pair: pair.clone(),
                venue_order_id: e.order_id.to_string(),
                state,
                reason: e.reject_reason.clone().filter(|r| r != "NONE"),
                fill,
                cumulative_filled: e.cumulative_qty,
            }))
        }
        UserMessage::Account(a) => {
            let mut balances = Vec::with_capacity(a.balances.len());
            for b in a.balances {
                let total = match api::balance_total(&b.asset, b.free, b.locked) {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!(error = %e, "unusable balance in the user stream");
                        continue;
                    }
                };
                match Asset::new(&b.asset) {
                    Ok(asset) => balances.push(Balance::new(asset, total, b.free)),
                    Err(e) => tracing::warn!(error = %e, "balance of an unreadable asset"),
                }
            }
            UserEvent::Balances(balances)
        }
        UserMessage::Subscribed => {
            tracing::debug!("user stream subscribed");
            UserEvent::Ignored
        }
        UserMessage::Refused { status, code, msg } => {
            tracing::error!(status, code, %msg, "user stream subscription refused");
            UserEvent::Ignored
        }
        UserMessage::ListenKeyExpired => {
            tracing::info!(%venue, "listenKey expired; a new one is asked for");
            UserEvent::Ignored
        }
        UserMessage::Other(kind) => {
            tracing::debug!(%kind, "user stream message ignored");
            UserEvent::Ignored
        }
    })
}
