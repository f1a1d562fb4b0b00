//! What a signer sees of one HTTP request ([`SignRequest`]) and what it adds to it
//! ([`SignedParts`]): headers, query parameters appended after the request's own, and/or a new
//! body — exactly what goes on the wire.

use std::borrow::Cow;
use std::fmt;

use rand::RngCore;
use reqwest::Method;

/// Percent-encodes `k=v` pairs in order, joined with `&` (UTF-8 bytes as uppercase `%XX`, space
/// as `+`). A connector sends its query string with this encoding, so that the string a recipe
/// signs is the string the exchange receives.
pub fn encode_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    // Sized for the common case (nothing to escape) so that a signed order's query is not
    // reallocated as it grows.
    let len: usize = pairs
        .iter()
        .map(|(k, v)| k.as_ref().len() + v.as_ref().len() + 2)
        .sum();
    let mut s = String::with_capacity(len);
    for (k, v) in pairs {
        append_pair(&mut s, k.as_ref(), v.as_ref());
    }
    s
}

/// Appends `k=v` to the encoded pairs in `out` (after a `&` when `out` is not empty), encoded as
/// [`encode_pairs`] does.
pub fn append_pair(out: &mut String, k: &str, v: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    push_form_encoded(out, k);
    out.push('=');
    push_form_encoded(out, v);
}

/// `application/x-www-form-urlencoded` (the WHATWG byte serializer, as `url::form_urlencoded`):
/// `*-._`, digits and ASCII letters as they are, space as `+`, every other byte as `%XX`. Runs of
/// bytes that need nothing are copied at once: a signed order's parameters are all such runs.
fn push_form_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z') {
            continue;
        }
        if start < i {
            // `start..i` holds only ASCII bytes, and the byte before `start` ended a char (the
            // bytes of a multi-byte char are all escaped): both ends are char boundaries.
            out.push_str(&s[start..i]);
        }
        if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Where a recipe's nonce comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NonceSource {
    /// The venue's own rule: a clock nonce is the request time in milliseconds (Kraken); a random
    /// nonce is drawn fresh (the `nonce` of a Coinbase JWT header).
    #[default]
    Derived,
    /// Exactly this value: to replay a documented example, or `sluice keys sign --nonce`.
    Given(String),
}

/// One HTTP request as the exchange will receive it, and the time it is signed for.
#[derive(Debug, Clone)]
pub struct SignRequest<'a> {
    pub method: Method,
    /// The host (with `:port` when not the default), as in the URL: HTX and Coinbase sign it.
    pub host: &'a str,
    /// The path as sent, from the leading `/`, without the query.
    pub path: &'a str,
    /// The query parameters in the order they are sent (encoded with [`encode_pairs`]).
    pub query: &'a [(String, String)],
    /// `encode_pairs(query)`, when the caller has already encoded it for the URL (the live path
    /// does): recipes then sign this string instead of encoding the pairs again.
    pub(crate) encoded: Option<&'a str>,
    /// The body bytes as sent (empty when there is none).
    pub body: &'a [u8],
    /// Milliseconds since the Unix epoch, from the caller (local clock plus server offset).
    pub time_ms: u64,
    pub nonce: NonceSource,
}

impl<'a> SignRequest<'a> {
    /// A request without host, query or body, with a derived nonce.
    pub fn new(method: Method, path: &'a str, time_ms: u64) -> Self {
        Self {
            method,
            host: "",
            path,
            query: &[],
            encoded: None,
            body: &[],
            time_ms,
            nonce: NonceSource::Derived,
        }
    }

    pub fn host(mut self, host: &'a str) -> Self {
        self.host = host;
        self
    }

    pub fn query(mut self, query: &'a [(String, String)]) -> Self {
        self.query = query;
        self.encoded = None;
        self
    }

    /// `encoded` is `encode_pairs(self.query)`, already made by the caller (for the URL): recipes
    /// sign it instead of encoding the pairs again. Set it after [`SignRequest::query`].
    pub fn with_encoded_query(mut self, encoded: &'a str) -> Self {
        debug_assert_eq!(
            encoded,
            encode_pairs(self.query),
            "the query's own encoding"
        );
        self.encoded = Some(encoded);
        self
    }

    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    pub fn nonce(mut self, nonce: NonceSource) -> Self {
        self.nonce = nonce;
        self
    }

