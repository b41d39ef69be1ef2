//! Creating a site from a template, listing, reading and deleting sites.

use super::Sites;
use crate::error::{is_unique_violation, Error};
use crate::model::{NewSite, Page, PageId, Site, SiteId};
use crate::store::{self, SiteRow};
use crate::templates;
use chrono::Datelike;
use stackpro_core::metering::Meter;
use stackpro_core::{Role, Slug, TenantCtx};

impl Sites {
    pub(crate) fn view(&self, r: SiteRow) -> Site {
        Site {
            url: format!("{}/", self.0.config.origin(&r.slug)),
            id: r.id,
            slug: r.slug,
            name: r.name,
            template: r.template,
            business: r.business,
            published_at: r.published_at,
            generation: r.generation,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    /// Makes a site from a template, with its home page filled in with the
    /// business's facts. Counts against the plan's `sites`.
    ///
    /// # Errors
    /// `forbidden`, `invalid_field`, `template_not_found`, `slug_taken`,
    /// `plan_limit_reached`.
    pub async fn create(&self, ctx: &TenantCtx, ip: std::net::IpAddr, new: NewSite) -> Result<Site, Error> {
        Self::may_manage(ctx)?;
        if !templates::exists(&new.template) {
            let shown: String = new.template.chars().take(40).collect();
            return Err(Error::TemplateNotFound(shown));
        }
        let business = new.business.validated()?;
        let slug = match &new.slug {
            Some(raw) => match Slug::parse(raw) {
                Ok(s) => s,
                // Well formed, but kept by the platform (or shaped like an id).
                Err(_) if slug_shaped(raw) => {
                    return Err(Error::SlugTaken(raw.to_owned(), self.0.config.base_domain.clone()))
                }
                Err(e) => return Err(Error::Invalid("/slug", e.to_string())),
            },
            None => Slug::derive(&business.name),
        };
        let now = self.now();
        let project = templates::home_project(&new.template, &business, now.year())
            .ok_or_else(|| Error::TemplateNotFound(new.template.clone()))?;
        let row = SiteRow {
            id: SiteId::new(),
            slug: slug.as_str().to_owned(),
            name: business.name.clone(),
            template: new.template.clone(),
            business: business.clone(),
            published_at: None,
            generation: 0,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        match store::insert_site(&mut tx, &row).await {
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::SlugTaken(row.slug.clone(), self.0.config.base_domain.clone()))
            }
            r => r?,
        }
        let count = store::count_sites(&mut tx).await?;
        self.0.metering.set_level(&mut tx, ctx.tenant, Meter::Sites, count, &format!("sites:{}", row.id)).await?;
        let home = Page {
            id: PageId::new(),
            site_id: row.id,
            path: "/".into(),
            title: format!("{} — {}", business.name, templates_title(&new.template)),
            description: format!(
                "{}{}. Call, write or visit us.",
                business.name,
                if business.city.is_empty() { String::new() } else { format!(" in {}", business.city) }
            ),
            social_image: None,
            noindex: false,
            version: 1,
            etag: String::new(),
            updated_at: now,
            updated_by: ctx.person,
        };
        store::insert_page(&mut tx, &home, &project.to_string(), "Created from the template").await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, Some(ip)),
                "site.created",
                Some(row.id.to_string()),
                serde_json::json!({ "slug": row.slug, "template": row.template }),
            )
            .await?;
        tx.commit().await?;
        Ok(self.view(row))
    }

    /// The workspace's sites (none for clients).
    ///
    /// # Errors
    /// The database's error.
    pub async fn list(&self, ctx: &TenantCtx) -> Result<Vec<Site>, Error> {
        if !ctx.role.at_least(Role::Member) {
            return Ok(Vec::new());
        }
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let rows = store::sites(&mut tx).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| self.view(r)).collect())
    }

    /// One site.
    ///
    /// # Errors
    /// `site_not_found`.
    pub async fn get(&self, ctx: &TenantCtx, id: SiteId) -> Result<Site, Error> {
        Self::may_read(ctx).map_err(|_| Error::SiteNotFound(id.to_string()))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let row = Self::site_row(&mut tx, id, false).await?;
        tx.commit().await?;
        Ok(self.view(row))
    }

    /// Deletes a site with its pages, images and submissions; it stops
    /// answering at once on every replica.
    ///
    /// # Errors
    /// `forbidden`, `site_not_found`.
    pub async fn delete(&self, ctx: &TenantCtx, ip: std::net::IpAddr, id: SiteId) -> Result<(), Error> {
        Self::may_manage(ctx)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        let row = Self::site_row(&mut tx, id, true).await?;
        let assets = store::assets(&mut tx, id).await?;
        store::delete_site(&mut tx, id).await?;
        let count = store::count_sites(&mut tx).await?;
        let key = format!("sites-delete:{id}");
        self.0.metering.set_level(&mut tx, ctx.tenant, Meter::Sites, count, &key).await?;
        let bytes = stackpro_store::usage::stored_bytes(&mut tx).await?;
        self.0.metering.set_level(&mut tx, ctx.tenant, Meter::StorageBytes, bytes, &format!("storage:{key}")).await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, Some(ip)),
                "site.deleted",
                Some(id.to_string()),
                serde_json::json!({ "slug": row.slug }),
            )
            .await?;
        tx.commit().await?;
        self.announce(&row.slug).await;
        for a in assets {
            self.delete_asset_blobs(ctx.tenant, &a).await;
        }
        Ok(())
    }
}

fn slug_shaped(raw: &str) -> bool {
    (stackpro_core::slug::MIN_LEN..=stackpro_core::slug::MAX_LEN).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
}

fn templates_title(key: &str) -> String {
    templates::gallery().into_iter().find(|t| t.key == key).map(|t| t.industry).unwrap_or_default()
}
