//! The rules of identity and security. No HTTP here: routes parse input into
//! the types of [`crate::model`] and call one method; each method checks the
//! caller's rights, does its work in one transaction, and writes the audit
//! entry in that same transaction.

use crate::audit::{self, AuditRow, Verification};
use crate::cache::{AuthCache, CachedUser, Forget};
use crate::crypto::{random_token, token_hash, DataKey, Keyring};
use crate::error::Error;
use crate::mail::Mailer;
use crate::model::*;
use crate::password;
use crate::store;
use crate::tokens::AccessTokens;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use stackpro_core::ids::{ApiKeyId, TenantId, UserId};
use stackpro_core::{Clock, Principal, Role, TenantCtx};
use stackpro_store::jobs::{self, JobHandler, NewJob};
use stackpro_store::{Bus, Counters, Db, TenantTx};
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

/// The rate-limit window for sign-in, sign-up and reset.
const WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
const INVITE_TTL_DAYS: i64 = 7;
const RESET_TTL_MINUTES: i64 = 60;
/// The job kind that sends an email.
pub const EMAIL_JOB: &str = "email.send";

/// Settings the security service needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Public base URL for links in emails.
    pub public_url: String,
    /// Refresh token lifetime.
    pub refresh_ttl: Duration,
    /// Attempts per IP per window.
    pub rate_per_ip: u64,
    /// Attempts per account per window.
    pub rate_per_account: u64,
}

/// Identity, keys, audit and rate limits. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Security(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    db: Db,
    bus: Bus,
    cache: AuthCache,
    keys: Keyring,
    tokens: AccessTokens,
    counters: Counters,
    mailer: Mailer,
    clock: Clock,
    settings: Settings,
}

/// Who did something, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    /// User or API key id.
    pub id: Option<Uuid>,
    /// Readable label.
    pub label: Option<String>,
    /// Client IP.
    pub ip: Option<IpAddr>,
}

/// What sign-up needs.
#[derive(Debug)]
pub struct Signup {
    /// The owner's email.
    pub email: Email,
    /// The owner's password.
    pub password: Password,
    /// The workspace's name.
    pub tenant_name: TenantName,
}

