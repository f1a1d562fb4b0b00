//! Terraswap-style pairs on Terra (phoenix-1) and Terra Classic (columbus-5): the pair's exact
//! swap math ([`math`], pure), its JSON messages ([`msg`]).

pub mod math;
pub mod msg;
