//! Strategies. They are event-driven: they react to book and pool events as they arrive.

pub mod arb;
pub mod spot_perp;

use crate::strategy::arb::{ConfigError, RunOutcome};

/// A strategy's TOML config parsed into `T`; a syntax or type error is a [`ConfigError`] naming
/// the line it is on (or the file, without a position).
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, ConfigError> {
    toml::from_str(s).map_err(|e| {
        let key = e
            .span()
            .and_then(|sp| s.get(..sp.start))
            .map(|before| format!("line {}", before.lines().count().max(1)))
            .unwrap_or_else(|| "file".into());
        ConfigError {
            key,
            problem: e.message().to_string(),
        }
    })
}

/// How a run's end is written in the journal (`stopped`, `policy_stop: …`).
pub(crate) fn outcome_label(outcome: &RunOutcome) -> String {
    match outcome {
        RunOutcome::Stopped => "stopped".to_string(),
        RunOutcome::MaxTrades => "max_trades".to_string(),
        RunOutcome::TooManyFailures(d) => format!("too_many_failures: {d}"),
        RunOutcome::PolicyStop(d) => format!("policy_stop: {d}"),
        RunOutcome::VenueGone(d) => format!("venue_gone: {d}"),
    }
}

/// A [`ConfigError`] naming `key`.
pub(crate) fn config_error(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        problem: problem.into(),
    }
}
