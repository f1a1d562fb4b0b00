//! Terraswap pairs on Terra (phoenix-1) and Terra Classic (columbus-5), the catalog's
//! `terra_swap`: Terraswap and Astroport XYK pairs ([`kind`]), their exact swap math ([`math`], pure), its JSON messages ([`msg`]), smart
//! queries over the LCD ([`client`]), swap messages and amounts ([`swap`]), the venue ([`venue`]) and its connector ([`connect`],
//! table [`config`]).

pub mod client;
pub mod config;
pub mod connect;
pub mod kind;
pub mod math;
pub mod msg;
pub mod swap;
pub mod venue;
