//! The simulated OKX's WebSocket listener: `/ws/v5/public` (books and trades channels) and
//! `/ws/v5/private` (login, `orders` and `account`); 404 elsewhere, 503 while the matching
//! outage fault is on. OKX's keepalive: the client sends the text `ping`, the server answers
//! `pong`, and closes a connection that sent nothing for 30 s.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::shared::Shared;
use super::{ws_private, ws_public};

/// A connection that sent nothing for this long is closed (OKX: 30 s).
pub const IDLE_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Public,
    Private,
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
    let mut chosen = None;
    let refuse_public = shared.market_streams_down.load(Ordering::SeqCst);
    let refuse_private = shared.user_streams_down.load(Ordering::SeqCst);
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let route = match req.uri().path().trim_end_matches('/') {
            "/ws/v5/public" => Some(Route::Public),
            "/ws/v5/private" => Some(Route::Private),
            _ => None,
        };
        let refused = match route {
            None => Some(StatusCode::NOT_FOUND),
            Some(Route::Public) if refuse_public => Some(StatusCode::SERVICE_UNAVAILABLE),
            Some(Route::Private) if refuse_private => Some(StatusCode::SERVICE_UNAVAILABLE),
            Some(_) => None,
        };
        if let Some(status) = refused {
            let mut err = ErrorResponse::new(Some(
                status.canonical_reason().unwrap_or("error").to_string(),
            ));
            *err.status_mut() = status;
            return Err(err);
        }
        chosen = route;
        Ok(resp)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    match chosen {
        Some(Route::Public) => ws_public::run(ws, shared).await,
        Some(Route::Private) => ws_private::run(ws, shared).await,
        None => {}
    }
}

/// A `connId` for event answers.
pub fn conn_id() -> String {
    use rand::Rng;
    format!("{:08x}", rand::thread_rng().r#gen::<u32>())
}
