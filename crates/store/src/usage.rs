//! Usage that more than one feature makes: the bytes a tenant stores (site
//! images and knowledge-base documents, later shared files) are one
//! `storage_bytes` level, summed here in one place so every crate that
//! changes it records the same total.

use crate::{on_db, StoreError, TenantTx};

/// Bytes the tenant stores: site images and documents.
///
/// # Errors
/// The database's error.
pub async fn stored_bytes(tx: &mut TenantTx) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT CAST((SELECT COALESCE(SUM(bytes), 0) FROM site_assets WHERE tenant_id = $1) + \
                       (SELECT COALESCE(SUM(bytes), 0) FROM kb_documents WHERE tenant_id = $1) AS BIGINT)";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_one(c).await)?)
}
