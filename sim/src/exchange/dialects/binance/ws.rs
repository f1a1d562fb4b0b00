//! The mock's websocket listener: accepts connections, routes them by path to the market streams
//! (`/ws/<stream>`, `/ws`, `/stream?streams=a/b`), a legacy listenKey stream (`/ws/<listenKey>`
//! of an active key, when listenKeys are served) or the WebSocket API (`/ws-api/v3`; 404 when
//! configured as absent), and refuses them (503) while the matching fault is on.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use tokio::sync::broadcast;

use super::listen_key::{self, KeyStatus, WsApiUserStream};
use super::shared::Shared;
use super::{market_ws, ws_api};

/// A listenKey stream: its key and the account's events, subscribed during the handshake.
type ListenKeyRoute = (String, broadcast::Receiver<Arc<str>>);

/// The listenKey a market path names, if it is one of an active key: `/ws/<listenKey>`.
fn listen_key_route(shared: &Shared, route: &WsRoute) -> Option<ListenKeyRoute> {
    if !shared.user_streams.listen_keys {
        return None;
    }
    let WsRoute::Market {
        streams,
        combined: false,
    } = route
    else {
        return None;
    };
    let [key] = streams.as_slice() else {
        return None;
    };
    let KeyStatus::Active { account } = shared.listen_keys().status(key, shared.now_ms()) else {
        return None;
    };
    let rx = shared.exchange().accounts.get(account)?.user_tx.subscribe();
    Some((key.clone(), rx))
}

/// Where a websocket connection goes.
#[derive(Debug, Clone)]
pub enum WsRoute {
    /// Market streams: the initial stream names and whether payloads are combined.
    Market {
        /// Stream names from the URL.
        streams: Vec<String>,
        /// `/stream` (combined payloads) rather than `/ws`.
        combined: bool,
    },
    /// The WebSocket API.
    Api,
}

/// Parses a request path and query into a route.
pub fn route(path: &str, query: Option<&str>) -> Option<WsRoute> {
    if path == "/ws-api/v3" {
        return Some(WsRoute::Api);
    }
    if path == "/ws" || path == "/ws/" {
        return Some(WsRoute::Market {
            streams: Vec::new(),
            combined: false,
        });
    }
    if let Some(rest) = path.strip_prefix("/ws/") {
        let streams = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        return Some(WsRoute::Market {
            streams,
            combined: false,
        });
    }
    if path == "/stream" || path == "/stream/" {
        let streams = query
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("streams="))
            .map(|v| {
                v.split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        return Some(WsRoute::Market {
            streams,
            combined: true,
        });
    }
    None
}

/// Accepts websocket connections until shutdown.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move { connection(stream, shared).await });
            }
            _ = shutdown.changed() => break,
        }
    }
}

#[allow(clippy::result_large_err)] // the callback's error type is tungstenite's
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut chosen: Option<WsRoute> = None;
    let mut listen: Option<ListenKeyRoute> = None;
    let refuse_market = shared.market_streams_down.load(Ordering::SeqCst);
    let refuse_user = shared.user_streams_down.load(Ordering::SeqCst);
    let no_ws_api = shared.user_streams.ws_api == WsApiUserStream::UpgradeRefused;
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let r = route(req.uri().path(), req.uri().query());
        let keyed = r.as_ref().and_then(|r| listen_key_route(&shared, r));
        let refused = match &r {
            None => Some(StatusCode::NOT_FOUND),
            Some(WsRoute::Api) if no_ws_api => Some(StatusCode::NOT_FOUND),
            Some(WsRoute::Api) if refuse_user => Some(StatusCode::SERVICE_UNAVAILABLE),
            Some(WsRoute::Market { .. }) if keyed.is_some() && refuse_user => {
                Some(StatusCode::SERVICE_UNAVAILABLE)
            }
            Some(WsRoute::Market { .. }) if keyed.is_none() && refuse_market => {
                Some(StatusCode::SERVICE_UNAVAILABLE)
            }
            Some(_) => None,
        };
        if let Some(status) = refused {
            let mut err = ErrorResponse::new(Some(
                status.canonical_reason().unwrap_or("error").to_string(),
            ));
            *err.status_mut() = status;
            return Err(err);
        }
        chosen = r;
        listen = keyed;
        Ok(resp)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    if let Some((key, events)) = listen {
        return listen_key::run(ws, shared, key, events).await;
    }
    match chosen {
        Some(WsRoute::Market { streams, combined }) => {
            market_ws::run(ws, shared, streams, combined).await
        }
        Some(WsRoute::Api) => ws_api::run(ws, shared).await,
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert!(matches!(route("/ws-api/v3", None), Some(WsRoute::Api)));
        match route("/stream", Some("streams=btcusdt@depth@100ms/btcusdt@trade")) {
            Some(WsRoute::Market { streams, combined }) => {
                assert!(combined);
                assert_eq!(streams, vec!["btcusdt@depth@100ms", "btcusdt@trade"]);
            }
            other => panic!("{other:?}"),
        }
        match route("/ws/btcusdt@depth", None) {
            Some(WsRoute::Market { streams, combined }) => {
                assert!(!combined);
                assert_eq!(streams, vec!["btcusdt@depth"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(route("/nope", None).is_none());
    }
}
