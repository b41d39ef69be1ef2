//! Reading and verifying the audit log.

use super::*;

impl Security {
    /// A page of the audit log, newest first.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn audit_log(&self, ctx: &TenantCtx, before: Option<i64>, limit: i64) -> Result<AuditPage, Error> {
        ctx.require(Role::Admin).map_err(|_| Error::Forbidden("Only owners and admins read the audit log."))?;
        let limit = limit.clamp(1, 200);
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let rows = store::audit_page(&mut tx, before, limit).await?;
        tx.commit().await?;
        let next_before = match rows.last() {
            Some(last) if rows.len() as i64 == limit && last.seq > 1 => Some(last.seq),
            _ => None,
        };
        Ok(AuditPage { items: rows.iter().map(AuditEntry::from).collect(), next_before })
    }

    /// One audit entry.
    ///
    /// # Errors
    /// `audit_entry_not_found` (also for another tenant's entry).
    pub async fn audit_entry(&self, ctx: &TenantCtx, id: Uuid) -> Result<AuditEntry, Error> {
        ctx.require(Role::Admin).map_err(|_| Error::Forbidden("Only owners and admins read the audit log."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let row = store::audit_entry(&mut tx, id).await?;
        tx.commit().await?;
        row.as_ref().map(AuditEntry::from).ok_or_else(|| Error::AuditEntryNotFound(id.to_string()))
    }

    /// Verifies the caller's tenant's chain.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn verify_audit(&self, ctx: &TenantCtx) -> Result<Verification, Error> {
        ctx.require(Role::Admin).map_err(|_| Error::Forbidden("Only owners and admins read the audit log."))?;
        self.verify_audit_of(ctx.tenant).await
    }

    /// Verifies a tenant's chain (for `stackpro audit verify`).
    ///
    /// # Errors
    /// The database's error.
    pub async fn verify_audit_of(&self, tenant: TenantId) -> Result<Verification, Error> {
        // A read transaction: on SQLite it never holds the writer's lock.
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let rows = store::audit_all(&mut tx).await?;
        let head = store::audit_head(&mut tx, false).await?;
        tx.commit().await?;
        let head = head.map(|(seq, hash, tag)| audit::Head { tenant, seq, hash, tag });
        Ok(audit::verify(&rows, head, &self.0.audit_key))
    }
}
