//! The types of sites: what the API takes and answers, and the rules on
//! their fields (lengths, paths, slugs) that hold wherever they come from.

use crate::error::Error;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stackpro_core::define_id;
use stackpro_core::ids::UserId;
use std::collections::BTreeMap;
use utoipa::ToSchema;

define_id!(
    /// A website of a tenant.
    SiteId
);
define_id!(
    /// A page of a site.
    PageId
);
define_id!(
    /// An uploaded image of a site.
    AssetId
);
define_id!(
    /// A form submission received by a published site.
    SubmissionId
);

/// The most pages one site may have.
pub const MAX_PAGES: i64 = 100;
/// The most images one site may hold.
pub const MAX_ASSETS: i64 = 500;
/// The largest image upload, in bytes.
pub const MAX_ASSET_BYTES: usize = 10 * 1024 * 1024;
/// The most components a page's project may hold.
pub const MAX_COMPONENTS: usize = 5_000;

/// Facts about the business that templates fill in.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Business {
    /// The business's name, as customers know it (1 to 100 characters).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub name: String,
    /// Its town or city (up to 100 characters).
    #[serde(default)]
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub city: String,
    /// A phone number customers may call (up to 40 characters).
    #[serde(default)]
    #[schema(max_length = 40, pattern = r"^[0-9 +().-]*$")]
    pub phone: String,
    /// An email address customers may write to (up to 254 characters).
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// What it offers, one per entry (up to 12, each up to 80 characters).
    #[serde(default)]
    #[schema(max_items = 12)]
    pub services: Vec<ServiceName>,
}

/// A service a business offers (up to 80 characters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServiceName(pub String);

impl utoipa::PartialSchema for ServiceName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(80))
            .pattern(Some(concat!("^[^", "\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufdd0-\\ufdef\\ufffe\\uffff", "]*$")))
            .into()
    }
}
impl ToSchema for ServiceName {}

impl Business {
    /// Checks lengths and characters; trims surrounding spaces.
    ///
    /// # Errors
    /// `invalid_field` naming the field at fault.
    pub fn validated(mut self) -> Result<Business, Error> {
        self.name = field("/business/name", &self.name, 1, 100)?;
        self.city = field("/business/city", &self.city, 0, 100)?;
        self.phone = field("/business/phone", &self.phone, 0, 40)?;
        if !self.phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
            return Err(Error::Invalid(
                "/business/phone",
                "A phone number has digits, spaces and + - ( ) . only.".into(),
            ));
        }
        self.email = field("/business/email", &self.email, 0, 254)?;
        if !self.email.is_empty() && stackpro_security::model::Email::parse(&self.email).is_err() {
            return Err(Error::Invalid("/business/email", "The email address is not valid.".into()));
        }
        if self.services.len() > 12 {
            return Err(Error::Invalid("/business/services", "Name at most 12 services.".into()));
        }
        let mut services = Vec::with_capacity(self.services.len());
        for (i, s) in self.services.iter().enumerate() {
            let s = field("/business/services", &s.0, 0, 80).map_err(|_| {
                Error::Invalid("/business/services", format!("Service {} is longer than 80 characters.", i + 1))
            })?;
            if !s.is_empty() {
                services.push(ServiceName(s));
            }
        }
        self.services = services;
        Ok(self)
    }
}

/// A text field trimmed and checked: `min..=max` characters, none of the
/// invisible or control characters of `stackpro_core::text`.
///
/// # Errors
/// `invalid_field` for `at`.
pub fn field(at: &'static str, raw: &str, min: usize, max: usize) -> Result<String, Error> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min || n > max {
        let what = if min == 0 { format!("at most {max} characters") } else { format!("{min} to {max} characters") };
        return Err(Error::Invalid(at, format!("Use {what}.")));
    }
    if s.chars().any(stackpro_core::text::is_forbidden) {
        return Err(Error::Invalid(at, "Control and invisible characters are not allowed.".into()));
    }
    Ok(s.to_owned())
}

