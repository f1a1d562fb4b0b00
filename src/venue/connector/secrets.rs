//! Where a connector gets the wallet password (which unlocks wallets and the sealed API keys):
//! asked for lazily, only by a connector that needs it, and at most once per process
//! ([`PasswordOnce`] around the CLI's prompt).

use std::sync::Mutex;

use crate::wallet::SecretString;

/// Why no password could be had. Never contains one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("no secrets here: {0}")]
    Unavailable(String),
    #[error("reading the wallet password failed: {0}")]
    Prompt(String),
}

/// Yields the wallet password.
pub trait SecretSource: Send + Sync {
    fn wallet_password(&self) -> Result<SecretString, SecretError>;
}

/// No secrets: for read-only use (quotes, books).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecrets;

impl SecretSource for NoSecrets {
    fn wallet_password(&self) -> Result<SecretString, SecretError> {
        Err(SecretError::Unavailable(
            "this command connects read-only and asks for no password".into(),
        ))
    }
}

/// A password known beforehand (tests, the demo).
#[derive(Debug, Clone)]
pub struct FixedPassword(pub SecretString);

impl SecretSource for FixedPassword {
    fn wallet_password(&self) -> Result<SecretString, SecretError> {
        Ok(self.0.clone())
    }
}

type Ask = dyn Fn() -> Result<SecretString, SecretError> + Send + Sync;

/// Asks `ask` (a prompt, an environment variable) on first use only and keeps the answer, or the
/// failure, for every later call.
pub struct PasswordOnce {
    ask: Box<Ask>,
    answer: Mutex<Option<Result<SecretString, SecretError>>>,
}

impl std::fmt::Debug for PasswordOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordOnce([redacted])")
    }
}

impl PasswordOnce {
    pub fn new(
        ask: impl Fn() -> Result<SecretString, SecretError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            ask: Box::new(ask),
            answer: Mutex::new(None),
        }
    }
}

impl SecretSource for PasswordOnce {
    fn wallet_password(&self) -> Result<SecretString, SecretError> {
        let mut answer = self.answer.lock().unwrap_or_else(|p| p.into_inner());
        answer.get_or_insert_with(|| (self.ask)()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_password_is_asked_once() {
        let asked = Arc::new(AtomicUsize::new(0));
        let a = asked.clone();
        let once = PasswordOnce::new(move || {
            a.fetch_add(1, Ordering::SeqCst);
            Ok(SecretString::from("pw"))
        });
        for _ in 0..3 {
            assert_eq!(once.wallet_password().unwrap().expose(), "pw");
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert_eq!(format!("{once:?}"), "PasswordOnce([redacted])");

        let failing = PasswordOnce::new(|| Err(SecretError::Prompt("no terminal".into())));
        assert!(failing.wallet_password().is_err());
        assert!(failing.wallet_password().is_err());
        assert!(NoSecrets.wallet_password().is_err());
    }
}
