//! The log filter every sluice process installs: `RUST_LOG` (default: warnings) plus directives that
//! keep credentials out of third-party logs whatever level is asked for. Two libraries quote a URL
//! that carries a credential: alloy's HTTP transport opens a DEBUG span `ReqwestTransport{url=…}`
//! around every RPC request (and RPC URLs hold API keys in their path or query), so every event
//! inside it would print the key; tungstenite logs the websocket upgrade request at TRACE (the
//! legacy Binance user stream's path is its listenKey). Those spans and events are capped below
//! the levels that print them; the events of the HTTP client inside still show, without the span.

use tracing_subscriber::EnvFilter;

/// Directives that win over `RUST_LOG`: target and the most verbose level allowed for it.
pub const SECRET_SAFE_DIRECTIVES: &[&str] = &[
    "alloy_transport_http=info",
    "tungstenite::handshake::client=debug",
];

/// `filter` with [`SECRET_SAFE_DIRECTIVES`] added (they replace any directive on the same target).
pub fn secret_safe(mut filter: EnvFilter) -> EnvFilter {
    for d in SECRET_SAFE_DIRECTIVES {
        if let Ok(directive) = d.parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// The filter from `RUST_LOG` (warnings when unset or unreadable), made [`secret_safe`].
pub fn filter_from_env() -> EnvFilter {
    secret_safe(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_directive_parses_and_caps_its_target() {
        for d in SECRET_SAFE_DIRECTIVES {
            assert!(
                d.parse::<tracing_subscriber::filter::Directive>().is_ok(),
                "{d}"
            );
        }
        let shown = secret_safe(EnvFilter::new("trace")).to_string();
        assert!(shown.contains("alloy_transport_http=info"), "{shown}");
        assert!(
            shown.contains("tungstenite::handshake::client=debug"),
            "{shown}"
        );
    }
}
