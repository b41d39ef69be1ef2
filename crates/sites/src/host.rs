//! The one Host lookup, and each replica's cache of published sites.
//!
//! [`Hosting::resolve`] turns a request's Host into the site it names (its
//! subdomain `<slug>.<base domain>` today; custom domains will resolve here
//! too): serving, previews and forms all ask it, and nothing else reads the
//! Host. What a published site serves is held in memory, each document with
//! its gzip and brotli bodies made once, so a request is a map lookup.
//!
//! The cache follows the credential cache's pattern: a change forgets the
//! site locally right after its commit and announces the slug on the bus;
//! every replica also polls the database every two seconds for sites
//! changed since, and re-checks everything it holds every thirty (a
//! deleted workspace's sites go within that). A load that raced an
//! invalidation of its site is not kept: forgetting removes the site's
//! slot, and the load completes into the removed one.

use crate::error::Error;
use crate::model::{HostSite, SiteId, CHANGED_TOPIC};
use crate::service::SitesConfig;
use crate::store;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use stackpro_core::ids::TenantId;
use stackpro_core::{Clock, Slug};
use stackpro_store::{Bus, Db};
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// The stored path of a site's 404 page.
pub const NOT_FOUND_PATH: &str = "/_404";
/// How long "no site here" is remembered.
const MISSING_TTL: Duration = Duration::from_secs(5);
/// How many hosts the cache holds before it forgets the missing ones.
const MAX_ENTRIES: usize = 50_000;

/// One document as served, in each encoding.
#[derive(Debug)]
pub struct Doc {
    /// Uncompressed.
    pub identity: Bytes,
    /// gzip.
    pub gzip: Bytes,
    /// brotli.
    pub br: Bytes,
    /// Strong entity tag of the content (each encoding adds a suffix).
    pub etag: String,
    /// `Last-Modified`, in HTTP date form.
    pub last_modified: String,
    /// When it was published (to compare `If-Modified-Since`).
    pub modified: DateTime<Utc>,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The page's Content-Security-Policy, for HTML.
    pub csp: Option<String>,
}

impl Doc {
    fn new(
        body: Vec<u8>,
        etag: String,
        modified: DateTime<Utc>,
        content_type: &'static str,
        csp: Option<String>,
    ) -> Doc {
        // The best compression for pages of ordinary size; big ones get a
        // quicker level, so a load never costs seconds of CPU.
        let big = body.len() > 32 * 1024;
        let level = if big { flate2::Compression::default() } else { flate2::Compression::best() };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
        let gzip = gz.write_all(&body).and_then(|()| gz.finish()).unwrap_or_default();
        let mut br = Vec::new();
        {
            let quality = if big { 5 } else { 11 };
            let params = brotli::enc::BrotliEncoderParams { quality, lgwin: 22, ..Default::default() };
            let _ = brotli::BrotliCompress(&mut std::io::Cursor::new(&body), &mut br, &params);
        }
        Doc {
            identity: Bytes::from(body),
            gzip: Bytes::from(gzip),
            br: Bytes::from(br),
            etag,
            last_modified: modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            modified,
            content_type,
            csp,
        }
    }
}

/// What a published site serves.
#[derive(Debug)]
pub struct Bundle {
    /// The site.
    pub site: HostSite,
    /// Pages by path.
    pub pages: HashMap<String, Arc<Doc>>,
    /// The site's 404 page.
    pub not_found: Option<Arc<Doc>>,
    /// `/sitemap.xml`.
    pub sitemap: Option<Arc<Doc>>,
    /// `/robots.txt`.
    pub robots: Option<Arc<Doc>>,
}

enum Entry {
    Missing(Instant),
    Site(Arc<Bundle>),
}

type Slot = Arc<OnceCell<Arc<Entry>>>;

/// The Host lookup and the published-site cache. Cheap to clone.
#[derive(Clone)]
pub struct Hosting(Arc<Inner>);

