//! SQL for sites, written once for both dialects. Every function on a
//! tenant's data takes its `TenantTx`; the Host lookup and the cache poll,
//! which find a site without knowing its tenant, take a `SystemTx`.

use crate::error::Error;
use crate::model::{AssetId, Business, Page, PageId, SiteId, SubmissionId, Variant, Version};
use chrono::{DateTime, Utc};
use sqlx::Row;
use stackpro_core::ids::{TenantId, UserId};
use stackpro_store::{exec, on_db, SystemTx, TenantTx};

// ---- sites ------------------------------------------------------------------

/// A site row.
#[derive(Clone, Debug)]
pub struct SiteRow {
    /// Id.
    pub id: SiteId,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Template key.
    pub template: String,
    /// Business facts.
    pub business: Business,
    /// Last publish.
    pub published_at: Option<DateTime<Utc>>,
    /// Generation.
    pub generation: i64,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

const SITE_COLS: &str = "id, slug, name, template, business, published_at, generation, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct SiteRaw {
    id: SiteId,
    slug: String,
    name: String,
    template: String,
    business: String,
    published_at: Option<DateTime<Utc>>,
    generation: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<SiteRaw> for SiteRow {
    fn from(r: SiteRaw) -> SiteRow {
        SiteRow {
            id: r.id,
            slug: r.slug,
            name: r.name,
            template: r.template,
            business: serde_json::from_str(&r.business).unwrap_or_default(),
            published_at: r.published_at,
            generation: r.generation,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Inserts a site.
///
/// # Errors
/// The database's error (a unique violation when the slug is taken).
pub async fn insert_site(tx: &mut TenantTx, s: &SiteRow) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO sites (tenant_id, id, slug, name, template, business, generation, created_at, \
                       updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)";
    let tenant = tx.tenant_id();
    let business = serde_json::to_string(&s.business).unwrap_or_default();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(s.id)
            .bind(&s.slug)
            .bind(&s.name)
            .bind(&s.template)
            .bind(&business)
            .bind(s.created_at)
    )?;
    Ok(())
}

/// The tenant's sites, newest first.
///
/// # Errors
/// The database's error.
pub async fn sites(tx: &mut TenantTx) -> Result<Vec<SiteRow>, Error> {
    let sql = format!("SELECT {SITE_COLS} FROM sites WHERE tenant_id = $1 ORDER BY created_at DESC");
    let tenant = tx.tenant_id();
    let rows: Vec<SiteRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?;
    Ok(rows.into_iter().map(SiteRow::from).collect())
}

/// One site of the tenant; `lock` holds its row until the transaction ends.
///
/// # Errors
/// The database's error.
pub async fn site(tx: &mut TenantTx, id: SiteId, lock: bool) -> Result<Option<SiteRow>, Error> {
    let lock = if lock && tx.dialect() == stackpro_store::Dialect::Postgres { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {SITE_COLS} FROM sites WHERE tenant_id = $1 AND id = $2{lock}");
    let tenant = tx.tenant_id();
    let row: Option<SiteRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?;
    Ok(row.map(SiteRow::from))
}

/// How many sites the tenant has.
///
/// # Errors
/// The database's error.
pub async fn count_sites(tx: &mut TenantTx) -> Result<i64, Error> {
    const SQL: &str = "SELECT COUNT(*) FROM sites WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_one(c).await)?)
}

/// Marks a site published (or not) and bumps its generation; returns the
/// new generation.
///
/// # Errors
/// The database's error.
pub async fn set_published(
    tx: &mut TenantTx,
    id: SiteId,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    const SQL: &str = "UPDATE sites SET published_at = $3, generation = generation + 1, updated_at = $4 \
                       WHERE tenant_id = $1 AND id = $2 RETURNING generation";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(id).bind(at).bind(now).fetch_one(c).await)?)
}

/// Deletes a site and, by cascade, its pages, versions, published pages,
/// assets and submissions.
///
/// # Errors
/// The database's error.
pub async fn delete_site(tx: &mut TenantTx, id: SiteId) -> Result<bool, Error> {
    const SQL: &str = "DELETE FROM sites WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id))? == 1)
}

// ---- the Host lookup (across tenants) ---------------------------------------

/// A site by slug, whatever its tenant: `(tenant, site, generation, published)`.
///
/// # Errors
/// The database's error.
pub async fn site_by_slug(tx: &mut SystemTx, slug: &str) -> Result<Option<(TenantId, SiteId, i64, bool)>, Error> {
    const SQL: &str = "SELECT tenant_id, id, generation, published_at FROM sites WHERE slug = $1";
    let row = on_db!(tx, |c| {
        match sqlx::query(SQL).bind(slug).fetch_optional(c).await? {
            Some(r) => Ok::<_, sqlx::Error>(Some((
                r.try_get("tenant_id")?,
                r.try_get("id")?,
                r.try_get("generation")?,
                r.try_get::<Option<DateTime<Utc>>, _>("published_at")?.is_some(),
            ))),
            None => Ok(None),
        }
    })?;
    Ok(row)
}

/// The tenant of a site, for serving its images.
///
/// # Errors
/// The database's error.
pub async fn tenant_of_site(tx: &mut SystemTx, site: SiteId) -> Result<Option<TenantId>, Error> {
    const SQL: &str = "SELECT tenant_id FROM sites WHERE id = $1";
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(site).fetch_optional(c).await)?)
}