/// A page path: `/`, or `/` followed by lowercase segments of letters,
/// digits and hyphens (`/about`, `/services/repairs`), at most 100 long.
///
/// # Errors
/// `invalid_field` at `/path`.
pub fn page_path(raw: &str) -> Result<String, Error> {
    let bad = || {
        Error::Invalid(
            "/path",
            "A page path is / or /segment/segment…: lowercase letters, digits and hyphens, at most 100 characters."
                .into(),
        )
    };
    if raw == "/" {
        return Ok(raw.to_owned());
    }
    if raw.len() > 100 || !raw.starts_with('/') || raw.ends_with('/') {
        return Err(bad());
    }
    for seg in raw[1..].split('/') {
        let ok = !seg.is_empty()
            && !seg.starts_with('-')
            && seg.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(bad());
        }
    }
    Ok(raw.to_owned())
}

/// A website.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Site {
    /// Its id.
    pub id: SiteId,
    /// Its subdomain: the site answers at `<slug>.<base domain>`.
    pub slug: String,
    /// Its name in the dashboard.
    pub name: String,
    /// The template it was made from.
    pub template: String,
    /// The business facts it was made with.
    pub business: Business,
    /// Where it answers once published.
    pub url: String,
    /// When it was last published; absent while unpublished.
    pub published_at: Option<DateTime<Utc>>,
    /// Bumped by every publish and unpublish.
    pub generation: i64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new site.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    /// The template's key (see `GET /api/v1/sites/templates`).
    #[schema(max_length = 64)]
    pub template: String,
    /// The business facts the template fills in; its name names the site.
    pub business: Business,
    /// The subdomain; derived from the business's name when absent.
    #[serde(default)]
    #[schema(min_length = 3, max_length = 63, pattern = "^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")]
    pub slug: Option<String>,
}

/// A page, without its content.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Page {
    /// Its id.
    pub id: PageId,
    /// Its site.
    pub site_id: SiteId,
    /// Its path on the site.
    pub path: String,
    /// Its title (the browser tab and search results).
    pub title: String,
    /// Its description for search results and link previews.
    pub description: String,
    /// An image URL for link previews (social cards).
    pub social_image: Option<String>,
    /// Whether search engines are asked not to index it.
    pub noindex: bool,
    /// The version of its content now; send `If-Match` with [`Page::etag`] to save.
    pub version: i64,
    /// The entity tag of this version, for `If-Match`.
    pub etag: String,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
    /// Who saved it last.
    pub updated_by: Option<UserId>,
}

impl Page {
    /// The entity tag of a page version.
    pub fn etag_of(id: PageId, version: i64) -> String {
        format!("\"{}-{version}\"", id.0.simple())
    }
}

/// A page with its content.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PageContent {
    /// The page.
    #[serde(flatten)]
    pub page: Page,
    /// The GrapesJS project data of the page (`{assets, styles, pages: [{frames: [{component}]}]}`).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub project: serde_json::Value,
}

/// A new page.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPage {
    /// Its path (`/about`): lowercase letters, digits and hyphens.
    #[schema(max_length = 100, pattern = r"^/$|^(/[a-z0-9][a-z0-9-]*)+$")]
    pub path: String,
    /// Its title (1 to 120 characters).
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub title: String,
    /// Its description (up to 300 characters).
    #[serde(default)]
    #[schema(
        max_length = 300,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub description: String,
}

/// A save of a page: every save is a new version. Send the current
/// version's `etag` as `If-Match`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavePage {
    /// Its title (1 to 120 characters).
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub title: String,
    /// Its description (up to 300 characters).
    #[serde(default)]
    #[schema(
        max_length = 300,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub description: String,
    /// Its path; unchanged when absent.
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^/$|^(/[a-z0-9][a-z0-9-]*)+$")]
    pub path: Option<String>,
    /// An image URL for link previews: a path on the site (`/_assets/…`) or `https://`.
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = r#"^(/[^/\\\s"<\u0000-\u001f\u007f-\u009f][^\\\s"<\u0000-\u001f\u007f-\u009f]*|https://[^\s"<\u0000-\u001f\u007f-\u009f]*)$"#
    )]
    pub social_image: Option<String>,
    /// Asks search engines not to index the page.
    #[serde(default)]
    pub noindex: bool,
    /// The GrapesJS project data.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub project: serde_json::Value,
}

