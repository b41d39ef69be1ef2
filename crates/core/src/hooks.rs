//! Where one feature adds to another's output without reaching into it:
//! sites owns a published page, and asks [`PageExtras`] (implemented by the
//! assistant, for its widget) what else the page carries.

use crate::ids::TenantId;

/// What other features add to a tenant's published pages. Asked when a
/// replica loads a site into its cache; a change is announced on
/// [`PAGE_EXTRAS_CHANGED`] so every replica loads the tenant's sites again.
#[async_trait::async_trait]
pub trait PageExtras: Send + Sync + 'static {
    /// Tags each published page of the tenant carries at the end of its
    /// `<head>` (scripts from the site's own host only: pages allow no other).
    async fn head_tags(&self, tenant: TenantId) -> String;
}

/// The bus topic on which a tenant's page extras changed; the payload is the
/// tenant's id.
pub const PAGE_EXTRAS_CHANGED: &str = "sites.extras_changed";
