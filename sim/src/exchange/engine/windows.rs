//! What several dialects' REST servers share: request counts in fixed windows per endpoint (as
//! Gate.io and Coinbase count their limits) and the HTTP faults a test injects in place of the
//! next answer.

use std::collections::HashMap;
use std::time::Duration;

/// An HTTP fault served instead of the next REST response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFault {
    /// 429 with the dialect's rate-limit error body.
    TooManyRequests,
    /// An HTML error page (a gateway's) with this status.
    HtmlPage { status: u16 },
    /// A 200 whose body is cut in the middle of its JSON.
    TruncatedJson,
    /// A 200 whose numbers do not fit any decimal (`1e400`).
    HugeNumbers,
    /// The request executes, then the connection closes without an answer (a lost
    /// acknowledgement).
    LostAck,
}

/// Fixed-window counts per endpoint.
#[derive(Debug, Default)]
pub struct Windows {
    counts: HashMap<String, (u64, u64)>,
}

impl Windows {
    /// Counts a request to `endpoint` at `now_ms` under `(limit, window)`: the remaining count,
    /// or the seconds to the window's end when the limit is reached.
    pub fn admit(
        &mut self,
        endpoint: &str,
        (limit, window): (u64, Duration),
        now_ms: u64,
    ) -> Result<u64, u64> {
        let w = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let start = now_ms - now_ms % w;
        let e = self
            .counts
            .entry(endpoint.to_string())
            .or_insert((start, 0));
        if e.0 != start {
            *e = (start, 0);
        }
        if e.1 >= limit {
            return Err((start + w).saturating_sub(now_ms).div_ceil(1000).max(1));
        }
        e.1 += 1;
        Ok(limit - e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_windows_per_endpoint() {
        let mut w = Windows::default();
        let lim = (2, Duration::from_secs(10));
        assert_eq!(w.admit("a", lim, 10_000), Ok(1));
        assert_eq!(w.admit("a", lim, 10_001), Ok(0));
        assert_eq!(w.admit("a", lim, 12_000), Err(8));
        assert_eq!(w.admit("b", lim, 12_000), Ok(1));
        assert_eq!(w.admit("a", lim, 20_000), Ok(1));
    }
}
