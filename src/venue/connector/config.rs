//! A connector's own `[connect.<venue>]` table into its typed config: every key checked against
//! the config struct's fields (read from its `Deserialize` impl, so the list cannot drift), then
//! deserialized, a bad value reported with its key.

use serde::de::{self, DeserializeOwned, Visitor};

use super::{ConnectContext, ConnectError};
use crate::venue::VenueId;

/// `connect.binance`, or `connect."uniswap_v3@anvil"` where the id needs quoting in TOML.
pub fn table_name(id: &VenueId) -> String {
    let s = id.to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("connect.{s}")
    } else {
        format!("connect.\"{s}\"")
    }
}

/// A URL key of a connector's table: `default` when the key is absent, else its value, which must
/// parse as a URL with one of `schemes` (`["http", "https"]`, `["ws", "wss"]`).
pub fn url_value(
    id: &VenueId,
    ctx: &ConnectContext,
    key: &str,
    value: Option<String>,
    default: &str,
    schemes: &[&str],
) -> Result<String, ConnectError> {
    let Some(v) = value else {
        return Ok(default.to_string());
    };
    match url::Url::parse(&v) {
        Ok(u) if schemes.contains(&u.scheme()) => Ok(v),
        Ok(u) => Err(ConnectError::bad_value(
            id,
            ctx,
            key,
            format!("scheme {:?}; expected {}", u.scheme(), schemes.join(" or ")),
        )),
        Err(e) => Err(ConnectError::bad_value(id, ctx, key, e)),
    }
}

/// A closed venue's REST and websocket URLs (`rest_url`, `ws_url` of its table): it has no public
/// endpoint any more, so both are required, and a missing one is an error that says why
/// (`closed`, e.g. "dYdX v3 closed in 2024") and names the key.
pub fn closed_venue_urls(
    id: &VenueId,
    ctx: &ConnectContext,
    closed: &str,
    rest_url: Option<String>,
    ws_url: Option<String>,
) -> Result<(String, String), ConnectError> {
    let url = |key: &str, value: Option<String>, schemes: &[&str]| match value {
        None => Err(ConnectError::missing(
            id,
            ctx,
            key,
            &format!(
                "{closed} and has no public endpoint any more; set `{key}` to the server to use (a simulator or an archive)"
            ),
        )),
        Some(v) => url_value(id, ctx, key, Some(v), "", schemes),
    };
    Ok((
        url("rest_url", rest_url, &["http", "https"])?,
        url("ws_url", ws_url, &["ws", "wss"])?,
    ))
}

/// Refuses a chain label on an exchange's id (`binance@ethereum`): `name` is an exchange.
pub fn off_chain(id: &VenueId, name: &str) -> Result<(), ConnectError> {
    match id.chain {
        Some(_) => Err(ConnectError::BadVenueId {
            venue: id.to_string(),
            reason: format!("{name} is an exchange, not on a chain"),
        }),
        None => Ok(()),
    }
}

/// The keys a config struct accepts: the field names its derived `Deserialize` declares.
pub fn config_keys<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields
}

/// Parses `table` into `T`, rejecting an unknown key by name (with the accepted ones) and a bad
/// value by key.
pub fn parse_config<T: DeserializeOwned>(
    id: &VenueId,
    table: &toml::Table,
    ctx: &ConnectContext,
) -> Result<T, ConnectError> {
    let accepted = config_keys::<T>();
    if let Some(key) = table.keys().find(|k| !accepted.contains(&k.as_str())) {
        return Err(ConnectError::UnknownKey {
            file: ctx.file(),
            table: table_name(id),
            key: key.clone(),
            accepted: if accepted.is_empty() {
                "none".into()
            } else {
                accepted.join(", ")
            },
        });
    }
    toml::Value::Table(table.clone())
        .try_into::<T>()
        .map_err(|e| {
            let message = e.message().to_string();
            if let Some(field) = missing_field(&message) {
                return ConnectError::missing(id, ctx, &field, "required");
            }
            // Which key: the first whose value alone does not parse.
            let key = table
                .iter()
                .find(|(k, v)| {
                    let mut one = toml::Table::new();
                    one.insert((*k).clone(), (*v).clone());
                    toml::Value::Table(one)
                        .try_into::<T>()
                        .is_err_and(|e| missing_field(e.message()).is_none())
                })
                .map(|(k, _)| k.clone())
                .unwrap_or_else(|| "?".into());
            ConnectError::bad_value(id, ctx, &key, message)
        })
}

/// `missing field `x`` → `x`.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next().unwrap_or(rest).to_string())
}

/// A deserializer that only records the field names a struct asks for.
struct FieldProbe<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use std::path::Path;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        url: Option<String>,
        #[serde(default)]
        index: u64,
        name: String,
    }

    fn ctx() -> ConnectContext {
        ConnectContext::new(
            Path::new("/tmp/h"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        )
    }

    fn id() -> VenueId {
        "uniswap_v3@anvil".parse().unwrap()
    }

    #[test]
    fn the_accepted_keys_are_the_struct_fields() {
        assert_eq!(config_keys::<Sample>(), ["url", "index", "name"]);
        assert_eq!(table_name(&id()), "connect.\"uniswap_v3@anvil\"");
        assert_eq!(table_name(&"binance".parse().unwrap()), "connect.binance");
    }

    #[test]
    fn a_good_table_parses() {
        let t: toml::Table = "name = \"a\"\nindex = 3".parse().unwrap();
        let s: Sample = parse_config(&id(), &t, &ctx()).unwrap();
        assert_eq!(
            s,
            Sample {
                url: None,
                index: 3,
                name: "a".into()
            }
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_file_table_and_the_accepted_keys() {
        let t: toml::Table = "name = \"a\"\nurl_typo = \"x\"".parse().unwrap();
        let e = parse_config::<Sample>(&id(), &t, &ctx()).unwrap_err();
        match &e {
            ConnectError::UnknownKey {
                file,
                table,
                key,
                accepted,
            } => {
                assert_eq!(file, "arb.toml");
                assert_eq!(table, "connect.\"uniswap_v3@anvil\"");
                assert_eq!(key, "url_typo");
                assert_eq!(accepted, "url, index, name");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "arb.toml: [connect.\"uniswap_v3@anvil\"]: unknown key `url_typo`; accepted keys: url, index, name"
        );
    }

    #[test]
    fn a_bad_value_names_its_key_and_a_missing_field_is_typed() {
        let t: toml::Table = "name = \"a\"\nindex = \"three\"".parse().unwrap();
        match parse_config::<Sample>(&id(), &t, &ctx()).unwrap_err() {
            ConnectError::BadValue { key, reason, .. } => {
                assert_eq!(key, "index");
                assert!(reason.contains("string"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let t: toml::Table = "index = 1".parse().unwrap();
        match parse_config::<Sample>(&id(), &t, &ctx()).unwrap_err() {
            ConnectError::MissingField { field, .. } => assert_eq!(field, "name"),
            other => panic!("{other:?}"),
        }
    }
}
