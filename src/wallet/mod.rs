//! The wallet layer: secrets at rest and the building blocks for keys.
//!
//! - [`kdf`]: scrypt / PBKDF2 with bounded parameters (accepts every set real keystores use);
//! - [`sealed`]: [`SealedBox`], any secret bytes encrypted under a password (scrypt + AES-256-GCM) as a
//!   versioned JSON document — also used for exchange API keys;
//! - [`secure_file`]: 0700 directories and atomic 0600 file writes.

pub mod kdf;
pub mod sealed;
pub mod secure_file;

pub use kdf::{KdfError, ScryptParams};
pub use sealed::{SealError, SealedBox};
pub use secure_file::{
    SecureFileError, WriteMode, create_private_dir, read_private_file, write_private_file,
};