/// One saved version of a page.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Version {
    /// Its number, from 1.
    pub version: i64,
    /// The page's title at that version.
    pub title: String,
    /// What changed from the version before, in words.
    pub summary: String,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// Who saved it.
    pub created_by: Option<UserId>,
}

/// A version with its content.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VersionContent {
    /// The version.
    #[serde(flatten)]
    pub version: Version,
    /// The page's description then.
    pub description: String,
    /// The page's path then.
    pub path: String,
    /// The project data then.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub project: serde_json::Value,
}

/// A template in the gallery.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Template {
    /// Its key, to create a site from it.
    pub key: String,
    /// Its name.
    pub name: String,
    /// The kind of business it suits.
    pub industry: String,
    /// What it looks like, in words.
    pub description: String,
    /// A picture of it (an SVG served by this server).
    pub preview_url: String,
    /// Its main colour.
    pub accent: String,
    /// The services it lists when none are given.
    pub default_services: Vec<String>,
}

/// What a publish did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Published {
    /// The site as it is now.
    pub site: Site,
    /// The paths published.
    pub paths: Vec<String>,
    /// How long rendering took on the server, in milliseconds.
    pub render_ms: f64,
}

/// A short-lived link to a page's draft.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PreviewLink {
    /// The link; open it with the session of a member of the workspace.
    pub url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// One size of an image.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Variant {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Where it is served (immutable, content-hashed).
    pub url: String,
    /// Its size in bytes.
    pub bytes: i64,
}

/// An uploaded image.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Asset {
    /// Its id.
    pub id: AssetId,
    /// The name it was uploaded with.
    pub name: String,
    /// Its type, from its content.
    pub content_type: String,
    /// The largest size's URL.
    pub url: String,
    /// Every size, for `srcset`.
    pub srcset: String,
    /// Width of the largest size.
    pub width: u32,
    /// Height of the largest size.
    pub height: u32,
    /// Bytes stored for all sizes.
    pub bytes: i64,
    /// Each size.
    pub variants: Vec<Variant>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// A form submission, opened.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Submission {
    /// Its id.
    pub id: SubmissionId,
    /// The form's name (`contact`).
    pub form: String,
    /// The page it was sent from.
    pub page: String,
    /// The fields as sent (the honeypot and the proof of work removed).
    pub fields: BTreeMap<String, String>,
    /// When it arrived.
    pub created_at: DateTime<Utc>,
}

pub use stackpro_core::extract::FileBytes;

/// A published site found by its Host: what the one Host lookup answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostSite {
    /// The tenant that owns it.
    pub tenant: stackpro_core::ids::TenantId,
    /// The site.
    pub site: SiteId,
    /// Its slug.
    pub slug: String,
    /// Its generation when looked up.
    pub generation: i64,
    /// Whether it is published.
    pub published: bool,
}

/// The event a form submission publishes on the bus (topic
/// [`FORM_TOPIC`]), for notifications to pick up.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FormSubmitted {
    /// The tenant.
    pub tenant: stackpro_core::ids::TenantId,
    /// The site.
    pub site: SiteId,
    /// The submission.
    pub submission: SubmissionId,
    /// The form's name.
    pub form: String,
}

/// The bus topic of [`FormSubmitted`].
pub const FORM_TOPIC: &str = "sites.form_submitted";
/// The bus topic on which a changed site's slug is announced.
pub const CHANGED_TOPIC: &str = "sites.changed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_are_lowercase_segments_and_the_platforms_paths_are_kept() {
        for ok in ["/", "/about", "/services/repairs", "/a-1"] {
            assert_eq!(page_path(ok).unwrap(), ok);
        }
        for bad in ["", "about", "/About", "/a/", "//", "/a//b", "/-a", "/_assets", "/a b", "/é", "/a.b"] {
            assert!(page_path(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_business_needs_a_name_and_a_phone_of_phone_characters() {
        let b = Business { name: "  Rosa's  ".into(), ..Default::default() }.validated().unwrap();
        assert_eq!(b.name, "Rosa's");
        assert!(Business::default().validated().is_err());
        let b = Business { name: "x".into(), phone: "call me<script>".into(), ..Default::default() };
        assert!(b.validated().is_err());
    }
}
