//! The API keys an exchange connector trades with, found the same way for every exchange: none
//! for a read-only connection; the context's in-memory keys (by the venue's label) when it holds
//! keys in memory (tests, the demo); else the home's sealed key store (by the connector's name),
//! unlocked with the wallet password.

use crate::cex::auth::ApiCredentials;
use crate::cex::key_store::ApiKeyStore;
use crate::venue::VenueId;
use crate::venue::connector::{Access, ConnectContext, ConnectError};

/// The credentials venue `id` (served by the connector `store_name`, under which the key store
/// holds its keys) trades with in `ctx`; `None` when the context is read-only.
pub fn trading_credentials(
    id: &VenueId,
    store_name: &str,
    ctx: &ConnectContext,
) -> Result<Option<ApiCredentials>, ConnectError> {
    match ctx.access {
        Access::ReadOnly => Ok(None),
        Access::Trade if ctx.keys.is_some() => {
            let key = match ctx.memory_api_key(id) {
                Some(found) => found?,
                None => return Err(ConnectError::secrets(id, "no keys in memory")),
            };
            let mut creds = ApiCredentials::new(key.key(), key.secret())
                .map_err(|e| ConnectError::secrets(id, e))?;
            if let Some(p) = key.passphrase() {
                creds = creds
                    .with_passphrase(p)
                    .map_err(|e| ConnectError::secrets(id, e))?;
            }
            Ok(Some(creds))
        }
        Access::Trade => {
            let password = ctx
                .secrets
                .wallet_password()
                .map_err(|e| ConnectError::secrets(id, e))?;
            let creds = ApiKeyStore::new(&ctx.home)
                .load(store_name, password.as_bytes())
                .map_err(|e| ConnectError::secrets(id, e))?;
            Ok(Some(creds))
        }
    }
}
