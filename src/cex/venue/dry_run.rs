//! Dry runs at an exchange: the order is checked like any other and goes through the
//! exchange's real `submit` with the REST client in capture mode, so the request printed is the
//! one a live submit would send, signed at the exchange's clock. Reads the submit makes first may
//! go out; the first state-changing request is caught before it leaves; nothing is tracked.

use crate::cex::error::CexError;
use crate::cex::http::PreparedRequest;
use crate::core::OrderRequest;
use crate::venue::{DryRun, VenueError, WireForm};

use super::ExchangeVenue;
use super::exchange::ExchangeApi;

impl<E: ExchangeApi> ExchangeVenue<E> {
    pub(super) async fn dry_run_order(&self, order: OrderRequest) -> Result<DryRun, VenueError> {
        let market = self.checked_market(&order).await?;
        let rest = self.inner.rest.capturing();
        match self.inner.exchange.submit(&rest, &order, &market).await {
            Err(CexError::Captured(prepared)) => Ok(DryRun {
                venue: self.inner.id.to_string(),
                wire: http_form(*prepared)?,
            }),
            Err(e) => Err(e.into()),
            Ok(_) => Err(VenueError::NotSupported(format!(
                "{}: order {} was submitted without a state-changing HTTP request, so it \
                 cannot be dry-run",
                self.inner.id, order.client_id
            ))),
        }
    }
}

/// The wire form of a captured request: its body must be text (JSON or form, as every
/// exchange's bodies are).
fn http_form(p: PreparedRequest) -> Result<WireForm, VenueError> {
    let body = match p.body {
        None => None,
        Some(b) => Some(String::from_utf8(b).map_err(|_| {
            VenueError::InvalidRequest(format!(
                "dry run: the body of {} {} is not UTF-8 text",
                p.method,
                p.url.split('?').next().unwrap_or_default()
            ))
        })?),
    };
    Ok(WireForm::Http {
        method: p.method.to_string(),
        url: p.url,
        headers: p
            .headers
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        body,
    })
}
