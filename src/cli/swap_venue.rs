//! The AMM venue `sluice swap` drives, wired by hand (the last command not yet behind the
//! connector seam): its report needs the approvals and the receipt of the swap, which
//! `dyn Venue` does not carry yet. Quotes go through the registry (`cli/quote.rs`).

use std::path::PathBuf;

use std::sync::Arc;

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use sluice::amm::AmmError;
use sluice::amm::swap::SwapExecutor;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v2::connector::{UniswapV2Venue, V2Contracts};
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::chain::ChainSpec;
use sluice::chain::evm::{ApprovalPolicy, TxTracker};
use sluice::core::{Asset, Pair, Quote, QuoteRequest, Token};
use sluice::testkit::deploy::Manifest;
use sluice::testkit::deploy::environment::{Snapshot, cache_dir};
use sluice::venue::Venue;

use super::{CliError, Context};

/// The AMM connectors `swap` drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmmVenueName {
    UniswapV2,
    UniswapV3,
}

/// Where the venue is and what it trades.
#[derive(Debug, clap::Args)]
pub struct VenueArgs {
    /// The AMM venue: uniswap_v3@anvil, or uniswap_v2|uniswap_v3 with `--chain`.
    #[arg(long)]
    pub venue: String,
    /// The chain (a name from `sluice chains`): `--venue uniswap_v3 --chain anvil` is the venue
    /// `uniswap_v3@anvil`.
    #[arg(long)]
    pub chain: Option<String>,
    /// The node's JSON-RPC URL; default: the chain spec's first.
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// A deployment manifest (from `sluice anvil`) giving token symbols and protocol addresses;
    /// it must record the node's chain id and genesis hash (another chain's is refused). On the
    /// `anvil` chain the cached test deployment's manifest is used when none is given and it
    /// matches the node.
    #[arg(long, env = "SLUICE_MANIFEST")]
    pub manifest: Option<PathBuf>,
}

impl VenueArgs {
    /// The connector and the chain of `--venue ID [--chain CHAIN]`.
    pub fn target(&self) -> Result<(AmmVenueName, String), CliError> {
        let id = super::connect::venue_id(&self.venue, self.chain.as_deref())?;
        let name = match id.connector.as_str() {
            "uniswap_v2" => AmmVenueName::UniswapV2,
            "uniswap_v3" => AmmVenueName::UniswapV3,
            _ => {
                return Err(
                    format!("`sluice swap` drives uniswap_v2 and uniswap_v3, not {id}").into(),
                );
            }
        };
        let chain = id.chain.clone().ok_or_else(|| {
            format!("{id} runs on a chain: name it with --chain or as {id}@CHAIN")
        })?;
        Ok((name, chain))
    }
}

/// A connected AMM venue of either kind.
pub enum AmmVenue {
    V2(UniswapV2Venue),
    V3(UniswapV3Venue),
}

impl AmmVenue {
    /// Enables swaps signed by `tracker`'s account.
    pub fn with_executor(self, tracker: TxTracker, policy: ApprovalPolicy) -> Self {
        match self {
            AmmVenue::V2(v) => AmmVenue::V2(v.with_executor(tracker, policy)),
            AmmVenue::V3(v) => AmmVenue::V3(v.with_executor(tracker, policy)),
        }
    }

    pub fn executor(&self) -> Option<&Arc<SwapExecutor>> {
        match self {
            AmmVenue::V2(v) => v.executor(),
            AmmVenue::V3(v) => v.executor(),
        }
    }

    pub fn as_venue(&self) -> &dyn Venue {
        match self {
            AmmVenue::V2(v) => v,
            AmmVenue::V3(v) => v,
        }
    }

    /// Whether `symbol` is the chain's native asset (paid or received as native coin).
    pub fn is_native(&self, symbol: &str) -> bool {
        match self {
            AmmVenue::V2(v) => v.is_native(symbol),
            AmmVenue::V3(v) => v.is_native(symbol),
        }
    }

    pub async fn resolve_token(&self, text: &str) -> Result<Token, AmmError> {
        match self {
            AmmVenue::V2(v) => v.resolve_token(text).await,
            AmmVenue::V3(v) => v.resolve_token(text).await,
        }
    }

