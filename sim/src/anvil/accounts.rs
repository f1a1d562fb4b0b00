//! The ten funded development accounts every anvil starts with, derived from anvil's well-known test
//! mnemonic (`m/44'/60'/0'/0/i`). They hold 10 000 test ETH each on a fresh node and are public knowledge:
//! never use them anywhere but on a local chain.

use std::sync::OnceLock;

use alloy::network::EthereumWallet;
use alloy::primitives::Address;
use alloy::signers::local::{MnemonicBuilder, PrivateKeySigner};

/// anvil's default mnemonic.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// How many accounts anvil funds by default.
pub const DEV_ACCOUNT_COUNT: usize = 10;

/// The ten dev signers, derived once per process (derivation runs PBKDF2 and is not free).
pub fn dev_signers() -> &'static [PrivateKeySigner] {
    static SIGNERS: OnceLock<Vec<PrivateKeySigner>> = OnceLock::new();
    SIGNERS.get_or_init(|| {
        (0..DEV_ACCOUNT_COUNT as u32)
            .filter_map(|i| {
                MnemonicBuilder::from_phrase(DEV_MNEMONIC)
                    .index(i)
                    .ok()?
                    .build()
                    .ok()
            })
            .collect()
    })
}

/// The signer of dev account `index` (0..10), if it exists.
pub fn dev_signer(index: usize) -> Option<&'static PrivateKeySigner> {
    dev_signers().get(index)
}

/// The addresses of the ten dev accounts, in order.
pub fn dev_addresses() -> Vec<Address> {
    dev_signers().iter().map(|s| s.address()).collect()
}

/// A wallet holding all ten dev keys; account 0 (the deployer) signs by default, any other account signs
/// the transactions whose `from` is its address.
pub fn dev_wallet() -> EthereumWallet {
    let signers = dev_signers();
    let mut iter = signers.iter().cloned();
    let mut wallet = match iter.next() {
        Some(first) => EthereumWallet::new(first),
        None => return EthereumWallet::default(),
    };
    for s in iter {
        wallet.register_signer(s);
    }
    wallet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_anvils_well_known_accounts() {
        let addrs = dev_addresses();
        assert_eq!(addrs.len(), 10);
        assert_eq!(
            addrs[0],
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .parse::<Address>()
                .unwrap()
        );
        assert_eq!(
            addrs[9],
            "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
                .parse::<Address>()
                .unwrap()
        );
        let key0 = dev_signer(0).unwrap().to_bytes();
        assert_eq!(
            hex::encode(key0),
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        );
    }
}
