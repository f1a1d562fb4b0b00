//! Secret strings that wipe themselves: passwords and passphrases. `Debug` prints `[redacted]`, there
//! is no `Display`, and the memory is zeroized on drop.

use std::fmt;

use zeroize::{ZeroizeOnDrop, Zeroizing};

/// A password, BIP-39 passphrase or other secret text.
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret itself; keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value.to_string())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

// The one field is `Zeroizing`.
impl ZeroizeOnDrop for SecretString {}

/// A password that unlocks wallet files.
pub type Password = SecretString;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::from("hunter2");
        assert_eq!(format!("{s:?}"), "SecretString([redacted])");
        assert_eq!(s.expose(), "hunter2");
    }
}