    pub async fn quote_tokens(
        &self,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> Result<Quote, AmmError> {
        match self {
            AmmVenue::V2(v) => v.quote_tokens(request, base, quote).await,
            AmmVenue::V3(v) => v.quote_tokens(request, base, quote).await,
        }
    }
}

/// The manifest to use with the node behind `provider`: the one named by `--manifest` or
/// `SLUICE_MANIFEST` (refused unless it records this node's chain id and genesis hash), or on the
/// `anvil` chain the cached test deployment's, used only when it matches the node.
async fn load_manifest(
    args: &VenueArgs,
    provider: &DynProvider,
) -> Result<Option<Manifest>, CliError> {
    if let Some(path) = &args.manifest {
        return Ok(Some(Manifest::load_checked(path, provider).await?));
    }
    if args.target()?.1 != "anvil" {
        return Ok(None);
    }
    let Some(snapshot) = cache_dir()
        .ok()
        .and_then(|d| Snapshot::read(&d).ok().flatten())
    else {
        return Ok(None);
    };
    match snapshot
        .manifest
        .check_on("the cached test deployment's manifest", provider)
        .await
    {
        Ok(()) => Ok(Some(snapshot.manifest)),
        Err(e) => {
            tracing::warn!("{e}; not used (pass --manifest for this node's deployment)");
            Ok(None)
        }
    }
}

/// Connects the chosen venue: provider, tokens and contract addresses.
pub async fn open_venue(
    args: &VenueArgs,
    ctx: &Context,
) -> Result<(AmmVenue, DynProvider, &'static str), CliError> {
    let (which, chain) = args.target()?;
    let spec: &ChainSpec = ctx.chain(&chain)?;
    let url = match &args.rpc_url {
        Some(u) => u.clone(),
        None => spec
            .rpc_urls
            .first()
            .cloned()
            .ok_or_else(|| format!("chain {} has no RPC URL; pass --rpc-url", spec.name))?,
    };
    let provider = ProviderBuilder::new()
        .connect(&url)
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?
        .erased();
    let manifest = load_manifest(args, &provider).await?;
    let mut tokens = TokenBook::from_chain_spec(spec);
    if let Some(m) = &manifest {
        tokens.add_manifest(m);
    }
    let native = Asset::new(&spec.native.symbol)?;
    let venue = match which {
        AmmVenueName::UniswapV2 => {
            let contracts = match &manifest {
                Some(m) => V2Contracts::from(m),
                None => V2Contracts::from_chain_spec(spec)?,
            };
            AmmVenue::V2(
                UniswapV2Venue::connect(&spec.name, native, provider.clone(), contracts, tokens)
                    .await?,
            )
        }
        AmmVenueName::UniswapV3 => {
            let contracts = match &manifest {
                Some(m) => V3Contracts::from(m),
                None => V3Contracts::from_chain_spec(spec)?,
            };
            AmmVenue::V3(
                UniswapV3Venue::connect(&spec.name, native, provider.clone(), contracts, tokens)
                    .await?,
            )
        }
    };
    let name = match which {
        AmmVenueName::UniswapV2 => "uniswap_v2",
        AmmVenueName::UniswapV3 => "uniswap_v3",
    };
    Ok((venue, provider, name))
}

/// Resolves `BASE-QUOTE` (symbols or addresses) to tokens and a pair of their symbols; the native
/// asset (ETH) resolves to its wrapped token and stays ETH in the pair.
pub async fn resolve_pair(venue: &AmmVenue, text: &str) -> Result<(Token, Token, Pair), CliError> {
    let (b, q) = text
        .split_once('-')
        .ok_or_else(|| format!("invalid pair {text:?}: expected BASE-QUOTE, e.g. WETH-USDC"))?;
    let base = venue.resolve_token(b).await?;
    let quote = venue.resolve_token(q).await?;
    if base.address == quote.address {
        return Err(format!("invalid pair {text:?}: base and quote are the same token").into());
    }
    // The native asset keeps its own symbol in the pair (ETH-USDC, not WETH-USDC), so the swap
    // pays or receives native coin; it is priced through its wrapped token.
    let symbol = |text: &str, token: &Token| -> Result<Asset, CliError> {
        if venue.is_native(text) {
            Ok(Asset::new(&text.trim().to_ascii_uppercase())?)
        } else {
            Ok(token.symbol.clone())
        }
    };
    let pair = Pair::new(symbol(b, &base)?, symbol(q, &quote)?);
    Ok((base, quote, pair))
}
