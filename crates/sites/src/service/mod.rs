//! The rules of sites. No HTTP here: routes parse input and call one method;
//! each method checks the caller's rights and does its work in one
//! transaction.
//!
//! - [`sites`]: creating a site from a template, listing, deleting.
//! - [`pages`]: pages, saves with optimistic concurrency, versions, restore.
//! - [`publish`]: publishing, unpublishing, preview links.
//! - [`assets`]: image uploads, checked by content, resized and stripped.
//! - [`forms`]: submissions from published sites, spam checks, export.

use crate::error::Error;
use crate::host::Hosting;
use crate::model::SiteId;
use chrono::{DateTime, Utc};
use stackpro_core::metering::Metering;
use stackpro_core::{Clock, Role, TenantCtx};
use stackpro_security::service::Actor;
use stackpro_security::Security;
use stackpro_store::{BlobStore, Bus, Counters, Db, TenantTx};
use std::sync::Arc;

pub mod assets;
pub mod forms;
pub mod pages;
pub mod publish;
pub mod sites;

/// How sites are reached, from the configuration.
#[derive(Clone, Debug)]
pub struct SitesConfig {
    /// The domain whose subdomains are sites (`localhost` by default).
    pub base_domain: String,
    /// `http` or `https`.
    pub scheme: String,
    /// The port sites are reached on, when not the scheme's default.
    pub port: Option<u16>,
}

impl SitesConfig {
    /// From the public URL (scheme and port) and the base domain.
    pub fn from_public_url(public_url: &str, base_domain: &str) -> SitesConfig {
        let parsed = url::Url::parse(public_url).ok();
        let scheme = parsed.as_ref().map(|u| u.scheme().to_owned()).unwrap_or_else(|| "http".into());
        let port = parsed.as_ref().and_then(url::Url::port);
        SitesConfig { base_domain: base_domain.trim_matches('.').to_ascii_lowercase(), scheme, port }
    }
    /// The site's address: `http://<slug>.<base domain>[:port]`.
    pub fn origin(&self, slug: &str) -> String {
        match self.port {
            Some(p) => format!("{}://{slug}.{}:{p}", self.scheme, self.base_domain),
            None => format!("{}://{slug}.{}", self.scheme, self.base_domain),
        }
    }
}

/// Sites, pages, assets, publishing and forms. Cheap to clone.
#[derive(Clone)]
pub struct Sites(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) db: Db,
    pub(crate) security: Security,
    pub(crate) blobs: BlobStore,
    pub(crate) bus: Bus,
    pub(crate) counters: Counters,
    pub(crate) metering: Arc<dyn Metering<TenantTx>>,
    pub(crate) clock: Clock,
    pub(crate) config: SitesConfig,
    /// Signs preview links and proof-of-work challenges.
    pub(crate) secret: [u8; 32],
    pub(crate) hosting: Hosting,
}

impl std::fmt::Debug for Sites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sites")
    }
}

impl Sites {
    /// The service. `secret` signs preview links and form challenges (a
    /// server secret, the same on every replica).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        security: Security,
        blobs: BlobStore,
        bus: Bus,
        counters: Counters,
        metering: Arc<dyn Metering<TenantTx>>,
        clock: Clock,
        config: SitesConfig,
        secret: [u8; 32],
    ) -> Sites {
        let hosting = Hosting::new(db.clone(), bus.clone(), clock.clone(), config.clone());
        Sites(Arc::new(Inner { db, security, blobs, bus, counters, metering, clock, config, secret, hosting }))
    }

    /// The Host lookup and the cache of published sites.
    pub fn hosting(&self) -> &Hosting {
        &self.0.hosting
    }

    /// The configuration.
    pub fn config(&self) -> &SitesConfig {
        &self.0.config
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    /// Editing needs the member role; clients see no sites.
    pub(crate) fn may_edit(ctx: &TenantCtx) -> Result<(), Error> {
        ctx.may_write(Role::Member, "Editing sites needs the member role or higher.").map_err(Error::Forbidden)
    }

    /// Publishing, deleting and creating sites need the admin role.
    pub(crate) fn may_manage(ctx: &TenantCtx) -> Result<(), Error> {
        ctx.may_write(Role::Admin, "This needs the admin role or higher.").map_err(Error::Forbidden)
    }

    /// Reading sites needs the member role (clients see none).
    pub(crate) fn may_read(ctx: &TenantCtx) -> Result<(), Error> {
        if !ctx.role.at_least(Role::Member) {
            return Err(Error::SiteNotFound("".into()));
        }
        Ok(())
    }

    pub(crate) fn actor(ctx: &TenantCtx, ip: Option<std::net::IpAddr>) -> Actor {
        Actor { id: Some(ctx.principal.id()), label: None, ip }
    }

    /// The site row, or `site_not_found` (also for another tenant's).
    pub(crate) async fn site_row(tx: &mut TenantTx, id: SiteId, lock: bool) -> Result<crate::store::SiteRow, Error> {
        crate::store::site(tx, id, lock).await?.ok_or_else(|| Error::SiteNotFound(id.to_string()))
    }

    /// Tells every replica a site changed (after the commit that changed it).
    pub(crate) async fn announce(&self, slug: &str) {
        self.0.hosting.forget(slug);
        if let Err(e) = self.0.bus.publish(crate::model::CHANGED_TOPIC, bytes::Bytes::from(slug.to_owned())).await {
            // The other replicas' poll picks the change up within seconds.
            tracing::warn!(error = %e, "cannot announce a site change on the bus");
        }
    }
}