struct Inner {
    db: Db,
    bus: Bus,
    clock: Clock,
    config: SitesConfig,
    /// `.<base domain>`.
    suffix: String,
    entries: RwLock<HashMap<String, Slot>>,
    site_tenants: RwLock<HashMap<SiteId, TenantId>>,
    /// What other features add to pages (the assistant's widget).
    extras: std::sync::OnceLock<Arc<dyn stackpro_core::hooks::PageExtras>>,
}

impl std::fmt::Debug for Hosting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hosting")
    }
}

impl Hosting {
    pub(crate) fn new(db: Db, bus: Bus, clock: Clock, config: SitesConfig) -> Hosting {
        let suffix = format!(".{}", config.base_domain);
        Hosting(Arc::new(Inner {
            db,
            bus,
            clock,
            config,
            suffix,
            entries: RwLock::new(HashMap::new()),
            site_tenants: RwLock::new(HashMap::new()),
            extras: std::sync::OnceLock::new(),
        }))
    }

    /// The slug a Host names, if it is a site's subdomain: one label, a
    /// valid slug, under the base domain. Other hosts are the dashboard's.
    pub fn slug_of<'a>(&self, host: &'a str) -> Option<&'a str> {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        let name = name.strip_suffix('.').unwrap_or(name);
        let label = name.get(..name.len().checked_sub(self.0.suffix.len())?)?;
        if !name[label.len()..].eq_ignore_ascii_case(&self.0.suffix) || label.contains('.') {
            return None;
        }
        Slug::parse(label).ok()?;
        Some(label)
    }

    /// The one Host lookup: the site a request's Host names, whether
    /// published or not, with what it serves. `None` for the dashboard's
    /// hosts; `Some(None)` for a site subdomain where no site is.
    ///
    /// # Errors
    /// The database's error while loading.
    pub async fn resolve(&self, host: &str) -> Option<Result<Option<Arc<Bundle>>, Error>> {
        let slug = self.slug_of(host)?;
        Some(self.bundle(slug).await)
    }

    async fn bundle(&self, slug: &str) -> Result<Option<Arc<Bundle>>, Error> {
        loop {
            let slot = {
                let map = self.0.entries.read().unwrap_or_else(|p| p.into_inner());
                map.get(slug).cloned()
            };
            let slot = match slot {
                Some(s) => s,
                None => {
                    let mut map = self.0.entries.write().unwrap_or_else(|p| p.into_inner());
                    if map.len() >= MAX_ENTRIES {
                        map.retain(|_, s| matches!(s.get().map(|e| &**e), Some(Entry::Site(_))));
                    }
                    map.entry(slug.to_owned()).or_default().clone()
                }
            };
            let entry = slot.get_or_try_init(|| self.load(slug)).await?.clone();
            match &*entry {
                Entry::Site(b) => return Ok(Some(b.clone())),
                Entry::Missing(at) if at.elapsed() < MISSING_TTL => return Ok(None),
                Entry::Missing(_) => {
                    let mut map = self.0.entries.write().unwrap_or_else(|p| p.into_inner());
                    if map.get(slug).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                        map.remove(slug);
                    }
                }
            }
        }
    }

    async fn load(&self, slug: &str) -> Result<Arc<Entry>, Error> {
        let mut sys = self.0.db.system_read().await?;
        let found = store::site_by_slug(&mut sys, slug).await?;
        sys.commit().await?;
        let Some((tenant, site, generation, published)) = found else {
            return Ok(Arc::new(Entry::Missing(Instant::now())));
        };
        let host = HostSite { tenant, site, slug: slug.to_owned(), generation, published };
        let rows = if published {
            let mut tx = self.0.db.tenant_read_for(tenant).await?;
            let rows = store::published(&mut tx, site).await?;
            tx.commit().await?;
            rows
        } else {
            Vec::new()
        };
        let origin = self.0.config.origin(slug);
        let tags = match (self.0.extras.get(), published) {
            (Some(extras), true) => extras.head_tags(tenant).await,
            _ => String::new(),
        };
        let bundle = tokio::task::spawn_blocking(move || build(host, rows, &origin, &tags)).await.map_err(|e| {
            Error::Store(stackpro_store::StoreError::Blob(object_store::Error::Generic {
                store: "sites",
                source: Box::new(e),
            }))
        })?;
        Ok(Arc::new(Entry::Site(Arc::new(bundle))))
    }

    /// Sets what other features add to pages (once, at start).
    pub fn set_extras(&self, extras: Arc<dyn stackpro_core::hooks::PageExtras>) {
        let _ = self.0.extras.set(extras);
    }

    /// Forgets every cached site of a tenant on this replica.
    pub fn forget_tenant(&self, tenant: TenantId) {
        self.0
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, slot| !matches!(slot.get().map(|e| &**e), Some(Entry::Site(b)) if b.site.tenant == tenant));
    }

    /// Forgets a site on this replica.
    pub fn forget(&self, slug: &str) {
        self.0.entries.write().unwrap_or_else(|p| p.into_inner()).remove(slug);
    }

    /// The tenant of a site, for serving its images on any host.
    ///
    /// # Errors
    /// The database's error.
    pub async fn tenant_of(&self, site: SiteId) -> Result<Option<TenantId>, Error> {
        if let Some(t) = self.0.site_tenants.read().unwrap_or_else(|p| p.into_inner()).get(&site) {
            return Ok(Some(*t));
        }
        let mut sys = self.0.db.system_read().await?;
        let t = store::tenant_of_site(&mut sys, site).await?;
        sys.commit().await?;
        if let Some(t) = t {
            let mut map = self.0.site_tenants.write().unwrap_or_else(|p| p.into_inner());
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(site, t);
        }
        Ok(t)
    }

    /// Follows the bus: forgets each site announced as changed. Runs until
    /// the process ends, subscribing again after a lost connection.
    pub async fn follow(self) {
        let extras = self.clone();
        tokio::spawn(async move { extras.follow_extras().await });
        loop {
            match self.0.bus.subscribe(CHANGED_TOPIC).await {
                Ok(mut stream) => {
                    while let Some(msg) = stream.next().await {
                        if let Ok(slug) = std::str::from_utf8(&msg) {
                            self.forget(slug);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot follow site changes on the bus; polling only"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Forgets a tenant's sites when what other features add to its pages
    /// changed (the widget turned on or off).
    async fn follow_extras(self) {
        loop {
            match self.0.bus.subscribe(stackpro_core::hooks::PAGE_EXTRAS_CHANGED).await {
                Ok(mut stream) => {
                    while let Some(msg) = stream.next().await {
                        if let Some(t) = std::str::from_utf8(&msg).ok().and_then(|s| s.parse::<TenantId>().ok()) {
                            self.forget_tenant(t);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot follow page-extras changes on the bus"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Polls the database for changed sites every two seconds, and checks
    /// every cached site every thirty; runs until the process ends.
    pub async fn poll(self) {
        let mut since = self.0.clock.now();
        let mut ticks = 0u32;
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            ticks += 1;
            let started = self.0.clock.now();
            if let Err(e) = self.poll_once(since, ticks.is_multiple_of(15)).await {
                tracing::warn!(error = %e, "cannot poll for changed sites");
                continue;
            }
            // Overlap: a publish stamped before `started` may commit after it.
            since = started - chrono::Duration::seconds(30);
        }
    }

    async fn poll_once(&self, since: DateTime<Utc>, all: bool) -> Result<(), Error> {
        let cached: Vec<(String, i64)> = {
            let map = self.0.entries.read().unwrap_or_else(|p| p.into_inner());
            map.iter()
                .filter_map(|(slug, slot)| match slot.get().map(|e| &**e) {
                    Some(Entry::Site(b)) => Some((slug.clone(), b.site.generation)),
                    _ => None,
                })
                .collect()
        };
        if cached.is_empty() {
            return Ok(());
        }
        let mut sys = self.0.db.system_read().await?;
        let current: HashMap<String, i64> = if all {
            let slugs: Vec<String> = cached.iter().map(|(s, _)| s.clone()).collect();
            store::generations(&mut sys, &slugs).await?.into_iter().collect()
        } else {
            store::changed_since(&mut sys, since).await?.into_iter().collect()
        };
        sys.commit().await?;
        for (slug, generation) in cached {
            let stale = match current.get(&slug) {
                Some(g) => *g != generation,
                None => all,
            };
            if stale {
                self.forget(&slug);
            }
        }
        Ok(())
    }
}

fn build(site: HostSite, rows: Vec<store::PublishedRow>, origin: &str, head_tags: &str) -> Bundle {
    let mut pages = HashMap::with_capacity(rows.len());
    let mut not_found = None;
    let mut sitemap = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut newest: Option<DateTime<Utc>> = None;
    let mut paths: Vec<&store::PublishedRow> = rows.iter().filter(|r| r.path != NOT_FOUND_PATH && !r.noindex).collect();
    paths.sort_by(|a, b| a.path.cmp(&b.path));
    for r in &paths {
        sitemap.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            crate::render::escape(&format!("{origin}{}", r.path)),
            r.published_at.format("%Y-%m-%d")
        ));
    }
    sitemap.push_str("</urlset>\n");
    // Other features' tags go at the end of each page's head; the ETag says so.
    let extra = (!head_tags.is_empty())
        .then(|| hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(head_tags.as_bytes())[..4]));
    for r in rows {
        newest = Some(newest.map_or(r.published_at, |n| n.max(r.published_at)));
        let (html, etag) = match &extra {
            Some(x) => (
                r.html.replacen("</head>", &format!("{head_tags}</head>"), 1),
                format!("{}-{x}\"", r.etag.trim_end_matches('"')),
            ),
            None => (r.html, r.etag),
        };
        let doc = Arc::new(Doc::new(html.into_bytes(), etag, r.published_at, "text/html; charset=utf-8", Some(r.csp)));
        if r.path == NOT_FOUND_PATH {
            not_found = Some(doc);
        } else {
            pages.insert(r.path, doc);
        }
    }
    let (sitemap, robots) = match newest {
        Some(at) if site.published => {
            let robots = format!("User-agent: *\nAllow: /\n\nSitemap: {origin}/sitemap.xml\n");
            let tag =
                |b: &str| format!("\"{}\"", &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b.as_bytes()))[..32]);
            (
                Some(Arc::new(Doc::new(
                    sitemap.clone().into_bytes(),
                    tag(&sitemap),
                    at,
                    "application/xml; charset=utf-8",
                    None,
                ))),
                Some(Arc::new(Doc::new(
                    robots.clone().into_bytes(),
                    tag(&robots),
                    at,
                    "text/plain; charset=utf-8",
                    None,
                ))),
            )
        }
        _ => (None, None),
    };
    Bundle { site, pages, not_found, sitemap, robots }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hosting() -> Hosting {
        let db = Db::connect(&stackpro_core::config::DatabaseUrl::Sqlite(":memory:".into()), 1).await.unwrap();
        let config = SitesConfig { base_domain: "sites.test".into(), scheme: "http".into(), port: Some(8080) };
        Hosting::new(db, Bus::local(), Clock::system(), config)
    }

    #[tokio::test]
    async fn only_one_valid_label_under_the_base_domain_names_a_site() {
        let h = hosting().await;
        assert_eq!(h.slug_of("rosa.sites.test"), Some("rosa"));
        assert_eq!(h.slug_of("rosa.sites.test:8080"), Some("rosa"));
        assert_eq!(h.slug_of("ROSA.Sites.Test."), None, "slugs are lowercase");
        assert_eq!(h.slug_of("sites.test"), None);
        assert_eq!(h.slug_of("a.b.sites.test"), None);
        assert_eq!(h.slug_of("www.sites.test"), None, "reserved names stay the platform's");
        assert_eq!(h.slug_of("rosa.sites.test.evil.example"), None);
        assert_eq!(h.slug_of("rosasites.test"), None);
        assert_eq!(h.slug_of("127.0.0.1:8080"), None);
    }
}
