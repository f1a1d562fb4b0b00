//! A spot exchange on the generic venue keeps the perpetual defaults: every position call says
//! "not supported", names the venue, and sends nothing; a perpetual order is not tracked.

use crate::core::{MarginMode, PerpOrder, PositionMode, PositionSide};
use crate::venue::{Venue, VenueError};

use super::fake::venue;
use super::{eth, order};

fn not_supported<T: std::fmt::Debug>(r: Result<T, VenueError>) -> String {
    match r {
        Err(VenueError::NotSupported(what)) => what,
        other => panic!("expected NotSupported, got {other:?}"),
    }
}

#[tokio::test]
async fn a_spot_exchange_refuses_every_perpetual_call() {
    let (fake, v) = venue();
    let id = v.id().to_string();
    for what in [
        not_supported(v.positions(None).await),
        not_supported(v.positions(Some(&eth())).await),
        not_supported(v.funding(&eth()).await),
        not_supported(v.set_leverage(&eth(), 5).await),
        not_supported(v.set_margin_mode(&eth(), MarginMode::Isolated).await),
        not_supported(v.position_mode().await),
        not_supported(v.set_position_mode(PositionMode::Hedge).await),
    ] {
        assert!(what.starts_with(&format!("{id}: ")), "{what}");
    }
    let perp = PerpOrder {
        order: order("p1", eth()),
        position_side: PositionSide::Net,
        reduce_only: true,
    };
    let id = perp.order.client_id.clone();
    not_supported(v.submit_perp(perp).await);
    assert!(v.tracked(&id).is_none());
    assert_eq!(fake.calls("submit"), 0);
}
