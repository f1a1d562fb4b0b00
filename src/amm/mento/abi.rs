//! The Mento v2 contract interfaces this connector calls (Broker, BiPoolManager, SortedOracles)
//! and their events, generated from the official ABIs in `abis/` (see `abis/README.md`), plus the
//! pricing modules' `name()`.

use alloy::sol;

sol!(IMentoBroker, "abis/MentoBroker.json");
sol!(IMentoBiPoolManager, "abis/MentoBiPoolManager.json");
sol!(IMentoSortedOracles, "abis/MentoSortedOracles.json");

sol! {
    /// What both pricing modules answer to.
    interface IMentoPricingModule {
        function name() external view returns (string);
    }
}
