//! Pages and their versions. Every save is a version; a save names the
//! version it was made from (`If-Match`), and one made from an older version
//! is refused with the current one, so no save silently overwrites another.

use super::Sites;
use crate::error::{is_unique_violation, Error};
use crate::model::{
    field, page_path, NewPage, Page, PageContent, PageId, SavePage, SiteId, Version, VersionContent, MAX_COMPONENTS,
    MAX_PAGES,
};
use crate::store::{self, PageRow};
use crate::{render, templates};
use serde_json::Value;
use stackpro_core::TenantCtx;
use stackpro_store::TenantTx;

/// What a save brings, checked.
struct Checked {
    title: String,
    description: String,
    path: Option<String>,
    social_image: Option<String>,
    noindex: bool,
    project: Value,
}

fn check(save: SavePage) -> Result<Checked, Error> {
    let title = field("/title", &save.title, 1, 120)?;
    let description = field("/description", &save.description, 0, 300)?;
    let path = save.path.as_deref().map(page_path).transpose()?;
    let social_image = match save.social_image.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let ok = s.len() <= 500
                && ((s.starts_with('/') && !s.starts_with("//") && !s.contains('\\')) || s.starts_with("https://"))
                && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<');
            if !ok {
                return Err(Error::Invalid(
                    "/social_image",
                    "The social image is a path on the site (/_assets/…) or an https:// URL.".into(),
                ));
            }
            Some(s.to_owned())
        }
    };
    check_project(&save.project)?;
    Ok(Checked { title, description, path, social_image, noindex: save.noindex, project: save.project })
}

/// A project is a JSON object of at most [`MAX_COMPONENTS`] components.
fn check_project(project: &Value) -> Result<(), Error> {
    if !project.is_object() {
        return Err(Error::Invalid("/project", "The project is GrapesJS project data: a JSON object.".into()));
    }
    let (component, styles) = render::parts(project);
    let n = component.map(count_components).unwrap_or(0);
    if n > MAX_COMPONENTS || styles.len() > MAX_COMPONENTS {
        return Err(Error::Invalid(
            "/project",
            format!("A page holds at most {MAX_COMPONENTS} components and as many style rules; split it into pages."),
        ));
    }
    Ok(())
}

fn count_components(v: &Value) -> usize {
    let mut n = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        n += 1;
        if n > MAX_COMPONENTS {
            break;
        }
        if let Some(Value::Array(c)) = v.get("components") {
            stack.extend(c.iter());
        }
    }
    n
}

/// The words of a tree, for the summary of a change.
fn words(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get("content") {
                out.push_str(s);
                out.push(' ');
            }
            if let Some(c) = o.get("components") {
                words(c, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| words(c, out)),
        Value::String(s) => out.push_str(s),
        _ => {}
    }
}

/// What changed between two versions, in words.
fn summary(old: &PageRow, new: &Checked, old_project: &Value) -> String {
    let mut parts = Vec::new();
    if old.page.title != new.title {
        parts.push("title".to_owned());
    }
    if old.page.description != new.description {
        parts.push("description".into());
    }
    if new.path.as_ref().is_some_and(|p| *p != old.page.path) {
        parts.push("path".into());
    }
    if old.page.social_image != new.social_image || old.page.noindex != new.noindex {
        parts.push("search settings".into());
    }
    let (oc, os) = render::parts(old_project);
    let (nc, ns) = render::parts(&new.project);
    let (before, after) = (oc.map(count_components).unwrap_or(0), nc.map(count_components).unwrap_or(0));
    if after > before {
        parts.push(format!("{} component{} added", after - before, if after - before == 1 { "" } else { "s" }));
    } else if before > after {
        parts.push(format!("{} component{} removed", before - after, if before - after == 1 { "" } else { "s" }));
    }
    let (mut wo, mut wn) = (String::new(), String::new());
    if let Some(c) = oc {
        words(c, &mut wo);
    }
    if let Some(c) = nc {
        words(c, &mut wn);
    }
    if wo != wn {
        parts.push("text".into());
    }
    if os != ns {
        parts.push("styles".into());
    }
    if parts.is_empty() && oc != nc {
        parts.push("layout".into());
    }
    if parts.is_empty() {
        "No visible change".into()
    } else {
        let mut s = format!("Changed {}", parts.join(", "));
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s
    }
}

