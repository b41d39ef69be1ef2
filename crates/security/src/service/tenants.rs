//! Tenants: creation with their data key and owner, deletion (crypto-shredding),
//! feature encryption, and master-key rotation.

use super::*;

/// How long a rotation waits for servers that read the old key file just
/// before it changed to finish creating tenants with it.
const ROTATION_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

impl Security {
    /// Creates a tenant with its data key, audit head and owner, in one
    /// transaction. Used by sign-up, `stackpro tenant create` and the demo seed.
    ///
    /// # Errors
    /// The database's error.
    pub async fn create_tenant(&self, s: &Signup, ip: Option<IpAddr>) -> Result<(TenantTx, Tenant, UserRow), Error> {
        let hash = password::hash(s.password.expose()).await?;
        let tenant_id = TenantId::new();
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(tenant_id).await?;
        let base = s.tenant_name.slug().as_str().to_owned();
        let mut slug = base.clone();
        let mut tries = 0;
        while !store::insert_tenant(&mut tx, s.tenant_name.as_str(), &slug, now).await? {
            // A failed statement aborts a Postgres transaction: start again.
            tries += 1;
            if tries > 5 {
                return Err(Error::InvalidTenantName);
            }
            drop(tx);
            tx = self.0.db.tenant_tx_for(tenant_id).await?;
            slug = format!("{base}-{}", &Uuid::now_v7().simple().to_string()[20..26]);
        }
        let (wrapped, kek_id) = self.0.keys.new_data_key(tenant_id)?;
        store::insert_tenant_key(&mut tx, &wrapped, &kek_id, now).await?;
        store::init_audit_head(&mut tx, &self.genesis_tag(tenant_id)).await?;
        let owner = UserRow {
            tenant_id,
            id: UserId::new(),
            email: s.email.as_str().to_owned(),
            name: None,
            password_hash: Some(hash),
            role: Role::Owner.as_str().to_owned(),
            status: "active".into(),
            created_at: now,
            last_login_at: None,
            tokens_valid_after: None,
            invited_by: None,
        };
        store::insert_user(&mut tx, &owner).await?;
        let actor = Actor { id: Some(owner.id.0), label: Some(owner.email.clone()), ip };
        self.audit(
            &mut tx,
            &actor,
            "tenant.created",
            Some(format!("tenant:{tenant_id}")),
            json!({ "name": s.tenant_name.as_str(), "slug": slug }),
        )
        .await?;
        let tenant = store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(tenant_id.to_string()))?;
        self.meter_seats(&mut tx).await?;
        Ok((tx, tenant, owner))
    }

    /// Signs up: a new tenant, its owner, and a session.
    ///
    /// # Errors
    /// `rate_limited`, or the database's error.
    #[tracing::instrument(skip_all)]
    pub async fn signup(&self, s: Signup, ip: IpAddr) -> Result<Session, Error> {
        // An hour's window, tighter than sign-in's: each sign-up creates a
        // workspace, its key and its rows.
        let window = std::time::Duration::from_secs(3600);
        self.reserve_in(&format!("rl:signup:ip:{ip}"), self.0.settings.signup_rate_per_ip, window).await?;
        let (mut tx, tenant, owner) = self.create_tenant(&s, Some(ip)).await?;
        let actor = Actor { id: Some(owner.id.0), label: Some(owner.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.signup", Some(format!("user:{}", owner.id)), json!({})).await?;
        store::touch_login(&mut tx, owner.id, self.now()).await?;
        let session = self.open_session(&mut tx, tenant, &owner, Uuid::now_v7()).await?;
        tx.commit().await?;
        tracing::info!(tenant.id = %session.tenant.id, tenant.slug = %session.tenant.slug, "tenant signed up");
        Ok(session)
    }

    /// Every tenant.
    ///
    /// # Errors
    /// The database's error.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, Error> {
        let mut tx = self.0.db.system_read().await?;
        let t = store::list_tenants(&mut tx).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// A tenant by id, for operators.
    ///
    /// # Errors
    /// The database's error.
    pub async fn tenant_by_id(&self, id: TenantId) -> Result<Option<Tenant>, Error> {
        let mut tx = self.0.db.system_read().await?;
        let t = store::tenant_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// A tenant by slug, for operators.
    ///
    /// # Errors
    /// The database's error.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, Error> {
        let mut tx = self.0.db.system_read().await?;
        let t = store::tenant_by_slug(&mut tx, slug).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Deletes a tenant and every row of it. Its wrapped data key goes too, so
    /// whatever was encrypted with it (including copies in backups and blob
    /// stores) can never be decrypted again.
    ///
    /// # Errors
    /// `tenant_not_found`, or the database's error.
    #[tracing::instrument(skip_all, fields(tenant.id = %id))]
    pub async fn delete_tenant(&self, id: TenantId) -> Result<(), Error> {
        let mut tx = self.0.db.system_tx().await?;
        if !store::delete_tenant(&mut tx, id).await? {
            return Err(Error::TenantNotFound(id.to_string()));
        }
        crate::events::detach_tenant(&mut tx, id).await?;
        // Recorded in the database, so a running server forgets the tenant's
        // sessions and keys within a second even when this runs in another
        // process (the CLI) with no bus between them.
        let pending = self.invalidate(&mut tx, vec![Forget::Tenant(id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        tracing::info!("tenant deleted and its data key destroyed");
        Ok(())
    }

    /// The tenant's data key, unwrapped, inside the caller's transaction.
    ///
    /// # Errors
    /// `KeyUnavailable` when the tenant (and so its key) is gone.
    pub async fn data_key(&self, tx: &mut TenantTx) -> Result<DataKey, Error> {
        let (wrapped, kek_id) = store::tenant_key(tx)
            .await?
            .ok_or_else(|| Error::KeyUnavailable(format!("tenant {} has no data key", tx.tenant_id())))?;
        let kek = self.0.keys.by_id(&kek_id)?;
        Ok(DataKey::new(kek.unwrap_key(tx.tenant_id(), &wrapped)?))
    }

    /// Encrypts with the tenant's data key; `aad` binds it to its place.
    ///
    /// # Errors
    /// `KeyUnavailable` when the tenant's key is gone.
    pub async fn encrypt(&self, tx: &mut TenantTx, plain: &[u8], aad: &str) -> Result<Vec<u8>, Error> {
        let key = self.data_key(tx).await?;
        self.0.keys.encrypt(&key, plain, aad.as_bytes())
    }

    /// Decrypts what [`Security::encrypt`] produced.
    ///
    /// # Errors
    /// `KeyUnavailable` when the tenant's key is gone, `Crypto` when altered.
    pub async fn decrypt(&self, tx: &mut TenantTx, sealed: &[u8], aad: &str) -> Result<Vec<u8>, Error> {
        let key = self.data_key(tx).await?;
        self.0.keys.decrypt(&key, sealed, aad.as_bytes())
    }

    /// Rotates the key-encryption key: a new key file, every data key
    /// re-wrapped in one transaction (no data is touched), the old key kept as
    /// `<file>.previous` until the re-wrap commits, and a `keys.master_rotated`
    /// audit entry in each tenant. Returns how many data keys were re-wrapped.
    ///
    /// # Errors
    /// When a data key cannot be unwrapped, or the database's error; the old
    /// key file then stays the previous key, so nothing is lost.
    pub async fn rotate_master_key(&self) -> Result<usize, Error> {
        let resumed = self.0.keys.rotation_pending();
        let (old, new) = self.0.keys.rotate_files()?;
        if resumed {
            tracing::warn!(kek.old = %old.id(), kek.new = %new.id(), "finishing an interrupted rotation");
        }
        // Pass until nothing is wrapped by another key: a server that read the
        // old key file just before the rotation may still create a tenant with
        // it, so after the first pass wait out that window and look again.
        let mut rewrapped = Vec::new();
        for pass in 0..10 {
            let done = self.rewrap_all(&new).await?;
            if done.is_empty() && pass > 0 {
                break;
            }
            rewrapped.extend(done);
            tokio::time::sleep(ROTATION_GRACE).await;
        }
        for tenant in &rewrapped {
            let mut ttx = self.0.db.tenant_tx_for(*tenant).await?;
            let actor = Actor { label: Some("stackpro keys rotate-master".into()), ..Actor::default() };
            self.audit(&mut ttx, &actor, "keys.master_rotated", None, json!({ "from": old.id(), "to": new.id() }))
                .await?;
            ttx.commit().await?;
        }
        self.0.keys.retire_previous()?;
        tracing::info!(kek.old = %old.id(), kek.new = %new.id(), keys = rewrapped.len(), "master key rotated");
        Ok(rewrapped.len())
    }

    /// Re-wraps, in one transaction, every data key and server secret not yet
    /// wrapped by `new`; returns the tenants re-wrapped.
    async fn rewrap_all(&self, new: &crate::crypto::Kek) -> Result<Vec<TenantId>, Error> {
        let now = self.now();
        let mut tx = self.0.db.system_tx().await?;
        let mut tenants = Vec::new();
        for (tenant, wrapped, kek_id) in store::all_tenant_keys(&mut tx).await? {
            if kek_id == new.id() {
                continue;
            }
            let dk = self.0.keys.by_id(&kek_id)?.unwrap_key(tenant, &wrapped)?;
            store::rewrap_tenant_key(&mut tx, tenant, &new.wrap(tenant, &dk)?, new.id(), now).await?;
            tenants.push(tenant);
        }
        for (name, wrapped, kek_id) in store::server_secrets(&mut tx).await? {
            if kek_id == new.id() {
                continue;
            }
            let secret = self.0.keys.by_id(&kek_id)?.unwrap_secret(&name, &wrapped)?;
            store::rewrap_server_secret(&mut tx, &name, &new.wrap_secret(&name, &secret)?, new.id()).await?;
        }
        tx.commit().await?;
        Ok(tenants)
    }
}