/// Slugs and generations of the sites changed since `since`.
///
/// # Errors
/// The database's error.
pub async fn changed_since(tx: &mut SystemTx, since: DateTime<Utc>) -> Result<Vec<(String, i64)>, Error> {
    const SQL: &str = "SELECT slug, generation FROM sites WHERE updated_at >= $1";
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(since).fetch_all(c).await)?)
}

/// Generations of the given slugs (absent: deleted).
///
/// # Errors
/// The database's error.
pub async fn generations(tx: &mut SystemTx, slugs: &[String]) -> Result<Vec<(String, i64)>, Error> {
    let mut out = Vec::with_capacity(slugs.len());
    for chunk in slugs.chunks(500) {
        let rows: Vec<(String, i64)> = on_db!(tx, |c| {
            let mut q = sqlx::QueryBuilder::new("SELECT slug, generation FROM sites WHERE slug IN (");
            let mut sep = q.separated(", ");
            for s in chunk {
                sep.push_bind(s.as_str());
            }
            q.push(")");
            q.build_query_as().fetch_all(c).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

// ---- pages ------------------------------------------------------------------

const PAGE_COLS: &str = "id, site_id, path, title, description, social_image, noindex, version, updated_at, updated_by";

#[derive(sqlx::FromRow)]
struct PageRaw {
    id: PageId,
    site_id: SiteId,
    path: String,
    title: String,
    description: String,
    social_image: Option<String>,
    noindex: bool,
    version: i64,
    updated_at: DateTime<Utc>,
    updated_by: Option<UserId>,
    #[sqlx(default)]
    project: Option<String>,
}

impl PageRaw {
    fn page(self) -> (Page, Option<String>) {
        let page = Page {
            id: self.id,
            site_id: self.site_id,
            path: self.path,
            title: self.title,
            description: self.description,
            social_image: self.social_image,
            noindex: self.noindex,
            version: self.version,
            etag: Page::etag_of(self.id, self.version),
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        };
        (page, self.project)
    }
    fn row(self) -> PageRow {
        let (page, project) = self.page();
        PageRow { page, project: project.unwrap_or_default() }
    }
}

/// A page as stored, with its project text.
#[derive(Clone, Debug)]
pub struct PageRow {
    /// The page.
    pub page: Page,
    /// The project data, as JSON text.
    pub project: String,
}

/// Inserts a page at version 1 with its first version.
///
/// # Errors
/// The database's error (a unique violation when the path is taken).
pub async fn insert_page(tx: &mut TenantTx, p: &Page, project: &str, summary: &str) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO pages (tenant_id, id, site_id, path, title, description, social_image, noindex, \
                       version, project, created_at, updated_at, updated_by) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(p.id)
            .bind(p.site_id)
            .bind(&p.path)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.social_image)
            .bind(p.noindex)
            .bind(p.version)
            .bind(project)
            .bind(p.updated_at)
            .bind(p.updated_by)
    )?;
    insert_version(tx, p, project, summary).await
}

/// The versions a page keeps; older ones are removed as new ones come.
pub const KEPT_VERSIONS: i64 = 100;

/// Appends a version of a page as it is in `p`, and drops those older than
/// the last [`KEPT_VERSIONS`].
///
/// # Errors
/// The database's error.
pub async fn insert_version(tx: &mut TenantTx, p: &Page, project: &str, summary: &str) -> Result<(), Error> {
    const PRUNE: &str = "DELETE FROM page_versions WHERE tenant_id = $1 AND page_id = $2 AND version <= $3";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(PRUNE).bind(tenant).bind(p.id).bind(p.version - KEPT_VERSIONS))?;
    const SQL: &str = "INSERT INTO page_versions (tenant_id, page_id, version, title, description, path, \
                       social_image, noindex, project, summary, created_at, created_by) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(p.id)
            .bind(p.version)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.path)
            .bind(&p.social_image)
            .bind(p.noindex)
            .bind(project)
            .bind(summary)
            .bind(p.updated_at)
            .bind(p.updated_by)
    )?;
    Ok(())
}