fn content(row: PageRow) -> PageContent {
    let project = serde_json::from_str(&row.project).unwrap_or_else(|_| serde_json::json!({}));
    PageContent { page: row.page, project }
}

/// `"…"`, `W/"…"` or a list: whether `if_match` names `etag`.
pub(crate) fn matches(if_match: &str, etag: &str) -> bool {
    if_match.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*")
}

impl Sites {
    async fn page_row(tx: &mut TenantTx, site: SiteId, id: PageId, lock: bool) -> Result<PageRow, Error> {
        store::page(tx, site, id, lock).await?.ok_or_else(|| Error::PageNotFound(id.to_string()))
    }

    /// The pages of a site.
    ///
    /// # Errors
    /// `site_not_found`.
    pub async fn pages(&self, ctx: &TenantCtx, site: SiteId) -> Result<Vec<Page>, Error> {
        Self::may_read(ctx).map_err(|_| Error::SiteNotFound(site.to_string()))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let pages = store::pages(&mut tx, site).await?;
        tx.commit().await?;
        Ok(pages)
    }

    /// A page with its project data.
    ///
    /// # Errors
    /// `site_not_found`, `page_not_found`.
    pub async fn page(&self, ctx: &TenantCtx, site: SiteId, id: PageId) -> Result<PageContent, Error> {
        Self::may_read(ctx).map_err(|_| Error::SiteNotFound(site.to_string()))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let row = Self::page_row(&mut tx, site, id, false).await?;
        tx.commit().await?;
        Ok(content(row))
    }

    /// Adds a page, in the look of the site's template.
    ///
    /// # Errors
    /// `forbidden`, `invalid_field`, `path_taken`, `site_not_found`.
    pub async fn add_page(&self, ctx: &TenantCtx, site: SiteId, new: NewPage) -> Result<PageContent, Error> {
        Self::may_edit(ctx)?;
        let path = page_path(new.path.trim())?;
        let title = field("/title", &new.title, 1, 120)?;
        let description = field("/description", &new.description, 0, 300)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let s = Self::site_row(&mut tx, site, true).await?;
        if store::count_pages(&mut tx, site).await? >= MAX_PAGES {
            return Err(Error::SiteFull(format!("A site has at most {MAX_PAGES} pages.")));
        }
        let project = templates::blank_project(&s.template, &title);
        let now = self.now();
        let page = Page {
            id: PageId::new(),
            site_id: site,
            etag: String::new(),
            path: path.clone(),
            title,
            description,
            social_image: None,
            noindex: false,
            version: 1,
            updated_at: now,
            updated_by: ctx.person,
        };
        let text = project.to_string();
        match store::insert_page(&mut tx, &page, &text, "Page added").await {
            Err(e) if is_unique_violation(&e) => return Err(Error::PathTaken(path)),
            r => r?,
        }
        tx.commit().await?;
        Ok(PageContent { page: Page { etag: Page::etag_of(page.id, 1), ..page }, project })
    }

