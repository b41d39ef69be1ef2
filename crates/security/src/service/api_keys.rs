//! API keys: created with a secret shown once, revoked at once.

use super::*;

impl Security {
    /// Every API key of the workspace.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn api_keys(&self, ctx: &TenantCtx) -> Result<Vec<ApiKey>, Error> {
        ctx.require(Role::Admin).map_err(|_| Error::Forbidden("Only owners and admins manage API keys."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let keys = store::api_keys(&mut tx).await?;
        tx.commit().await?;
        Ok(keys.iter().map(ApiKey::from).collect())
    }

    /// One API key.
    ///
    /// # Errors
    /// `api_key_not_found` (also for another tenant's key).
    pub async fn api_key(&self, ctx: &TenantCtx, id: ApiKeyId) -> Result<ApiKey, Error> {
        ctx.require(Role::Admin).map_err(|_| Error::Forbidden("Only owners and admins manage API keys."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let key = store::api_key(&mut tx, id).await?.ok_or_else(|| Error::ApiKeyNotFound(id.to_string()))?;
        tx.commit().await?;
        Ok(ApiKey::from(&key))
    }

    /// Creates an API key; its secret is returned this once and stored only
    /// as a hash.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn create_api_key(
        &self,
        ctx: &TenantCtx,
        name: Name,
        scopes: Scopes,
        ip: IpAddr,
    ) -> Result<CreatedApiKey, Error> {
        require_write(ctx, Role::Admin)?;
        let secret = random_token("sp_");
        let row = ApiKeyRow {
            tenant_id: ctx.tenant,
            id: ApiKeyId::new(),
            name: name.as_str().to_owned(),
            prefix: secret.chars().take(10).collect(),
            scopes: scopes.to_stored(),
            // A key made with a key belongs to that key's creator: a key
            // never outlives, or outranks, the person behind it.
            created_by: Some(ctx.person.ok_or(Error::Forbidden("Only a member's credentials can create API keys."))?),
            created_at: self.now(),
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        store::insert_api_key(&mut tx, &row, &token_hash(&secret)).await?;
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        self.audit(
            &mut tx,
            &actor,
            "api_key.created",
            Some(format!("api_key:{}", row.id)),
            json!({ "name": row.name, "scopes": scopes.as_slice() }),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedApiKey { api_key: ApiKey::from(&row), secret })
    }

    /// Revokes an API key at once.
    ///
    /// # Errors
    /// `api_key_not_found`.
    pub async fn revoke_api_key(&self, ctx: &TenantCtx, id: ApiKeyId, ip: IpAddr) -> Result<(), Error> {
        require_write(ctx, Role::Admin)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let key = store::api_key(&mut tx, id).await?.ok_or_else(|| Error::ApiKeyNotFound(id.to_string()))?;
        if !store::revoke_api_key(&mut tx, id, self.now()).await? {
            return Ok(()); // already revoked: revoking is idempotent
        }
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        self.audit(&mut tx, &actor, "api_key.revoked", Some(format!("api_key:{id}")), json!({ "name": key.name }))
            .await?;
        let pending = self.invalidate(&mut tx, vec![Forget::ApiKey(ctx.tenant, id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        Ok(())
    }
}
