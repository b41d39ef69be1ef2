//! The errors of sites, each with its code.

use stackpro_core::metering::LimitReached;
use stackpro_core::{Code, ErrorCode};
use stackpro_store::StoreError;

/// What can go wrong with sites, pages, assets, publishing and forms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field is empty, too long or malformed.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// No such site (or another tenant's).
    #[error("No site {0} in this workspace.")]
    SiteNotFound(String),
    /// No such page (or another site's).
    #[error("No page {0} on this site.")]
    PageNotFound(String),
    /// No such version.
    #[error("Page version {0} does not exist.")]
    VersionNotFound(i64),
    /// No such image.
    #[error("No image {0} on this site.")]
    AssetNotFound(String),
    /// No such template.
    #[error("There is no template {0:?}; GET /api/v1/sites/templates lists them.")]
    TemplateNotFound(String),
    /// The subdomain is taken or kept by the platform.
    #[error("{0}.{1} is taken; choose another subdomain.")]
    SlugTaken(String, String),
    /// Another page has the path.
    #[error("Another page of this site already has the path {0}.")]
    PathTaken(String),
    /// The home page keeps its path.
    #[error("The home page keeps the path / and cannot be deleted.")]
    HomePageFixed,
    /// The site holds as many pages or images as it may.
    #[error("{0}")]
    SiteFull(String),
    /// The save was based on an older version.
    #[error("The page was saved by someone else since you loaded it (version {current} is current). Your changes were not saved: reload, or copy them over the current version.")]
    Conflict {
        /// The current version.
        current: i64,
        /// The current version, whole, for the client to show.
        page: Box<serde_json::Value>,
    },
    /// No `If-Match` on a save.
    #[error(
        "Send If-Match with the ETag of the version you edited, so a colleague's newer save is never overwritten."
    )]
    PreconditionRequired,
    /// The upload is not an image we take.
    #[error("{0}")]
    AssetRefused(String),
    /// The upload is too large.
    #[error("{0}")]
    TooLarge(String),
    /// The preview link is too old.
    #[error("This preview link has expired; make a new one from the editor.")]
    PreviewExpired,
    /// The role does not allow it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A submission refused by a spam check.
    #[error("{0}")]
    FormRejected(&'static str),
    /// Too many submissions from one address.
    #[error("Too many messages were sent from here; try again in a few minutes.")]
    RateLimited(u64),
    /// Too many submissions to one site.
    #[error("This site has received many messages in the last minutes; try again later.")]
    SiteBusy(u64),
    /// The replica is busy with the same kind of work.
    #[error("{0}")]
    Busy(&'static str),
    /// A hard limit of the plan forbids it.
    #[error(transparent)]
    Limit(#[from] LimitReached),
    /// Metering failed.
    #[error("metering: {0}")]
    Metering(String),
    /// Identity and security failed (keys, audit).
    #[error(transparent)]
    Security(#[from] stackpro_security::Error),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

stackpro_store::database_errors_into!(Error);

stackpro_store::metering_errors_into!(Error);

impl ErrorCode for Error {
    fn code(&self) -> Code {
        match self {
            Error::Invalid(..) => Code::InvalidField,
            Error::SiteNotFound(_) => Code::SiteNotFound,
            Error::PageNotFound(_) => Code::PageNotFound,
            Error::VersionNotFound(_) => Code::VersionNotFound,
            Error::AssetNotFound(_) => Code::AssetNotFound,
            Error::TemplateNotFound(_) => Code::TemplateNotFound,
            Error::SlugTaken(..) => Code::SlugTaken,
            Error::PathTaken(_) => Code::PathTaken,
            Error::Conflict { .. } => Code::VersionConflict,
            Error::HomePageFixed => Code::HomePageFixed,
            Error::SiteFull(_) => Code::SiteFull,
            Error::PreconditionRequired => Code::PreconditionRequired,
            Error::AssetRefused(_) => Code::AssetRefused,
            Error::TooLarge(_) => Code::PayloadTooLarge,
            Error::PreviewExpired => Code::PreviewExpired,
            Error::Forbidden(_) => Code::Forbidden,
            Error::FormRejected(_) => Code::FormRejected,
            Error::RateLimited(_) | Error::SiteBusy(_) => Code::RateLimited,
            Error::Busy(_) => Code::Unavailable,
            Error::Limit(_) => Code::PlanLimitReached,
            Error::Metering(_) => Code::Internal,
            Error::Security(e) => e.code(),
            Error::Store(e) => e.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid(field, _) => Some(field),
            Error::SlugTaken(..) => Some("/slug"),
            Error::PathTaken(_) => Some("/path"),
            Error::TemplateNotFound(_) => Some("/template"),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited(secs) | Error::SiteBusy(secs) => Some(*secs),
            Error::Busy(_) => Some(5),
            _ => None,
        }
    }

    fn extra(&self) -> Option<serde_json::Value> {
        match self {
            Error::Limit(l) => Some(l.extra()),
            Error::Conflict { current, page } => {
                Some(serde_json::json!({ "current_version": current, "current": page }))
            }
            _ => None,
        }
    }
}

/// Whether a database error is the violation of a unique constraint (a
/// taken slug or path), in either dialect.
pub(crate) fn is_unique_violation(e: &Error) -> bool {
    match e {
        Error::Store(StoreError::Database(sqlx::Error::Database(d))) => d.is_unique_violation(),
        _ => false,
    }
}
