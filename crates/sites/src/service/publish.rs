//! Publishing: every page rendered to static HTML (with the site's 404
//! page), stored, and served by Host from each replica's cache, which the
//! bus empties at once and a poll of the database within seconds.
//! Unpublishing removes what is served. Drafts are seen through preview
//! links: signed, short-lived, and opened only with a session of the same
//! workspace.

use super::Sites;
use crate::error::Error;
use crate::model::{PageId, PreviewLink, Published, SiteId};
use crate::render::{self, Head, Rendered};
use crate::store::{self, PublishedRow};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use stackpro_core::metering::Meter;
use stackpro_core::TenantCtx;
use std::time::Instant;

/// How long a preview link works.
pub const PREVIEW_TTL: Duration = Duration::minutes(15);

/// The head of a page of a site.
pub(crate) fn head<'a>(
    title: &'a str,
    description: &'a str,
    canonical: &'a str,
    social_image: Option<&'a str>,
    noindex: bool,
    site_name: &'a str,
) -> Head<'a> {
    Head { title, description, canonical, social_image, noindex, site_name, lang: "en" }
}

/// The site's own 404 page.
pub(crate) fn not_found_page(site_name: &str, origin: &str) -> Rendered {
    let canonical = format!("{origin}/");
    render::notice(
        &head(&format!("Page not found — {site_name}"), "", &canonical, None, true, site_name),
        "Page not found",
        "This page does not exist, or it has moved.",
        ("/", &format!("Go to the home page of {site_name}")),
    )
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PreviewClaims {
    /// Tenant.
    t: uuid::Uuid,
    /// Site.
    s: uuid::Uuid,
    /// Page.
    p: uuid::Uuid,
    /// Expiry, Unix seconds.
    e: i64,
}

impl Sites {
    pub(crate) fn mac(&self, purpose: &str) -> Hmac<Sha256> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0.secret).unwrap_or_else(|_| unreachable!());
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m
    }

    /// Publishes every page of the site as it is now. Counts the pages
    /// against the plan's `pages_published`.
    ///
    /// # Errors
    /// `forbidden`, `site_not_found`, `plan_limit_reached`.
    pub async fn publish(&self, ctx: &TenantCtx, ip: std::net::IpAddr, site: SiteId) -> Result<Published, Error> {
        Self::may_manage(ctx)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let row = Self::site_row(&mut tx, site, true).await?;
        let pages = store::pages_with_projects(&mut tx, site).await?;
        let reservation =
            self.0.metering.reserve(ctx.tenant, &ctx.plan, Meter::PagesPublished, pages.len() as i64).await?;
        let started = Instant::now();
        let now = self.now();
        let origin = self.0.config.origin(&row.slug);
        let mut rendered = Vec::with_capacity(pages.len() + 1);
        for p in &pages {
            let project: serde_json::Value = serde_json::from_str(&p.project).unwrap_or_default();
            let canonical = format!("{origin}{}", p.page.path);
            let r = render::page(
                &head(
                    &p.page.title,
                    &p.page.description,
                    &canonical,
                    p.page.social_image.as_deref(),
                    p.page.noindex,
                    &row.name,
                ),
                &project,
                &p.page.path,
            );
            rendered.push(PublishedRow {
                path: p.page.path.clone(),
                html: r.html,
                etag: r.etag,
                csp: r.csp,
                noindex: p.page.noindex,
                published_at: now,
            });
        }
        let nf = not_found_page(&row.name, &origin);
        rendered.push(PublishedRow {
            path: crate::host::NOT_FOUND_PATH.into(),
            html: nf.html,
            etag: nf.etag,
            csp: nf.csp,
            noindex: true,
            published_at: now,
        });
        let render_ms = started.elapsed().as_secs_f64() * 1000.0;
        store::replace_published(&mut tx, site, &rendered).await?;
        let generation = store::set_published(&mut tx, site, Some(now), now).await?;
        self.0
            .metering
            .record(
                &mut tx,
                ctx.tenant,
                &ctx.plan,
                Meter::PagesPublished,
                pages.len() as i64,
                &format!("publish:{site}:{generation}"),
            )
            .await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, Some(ip)),
                "site.published",
                Some(site.to_string()),
                serde_json::json!({ "slug": row.slug, "pages": pages.len(), "generation": generation }),
            )
            .await?;
        tx.commit().await?;
        reservation.keep();
        self.announce(&row.slug).await;
        let paths = pages.into_iter().map(|p| p.page.path).collect();
        let site = crate::store::SiteRow { published_at: Some(now), generation, updated_at: now, ..row };
        Ok(Published { site: self.view(site), paths, render_ms })
    }

    /// Takes the site down on every replica.
    ///
    /// # Errors
    /// `forbidden`, `site_not_found`.
    pub async fn unpublish(
        &self,
        ctx: &TenantCtx,
        ip: std::net::IpAddr,
        site: SiteId,
    ) -> Result<crate::model::Site, Error> {
        Self::may_manage(ctx)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let row = Self::site_row(&mut tx, site, true).await?;
        if row.published_at.is_none() {
            // Already down: nothing changes, nothing is announced.
            return Ok(self.view(row));
        }
        let now = self.now();
        store::clear_published(&mut tx, site).await?;
        let generation = store::set_published(&mut tx, site, None, now).await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, Some(ip)),
                "site.unpublished",
                Some(site.to_string()),
                serde_json::json!({ "slug": row.slug, "generation": generation }),
            )
            .await?;
        tx.commit().await?;
        self.announce(&row.slug).await;
        Ok(self.view(crate::store::SiteRow { published_at: None, generation, updated_at: now, ..row }))
    }

    /// A link to the page's draft, valid for [`PREVIEW_TTL`], for members of
    /// this workspace.
    ///
    /// # Errors
    /// `page_not_found`.
    pub async fn preview_link(&self, ctx: &TenantCtx, site: SiteId, page: PageId) -> Result<PreviewLink, Error> {
        Self::may_edit(ctx)?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        store::page(&mut tx, site, page, false).await?.ok_or_else(|| Error::PageNotFound(page.to_string()))?;
        tx.commit().await?;
        let expires_at = self.now() + PREVIEW_TTL;
        let claims = PreviewClaims { t: ctx.tenant.0, s: site.0, p: page.0, e: expires_at.timestamp() };
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let mut mac = self.mac("preview");
        mac.update(body.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Ok(PreviewLink { url: format!("/api/v1/sites/preview/{body}.{sig}"), expires_at })
    }

    /// The draft a preview link names, rendered, for a member of the same
    /// workspace; any other session gets `page_not_found`, as for a page
    /// that does not exist.
    ///
    /// # Errors
    /// `page_not_found`, `preview_expired`.
    pub async fn open_preview(&self, ctx: &TenantCtx, token: &str) -> Result<Rendered, Error> {
        let not_found = || Error::PageNotFound("in this preview link".into());
        let (body, sig) = token.split_once('.').ok_or_else(not_found)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| not_found())?;
        let mut mac = self.mac("preview");
        mac.update(body.as_bytes());
        mac.verify_slice(&sig).map_err(|_| not_found())?;
        let claims: PreviewClaims =
            URL_SAFE_NO_PAD.decode(body).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(not_found)?;
        if claims.t != ctx.tenant.0 || !ctx.role.at_least(stackpro_core::Role::Member) {
            return Err(not_found());
        }
        let expires = DateTime::<Utc>::from_timestamp(claims.e, 0).ok_or_else(not_found)?;
        if expires <= self.now() {
            return Err(Error::PreviewExpired);
        }
        let (site, page) = (SiteId(claims.s), PageId(claims.p));
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let row = store::site(&mut tx, site, false).await?.ok_or_else(not_found)?;
        let p = store::page(&mut tx, site, page, false).await?.ok_or_else(not_found)?;
        tx.commit().await?;
        let project: serde_json::Value = serde_json::from_str(&p.project).unwrap_or_default();
        let canonical = format!("{}{}", self.0.config.origin(&row.slug), p.page.path);
        Ok(render::page(
            &head(&p.page.title, &p.page.description, &canonical, p.page.social_image.as_deref(), true, &row.name),
            &project,
            &p.page.path,
        ))
    }
}
