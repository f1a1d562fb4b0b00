//! Framework tests with a fake exchange (written next).