    /// The query string as sent (no leading `?`; empty when there are no parameters): the
    /// caller's encoding when it gave one, else the pairs encoded now.
    pub fn encoded_query(&self) -> Cow<'a, str> {
        match self.encoded {
            Some(q) => Cow::Borrowed(q),
            None => Cow::Owned(encode_pairs(self.query)),
        }
    }

    /// The path followed by `?query` when there is a query: the "request path" most venues sign.
    pub fn path_and_query(&self) -> String {
        let q = self.encoded_query();
        if q.is_empty() {
            self.path.to_string()
        } else {
            format!("{}?{q}", self.path)
        }
    }

    /// Whole seconds since the epoch (Gate.io, Coinbase).
    pub fn time_s(&self) -> u64 {
        self.time_ms / 1000
    }

    /// A nonce taken from the clock: the given one, else the time in milliseconds.
    pub fn clock_nonce(&self) -> String {
        match &self.nonce {
            NonceSource::Given(n) => n.clone(),
            NonceSource::Derived => self.time_ms.to_string(),
        }
    }

    /// A random nonce: the given one, else 32 fresh random bytes in hex.
    pub fn random_nonce(&self) -> String {
        match &self.nonce {
            NonceSource::Given(n) => n.clone(),
            NonceSource::Derived => {
                let mut b = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut b);
                hex::encode(b)
            }
        }
    }

    /// Whether the query or a form-encoded body already carries the parameter `name`.
    pub fn has_param(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
            || url::form_urlencoded::parse(self.body).any(|(k, _)| k == name)
    }
}

/// What a recipe adds to a request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SignedParts {
    /// Headers to set, in order (names as the venue documents them; HTTP names are
    /// case-insensitive).
    pub headers: Vec<(&'static str, String)>,
    /// Query parameters appended after the request's own, in this order.
    pub query: Vec<(String, String)>,
    /// The body to send instead of the request's, when the recipe rewrites it (Kraken's nonce).
    pub body: Option<Vec<u8>>,
    /// `encode_pairs(query)`, when the recipe made it while signing: the caller appends it
    /// instead of encoding `query` again (`None`: encode `query`).
    pub encoded_query: Option<String>,
}

impl SignedParts {
    /// The value of header `name` (case-insensitive), if the recipe set it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of appended query parameter `name`, if the recipe added it.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Names only: a header may carry a passphrase.
impl fmt::Debug for SignedParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(k, _)| *k).collect();
        let query: Vec<&str> = self.query.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("SignedParts")
            .field("headers", &headers)
            .field("query", &query)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The encoder is `url::form_urlencoded`'s, byte for byte, on any text.
        #[test]
        fn encoding_equals_the_url_crates(
            p in proptest::collection::vec((".{0,12}", "\\PC{0,24}|[ -~]{0,24}"), 0..6)
        ) {
            let mut want = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &p {
                want.append_pair(k, v);
            }
            prop_assert_eq!(encode_pairs(&p), want.finish());
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn query_is_encoded_as_sent() {
        let q = pairs(&[("a", "x y"), ("t", "2017-05-11T15:19:30"), ("s", "１")]);
        let r = SignRequest::new(Method::GET, "/p", 1).query(&q);
        assert_eq!(
            r.encoded_query(),
            "a=x+y&t=2017-05-11T15%3A19%3A30&s=%EF%BC%91"
        );
        assert_eq!(
            r.path_and_query(),
            "/p?a=x+y&t=2017-05-11T15%3A19%3A30&s=%EF%BC%91"
        );
        assert_eq!(
            SignRequest::new(Method::GET, "/p", 1).path_and_query(),
            "/p"
        );
    }

    #[test]
    fn nonces_follow_the_source() {
        let r = SignRequest::new(Method::POST, "/p", 1616492376594);
        assert_eq!(r.clock_nonce(), "1616492376594");
        let (a, b) = (r.random_nonce(), r.random_nonce());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b, "a derived random nonce is fresh each time");
        let g = r.nonce(NonceSource::Given("n1".into()));
        assert_eq!(
            (g.clock_nonce(), g.random_nonce()),
            ("n1".into(), "n1".into())
        );
    }

    #[test]
    fn params_are_found_in_query_or_form_body() {
        let q = pairs(&[("symbol", "X")]);
        let r = SignRequest::new(Method::POST, "/p", 1)
            .query(&q)
            .body(b"price=1&timestamp=2");
        assert!(r.has_param("symbol") && r.has_param("timestamp"));
        assert!(!r.has_param("recvWindow"));
    }

    #[test]
    fn debug_shows_names_not_values() {
        let s = SignedParts {
            headers: vec![("OK-ACCESS-PASSPHRASE", "hunter2".into())],
            query: vec![("signature".into(), "abc".into())],
            body: Some(b"nonce=1".to_vec()),
            encoded_query: None,
        };
        let shown = format!("{s:?}");
        assert!(shown.contains("OK-ACCESS-PASSPHRASE") && shown.contains("signature"));
        assert!(
            !shown.contains("hunter2") && !shown.contains("abc"),
            "{shown}"
        );
        assert_eq!(s.header("ok-access-passphrase"), Some("hunter2"));
        assert_eq!(s.query_param("signature"), Some("abc"));
    }
}
