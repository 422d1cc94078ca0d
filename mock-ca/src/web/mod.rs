//! The thin HTTP/TLS layer over the domain: the public pages of the issuance and confirmation
//! sites ([`site`], with the journal middleware and the fault injection), the admin API, the TLS
//! identities, and [`server`], where [`MockCa`](server::MockCa) puts them on two listeners.

pub(crate) mod admin;
pub(crate) mod applicant;
pub(crate) mod server;
pub(crate) mod site;
pub mod tls;
