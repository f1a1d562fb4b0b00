//! The wallet layer: one mnemonic, the right key for every chain, encrypted at rest.
//!
//! - [`mnemonic`]: BIP-39 (generate, validate, seed with NFKD passphrase);
//! - [`derivation`]: BIP-32/44 paths and child keys; chain paths come from the chain specs'
//!   `key_path` (`m/44'/60'/0'/0` for Ethereum and xDai, `m/44'/52752'/0'/0` Celo,
//!   `m/44'/330'/0'/0` Terra) plus `/index`;
//! - [`keys`]: [`PrivateKey`], EIP-55 and bech32 addresses, the alloy EVM signer;
//! - [`cosmos_signer`]: secp256k1 over SHA-256 of sign bytes, 64-byte compact, low-s;
//! - [`keystore`]: Ethereum keystore v3 import (scrypt, PBKDF2) and export;
//! - [`store`]: wallet files under the sluice home;
//! - [`account`]: a wallet's account `index` on a chain: address and ready signers;
//! - [`secret_input`]: secrets from the user (no-echo terminal, pipe, `SLUICE_PASSWORD` taken out of
//!   the environment at start-up);
//! - [`kdf`], [`sealed`], [`secure_file`], [`secret`]: the secret-at-rest building blocks —
//!   [`SealedBox`] (scrypt + AES-256-GCM, versioned JSON) and atomic 0600 files are also used for
//!   exchange API keys.

pub mod account;
pub mod cosmos_signer;
pub mod derivation;
pub mod kdf;
pub mod keys;
pub mod keystore;
pub mod mnemonic;
pub mod sealed;
pub mod secret;
pub mod secret_input;
pub mod secure_file;
pub mod store;

pub use account::{AccountError, ChainAccount};
pub use cosmos_signer::{CosmosSigner, verify_cosmos_signature};
pub use derivation::{DerivationError, DerivationPath, account_path, derive_key};
pub use kdf::{KdfError, ScryptParams};
pub use keys::{KeyError, PrivateKey};
pub use keystore::{KeystoreError, decrypt_keystore, encrypt_keystore};
pub use mnemonic::{Mnemonic, MnemonicError, Seed, WordCount};
pub use sealed::{SealError, SealedBox};
pub use secret::{Password, SecretString};
pub use secret_input::{PASSWORD_ENV, SecretInputError};
pub use secure_file::{
    SecureFileError, WriteMode, create_private_dir, ensure_private_dir, read_private_file,
    write_private_file,
};
pub use store::{StoreError, UnlockedWallet, WalletInfo, WalletKind, WalletStore};
