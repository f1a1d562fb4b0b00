//! The verification of OKX's signatures, implemented here from the documentation (not with the
//! library's recipe): `OK-ACCESS-SIGN` must be base64(HMAC-SHA256(secret, OK-ACCESS-TIMESTAMP +
//! METHOD + requestPath(+?query) + body)), the timestamp ISO-8601 UTC with milliseconds within
//! 30 s of the server's clock, the passphrase the one set with the key. The WebSocket login signs
//! `timestamp + "GET" + "/users/self/verify"` with the timestamp in Unix seconds.

use base64::Engine;
use hmac::{Hmac, Mac};

use super::error::OkxError;

/// How far a request's timestamp may be from the server's clock.
pub const WINDOW_MS: i64 = 30_000;

/// base64(HMAC-SHA256(secret, text)).
pub fn sign(secret: &str, text: &[u8]) -> String {
    let Ok(mut m) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    m.update(text);
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// Milliseconds since the epoch of `YYYY-MM-DDThh:mm:ss.mmmZ`; `None` for anything else.
pub fn parse_iso_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, se, ms) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // days from the civil date (Howard Hinnant's algorithm)
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) * 1000) + ms)
}

/// The REST headers of a private request, read from the request.
pub struct RestAuth<'a> {
    pub key: Option<&'a str>,
    pub sign: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub passphrase: Option<&'a str>,
}

/// Checks a private REST request; `lookup` gives (secret, passphrase) of a key. Errors in OKX's
/// codes: 50103/50104/50106/50107 missing header, 50111 unknown key, 50105 wrong passphrase,
/// 50112 unreadable timestamp, 50102 expired, 50113 bad signature (all HTTP 401).
pub fn verify_rest(
    h: &RestAuth<'_>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now_ms: i64,
    lookup: impl Fn(&str) -> Option<(String, String)>,
) -> Result<String, OkxError> {
    let e = |code, msg: &str| OkxError::new(401, code, msg);
    let key = h
        .key
        .ok_or_else(|| e(50103, "Request header OK-ACCESS-KEY cannot be empty."))?;
    let sig = h
        .sign
        .ok_or_else(|| e(50106, "Request header OK-ACCESS-SIGN cannot be empty."))?;
    let ts = h
        .timestamp
        .ok_or_else(|| e(50107, "Request header OK-ACCESS-TIMESTAMP cannot be empty."))?;
    let pass = h.passphrase.ok_or_else(|| {
        e(
            50104,
            "Request header OK-ACCESS-PASSPHRASE cannot be empty.",
        )
    })?;
    let (secret, passphrase) = lookup(key).ok_or_else(|| e(50111, "Invalid OK-ACCESS-KEY."))?;
    if pass != passphrase {
        return Err(e(50105, "Request header OK-ACCESS-PASSPHRASE incorrect."));
    }
    let t = parse_iso_ms(ts).ok_or_else(|| e(50112, "Invalid OK-ACCESS-TIMESTAMP."))?;
    if (now_ms - t).abs() > WINDOW_MS {
        return Err(e(50102, "Timestamp request expired."));
    }
    let mut text = format!("{ts}{method}{path_and_query}").into_bytes();
    text.extend_from_slice(body);
    if sign(&secret, &text) != sig {
        return Err(e(50113, "Invalid Sign."));
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps() {
        assert_eq!(
            parse_iso_ms("2020-12-08T09:08:57.715Z"),
            Some(1_607_418_537_715)
        );
        assert_eq!(parse_iso_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_iso_ms("2020-12-08 09:08:57.715Z"), None);
        assert_eq!(parse_iso_ms("1607418537715"), None);
    }

    #[test]
    fn the_documented_text_is_verified() {
        let lookup = |k: &str| (k == "k").then(|| ("okx-test-secret".to_string(), "p".to_string()));
        let sig = "zoyYBAbbthbWS/lMxs58ldmr49iLIYLocgewx2gd6g8=";
        let h = |sig| RestAuth {
            key: Some("k"),
            sign: Some(sig),
            timestamp: Some("2020-12-08T09:08:57.715Z"),
            passphrase: Some("p"),
        };
        let now = 1_607_418_537_715;
        assert!(
            verify_rest(
                &h(sig),
                "GET",
                "/api/v5/account/balance?ccy=BTC",
                b"",
                now,
                lookup
            )
            .is_ok()
        );
        let bad = verify_rest(
            &h("AAAA"),
            "GET",
            "/api/v5/account/balance?ccy=BTC",
            b"",
            now,
            lookup,
        );
        assert_eq!(bad.unwrap_err().code, 50113);
        let late = verify_rest(
            &h(sig),
            "GET",
            "/api/v5/account/balance?ccy=BTC",
            b"",
            now + 31_000,
            lookup,
        );
        assert_eq!(late.unwrap_err().code, 50102);
    }
}