/// Writes a save over the page if its version is still `expected`; `false`
/// when someone saved in between.
///
/// # Errors
/// The database's error (a unique violation when the path is taken).
pub async fn update_page(tx: &mut TenantTx, p: &Page, project: &str, expected: i64) -> Result<bool, Error> {
    const SQL: &str = "UPDATE pages SET path = $4, title = $5, description = $6, social_image = $7, noindex = $8, \
                       version = $9, project = $10, updated_at = $11, updated_by = $12 \
                       WHERE tenant_id = $1 AND id = $2 AND version = $3";
    let tenant = tx.tenant_id();
    let n = exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(p.id)
            .bind(expected)
            .bind(&p.path)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.social_image)
            .bind(p.noindex)
            .bind(p.version)
            .bind(project)
            .bind(p.updated_at)
            .bind(p.updated_by)
    )?;
    Ok(n == 1)
}

/// The pages of a site, by path.
///
/// # Errors
/// The database's error.
pub async fn pages(tx: &mut TenantTx, site: SiteId) -> Result<Vec<Page>, Error> {
    let sql = format!("SELECT {PAGE_COLS} FROM pages WHERE tenant_id = $1 AND site_id = $2 ORDER BY path");
    let tenant = tx.tenant_id();
    let rows: Vec<PageRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(site).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|r| r.page().0).collect())
}

/// The pages of a site with their projects, for publishing.
///
/// # Errors
/// The database's error.
pub async fn pages_with_projects(tx: &mut TenantTx, site: SiteId) -> Result<Vec<PageRow>, Error> {
    let sql = format!("SELECT {PAGE_COLS}, project FROM pages WHERE tenant_id = $1 AND site_id = $2 ORDER BY path");
    let tenant = tx.tenant_id();
    let rows: Vec<PageRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(site).fetch_all(c).await)?;
    Ok(rows.into_iter().map(PageRaw::row).collect())
}

/// One page of a site with its project; `lock` holds its row.
///
/// # Errors
/// The database's error.
pub async fn page(tx: &mut TenantTx, site: SiteId, id: PageId, lock: bool) -> Result<Option<PageRow>, Error> {
    let lock = if lock && tx.dialect() == stackpro_store::Dialect::Postgres { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {PAGE_COLS}, project FROM pages WHERE tenant_id = $1 AND site_id = $2 AND id = $3{lock}");
    let tenant = tx.tenant_id();
    let row: Option<PageRaw> =
        on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(site).bind(id).fetch_optional(c).await)?;
    Ok(row.map(PageRaw::row))
}

/// How many pages a site has.
///
/// # Errors
/// The database's error.
pub async fn count_pages(tx: &mut TenantTx, site: SiteId) -> Result<i64, Error> {
    const SQL: &str = "SELECT COUNT(*) FROM pages WHERE tenant_id = $1 AND site_id = $2";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(site).fetch_one(c).await)?)
}

/// Deletes a page and its versions.
///
/// # Errors
/// The database's error.
pub async fn delete_page(tx: &mut TenantTx, site: SiteId, id: PageId) -> Result<bool, Error> {
    const SQL: &str = "DELETE FROM pages WHERE tenant_id = $1 AND site_id = $2 AND id = $3";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(site).bind(id))? == 1)
}

/// The versions of a page, newest first.
///
/// # Errors
/// The database's error.
pub async fn versions(tx: &mut TenantTx, page: PageId) -> Result<Vec<Version>, Error> {
    const SQL: &str = "SELECT version, title, summary, created_at, created_by FROM page_versions \
                       WHERE tenant_id = $1 AND page_id = $2 ORDER BY version DESC";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(page).fetch_all(c).await)?)
}

