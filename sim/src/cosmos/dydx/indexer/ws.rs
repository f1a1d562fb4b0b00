//! The indexer's websocket (`socks`), `v4_subaccounts` only: `connected` on connect; `subscribe`
//! with id `{address}/{n}` answered by `subscribed` (the subaccount, its open orders, the
//! height); then, polling the engine every [`POLL`], one `channel_data` per change with the
//! orders that changed, the new fills (oldest first), and the positions and USDC asset position
//! they moved. The drop fault closes every socket abruptly.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

use super::super::proto::SubaccountId;
use super::Shared;
use super::views::{self, SubaccountView};

/// How often subscriptions look for changes.
pub const POLL: Duration = Duration::from_millis(20);

pub const CHANNEL: &str = "v4_subaccounts";

/// What a subscription has sent so far.
struct Sent {
    sub: SubaccountId,
    id: String,
    orders: HashMap<String, String>,
    fills: HashSet<String>,
    positions: HashMap<String, String>,
    usdc: String,
}

impl Sent {
    fn new(sub: SubaccountId, id: String, v: &SubaccountView) -> Self {
        let mut s = Self {
            sub,
            id,
            orders: HashMap::new(),
            fills: HashSet::new(),
            positions: HashMap::new(),
            usdc: String::new(),
        };
        s.diff(v);
        s
    }

    /// The changes since the last call, as `SubaccountMessageContents` (None: nothing changed).
    fn diff(&mut self, v: &SubaccountView) -> Option<Value> {
        let mut orders = vec![];
        for o in v.orders.iter().rev() {
            let doc = views::order_json(o);
            let text = doc.to_string();
            if self.orders.get(&o.uuid) != Some(&text) {
                self.orders.insert(o.uuid.clone(), text);
                orders.push(doc);
            }
        }
        let fills: Vec<Value> = v
            .fills
            .iter()
            .filter(|f| self.fills.insert(f.id.clone()))
            .map(|f| views::fill_update_json(f, &self.sub))
            .collect();
        let mut positions = vec![];
        for p in &v.positions {
            let doc = views::position_update_json(p, &self.sub);
            let text = doc.to_string();
            if self.positions.get(&p.ticker) != Some(&text) {
                self.positions.insert(p.ticker.clone(), text);
                positions.push(doc);
            }
        }
        let usdc = views::usdc_json(v);
        let usdc_text = usdc.to_string();
        let assets = if usdc_text != self.usdc {
            self.usdc = usdc_text;
            vec![usdc]
        } else {
            vec![]
        };
        if orders.is_empty() && fills.is_empty() && positions.is_empty() && assets.is_empty() {
            return None;
        }
        let mut c = serde_json::Map::new();
        for (k, items) in [
            ("orders", orders),
            ("fills", fills),
            ("perpetualPositions", positions),
            ("assetPositions", assets),
        ] {
            if !items.is_empty() {
                c.insert(k.into(), Value::Array(items));
            }
        }
        Some(Value::Object(c))
    }
}

/// Accepts websocket connections until shutdown.
pub async fn serve_ws(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(connection(stream, shared.clone()));
            }
            _ = shutdown.changed() => break,
        }
    }
}

fn parse_id(id: &str) -> Option<SubaccountId> {
    let (owner, n) = id.rsplit_once('/')?;
    Some(SubaccountId {
        owner: owner.to_string(),
        number: n.parse().ok()?,
    })
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let mut kill = shared.kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut message_id = 0u64;
    let frame = |v: Value, message_id: &mut u64| {
        let mut v = v;
        v["connection_id"] = json!("sim");
        v["message_id"] = json!(*message_id);
        *message_id += 1;
        Message::text(v.to_string())
    };
    if ws
        .send(frame(json!({"type": "connected"}), &mut message_id))
        .await
        .is_err()
    {
        return;
    }
    let mut subs: Vec<Sent> = vec![];
    let mut tick = tokio::time::interval(POLL);
    loop {
        let mut out = vec![];
        tokio::select! {
            biased;
            _ = kill.changed() => return,
            _ = shutdown.changed() => return,
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    let kind = v["type"].as_str().unwrap_or("");
                    let channel = v["channel"].as_str().unwrap_or("");
                    let id = v["id"].as_str().unwrap_or("").to_string();
                    match (kind, channel, parse_id(&id)) {
                        ("ping", _, _) => out.push(json!({"type": "pong"})),
                        ("subscribe", CHANNEL, Some(sub)) => {
                            let view = views::view(&shared.engine, &sub);
                            let height = shared.height();
                            let open: Vec<Value> = view.orders.iter()
                                .filter(|o| views::status_of(o) == "OPEN")
                                .map(views::order_json).collect();
                            out.push(json!({"type": "subscribed", "channel": CHANNEL, "id": id,
                                "contents": {"subaccount": views::subaccount_json(&view, height),
                                    "orders": open, "blockHeight": height.to_string()}}));
                            subs.retain(|s| s.id != id);
                            subs.push(Sent::new(sub, id, &view));
                        }
                        ("unsubscribe", CHANNEL, _) => {
                            subs.retain(|s| s.id != id);
                            out.push(json!({"type": "unsubscribed", "channel": CHANNEL, "id": id}));
                        }
                        _ => out.push(json!({"type": "error",
                            "message": format!("Invalid subscribe message: channel {channel:?}, id {id:?}")})),
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = tick.tick() => {
                let height = shared.height();
                for s in &mut subs {
                    let view = views::view(&shared.engine, &s.sub);
                    if let Some(mut contents) = s.diff(&view) {
                        contents["blockHeight"] = json!(height.to_string());
                        out.push(json!({"type": "channel_data", "channel": CHANNEL, "id": s.id,
                            "version": "3.0.0", "contents": contents}));
                    }
                }
            }
        }
        for v in out {
            if ws.send(frame(v, &mut message_id)).await.is_err() {
                return;
            }
        }
    }
}
