//! The rules of identity and security. No HTTP here: routes parse input into
//! the types of [`crate::model`] and call one method; each method checks the
//! caller's rights, does its work in one transaction, and writes the audit
//! entry in that same transaction.

use crate::audit::{self, AuditRow, Verification};
use crate::cache::{AuthCache, CachedUser, Forget};
use crate::crypto::{random_token, token_hash, DataKey, Keyring};
use crate::error::Error;
use crate::events::Recorder;
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
use stackpro_core::metering::{Meter, Metering};
use stackpro_core::{Clock, Principal, Role, TenantCtx};
use stackpro_store::jobs::{self, JobError, JobHandler, NewJob};
use stackpro_store::{Bus, Counters, Db, TenantTx};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

mod api_keys;
mod audit_log;
mod members;
pub mod operators;
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
    /// Workspaces one IP may create per hour.
    pub signup_rate_per_ip: u64,
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
    events: Recorder,
    /// Billing's metering, set once the billing service exists (it depends
    /// on this one).
    metering: std::sync::OnceLock<MeteringHandle>,
    /// Argon2 verifications done, for `/metrics`.
    verifications: std::sync::atomic::AtomicU64,
}

/// Billing's metering as held here.
#[derive(Clone)]
struct MeteringHandle(Arc<dyn Metering<TenantTx>>);

impl std::fmt::Debug for MeteringHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metering")
    }
}

/// How often a replica reads the invalidations others recorded.
pub const INVALIDATION_POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// How far behind the newest invalidation seen each read looks again.
pub const INVALIDATION_OVERLAP: Duration = Duration::seconds(10);

