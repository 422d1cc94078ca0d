//! `harness drift`: what a recording of a site (a HAR with contents, as Chrome's and Edge's
//! DevTools save one) shows against what a site profile says it should.

pub mod har;
pub mod text;

pub use har::{HarError, Recording};