/// One version, whole: the version, description, path, social image,
/// noindex and project text.
///
/// # Errors
/// The database's error.
pub async fn version(
    tx: &mut TenantTx,
    page: PageId,
    version: i64,
) -> Result<Option<(Version, String, String, Option<String>, bool, String)>, Error> {
    const SQL: &str = "SELECT version, title, summary, created_at, created_by, description, path, social_image, \
                       noindex, project FROM page_versions WHERE tenant_id = $1 AND page_id = $2 AND version = $3";
    let tenant = tx.tenant_id();
    let row = on_db!(tx, |c| {
        match sqlx::query(SQL).bind(tenant).bind(page).bind(version).fetch_optional(c).await? {
            Some(r) => Ok::<_, sqlx::Error>(Some((
                Version {
                    version: r.try_get("version")?,
                    title: r.try_get("title")?,
                    summary: r.try_get("summary")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                },
                r.try_get("description")?,
                r.try_get("path")?,
                r.try_get("social_image")?,
                r.try_get("noindex")?,
                r.try_get("project")?,
            ))),
            None => Ok(None),
        }
    })?;
    Ok(row)
}

// ---- published pages --------------------------------------------------------

/// A rendered page as served.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PublishedRow {
    /// Path.
    pub path: String,
    /// Document.
    pub html: String,
    /// Entity tag.
    pub etag: String,
    /// Content-Security-Policy.
    pub csp: String,
    /// Left out of the sitemap.
    pub noindex: bool,
    /// When.
    pub published_at: DateTime<Utc>,
}

/// Replaces what a site serves with `rows`.
///
/// # Errors
/// The database's error.
pub async fn replace_published(tx: &mut TenantTx, site: SiteId, rows: &[PublishedRow]) -> Result<(), Error> {
    clear_published(tx, site).await?;
    const SQL: &str = "INSERT INTO published_pages (tenant_id, site_id, path, html, etag, csp, noindex, \
                       published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let tenant = tx.tenant_id();
    for r in rows {
        exec!(
            tx,
            sqlx::query(SQL)
                .bind(tenant)
                .bind(site)
                .bind(&r.path)
                .bind(&r.html)
                .bind(&r.etag)
                .bind(&r.csp)
                .bind(r.noindex)
                .bind(r.published_at)
        )?;
    }
    Ok(())
}

/// Removes everything a site serves.
///
/// # Errors
/// The database's error.
pub async fn clear_published(tx: &mut TenantTx, site: SiteId) -> Result<(), Error> {
    const SQL: &str = "DELETE FROM published_pages WHERE tenant_id = $1 AND site_id = $2";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(site))?;
    Ok(())
}

/// What a site serves.
///
/// # Errors
/// The database's error.
pub async fn published(tx: &mut TenantTx, site: SiteId) -> Result<Vec<PublishedRow>, Error> {
    const SQL: &str = "SELECT path, html, etag, csp, noindex, published_at FROM published_pages \
                       WHERE tenant_id = $1 AND site_id = $2";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(site).fetch_all(c).await)?)
}

// ---- assets -----------------------------------------------------------------

/// An image row.
#[derive(Clone, Debug)]
pub struct AssetRow {
    /// Id.
    pub id: AssetId,
    /// Site.
    pub site_id: SiteId,
    /// Content hash (of the largest size).
    pub hash: String,
    /// Name as uploaded.
    pub name: String,
    /// Type.
    pub content_type: String,
    /// Width.
    pub width: i32,
    /// Height.
    pub height: i32,
    /// Bytes of all sizes.
    pub bytes: i64,
    /// The sizes.
    pub variants: Vec<Variant>,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
}

const ASSET_COLS: &str = "id, site_id, hash, name, content_type, width, height, bytes, variants, created_at";

#[derive(sqlx::FromRow)]
struct AssetRaw {
    id: AssetId,
    site_id: SiteId,
    hash: String,
    name: String,
    content_type: String,
    width: i32,
    height: i32,
    bytes: i64,
    variants: String,
    created_at: DateTime<Utc>,
}

