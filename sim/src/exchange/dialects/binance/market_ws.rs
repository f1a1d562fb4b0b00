//! One market-stream connection: forwards `depthUpdate` and `trade` events for its subscribed
//! streams (raw payloads on `/ws`, `{"stream":..,"data":..}` on `/stream`), answers the live
//! `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` / `SET_PROPERTY` / `GET_PROPERTY` requests,
//! pings, announces `serverShutdown` on demand, and dies abruptly when the drop fault fires.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::shared::Shared;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

/// A parsed stream name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Subscription {
    name: String,
    symbol: String,
    kind: StreamKind,
}

fn parse_stream(name: &str) -> Option<Subscription> {
    let (symbol, rest) = name.split_once('@')?;
    let kind = match rest {
        "depth" | "depth@100ms" | "depth@1000ms" => StreamKind::Depth,
        "trade" => StreamKind::Trade,
        _ => return None,
    };
    Some(Subscription {
        name: name.to_string(),
        symbol: symbol.to_string(),
        kind,
    })
}

/// Runs a market connection until the client leaves, the drop fault fires or the server stops.
pub async fn run(
    mut ws: WebSocketStream<TcpStream>,
    shared: Arc<Shared>,
    streams: Vec<String>,
    combined: bool,
) {
    // Subscribe before counting the connection: once it is counted, it receives every event.
    let mut rx = shared.exchange().publisher.subscribe_market();
    shared.market_connections.fetch_add(1, Ordering::SeqCst);
    let mut kill = shared.market_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut notice = shared.shutdown_notice.subscribe();
    let mut names: Vec<String> = streams;
    let mut subs: Vec<Subscription> = names.iter().filter_map(|n| parse_stream(n)).collect();
    let mut combined = combined;
    let mut ping = tokio::time::interval(shared.ping_interval);
    ping.tick().await;
    loop {
        // A drop fault wins over anything queued: nothing is sent after it fired.
        if kill.has_changed().unwrap_or(true) {
            break;
        }
        tokio::select! {
            biased;
            _ = kill.changed() => break, // dropped without a close frame
            _ = shutdown.changed() => break,
            msg = rx.recv() => {
                let sent = match msg {
                    Ok(MarketMsg::Event { symbol, kind, data }) => {
                        let mut ok = true;
                        for s in subs.iter().filter(|s| s.kind == kind && *s.symbol == *symbol) {
                            let text = if combined {
                                format!("{{\"stream\":\"{}\",\"data\":{}}}", s.name, data)
                            } else {
                                data.to_string()
                            };
                            if ws.send(Message::text(text)).await.is_err() {
                                ok = false;
                                break;
                            }
                        }
                        ok
                    }
                    Ok(MarketMsg::Raw(text)) => ws.send(Message::text(text.to_string())).await.is_ok(),
                    // Too slow a consumer: Binance disconnects it.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => false,
                };
                if !sent {
                    break;
                }
            }
            incoming = ws.next() => {
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let reply = control(&text, &mut names, &mut subs, &mut combined);
                        if ws.send(Message::text(reply.to_string())).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
            _ = notice.changed() => {
                let time = *notice.borrow_and_update();
                let event = format!("{{\"e\":\"serverShutdown\",\"E\":{time}}}");
                let text = if combined {
                    format!("{{\"stream\":\"!serverShutdown\",\"data\":{event}}}")
                } else {
                    event
                };
                if ws.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
            _ = ping.tick() => {
                if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    shared.market_connections.fetch_sub(1, Ordering::SeqCst);
}

/// Answers a live control request.
fn control(
    text: &str,
    names: &mut Vec<String>,
    subs: &mut Vec<Subscription>,
    combined: &mut bool,
) -> Value {
    let Ok(req) = serde_json::from_str::<Value>(text) else {
        return json!({ "code": 3, "msg": "Invalid JSON: expected value at line 1 column 1" });
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let params: Vec<Value> = req
        .get("params")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match req.get("method").and_then(Value::as_str) {
        Some("SUBSCRIBE") => {
            for name in params.iter().filter_map(Value::as_str) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                    if let Some(s) = parse_stream(name) {
                        subs.push(s);
                    }
                }
            }
            json!({ "result": null, "id": id })
        }
        Some("UNSUBSCRIBE") => {
            for name in params.iter().filter_map(Value::as_str) {
                names.retain(|n| n != name);
                subs.retain(|s| s.name != name);
            }
            json!({ "result": null, "id": id })
        }
        Some("LIST_SUBSCRIPTIONS") => json!({ "result": names, "id": id }),
        Some("SET_PROPERTY") => match (params.first().and_then(Value::as_str), params.get(1)) {
            (Some("combined"), Some(Value::Bool(b))) => {
                *combined = *b;
                json!({ "result": null, "id": id })
            }
            (Some("combined"), _) => {
                json!({ "code": 1, "msg": "Invalid value type: expected Boolean" })
            }
            _ => json!({ "code": 0, "msg": "Unknown property", "id": id }),
        },
        Some("GET_PROPERTY") => match params.first().and_then(Value::as_str) {
            Some("combined") => json!({ "result": *combined, "id": id }),
            _ => json!({ "code": 0, "msg": "Unknown property", "id": id }),
        },
        Some(other) => json!({
            "code": 2,
            "msg": format!("Invalid request: unknown variant `{other}`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"),
            "id": id
        }),
        None => json!({ "code": 2, "msg": "Invalid request: missing field `method`", "id": id }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_parse() {
        assert_eq!(
            parse_stream("btcusdt@depth@100ms").unwrap().kind,
            StreamKind::Depth
        );
        assert_eq!(parse_stream("btcusdt@trade").unwrap().symbol, "btcusdt");
        assert!(parse_stream("btcusdt@kline_1m").is_none());
    }

    #[test]
    fn control_requests() {
        let (mut names, mut subs, mut combined) = (Vec::new(), Vec::new(), false);
        let r = control(
            r#"{"method":"SUBSCRIBE","params":["btcusdt@depth"],"id":1}"#,
            &mut names,
            &mut subs,
            &mut combined,
        );
        assert_eq!(r, json!({"result": null, "id": 1}));
        assert_eq!(subs.len(), 1);
        let r = control(
            r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#,
            &mut names,
            &mut subs,
            &mut combined,
        );
        assert_eq!(r, json!({"result": ["btcusdt@depth"], "id": 3}));
        let r = control("{not json", &mut names, &mut subs, &mut combined);
        assert_eq!(r["code"], 3);
        control(
            r#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth"],"id":4}"#,
            &mut names,
            &mut subs,
            &mut combined,
        );
        assert!(subs.is_empty());
    }
}