/// Invalidations recorded in a transaction, to announce once it committed.
#[must_use = "announce the invalidations after the commit"]
pub struct Pending(Vec<Forget>);

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
/// The recurring job that deletes old invalidations and security events.
pub const SWEEP_JOB: &str = "security.sweep";
/// How long recorded invalidations are kept (replicas read them within seconds).
const KEEP_INVALIDATIONS: Duration = Duration::hours(1);
/// How long security events are kept.
const KEEP_EVENTS: Duration = Duration::days(30);

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
        let db_for_events = db.clone();
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
            events: Recorder::start(db_for_events),
            metering: std::sync::OnceLock::new(),
            verifications: std::sync::atomic::AtomicU64::new(0),
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
    /// Gives the service billing's metering, through which seats are
    /// counted and limited. Set once, by the composition of the server.
    pub fn set_metering(&self, metering: Arc<dyn Metering<TenantTx>>) {
        let _ = self.0.metering.set(MeteringHandle(metering));
    }

    /// Records the tenant's seats (members and invitations) after a change in
    /// the transaction, refused when the plan's hard limit is exceeded.
    pub(crate) async fn meter_seats(&self, tx: &mut TenantTx) -> Result<(), Error> {
        let metering = &self.0.metering.get().ok_or(Error::Crypto("metering is not configured".into()))?.0;
        let seats = store::count_seats(tx).await?;
        let key = format!("seats:{}", Uuid::now_v7());
        metering.set_level(tx, tx.tenant_id(), Meter::Seats, seats, &key).await.map_err(Error::from)
    }

    /// Argon2 password verifications done since start (each costs about
    /// 20 ms of CPU): one per sign-in attempt, whatever the accounts.
    pub fn password_verifications(&self) -> u64 {
        self.0.verifications.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Verifies a password against a PHC hash (a dummy hash when `None`, so
    /// the work is the same), counting the verification.
    pub(crate) async fn verify_password(&self, password: &str, phc: Option<&str>) -> Result<bool, Error> {
        self.0.verifications.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        password::verify(password, phc).await
    }

    /// The security-event stream, for the server's edge to record refusals.
    pub fn events(&self) -> &Recorder {
        &self.0.events
    }
    /// The tag of a new tenant's empty chain.
    pub(crate) fn genesis_tag(&self, tenant: TenantId) -> String {
        audit::head_tag(&self.0.audit_key, tenant, 0, audit::GENESIS)
    }

    /// The credential cache.
    pub(crate) fn cache(&self) -> &AuthCache {
        &self.0.cache
    }

    /// Records, in the transaction that takes rights away, what every
    /// replica must forget. The rows are what make revocation reliable: each
    /// replica reads new ones every second ([`Security::poll_invalidations`]),
    /// whether or not the bus message reached it. Announce the result after
    /// the commit.
    ///
    /// # Errors
    /// The database's error.
    pub async fn invalidate(
        &self,
        tx: &mut impl stackpro_store::jobs::JobTx,
        what: Vec<Forget>,
    ) -> Result<Pending, Error> {
        let now = self.now();
        for w in &what {
            let text = serde_json::to_string(w).map_err(|e| Error::Crypto(format!("encoding an invalidation: {e}")))?;
            store::insert_invalidation(tx, w.tenant(), &text, now).await?;
        }
        Ok(Pending(what))
    }

    /// After the commit: forgets here at once and tells the other replicas
    /// through the bus, which makes it take effect there within milliseconds
    /// instead of the poll's second. A failed publish loses nothing.
    pub async fn announce(&self, pending: Pending) {
        for what in pending.0 {
            self.apply(&what);
            match serde_json::to_vec(&what) {
                Ok(msg) => {
                    if let Err(e) = self.0.bus.publish(crate::cache::TOPIC, msg.into()).await {
                        tracing::debug!(error.cause_chain = ?e, "could not publish a cache invalidation; replicas poll for it");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not encode a cache invalidation"),
            }
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
    /// every second; it returns only if the bus is gone for good. What the
    /// bus loses the database still carries ([`Security::poll_invalidations`]).
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
                    // Messages sent from now until the next subscription are
                    // lost: forget what they could have said (once; the
                    // database poll keeps revocation working meanwhile).
                    self.0.cache.forget_all();
                    tracing::warn!("lost the cache-invalidation subscription; resubscribing");
                }
                Err(e) => tracing::debug!(error.cause_chain = ?e, "cannot subscribe to cache invalidations; retrying"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(1));
        }
    }

    /// Reads the invalidations other processes recorded (other replicas, the
    /// CLI) every [`INVALIDATION_POLL`] and applies the new ones, for ever.
    /// This is what bounds staleness when the bus fails: a replica that
    /// missed a message forgets within about a second anyway.
    ///
    /// Each read starts [`INVALIDATION_OVERLAP`] before the newest row seen,
    /// so a transaction that commits a little after stamping its row, or a
    /// replica whose clock lags by less than that, is not skipped (clocks are
    /// assumed NTP-synchronised); ids already applied are skipped. Rows are
    /// read in pages until a short one, so no burst can stall the reader.
    pub async fn poll_invalidations(&self) {
        let mut high = self.now();
        let mut seen: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        let mut failing = false;
        loop {
            tokio::time::sleep(INVALIDATION_POLL).await;
            let since = high - INVALIDATION_OVERLAP;
            let rows = match self.invalidations_since(since).await {
                Ok(rows) => rows,
                Err(e) => {
                    if !failing {
                        tracing::warn!(error.cause_chain = ?e, "cannot read invalidations; cached rights expire by themselves");
                    }
                    failing = true;
                    continue;
                }
            };
            failing = false;
            let now = self.now();
            for (id, what, at) in rows {
                // A replica whose clock runs ahead must not move the window
                // past rows that replicas with a right clock write next.
                high = high.max(at.min(now));
                if seen.insert(id, at).is_some() {
                    continue;
                }
                match serde_json::from_str::<Forget>(&what) {
                    Ok(what) => self.apply(&what),
                    Err(e) => tracing::warn!(error = %e, "unreadable invalidation"),
                }
            }
            let since = high - INVALIDATION_OVERLAP;
            seen.retain(|_, at| *at > since);
        }
    }

    /// Every invalidation recorded after `since`, oldest first, read in pages.
    async fn invalidations_since(&self, since: DateTime<Utc>) -> Result<Vec<(Uuid, String, DateTime<Utc>)>, Error> {
        const PAGE: usize = 1000;
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let mut sys = self.0.db.system_read().await?;
            let page = store::invalidations_after(&mut sys, since, after, PAGE as i64).await?;
            sys.commit().await?;
            let full = page.len() == PAGE;
            after = page.last().map(|(id, _, at)| (*at, *id));
            rows.extend(page);
            if !full {
                return Ok(rows);
            }
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

    /// Takes one place in `key`'s 15-minute window, refusing (and giving it
    /// back) when the window is full.
    async fn reserve(&self, key: &str, max: u64) -> Result<(), Error> {
        self.reserve_in(key, max, WINDOW).await
    }

    /// Takes one place in `key`'s window of `window`.
    async fn reserve_in(&self, key: &str, max: u64, window: std::time::Duration) -> Result<(), Error> {
        let count = self.0.counters.incr(key, 1, window).await?;
        if count.value as u64 > max {
            self.release_in(key, window).await;
            tracing::warn!(rate_limit.key = %key, rate_limit.count = count.value, "rate limit reached");
            return Err(Error::RateLimited(count.resets_in.as_secs().max(1)));
        }
        Ok(())
    }

    /// Gives back a place taken by [`Security::reserve`].
    async fn release(&self, key: &str) {
        self.release_in(key, WINDOW).await
    }

    async fn release_in(&self, key: &str, window: std::time::Duration) {
        if let Err(e) = self.0.counters.incr(key, -1, window).await {
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

    /// Queues the same email to every active owner and admin of the
    /// transaction's tenant (billing alerts, for one); returns how many.
    ///
    /// # Errors
    /// The database's error.
    pub async fn email_admins(&self, tx: &mut TenantTx, subject: &str, body: &str) -> Result<usize, Error> {
        let admins: Vec<UserRow> =
            store::users(tx).await?.into_iter().filter(|u| u.is_active() && u.role().at_least(Role::Admin)).collect();
        for admin in &admins {
            self.queue_email(tx, &admin.email, subject, body).await?;
        }
        Ok(admins.len())
    }

    /// The email of the transaction's tenant's first active owner (the
    /// billing contact).
    ///
    /// # Errors
    /// The database's error.
    pub async fn owner_email(&self, tx: &mut TenantTx) -> Result<Option<String>, Error> {
        Ok(store::users(tx).await?.into_iter().find(|u| u.is_active() && u.role() == Role::Owner).map(|u| u.email))
    }

    /// The tenant's name, for messages.
    ///
    /// # Errors
    /// The database's error.
    pub async fn tenant_of(&self, tx: &mut TenantTx) -> Result<Option<Tenant>, Error> {
        store::tenant(tx).await
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

    /// The job handler of [`SWEEP_JOB`].
    pub fn sweep_job(&self) -> SweepJob {
        SweepJob(self.clone())
    }

    /// Schedules the hourly [`SWEEP_JOB`] once (a unique key keeps it single
    /// across restarts and replicas).
    ///
    /// # Errors
    /// The database's error.
    pub async fn schedule_sweep(&self) -> Result<(), Error> {
        let now = self.now();
        let mut sys = self.0.db.system_tx().await?;
        let job = NewJob {
            every: Some(Duration::hours(1)),
            unique_key: Some(SWEEP_JOB.into()),
            ..NewJob::new(SWEEP_JOB, json!({}), now)
        };
        jobs::enqueue(&mut sys, job, now).await?;
        sys.commit().await?;
        Ok(())
    }

    /// The workspace's security events, newest first (admins).
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn security_events(
        &self,
        ctx: &TenantCtx,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<crate::events::SecurityEvent>, Error> {
        ctx.require(Role::Admin).map_err(|_| Error::Forbidden("Only owners and admins see security events."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let events = crate::events::of_tenant(&mut tx, before, limit.clamp(1, 200)).await?;
        tx.commit().await?;
        Ok(events)
    }

    /// Security events across tenants, for operators (`stackpro security events`).
    ///
    /// # Errors
    /// The database's error.
    pub async fn query_security_events(
        &self,
        filter: &crate::events::EventFilter,
    ) -> Result<Vec<crate::events::SecurityEvent>, Error> {
        let mut sys = self.0.db.system_read().await?;
        let events = crate::events::query(&mut sys, filter).await?;
        sys.commit().await?;
        Ok(events)
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
    async fn run(&self, job: &jobs::Job) -> Result<(), JobError> {
        let p = self.0.open_job(RESET_JOB, &job.payload).map_err(JobError::Fail)?;
        let email = p.get("email").and_then(|v| v.as_str()).ok_or(JobError::Fail("payload lacks email".into()))?;
        let email = Email::parse(email).map_err(|e| JobError::Fail(e.to_string()))?;
        let tenant = p.get("tenant").and_then(|v| v.as_str());
        let ip = p.get("ip").and_then(|v| v.as_str()).and_then(|v| v.parse().ok());
        self.0.send_reset_links(email, tenant, ip).await.map_err(|e| JobError::Retry(e.to_string()))
    }
}

/// Deletes invalidations older than an hour and security events older than
/// 30 days ([`SWEEP_JOB`]).
#[derive(Clone, Debug)]
pub struct SweepJob(Security);

#[async_trait::async_trait]
impl JobHandler for SweepJob {
    async fn run(&self, _: &jobs::Job) -> Result<(), JobError> {
        let now = self.0.now();
        let mut tx = self.0 .0.db.system_tx().await.map_err(|e| e.to_string())?;
        let n = store::sweep_security(&mut tx, now - KEEP_INVALIDATIONS, now - KEEP_EVENTS)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        if n > 0 {
            tracing::info!(rows.deleted = n, "swept old invalidations and security events");
        }
        Ok(())
    }
}

/// Sends `email.send` jobs.
#[derive(Clone, Debug)]
pub struct EmailJob(Security);

#[async_trait::async_trait]
impl JobHandler for EmailJob {
    async fn run(&self, job: &jobs::Job) -> Result<(), JobError> {
        let fail = JobError::Fail;
        let tenant = job.tenant_id.ok_or(fail("email job without a tenant".into()))?;
        let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| fail(format!("payload: {e}")))?;
        let field =
            |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned).ok_or(fail(format!("payload lacks {k}")));
        let (to, subject, body) = (field("to")?, field("subject")?, field("body")?);
        let sealed = B64.decode(body).map_err(|e| fail(format!("body: {e}")))?;
        let mut tx = self.0 .0.db.tenant_read_for(tenant).await.map_err(|e| e.to_string())?;
        // A tenant deleted since (its key shredded) will never be readable.
        let plain = self.0.decrypt(&mut tx, &sealed, "email").await.map_err(|e| match e {
            Error::KeyUnavailable(_) | Error::Crypto(_) => fail(e.to_string()),
            e => JobError::Retry(e.to_string()),
        })?;
        drop(tx);
        let body = String::from_utf8(plain).map_err(|e| fail(format!("body: {e}")))?;
        self.0 .0.mailer.send(&to, &subject, &body, &job.id.to_string()).await
    }

    fn timeout(&self) -> std::time::Duration {
        self.0 .0.mailer.send_deadline() + std::time::Duration::from_secs(5)
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
        let pending = self.invalidate(&mut tx, vec![Forget::User(tenant, user.id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        Ok(())
    }
}
