//! Sites: a tenant's websites, their pages (GrapesJS project data), templates,
//! versions and publishing, and the Host routing that serves a published site on
//! its subdomain or custom domain.
//!
//! Not built yet: this crate marks its place in the workspace so the layout of
//! ARCHITECTURE.md holds from the first commit. It will depend on `core`, `store`
//! and `security` only.
