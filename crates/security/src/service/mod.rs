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

mod api_keys;
mod audit_log;
mod members;
mod sessions;
mod tenants;

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
    audit_key: [u8; 32],
    job_key: [u8; 32],
}

/// Server-wide secrets, each stored wrapped by the master key
/// (see [`crate::crypto::server_secret`]).
pub struct ServerSecrets {
    /// Keys the audit chain ([`crate::audit::CHAIN_KEY`]).
    pub audit_chain: [u8; 32],
    /// Seals job payloads that hold personal data ([`JOB_PAYLOAD_KEY`]).
    pub job_payloads: [u8; 32],
}

/// The name of the job-payload key among the server secrets.
pub const JOB_PAYLOAD_KEY: &str = "job_payload_key";
/// The job kind that looks up accounts for a password-reset request.
pub const RESET_JOB: &str = "auth.password_reset_request";

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
        secrets: ServerSecrets,
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
            audit_key: secrets.audit_chain,
            job_key: secrets.job_payloads,
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
    /// The tag of a new tenant's empty chain.
    pub(crate) fn genesis_tag(&self, tenant: TenantId) -> String {
        audit::head_tag(&self.0.audit_key, tenant, 0, audit::GENESIS)
    }

    /// The credential cache.
    pub(crate) fn cache(&self) -> &AuthCache {
        &self.0.cache
    }

    /// Forgets cached credentials here and on every other replica. Called
    /// after the commit that took rights away.
    pub(crate) async fn forget(&self, what: Forget) {
        self.apply(&what);
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
    ///
    /// When the subscription drops (Redis restarted), everything cached is
    /// forgotten, since messages sent meanwhile are lost, and it resubscribes
    /// with backoff; it returns only if the bus is gone for good.
    pub async fn follow_invalidations(&self) -> Result<(), Error> {
        use futures::StreamExt;
        let mut delay = std::time::Duration::from_millis(100);
        loop {
            match self.0.bus.subscribe(crate::cache::TOPIC).await {
                Ok(mut stream) => {
                    delay = std::time::Duration::from_millis(100);
                    self.0.cache.forget_all();
                    if let Err(e) = self.load_ended_sessions().await {
                        tracing::error!(error.cause_chain = ?e, "cannot load signed-out sessions");
                    }
                    while let Some(msg) = stream.next().await {
                        if let Ok(what) = serde_json::from_slice::<Forget>(&msg) {
                            self.apply(&what);
                        }
                    }
                    if matches!(self.0.bus, Bus::Local(_)) {
                        return Ok(());
                    }
                    tracing::error!("lost the cache-invalidation subscription; resubscribing");
                }
                Err(e) => tracing::error!(error.cause_chain = ?e, "cannot subscribe to cache invalidations; retrying"),
            }
            self.0.cache.forget_all();
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(10));
        }
    }

    fn apply(&self, what: &Forget) {
        match what {
            Forget::Session(_, sid) => self.0.cache.end_sessions([*sid], self.session_memory()),
            other => self.0.cache.forget(other),
        }
    }

    /// How long a signed-out session must be remembered: as long as its last
    /// access token can live.
    fn session_memory(&self) -> std::time::Duration {
        self.0.tokens.ttl().to_std().unwrap_or(std::time::Duration::from_secs(3600))
    }

    /// Loads the sessions signed out within one access-token lifetime (at
    /// start, and after a dropped subscription may have missed some).
    ///
    /// # Errors
    /// The database's error.
    pub async fn load_ended_sessions(&self) -> Result<(), Error> {
        let since = self.now() - self.0.tokens.ttl();
        let mut sys = self.0.db.system_read().await?;
        let sids = store::revoked_families_since(&mut sys, since).await?;
        sys.commit().await?;
        self.0.cache.end_sessions(sids, self.session_memory());
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

    /// Takes one place in `key`'s window, refusing (and giving it back)
    /// when the window is full.
    async fn reserve(&self, key: &str, max: u64) -> Result<(), Error> {
        let count = self.0.counters.incr(key, 1, WINDOW).await?;
        if count.value as u64 > max {
            self.release(key).await;
            tracing::warn!(rate_limit.key = %key, rate_limit.count = count.value, "rate limit reached");
            return Err(Error::RateLimited(count.resets_in.as_secs().max(1)));
        }
        Ok(())
    }

    /// Gives back a place taken by [`Security::reserve`].
    async fn release(&self, key: &str) {
        if let Err(e) = self.0.counters.incr(key, -1, WINDOW).await {
            tracing::warn!(error.cause_chain = ?e, "could not release a rate-limit reservation");
        }
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
        let (seq, prev, _) =
            store::audit_head(tx, true).await?.unwrap_or((0, audit::GENESIS.to_owned(), String::new()));
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
        row.hash = row.compute_hash(&self.0.audit_key, &prev);
        let tag = audit::head_tag(&self.0.audit_key, row.tenant_id, row.seq, &row.hash);
        store::insert_audit(tx, &row, &tag).await
    }

    async fn actor_of(&self, tx: &mut TenantTx, ctx: &TenantCtx, ip: Option<IpAddr>) -> Result<Actor, Error> {
        let label = match ctx.principal {
            Principal::User(u) => store::user(tx, u).await?.map(|u| u.email),
            Principal::ApiKey(k) => store::api_key(tx, k).await?.map(|k| format!("API key {}", k.name)),
        };
        Ok(Actor { id: Some(ctx.principal.id()), label, ip })
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

    /// Seals a job payload that holds personal data (an email address):
    /// system jobs have no tenant key, so they use a server secret.
    fn seal_job(&self, kind: &str, payload: &serde_json::Value) -> Result<serde_json::Value, Error> {
        let key = crate::crypto::DataKey::new(self.0.job_key);
        let sealed = self.0.keys.encrypt(&key, payload.to_string().as_bytes(), kind.as_bytes())?;
        Ok(json!({ "sealed": B64.encode(sealed) }))
    }

    /// Opens what [`Security::seal_job`] sealed.
    fn open_job(&self, kind: &str, payload: &str) -> Result<serde_json::Value, String> {
        let p: serde_json::Value = serde_json::from_str(payload).map_err(|e| format!("payload: {e}"))?;
        let sealed = p.get("sealed").and_then(|v| v.as_str()).ok_or("payload is not sealed")?;
        let sealed = B64.decode(sealed).map_err(|e| format!("payload: {e}"))?;
        let key = crate::crypto::DataKey::new(self.0.job_key);
        let plain = self.0.keys.decrypt(&key, &sealed, kind.as_bytes()).map_err(|e| e.to_string())?;
        serde_json::from_slice(&plain).map_err(|e| format!("payload: {e}"))
    }

    /// The job handler that answers password-reset requests.
    pub fn reset_job(&self) -> ResetJob {
        ResetJob(self.clone())
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

/// Looks up the accounts of a password-reset request and mails them links.
#[derive(Clone, Debug)]
pub struct ResetJob(Security);

#[async_trait::async_trait]
impl JobHandler for ResetJob {
    async fn run(&self, job: &jobs::Job) -> Result<(), String> {
        let p = self.0.open_job(RESET_JOB, &job.payload)?;
        let email = p.get("email").and_then(|v| v.as_str()).ok_or("payload lacks email")?;
        let email = Email::parse(email).map_err(|e| e.to_string())?;
        let tenant = p.get("tenant").and_then(|v| v.as_str());
        let ip = p.get("ip").and_then(|v| v.as_str()).and_then(|v| v.parse().ok());
        self.0.send_reset_links(email, tenant, ip).await.map_err(|e| e.to_string())
    }
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
        store::set_password(&mut tx, user.id, &hash, None, self.now()).await?;
        store::revoke_user_refresh(&mut tx, user.id, self.now()).await?;
        let actor = Actor { label: Some("operator".into()), ..Actor::default() };
        self.audit(&mut tx, &actor, "auth.password_set", Some(format!("user:{}", user.id)), json!({})).await?;
        tx.commit().await?;
        self.forget(Forget::User(tenant, user.id)).await;
        Ok(())
    }
}
