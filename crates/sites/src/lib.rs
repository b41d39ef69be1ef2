//! Sites: a tenant's websites. It owns sites and their pages (GrapesJS
//! project data, a version per save, optimistic concurrency), the template
//! gallery, image assets, publishing to static HTML, the one Host lookup
//! with each replica's cache of published sites, what a site's own host
//! answers (pages, sitemap, robots, 404, forms), and form submissions.
//!
//! Start with [`service::Sites`]; [`routes`] is the dashboard's HTTP face,
//! [`serve`] a site's own, [`host`] the Host lookup, [`render`] the
//! renderer and sanitiser, and [`store`] the SQL. Usage (`sites`,
//! `pages_published`, `storage_bytes`) goes through billing's `Metering`.
#![warn(missing_docs)]

pub mod error;
pub mod host;
pub mod model;
pub mod render;
pub mod routes;
pub mod serve;
pub mod service;
pub mod store;
pub mod templates;

pub use error::Error;
pub use host::Hosting;
pub use service::{Sites, SitesConfig};
