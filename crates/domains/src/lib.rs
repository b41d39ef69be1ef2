//! Domains: custom domains, DNS verification, ACME certificate issuance and
//! renewal, and the certificate store shared by every replica.
//!
//! Not built yet: this crate marks its place in the workspace.
