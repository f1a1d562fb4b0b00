//! Ed25519 API keys on the mock Binance: base64 signatures (percent-encoded on REST) accepted
//! and forged ones rejected; `session.logon` + `userDataStream.subscribe` on the WebSocket API,
//! `session.logout` closing that subscription; HMAC keys refused at logon.

use std::time::Duration;

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use futures::{SinkExt, StreamExt};
use reqwest::{Client, StatusCode};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sluice_sim::exchange::dialects::binance::{MockBinance, hmac_sha256_hex};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

const KEY: &str = "ed25519-test-key";

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn sign_b64(key: &SigningKey, payload: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.sign(payload.as_bytes()).to_bytes())
}

fn percent_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

async fn call(ws: &mut Ws, id: &str, method: &str, params: Value) -> Value {
    let req = json!({ "id": id, "method": method, "params": params });
    ws.send(Message::text(req.to_string())).await.unwrap();
    loop {
        let v = next_json(ws).await;
        if v["id"] == id {
            return v;
        }
    }
}

fn signed_params(key: &SigningKey, api_key: &str, ts: u64) -> Value {
    let payload = format!("apiKey={api_key}&timestamp={ts}");
    json!({ "apiKey": api_key, "timestamp": ts, "signature": sign_b64(key, &payload) })
}

#[tokio::test]
async fn ed25519_rest_signatures_are_verified() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 2, 1, dec!(1)).unwrap();
    let sk = signing_key();
    let acct = mock.add_ed25519_account(KEY, sk.verifying_key());
    mock.set_balance(acct, "USDT", dec!(1000)).unwrap();
    let http = Client::new();
    let ts = mock.server_time_ms();
    let query = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=99&timestamp={ts}"
    );
    let sig = sign_b64(&sk, &query);
    let send = |sig: String| {
        http.post(format!(
            "{}/api/v3/order?{query}&signature={sig}",
            mock.rest_url()
        ))
        .header("X-MBX-APIKEY", KEY)
        .send()
    };
    let resp = send(percent_encode(&sig)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "NEW");
    assert_eq!(mock.balance(acct, "USDT").unwrap().locked, dec!(99));
    // Another key's signature, and an HMAC-style hex signature, are rejected.
    let other = SigningKey::from_bytes(&[8u8; 32]);
    let resp = send(percent_encode(&sign_b64(&other, &query)))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], -1022);
    let resp = send(hmac_sha256_hex(b"x", query.as_bytes())).await.unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], -1022);
}

#[tokio::test]
async fn session_logon_subscribes_and_logout_unsubscribes() {
    let mock = MockBinance::start().await.unwrap();
    let sk = signing_key();
    let acct = mock.add_ed25519_account(KEY, sk.verifying_key());
    let mut ws = connect_async(mock.ws_api_url()).await.unwrap().0;
    let r = call(&mut ws, "1", "userDataStream.subscribe", json!({})).await;
    assert_eq!(r["error"]["code"], -1002, "not logged on yet");
    let r = call(
        &mut ws,
        "2",
        "session.logon",
        signed_params(&sk, KEY, mock.server_time_ms()),
    )
    .await;
    assert_eq!(
        (r["status"].as_u64(), r["result"]["apiKey"].as_str()),
        (Some(200), Some(KEY))
    );
    let r = call(&mut ws, "3", "userDataStream.subscribe", json!({})).await;
    assert_eq!(r["result"]["subscriptionId"], 0);
    let r = call(&mut ws, "4", "session.status", json!({})).await;
    assert_eq!(r["result"]["userDataStream"], true);
    mock.set_balance(acct, "BTC", dec!(2)).unwrap();
    let ev = next_json(&mut ws).await;
    assert_eq!(
        (ev["subscriptionId"].as_u64(), ev["event"]["e"].as_str()),
        (Some(0), Some("balanceUpdate"))
    );
    next_json(&mut ws).await; // outboundAccountPosition
    let r = call(&mut ws, "5", "session.logout", json!({})).await;
    assert_eq!(
        (
            r["result"]["apiKey"].clone(),
            r["result"]["userDataStream"].as_bool()
        ),
        (Value::Null, Some(false))
    );
    // A bad logon signature and an HMAC key are refused.
    let other = SigningKey::from_bytes(&[9u8; 32]);
    let r = call(
        &mut ws,
        "6",
        "session.logon",
        signed_params(&other, KEY, mock.server_time_ms()),
    )
    .await;
    assert_eq!(r["error"]["code"], -1022);
    let ts = mock.server_time_ms();
    let payload = format!("apiKey={}&timestamp={ts}", mock.api_key());
    let hmac = hmac_sha256_hex(mock.api_secret().as_bytes(), payload.as_bytes());
    let r = call(
        &mut ws,
        "7",
        "session.logon",
        json!({"apiKey": mock.api_key(), "timestamp": ts, "signature": hmac}),
    )
    .await;
    assert_eq!(
        (r["status"].as_u64(), r["error"]["code"].as_i64()),
        (Some(400), Some(-1002))
    );
    // userDataStream.subscribe.signature works with an Ed25519 signature too.
    let r = call(
        &mut ws,
        "8",
        "userDataStream.subscribe.signature",
        signed_params(&sk, KEY, mock.server_time_ms()),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
}