impl Security {
    /// Builds the service.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        bus: Bus,
        keys: Keyring,
        tokens: AccessTokens,
        counters: Counters,
        mailer: Mailer,
        clock: Clock,
        settings: Settings,
    ) -> Security {
        Security(Arc::new(Inner {
            db,
            bus,
            cache: AuthCache::default(),
            keys,
            tokens,
            counters,
            mailer,
            clock,
            settings,
        }))
    }

    /// The database, for the authenticator.
    pub fn db(&self) -> &Db {
        &self.0.db
    }
    /// The access tokens, for the authenticator.
    pub fn tokens(&self) -> &AccessTokens {
        &self.0.tokens
    }
    /// The keyring.
    pub fn keys(&self) -> &Keyring {
        &self.0.keys
    }
    /// The credential cache.
    pub(crate) fn cache(&self) -> &AuthCache {
        &self.0.cache
    }

    /// Forgets cached credentials here and on every other replica. Called
    /// after the commit that took rights away.
    pub(crate) async fn forget(&self, what: Forget) {
        self.0.cache.forget(&what);
        match serde_json::to_vec(&what) {
            Ok(msg) => {
                if let Err(e) = self.0.bus.publish(crate::cache::TOPIC, msg.into()).await {
                    // Other replicas still drop the entry when its TTL ends.
                    tracing::warn!(error.cause_chain = ?e, "could not publish a cache invalidation");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not encode a cache invalidation"),
        }
    }

    /// Applies invalidations published by other replicas until the bus ends.
    /// `server` runs it beside the HTTP server.
    ///
    /// # Errors
    /// When the bus cannot be subscribed to.
    pub async fn follow_invalidations(&self) -> Result<(), Error> {
        use futures::StreamExt;
        let mut stream = self.0.bus.subscribe(crate::cache::TOPIC).await?;
        while let Some(msg) = stream.next().await {
            if let Ok(what) = serde_json::from_slice::<Forget>(&msg) {
                self.0.cache.forget(&what);
            }
        }
        Ok(())
    }

    /// A member and their tenant, from the cache or the database; `None` when
    /// the member does not exist or has not joined.
    ///
    /// # Errors
    /// The database's error.
    pub(crate) async fn cached_user(&self, tenant: TenantId, user: UserId) -> Result<Option<Arc<CachedUser>>, Error> {
        if let Some(hit) = self.0.cache.user(tenant, user) {
            return Ok(Some(hit));
        }
        let generation = self.0.cache.generation();
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let row = store::user(&mut tx, user).await?;
        let t = store::tenant(&mut tx).await?;
        tx.commit().await?;
        let (Some(row), Some(t)) = (row.filter(UserRow::is_active), t) else { return Ok(None) };
        let entry = Arc::new(CachedUser { user: row, tenant: t });
        self.0.cache.put_user(generation, entry.clone());
        Ok(Some(entry))
    }

    fn now(&self) -> DateTime<Utc> {
        // Microseconds: what both databases keep, so hashes over it agree.
        let now = self.0.clock.now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    // ---- rate limits ------------------------------------------------------

    async fn limit(&self, key: String, max: u64) -> Result<(), Error> {
        let count = self.0.counters.incr(&key, 1, WINDOW).await?;
        if count.value as u64 > max {
            let secs = count.resets_in.as_secs().max(1);
            tracing::warn!(rate_limit.key = %key, rate_limit.count = count.value, "rate limit reached");
            return Err(Error::RateLimited(secs));
        }
        Ok(())
    }

    /// Refuses when `key` already counts `max` failures in this window.
    async fn check_limit(&self, key: &str, max: u64) -> Result<(), Error> {
        let count = self.0.counters.incr(key, 0, WINDOW).await?;
        if count.value as u64 >= max {
            tracing::warn!(rate_limit.key = %key, rate_limit.count = count.value, "rate limit reached");
            return Err(Error::RateLimited(count.resets_in.as_secs().max(1)));
        }
        Ok(())
    }

    // ---- audit ------------------------------------------------------------

    /// Appends an entry to the tenant's chain, in the caller's transaction.
    ///
    /// # Errors
    /// The database's error.
    pub async fn audit(
        &self,
        tx: &mut TenantTx,
        actor: &Actor,
        action: &str,
        target: Option<String>,
        details: serde_json::Value,
    ) -> Result<(), Error> {
        let (seq, prev) = store::audit_head(tx, true).await?.unwrap_or((0, audit::GENESIS.to_owned()));
        let mut row = AuditRow {
            tenant_id: tx.tenant_id(),
            seq: seq + 1,
            id: Uuid::now_v7(),
            at: self.now(),
            actor_id: actor.id,
            actor_label: actor.label.clone(),
            action: action.to_owned(),
            target,
            ip: actor.ip.map(|ip| ip.to_string()),
            details: details.to_string(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        row.hash = row.compute_hash(&prev);
        store::insert_audit(tx, &row).await
    }

    async fn actor_of(&self, tx: &mut TenantTx, ctx: &TenantCtx, ip: Option<IpAddr>) -> Result<Actor, Error> {
        let label = match ctx.principal {
            Principal::User(u) => store::user(tx, u).await?.map(|u| u.email),
            Principal::ApiKey(k) => store::api_key(tx, k).await?.map(|k| format!("API key {}", k.name)),
        };
        Ok(Actor { id: Some(ctx.principal.id()), label, ip })
    }

    // ---- tenants ----------------------------------------------------------

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
        let base = s.tenant_name.slug();
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
        store::init_audit_head(&mut tx).await?;
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
        let tenant = Tenant { id: tenant_id, name: s.tenant_name.as_str().to_owned(), slug, created_at: now };
        Ok((tx, tenant, owner))
    }

    /// Signs up: a new tenant, its owner, and a session.
    ///
    /// # Errors
    /// `rate_limited`, or the database's error.
    #[tracing::instrument(skip_all)]
    pub async fn signup(&self, s: Signup, ip: IpAddr) -> Result<Session, Error> {
        self.limit(format!("rl:signup:ip:{ip}"), self.0.settings.rate_per_ip).await?;
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

    /// A tenant by id or slug.
    ///
    /// # Errors
    /// `tenant_not_found`.
    pub async fn find_tenant(&self, id_or_slug: &str) -> Result<Tenant, Error> {
        let mut tx = self.0.db.system_read().await?;
        let t = store::find_tenant(&mut tx, id_or_slug).await?;
        tx.commit().await?;
        t.ok_or_else(|| Error::TenantNotFound(id_or_slug.to_owned()))
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
        tx.commit().await?;
        self.forget(Forget::Tenant(id)).await;
        tracing::info!("tenant deleted and its data key destroyed");
        Ok(())
    }

    // ---- encryption for features -------------------------------------------

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
        let (old, new) = self.0.keys.rotate_files()?;
        let now = self.now();
        let mut tx = self.0.db.system_tx().await?;
        let rows = store::all_tenant_keys(&mut tx).await?;
        for (tenant, wrapped, kek_id) in &rows {
            let kek = self.0.keys.by_id(kek_id)?;
            let dk = kek.unwrap_key(*tenant, wrapped)?;
            let rewrapped = new.wrap(*tenant, &dk)?;
            store::rewrap_tenant_key(&mut tx, *tenant, &rewrapped, new.id(), now).await?;
        }
        for (name, wrapped, kek_id) in store::server_secrets(&mut tx).await? {
            let secret = self.0.keys.by_id(&kek_id)?.unwrap_secret(&name, &wrapped)?;
            store::rewrap_server_secret(&mut tx, &name, &new.wrap_secret(&name, &secret)?, new.id()).await?;
        }
        tx.commit().await?;
        for (tenant, _, _) in &rows {
            let mut ttx = self.0.db.tenant_tx_for(*tenant).await?;
            let actor = Actor { label: Some("stackpro keys rotate-master".into()), ..Actor::default() };
            self.audit(&mut ttx, &actor, "keys.master_rotated", None, json!({ "from": old.id(), "to": new.id() }))
                .await?;
            ttx.commit().await?;
        }
        self.0.keys.retire_previous()?;
        tracing::info!(kek.old = %old.id(), kek.new = %new.id(), keys = rows.len(), "master key rotated");
        Ok(rows.len())
    }

    // ---- sessions ---------------------------------------------------------

    async fn open_session(
        &self,
        tx: &mut TenantTx,
        tenant: Tenant,
        user: &UserRow,
        family: Uuid,
    ) -> Result<Session, Error> {
        let refresh = random_token("spr_");
        store::insert_refresh(tx, family, user.id, &token_hash(&refresh), self.now(), self.0.settings.refresh_ttl)
            .await?;
        let (access, _) = self.0.tokens.issue(tenant.id, user.id)?;
        Ok(Session {
            access_token: access,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: self.0.tokens.ttl().num_seconds(),
            tenant,
            user: User::from(user),
            role: user.role(),
        })
    }

    /// Signs in with email and password. When the email has accounts in
    /// several workspaces, the one whose password matches is chosen; `tenant`
    /// (a slug) picks one when several match.
    ///
    /// # Errors
    /// `invalid_credentials`, `tenant_required`, `rate_limited`.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: Email,
        password: &str,
        tenant: Option<&str>,
        ip: IpAddr,
    ) -> Result<Session, Error> {
        // Only failures count, so people who type their password right are
        // never locked out by others sharing their address.
        let ip_key = format!("rl:login:ip:{ip}");
        let account_key = format!("rl:login:account:{}", email.as_str());
        self.check_limit(&ip_key, self.0.settings.rate_per_ip).await?;
        self.check_limit(&account_key, self.0.settings.rate_per_account).await?;
        let mut sys = self.0.db.system_read().await?;
        let candidates = store::sign_in_candidates(&mut sys, email.as_str(), tenant).await?;
        sys.commit().await?;
        let mut matched = Vec::new();
        if candidates.is_empty() {
            password::verify(password, None).await?;
        }
        for c in &candidates {
            if password::verify(password, c.password_hash.as_deref()).await? {
                matched.push(c.clone());
            }
        }
        let user = match matched.len() {
            1 => matched.remove(0),
            0 => {
                for c in &candidates {
                    let mut tx = self.0.db.tenant_tx_for(c.tenant_id).await?;
                    let actor = Actor { id: None, label: Some(c.email.clone()), ip: Some(ip) };
                    self.audit(
                        &mut tx,
                        &actor,
                        "auth.login_failed",
                        Some(format!("user:{}", c.id)),
                        json!({ "reason": "wrong password" }),
                    )
                    .await?;
                    tx.commit().await?;
                }
                self.0.counters.incr(&ip_key, 1, WINDOW).await?;
                self.0.counters.incr(&account_key, 1, WINDOW).await?;
                tracing::warn!(client.ip = %ip, "sign-in refused");
                return Err(Error::InvalidCredentials);
            }
            _ => return Err(Error::TenantRequired),
        };
        self.0.counters.reset(&account_key).await?;
        let mut tx = self.0.db.tenant_tx_for(user.tenant_id).await?;
        let tenant = store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(user.tenant_id.to_string()))?;
        store::touch_login(&mut tx, user.id, self.now()).await?;
        let actor = Actor { id: Some(user.id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.login", Some(format!("user:{}", user.id)), json!({})).await?;
        let session = self.open_session(&mut tx, tenant, &user, Uuid::now_v7()).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Exchanges a refresh token for a new pair. A token used twice means it
    /// was stolen (or raced): the whole family is revoked and both holders
    /// must sign in again.
    ///
    /// # Errors
    /// `refresh_token_invalid`.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, token: &str, ip: IpAddr) -> Result<Session, Error> {
        let mut sys = self.0.db.system_read().await?;
        let row = store::refresh_by_hash(&mut sys, &token_hash(token)).await?;
        sys.commit().await?;
        let row = row.ok_or(Error::RefreshTokenInvalid)?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Err(Error::RefreshTokenInvalid);
        }
        if row.rotated_at.is_some() || !store::rotate_refresh(&mut tx, row.id, now).await? {
            let revoked = store::revoke_family(&mut tx, row.family_id, now).await?;
            let actor = Actor { id: Some(row.user_id.0), label: None, ip: Some(ip) };
            self.audit(
                &mut tx,
                &actor,
                "auth.refresh_reused",
                Some(format!("user:{}", row.user_id)),
                json!({ "revoked_tokens": revoked }),
            )
            .await?;
            tx.commit().await?;
            tracing::warn!(tenant.id = %row.tenant_id, user.id = %row.user_id, "refresh token reused: family revoked");
            return Err(Error::RefreshTokenInvalid);
        }
        let user =
            store::user(&mut tx, row.user_id).await?.filter(UserRow::is_active).ok_or(Error::RefreshTokenInvalid)?;
        let tenant = store::tenant(&mut tx).await?.ok_or(Error::RefreshTokenInvalid)?;
        let session = self.open_session(&mut tx, tenant, &user, row.family_id).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Signs out: revokes the refresh token's whole family. Unknown tokens are
    /// accepted silently (signing out twice is not an error).
    ///
    /// # Errors
    /// The database's error.
    pub async fn logout(&self, token: &str, ip: IpAddr) -> Result<(), Error> {
        let mut sys = self.0.db.system_read().await?;
        let row = store::refresh_by_hash(&mut sys, &token_hash(token)).await?;
        sys.commit().await?;
        let Some(row) = row else { return Ok(()) };
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        store::revoke_family(&mut tx, row.family_id, self.now()).await?;
        let actor = Actor { id: Some(row.user_id.0), label: None, ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.logout", Some(format!("user:{}", row.user_id)), json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the caller's password and signs out their other sessions.
    ///
    /// # Errors
    /// `invalid_credentials` for a wrong current password, `weak_password`.
    pub async fn change_password(&self, ctx: &TenantCtx, current: &str, new: &str, ip: IpAddr) -> Result<(), Error> {
        let user_id = ctx.user().ok_or(Error::Forbidden("Only a person can change a password, not an API key."))?;
        self.limit(format!("rl:password:user:{user_id}"), self.0.settings.rate_per_account).await?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let user = store::user(&mut tx, user_id).await?.ok_or(Error::Unauthorized("The account no longer exists."))?;
        drop(tx);
        let email = Email::parse(&user.email)?;
        let new = Password::parse_new(new, &email, "/new_password")?;
        if !password::verify(current, user.password_hash.as_deref()).await? {
            return Err(Error::CurrentPasswordWrong);
        }
        let hash = password::hash(new.expose()).await?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        store::set_password(&mut tx, user_id, &hash, None).await?;
        store::revoke_user_refresh(&mut tx, user_id, self.now()).await?;
        let actor = Actor { id: Some(user_id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.password_changed", Some(format!("user:{user_id}")), json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts a password reset: mails a one-hour link when the account exists.
    /// Answers the same either way, so it reveals nothing.
    ///
    /// # Errors
    /// `rate_limited`, or the database's error.
    pub async fn request_password_reset(&self, email: Email, tenant: Option<&str>, ip: IpAddr) -> Result<(), Error> {
        self.limit(format!("rl:reset:ip:{ip}"), self.0.settings.rate_per_ip).await?;
        self.limit(format!("rl:reset:account:{}", email.as_str()), self.0.settings.rate_per_account).await?;
        let mut sys = self.0.db.system_read().await?;
        let candidates = store::sign_in_candidates(&mut sys, email.as_str(), tenant).await?;
        sys.commit().await?;
        for user in candidates {
            let token = random_token("");
            let now = self.now();
            let mut tx = self.0.db.tenant_tx_for(user.tenant_id).await?;
            let tenant =
                store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(user.tenant_id.to_string()))?;
            store::insert_user_token(
                &mut tx,
                user.id,
                "reset",
                &token_hash(&token),
                now,
                Duration::minutes(RESET_TTL_MINUTES),
            )
            .await?;
            let link = format!("{}/app/reset-password?token={token}", self.0.settings.public_url);
            let body = format!(
                "Someone asked to reset the password of {email} in the workspace {name}.\n\n\
                 Choose a new password here (the link works for one hour, once):\n{link}\n\n\
                 If it was not you, ignore this email; your password stays as it is.\n",
                email = user.email,
                name = tenant.name
            );
            self.queue_email(&mut tx, &user.email, &format!("Reset your {} password", tenant.name), &body).await?;
            let actor = Actor { id: None, label: Some(user.email.clone()), ip: Some(ip) };
            self.audit(&mut tx, &actor, "auth.password_reset_requested", Some(format!("user:{}", user.id)), json!({}))
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Sets a new password from a reset link and signs out every session.
    ///
    /// # Errors
    /// `reset_token_invalid`, `weak_password`.
    pub async fn confirm_password_reset(&self, token: &str, new: &str, ip: IpAddr) -> Result<(), Error> {
        let mut sys = self.0.db.system_read().await?;
        let row = store::user_token_by_hash(&mut sys, &token_hash(token), "reset").await?;
        sys.commit().await?;
        let row = row.ok_or(Error::ResetTokenInvalid)?;
        let now = self.now();
        if row.used_at.is_some() || row.expires_at <= now {
            return Err(Error::ResetTokenInvalid);
        }
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        let user = store::user(&mut tx, row.user_id).await?.ok_or(Error::ResetTokenInvalid)?;
        drop(tx);
        let new = Password::parse_new(new, &Email::parse(&user.email)?, "/new_password")?;
        let hash = password::hash(new.expose()).await?;
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        if !store::use_user_token(&mut tx, row.id, now).await? {
            return Err(Error::ResetTokenInvalid);
        }
        store::set_password(&mut tx, user.id, &hash, None).await?;
        store::revoke_user_refresh(&mut tx, user.id, now).await?;
        let actor = Actor { id: Some(user.id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.password_reset", Some(format!("user:{}", user.id)), json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- me and members ---------------------------------------------------

    /// The caller.
    ///
    /// # Errors
    /// The database's error.
    pub async fn me(&self, ctx: &TenantCtx) -> Result<Me, Error> {
        if let Principal::User(u) = ctx.principal {
            // The authenticator has just loaded this member: no round trip.
            let c =
                self.cached_user(ctx.tenant, u).await?.ok_or(Error::Unauthorized("The account no longer exists."))?;
            return Ok(Me {
                user: Some(User::from(&c.user)),
                tenant: c.tenant.clone(),
                role: ctx.role,
                via: AuthVia::Token,
                read_only: false,
            });
        }
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let tenant = store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(ctx.tenant.to_string()))?;
        let (user, via) = match ctx.principal {
            Principal::User(u) => (store::user(&mut tx, u).await?, AuthVia::Token),
            Principal::ApiKey(k) => {
                let creator = match store::api_key(&mut tx, k).await?.and_then(|k| k.created_by) {
                    Some(u) => store::user(&mut tx, u).await?,
                    None => None,
                };
                (creator, AuthVia::ApiKey)
            }
        };
        tx.commit().await?;
        Ok(Me { user: user.as_ref().map(User::from), tenant, role: ctx.role, via, read_only: ctx.read_only })
    }

    /// Every member and pending invitation.
    ///
    /// # Errors
    /// `forbidden` for clients.
    pub async fn members(&self, ctx: &TenantCtx) -> Result<Vec<Member>, Error> {
        ctx.require(Role::Member).map_err(|_| Error::Forbidden("Clients cannot list the workspace's members."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let users = store::users(&mut tx).await?;
        tx.commit().await?;
        Ok(users.iter().map(Member::from).collect())
    }

    /// One member.
    ///
    /// # Errors
    /// `member_not_found` (also for another tenant's member).
    pub async fn member(&self, ctx: &TenantCtx, id: UserId) -> Result<Member, Error> {
        ctx.require(Role::Member).map_err(|_| Error::Forbidden("Clients cannot see other members."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        tx.commit().await?;
        Ok(Member::from(&user))
    }

    /// Invites someone by email with a role; the link is mailed (or logged)
    /// and returned so an admin can share it.
    ///
    /// # Errors
    /// `forbidden`, `invalid_role`, `email_taken`.
    pub async fn invite(
        &self,
        ctx: &TenantCtx,
        email: Email,
        role: Role,
        name: Option<Name>,
        ip: IpAddr,
    ) -> Result<Invitation, Error> {
        require_write(ctx, Role::Admin)?;
        if role == Role::Owner && ctx.role != Role::Owner {
            return Err(Error::Forbidden("Only an owner can invite another owner."));
        }
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let tenant = store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(ctx.tenant.to_string()))?;
        let user = UserRow {
            tenant_id: ctx.tenant,
            id: UserId::new(),
            email: email.as_str().to_owned(),
            name: name.map(|n| n.as_str().to_owned()),
            password_hash: None,
            role: role.as_str().to_owned(),
            status: "invited".into(),
            created_at: now,
            last_login_at: None,
        };
        store::insert_user(&mut tx, &user).await?;
        let token = random_token("");
        store::insert_user_token(&mut tx, user.id, "invite", &token_hash(&token), now, Duration::days(INVITE_TTL_DAYS))
            .await?;
        let invite_url = format!("{}/app/accept-invite?token={token}", self.0.settings.public_url);
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        let inviter = actor.label.clone().unwrap_or_else(|| "A member".into());
        let body = format!(
            "{inviter} invited you to join {name} on StackPro as {role}.\n\n\
             Accept the invitation and choose your password here (the link works for {INVITE_TTL_DAYS} days, once):\n{invite_url}\n",
            name = tenant.name,
            role = role.as_str()
        );
        self.queue_email(&mut tx, email.as_str(), &format!("You are invited to {}", tenant.name), &body).await?;
        self.audit(
            &mut tx,
            &actor,
            "member.invited",
            Some(format!("user:{}", user.id)),
            json!({ "email": user.email, "role": role.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(Invitation { member: Member::from(&user), invite_url, email_sent: self.0.mailer.sends() })
    }

    /// Accepts an invitation: sets the password (and name) and signs in.
    ///
    /// # Errors
    /// `invite_invalid`, `weak_password`.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: &str,
        name: Option<Name>,
        ip: IpAddr,
    ) -> Result<Session, Error> {
        let mut sys = self.0.db.system_read().await?;
        let row = store::user_token_by_hash(&mut sys, &token_hash(token), "invite").await?;
        sys.commit().await?;
        let row = row.ok_or(Error::InviteInvalid)?;
        let now = self.now();
        if row.used_at.is_some() || row.expires_at <= now {
            return Err(Error::InviteInvalid);
        }
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        let user = store::user(&mut tx, row.user_id).await?.ok_or(Error::InviteInvalid)?;
        drop(tx);
        let pw = Password::parse_new(password, &Email::parse(&user.email)?, "/password")?;
        let hash = password::hash(pw.expose()).await?;
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        if !store::use_user_token(&mut tx, row.id, now).await? {
            return Err(Error::InviteInvalid);
        }
        store::set_password(&mut tx, user.id, &hash, name.as_ref().map(Name::as_str)).await?;
        store::touch_login(&mut tx, user.id, now).await?;
        let user = store::user(&mut tx, user.id).await?.ok_or(Error::InviteInvalid)?;
        let tenant = store::tenant(&mut tx).await?.ok_or(Error::InviteInvalid)?;
        let actor = Actor { id: Some(user.id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "member.joined", Some(format!("user:{}", user.id)), json!({ "role": user.role }))
            .await?;
        let session = self.open_session(&mut tx, tenant, &user, Uuid::now_v7()).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Changes a member's role. Only owners give or take the owner role, and
    /// the last owner keeps it.
    ///
    /// # Errors
    /// `member_not_found`, `forbidden`, `invalid_role`, `last_owner`.
    pub async fn set_role(&self, ctx: &TenantCtx, id: UserId, role: Role, ip: IpAddr) -> Result<Member, Error> {
        require_write(ctx, Role::Admin)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        let old = user.role();
        if (role == Role::Owner || old == Role::Owner) && ctx.role != Role::Owner {
            return Err(Error::Forbidden("Only an owner can give or take the owner role."));
        }
        if old == Role::Owner && role != Role::Owner && user.is_active() && store::count_owners(&mut tx).await? <= 1 {
            return Err(Error::LastOwner);
        }
        store::set_role(&mut tx, id, role).await?;
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        self.audit(
            &mut tx,
            &actor,
            "member.role_changed",
            Some(format!("user:{id}")),
            json!({ "email": user.email, "from": old.as_str(), "to": role.as_str() }),
        )
        .await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        tx.commit().await?;
        self.forget(Forget::User(ctx.tenant, id)).await;
        Ok(Member::from(&user))
    }

    /// Removes a member (or withdraws an invitation); their sessions end.
    ///
    /// # Errors
    /// `member_not_found`, `forbidden`, `last_owner`.
    pub async fn remove_member(&self, ctx: &TenantCtx, id: UserId, ip: IpAddr) -> Result<(), Error> {
        require_write(ctx, Role::Admin)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        if user.role() == Role::Owner {
            if ctx.role != Role::Owner {
                return Err(Error::Forbidden("Only an owner can remove an owner."));
            }
            if user.is_active() && store::count_owners(&mut tx).await? <= 1 {
                return Err(Error::LastOwner);
            }
        }
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        store::delete_user(&mut tx, id).await?;
        self.audit(
            &mut tx,
            &actor,
            "member.removed",
            Some(format!("user:{id}")),
            json!({ "email": user.email, "role": user.role }),
        )
        .await?;
        tx.commit().await?;
        self.forget(Forget::User(ctx.tenant, id)).await;
        Ok(())
    }

    // ---- API keys ---------------------------------------------------------

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
            created_by: ctx.user(),
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
        tx.commit().await?;
        self.forget(Forget::ApiKey(ctx.tenant, id)).await;
        Ok(())
    }

    // ---- audit log --------------------------------------------------------

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
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        let rows = store::audit_all(&mut tx).await?;
        let head = store::audit_head(&mut tx, false).await?;
        tx.commit().await?;
        // An empty head row (seq 0) means no entries were ever written.
        let head = head.filter(|(seq, _)| *seq > 0).or(if rows.is_empty() { None } else { Some((0, String::new())) });
        Ok(audit::verify(&rows, head))
    }

    // ---- email ------------------------------------------------------------

    /// Queues an email in the caller's transaction. The body (which may hold a
    /// one-time link) is stored encrypted with the tenant's key.
    ///
    /// # Errors
    /// The database's error.
    pub async fn queue_email(&self, tx: &mut TenantTx, to: &str, subject: &str, body: &str) -> Result<(), Error> {
        let sealed = self.encrypt(tx, body.as_bytes(), "email").await?;
        let payload = json!({ "to": to, "subject": subject, "body": B64.encode(sealed) });
        jobs::enqueue(tx, NewJob::new(EMAIL_JOB, payload, self.now()), self.now()).await?;
        Ok(())
    }

    /// The job handler that sends queued emails.
    pub fn email_job(&self) -> EmailJob {
        EmailJob(self.clone())
    }

    /// When a principal is seen; used by the authenticator.
    pub(crate) async fn touch_api_key(&self, tenant: TenantId, id: ApiKeyId) -> Result<(), Error> {
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        store::touch_api_key(&mut tx, id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The current time, for the authenticator.
    pub(crate) fn clock_now(&self) -> DateTime<Utc> {
        self.now()
    }
}

fn require_write(ctx: &TenantCtx, min: Role) -> Result<(), Error> {
    if ctx.read_only {
        return Err(Error::Forbidden("This API key may only read."));
    }
    if !ctx.role.at_least(min) {
        return Err(Error::Forbidden("Only owners and admins can do this."));
    }
    Ok(())
}

/// Sends `email.send` jobs.
#[derive(Clone, Debug)]
pub struct EmailJob(Security);

#[async_trait::async_trait]
impl JobHandler for EmailJob {
    async fn run(&self, job: &jobs::Job) -> Result<(), String> {
        let tenant = job.tenant_id.ok_or("email job without a tenant")?;
        let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let field = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned).ok_or(format!("payload lacks {k}"));
        let (to, subject, body) = (field("to")?, field("subject")?, field("body")?);
        let sealed = B64.decode(body).map_err(|e| format!("body: {e}"))?;
        let mut tx = self.0 .0.db.tenant_tx_for(tenant).await.map_err(|e| e.to_string())?;
        let plain = self.0.decrypt(&mut tx, &sealed, "email").await.map_err(|e| e.to_string())?;
        drop(tx);
        let body = String::from_utf8(plain).map_err(|e| format!("body: {e}"))?;
        self.0 .0.mailer.send(&to, &subject, &body).await
    }
}

impl Security {
    /// Sets a member's password directly (the demo seed, operators); signs
    /// out their sessions.
    ///
    /// # Errors
    /// `member_not_found`, `weak_password`.
    pub async fn set_password_by_email(&self, tenant: TenantId, email: &str, new: &str) -> Result<(), Error> {
        let email = Email::parse(email)?;
        let pw = Password::parse(new)?;
        let hash = password::hash(pw.expose()).await?;
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        let user = store::user_by_email(&mut tx, email.as_str())
            .await?
            .ok_or_else(|| Error::MemberNotFound(email.as_str().to_owned()))?;
        store::set_password(&mut tx, user.id, &hash, None).await?;
        store::revoke_user_refresh(&mut tx, user.id, self.now()).await?;
        let actor = Actor { label: Some("operator".into()), ..Actor::default() };
        self.audit(&mut tx, &actor, "auth.password_set", Some(format!("user:{}", user.id)), json!({})).await?;
        tx.commit().await?;
        Ok(())
    }
}