impl From<AssetRaw> for AssetRow {
    fn from(r: AssetRaw) -> AssetRow {
        AssetRow {
            id: r.id,
            site_id: r.site_id,
            hash: r.hash,
            name: r.name,
            content_type: r.content_type,
            width: r.width,
            height: r.height,
            bytes: r.bytes,
            variants: serde_json::from_str(&r.variants).unwrap_or_default(),
            created_at: r.created_at,
        }
    }
}

/// Inserts an image unless the site has one with the same hash; returns
/// the one stored.
///
/// # Errors
/// The database's error.
pub async fn insert_asset(tx: &mut TenantTx, a: &AssetRow) -> Result<AssetRow, Error> {
    const SQL: &str = "INSERT INTO site_assets (tenant_id, id, site_id, hash, name, content_type, width, height, \
                       bytes, variants, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                       ON CONFLICT (tenant_id, site_id, hash) DO NOTHING";
    let tenant = tx.tenant_id();
    let variants = serde_json::to_string(&a.variants).unwrap_or_default();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(a.id)
            .bind(a.site_id)
            .bind(&a.hash)
            .bind(&a.name)
            .bind(&a.content_type)
            .bind(a.width)
            .bind(a.height)
            .bind(a.bytes)
            .bind(&variants)
            .bind(a.created_at)
    )?;
    let sql = format!("SELECT {ASSET_COLS} FROM site_assets WHERE tenant_id = $1 AND site_id = $2 AND hash = $3");
    let row: AssetRaw =
        on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(a.site_id).bind(&a.hash).fetch_one(c).await)?;
    Ok(row.into())
}

/// The images of a site, newest first.
///
/// # Errors
/// The database's error.
pub async fn assets(tx: &mut TenantTx, site: SiteId) -> Result<Vec<AssetRow>, Error> {
    let sql =
        format!("SELECT {ASSET_COLS} FROM site_assets WHERE tenant_id = $1 AND site_id = $2 ORDER BY created_at DESC");
    let tenant = tx.tenant_id();
    let rows: Vec<AssetRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(site).fetch_all(c).await)?;
    Ok(rows.into_iter().map(AssetRow::from).collect())
}

/// Deletes an image; returns it.
///
/// # Errors
/// The database's error.
pub async fn delete_asset(tx: &mut TenantTx, site: SiteId, id: AssetId) -> Result<Option<AssetRow>, Error> {
    let sql = format!("SELECT {ASSET_COLS} FROM site_assets WHERE tenant_id = $1 AND site_id = $2 AND id = $3");
    let tenant = tx.tenant_id();
    let row: Option<AssetRaw> =
        on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(site).bind(id).fetch_optional(c).await)?;
    let row = row.map(AssetRow::from);
    if row.is_some() {
        const SQL: &str = "DELETE FROM site_assets WHERE tenant_id = $1 AND site_id = $2 AND id = $3";
        exec!(tx, sqlx::query(SQL).bind(tenant).bind(site).bind(id))?;
    }
    Ok(row)
}

/// How many images a site holds.
///
/// # Errors
/// The database's error.
pub async fn count_assets(tx: &mut TenantTx, site: SiteId) -> Result<i64, Error> {
    const SQL: &str = "SELECT COUNT(*) FROM site_assets WHERE tenant_id = $1 AND site_id = $2";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(site).fetch_one(c).await)?)
}

// ---- form submissions -------------------------------------------------------

/// Stores a sealed submission.
///
/// # Errors
/// The database's error.
pub async fn insert_submission(
    tx: &mut TenantTx,
    id: SubmissionId,
    site: SiteId,
    form: &str,
    page: &str,
    sealed: &[u8],
    at: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO form_submissions (tenant_id, id, site_id, form, page, sealed, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(site).bind(form).bind(page).bind(sealed).bind(at))?;
    Ok(())
}

/// A sealed submission: id, form, page, sealed fields, when.
pub type SealedSubmission = (SubmissionId, String, String, Vec<u8>, DateTime<Utc>);

/// A site's submissions, newest first, at most `limit`.
///
/// # Errors
/// The database's error.
pub async fn submissions(tx: &mut TenantTx, site: SiteId, limit: i64) -> Result<Vec<SealedSubmission>, Error> {
    const SQL: &str = "SELECT id, form, page, sealed, created_at FROM form_submissions \
                       WHERE tenant_id = $1 AND site_id = $2 ORDER BY created_at DESC LIMIT $3";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(site).bind(limit).fetch_all(c).await)?)
}