    /// Saves a page as a new version, if `if_match` names its current one.
    ///
    /// # Errors
    /// `precondition_required` without `if_match`; `version_conflict` (with
    /// the current version) when someone saved since; `invalid_field`,
    /// `path_taken`, `page_not_found`.
    pub async fn save(
        &self,
        ctx: &TenantCtx,
        site: SiteId,
        id: PageId,
        if_match: Option<&str>,
        save: SavePage,
    ) -> Result<PageContent, Error> {
        Self::may_edit(ctx)?;
        let if_match = if_match.ok_or(Error::PreconditionRequired)?;
        let new = check(save)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let old = Self::page_row(&mut tx, site, id, true).await?;
        if !matches(if_match, &old.page.etag) {
            let current = old.page.version;
            let page = serde_json::to_value(content(old)).unwrap_or_default();
            return Err(Error::Conflict { current, page: Box::new(page) });
        }
        let old_project: Value = serde_json::from_str(&old.project).unwrap_or_default();
        let summary = summary(&old, &new, &old_project);
        let saved = self.write_version(&mut tx, ctx.person, old, new, &summary).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn write_version(
        &self,
        tx: &mut TenantTx,
        person: Option<stackpro_core::ids::UserId>,
        old: PageRow,
        new: Checked,
        summary: &str,
    ) -> Result<PageContent, Error> {
        let version = old.page.version + 1;
        let path = new.path.unwrap_or_else(|| old.page.path.clone());
        if old.page.path == "/" && path != "/" {
            return Err(Error::HomePageFixed);
        }
        let page = Page {
            path: path.clone(),
            title: new.title,
            description: new.description,
            social_image: new.social_image,
            noindex: new.noindex,
            version,
            etag: Page::etag_of(old.page.id, version),
            updated_at: self.now(),
            updated_by: person,
            ..old.page.clone()
        };
        let text = new.project.to_string();
        match store::update_page(tx, &page, &text, old.page.version).await {
            Err(e) if is_unique_violation(&e) => return Err(Error::PathTaken(path)),
            Ok(false) => return Err(Error::PageNotFound(page.id.to_string())),
            r => {
                r?;
            }
        }
        store::insert_version(tx, &page, &text, summary).await?;
        Ok(PageContent { page, project: new.project })
    }

    /// Deletes a page (not the home page) with its versions.
    ///
    /// # Errors
    /// `forbidden`, `page_not_found`, `invalid_field` for the home page.
    pub async fn delete_page(&self, ctx: &TenantCtx, site: SiteId, id: PageId) -> Result<(), Error> {
        Self::may_edit(ctx)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let row = Self::page_row(&mut tx, site, id, true).await?;
        if row.page.path == "/" {
            return Err(Error::HomePageFixed);
        }
        store::delete_page(&mut tx, site, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The versions of a page, newest first.
    ///
    /// # Errors
    /// `page_not_found`.
    pub async fn versions(&self, ctx: &TenantCtx, site: SiteId, id: PageId) -> Result<Vec<Version>, Error> {
        Self::may_read(ctx).map_err(|_| Error::SiteNotFound(site.to_string()))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        Self::page_row(&mut tx, site, id, false).await?;
        let v = store::versions(&mut tx, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// One version with its content.
    ///
    /// # Errors
    /// `page_not_found`, `version_not_found`.
    pub async fn version(
        &self,
        ctx: &TenantCtx,
        site: SiteId,
        id: PageId,
        version: i64,
    ) -> Result<VersionContent, Error> {
        Self::may_read(ctx).map_err(|_| Error::SiteNotFound(site.to_string()))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        Self::page_row(&mut tx, site, id, false).await?;
        let (v, description, path, _, _, project) =
            store::version(&mut tx, id, version).await?.ok_or(Error::VersionNotFound(version))?;
        tx.commit().await?;
        Ok(VersionContent {
            version: v,
            description,
            path,
            project: serde_json::from_str(&project).unwrap_or_else(|_| serde_json::json!({})),
        })
    }

    /// Makes an old version the current one, as a new version (history is
    /// never rewritten). With `if_match`, only if the page is still at that
    /// version.
    ///
    /// # Errors
    /// `version_conflict`, `version_not_found`, `page_not_found`.
    pub async fn restore(
        &self,
        ctx: &TenantCtx,
        site: SiteId,
        id: PageId,
        version: i64,
        if_match: Option<&str>,
    ) -> Result<PageContent, Error> {
        Self::may_edit(ctx)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let old = Self::page_row(&mut tx, site, id, true).await?;
        if let Some(m) = if_match {
            if !matches(m, &old.page.etag) {
                let current = old.page.version;
                let page = serde_json::to_value(content(old)).unwrap_or_default();
                return Err(Error::Conflict { current, page: Box::new(page) });
            }
        }
        let (v, description, path, social_image, noindex, project) =
            store::version(&mut tx, id, version).await?.ok_or(Error::VersionNotFound(version))?;
        let new = Checked {
            title: v.title,
            description,
            path: Some(path),
            social_image,
            noindex,
            project: serde_json::from_str(&project).unwrap_or_else(|_| serde_json::json!({})),
        };
        let restored =
            self.write_version(&mut tx, ctx.person, old, new, &format!("Restored version {version}")).await?;
        tx.commit().await?;
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_the_etag_weak_or_in_a_list_and_nothing_else() {
        let e = "\"abc-3\"";
        assert!(matches("\"abc-3\"", e));
        assert!(matches("W/\"abc-3\"", e));
        assert!(matches("\"x\", \"abc-3\"", e));
        assert!(matches("*", e));
        assert!(!matches("\"abc-2\"", e));
        assert!(!matches("abc-3", e));
    }
}
