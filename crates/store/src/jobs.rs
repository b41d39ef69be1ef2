//! The durable job queue: a table in the same database, so a write and the
//! jobs it causes commit in one transaction.
//!
//! A job is claimed by setting a short lease (`locked_until`) that the worker
//! renews while the job runs; a worker that dies stops renewing, and the job
//! becomes claimable again once the lease ends (so within one lease, 30 s by
//! default). On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so
//! replicas racing for jobs never take the same one; SQLite has a single
//! writer and needs no row locks. Every run has a deadline
//! ([`JobHandler::timeout`]). Failures retry with exponential backoff up to
//! `max_attempts`, unless the handler says retrying is pointless
//! ([`JobError::Fail`]); recurring jobs (`every`) are rescheduled after each
//! run. On shutdown a worker stops claiming and gives its running job a
//! grace period, then hands it back ([`release`]) for another replica.
//!
//! A job may run twice (its replica died after the side effect but before
//! recording it), so a handler's side effects carry an idempotency key the
//! receiver can honour: the email job, for one, sends a `Message-ID` derived
//! from the job id.

use crate::db::{Conn, Db, Dialect, SystemTx, TenantTx};
use crate::error::StoreError;
use crate::{exec, on_db};
use chrono::{DateTime, Duration, Utc};
use stackpro_core::ids::TenantId;
use stackpro_core::Clock;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

stackpro_core::define_id!(
    /// A job in the queue.
    JobId
);

/// A job as stored.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// The tenant the job works for, if any.
    pub tenant_id: Option<TenantId>,
    /// Which handler runs it.
    pub kind: String,
    /// JSON arguments.
    pub payload: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// Runs started so far.
    pub attempts: i32,
    /// Runs allowed before the job is marked failed.
    pub max_attempts: i32,
    /// When it may run next.
    pub run_at: DateTime<Utc>,
    /// For recurring jobs, the period in seconds.
    pub every_secs: Option<i64>,
    /// At most one job with this key exists.
    pub unique_key: Option<String>,
    /// The worker holding the lease.
    pub locked_by: Option<String>,
    /// When the lease ends.
    pub locked_until: Option<DateTime<Utc>>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// Which handler runs it.
    pub kind: String,
    /// JSON arguments.
    pub payload: serde_json::Value,
    /// When it may first run.
    pub run_at: DateTime<Utc>,
    /// Runs allowed before it is marked failed.
    pub max_attempts: i32,
    /// Recurrence period.
    pub every: Option<Duration>,
    /// Enqueueing a second job with the same key does nothing.
    pub unique_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` to run at `now`, retried up to 5 times.
    pub fn new(kind: &str, payload: serde_json::Value, now: DateTime<Utc>) -> NewJob {
        NewJob { kind: kind.to_owned(), payload, run_at: now, max_attempts: 5, every: None, unique_key: None }
    }
}

/// A transaction jobs can be enqueued in.
pub trait JobTx {
    /// The connection.
    fn conn(&mut self) -> Conn<'_>;
    /// The tenant the job belongs to.
    fn job_tenant(&self) -> Option<TenantId>;
    /// The dialect.
    fn dialect(&self) -> Dialect;
}
impl JobTx for TenantTx {
    fn conn(&mut self) -> Conn<'_> {
        TenantTx::conn(self)
    }
    fn job_tenant(&self) -> Option<TenantId> {
        Some(self.tenant_id())
    }
    fn dialect(&self) -> Dialect {
        TenantTx::dialect(self)
    }
}
impl JobTx for SystemTx {
    fn conn(&mut self) -> Conn<'_> {
        SystemTx::conn(self)
    }
    fn job_tenant(&self) -> Option<TenantId> {
        None
    }
    fn dialect(&self) -> Dialect {
        SystemTx::dialect(self)
    }
}

const INSERT: &str = "INSERT INTO jobs (id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, \
     every_secs, unique_key, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, $9, $9) \
     ON CONFLICT (unique_key) DO NOTHING";

/// Enqueues a job in the caller's transaction; returns `None` when a job with
/// the same unique key already exists.
///
/// # Errors
/// The database's error.
pub async fn enqueue(tx: &mut impl JobTx, job: NewJob, now: DateTime<Utc>) -> Result<Option<JobId>, StoreError> {
    let id = JobId::new();
    let tenant = tx.job_tenant();
    let payload = job.payload.to_string();
    let every = job.every.map(|d| d.num_seconds());
    let n = exec!(
        tx,
        sqlx::query(INSERT)
            .bind(id)
            .bind(tenant)
            .bind(&job.kind)
            .bind(&payload)
            .bind(job.max_attempts)
            .bind(job.run_at)
            .bind(every)
            .bind(&job.unique_key)
            .bind(now)
    )?;
    Ok((n == 1).then_some(id))
}

// $4 is the comma-separated list of kinds the worker has handlers for: a
// replica never takes a job it cannot run (an older binary during a deploy).
const CLAIM_SQLITE: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
     locked_until = $2, updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE ((status = 'queued' AND run_at <= $3) \
     OR (status = 'running' AND locked_until < $3)) AND instr(',' || $4 || ',', ',' || kind || ',') > 0 \
     ORDER BY run_at LIMIT 1) RETURNING *";
const CLAIM_POSTGRES: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
     locked_until = $2, updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE ((status = 'queued' AND run_at <= $3) \
     OR (status = 'running' AND locked_until < $3)) AND kind = ANY (string_to_array($4, ',')) \
     ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *";

/// Claims the next due job of one of `kinds` (or one whose lease ran out)
/// for `worker`.
///
/// # Errors
/// The database's error.
pub async fn claim(
    db: &Db,
    worker: &str,
    kinds: &[String],
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<Job>, StoreError> {
    let kinds = kinds.join(",");
    let mut tx = db.system_tx().await?;
    // SQLite has one writer and needs no row locks; Postgres replicas race for rows.
    let sql = if tx.dialect() == Dialect::Postgres { CLAIM_POSTGRES } else { CLAIM_SQLITE };
    let job: Option<Job> = on_db!(tx, |c| sqlx::query_as(sql)
        .bind(worker)
        .bind(now + lease)
        .bind(now)
        .bind(&kinds)
        .fetch_optional(c)
        .await)?;
    tx.commit().await?;
    Ok(job)
}

const SUCCEED: &str = "UPDATE jobs SET status = 'succeeded', locked_by = NULL, locked_until = NULL, \
     last_error = NULL, updated_at = $2 WHERE id = $1 AND locked_by = $3";
const RESCHEDULE: &str = "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $2, locked_by = NULL, \
     locked_until = NULL, last_error = NULL, updated_at = $3 WHERE id = $1 AND locked_by = $4";
const RETRY: &str = "UPDATE jobs SET status = $2, run_at = $3, locked_by = NULL, locked_until = NULL, \
     last_error = $4, updated_at = $5 WHERE id = $1 AND locked_by = $6";
const RENEW: &str = "UPDATE jobs SET locked_until = $2, updated_at = $3 \
     WHERE id = $1 AND locked_by = $4 AND status = 'running'";
// An interrupted run does not count as an attempt.
const RELEASE: &str = "UPDATE jobs SET status = 'queued', attempts = attempts - 1, run_at = $2, locked_by = NULL, \
     locked_until = NULL, updated_at = $2 WHERE id = $1 AND locked_by = $3 AND status = 'running'";

/// Why a run did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobError {
    /// Worth another attempt later (a server down, a deadline missed).
    Retry(String),
    /// Will never succeed (a refused recipient, a corrupt payload): the job
    /// fails at once instead of retrying.
    Fail(String),
}

impl JobError {
    fn message(&self) -> &str {
        match self {
            JobError::Retry(m) | JobError::Fail(m) => m,
        }
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Retry(m) => write!(f, "{m} (will retry)"),
            JobError::Fail(m) => write!(f, "{m} (will not retry)"),
        }
    }
}

impl From<String> for JobError {
    fn from(m: String) -> Self {
        JobError::Retry(m)
    }
}

impl From<&str> for JobError {
    fn from(m: &str) -> Self {
        JobError::Retry(m.to_owned())
    }
}

/// The wait before retry number `attempts` (1-based): 2^(attempts-1) seconds,
/// at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 13) - 1;
    Duration::seconds((1i64 << exp).min(3600))
}

/// Records the end of a run: success, reschedule of a recurring job, retry
/// with backoff, or failure after the last attempt (or at once for
/// [`JobError::Fail`]).
///
/// # Errors
/// The database's error.
pub async fn finish(db: &Db, job: &Job, outcome: Result<(), JobError>, now: DateTime<Utc>) -> Result<(), StoreError> {
    let worker = job.locked_by.clone().unwrap_or_default();
    let mut tx = db.system_tx().await?;
    match (outcome, job.every_secs) {
        (Ok(()), None) => {
            exec!(tx, sqlx::query(SUCCEED).bind(job.id).bind(now).bind(&worker))?;
        }
        (Ok(()), Some(every)) => {
            let next = now + Duration::seconds(every);
            exec!(tx, sqlx::query(RESCHEDULE).bind(job.id).bind(next).bind(now).bind(&worker))?;
        }
        (Err(e), _) => {
            let last = matches!(e, JobError::Fail(_)) || job.attempts >= job.max_attempts;
            let (status, run_at) = if last {
                match job.every_secs {
                    // A recurring job never dies: it waits for its next period.
                    Some(every) => ("queued", now + Duration::seconds(every)),
                    None => ("failed", now),
                }
            } else {
                ("queued", now + backoff(job.attempts))
            };
            let msg = e.message();
            exec!(tx, sqlx::query(RETRY).bind(job.id).bind(status).bind(run_at).bind(msg).bind(now).bind(&worker))?;
        }
    }
    tx.commit().await
}

/// Extends the lease of a running job; `false` when the worker no longer
/// holds it (it ran out and another worker took the job).
///
/// # Errors
/// The database's error.
pub async fn renew(db: &Db, job: &Job, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let worker = job.locked_by.clone().unwrap_or_default();
    let mut tx = db.system_tx().await?;
    let n = exec!(tx, sqlx::query(RENEW).bind(job.id).bind(until).bind(now).bind(&worker))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Hands a running job back to the queue, due at once, without counting the
/// interrupted run as an attempt (a worker shutting down).
///
/// # Errors
/// The database's error.
pub async fn release(db: &Db, job: &Job, now: DateTime<Utc>) -> Result<(), StoreError> {
    let worker = job.locked_by.clone().unwrap_or_default();
    let mut tx = db.system_tx().await?;
    exec!(tx, sqlx::query(RELEASE).bind(job.id).bind(now).bind(&worker))?;
    tx.commit().await
}

const LIST: &str = "SELECT * FROM jobs WHERE ($1 IS NULL OR status = $1) ORDER BY run_at DESC LIMIT $2";

/// The most recent jobs, optionally of one status, for operators.
///
/// # Errors
/// The database's error.
pub async fn list(db: &Db, status: Option<&str>, limit: i64) -> Result<Vec<Job>, StoreError> {
    let mut tx = db.system_read().await?;
    let jobs = on_db!(tx, |c| sqlx::query_as(LIST).bind(status).bind(limit).fetch_all(c).await)?;
    tx.commit().await?;
    Ok(jobs)
}

/// The recurring job that deletes finished jobs.
pub const SWEEP: &str = "jobs.sweep";

const SWEEP_SQL: &str = "DELETE FROM jobs WHERE every_secs IS NULL AND \
     ((status = 'succeeded' AND updated_at < $1) OR (status = 'failed' AND updated_at < $2))";

/// Deletes succeeded jobs older than `keep` and failed ones older than four
/// times that (kept longer for investigation); returns how many.
///
/// # Errors
/// The database's error.
pub async fn sweep(db: &Db, now: DateTime<Utc>, keep: Duration) -> Result<u64, StoreError> {
    let mut tx = db.system_tx().await?;
    let n = exec!(tx, sqlx::query(SWEEP_SQL).bind(now - keep).bind(now - keep * 4))?;
    tx.commit().await?;
    Ok(n)
}

/// Schedules the hourly [`SWEEP`] once (a unique key keeps it single
/// across restarts and replicas).
///
/// # Errors
/// The database's error.
pub async fn schedule_sweep(db: &Db, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut tx = db.system_tx().await?;
    let job = NewJob {
        every: Some(Duration::hours(1)),
        unique_key: Some(SWEEP.into()),
        ..NewJob::new(SWEEP, serde_json::json!({}), now)
    };
    enqueue(&mut tx, job, now).await?;
    tx.commit().await
}

/// Runs [`SWEEP`]: finished jobs are kept a week (failed ones four weeks).
#[derive(Clone, Debug)]
pub struct Sweeper {
    /// The database.
    pub db: Db,
    /// The clock.
    pub clock: Clock,
}

#[async_trait::async_trait]
impl JobHandler for Sweeper {
    async fn run(&self, _: &Job) -> Result<(), JobError> {
        let n = sweep(&self.db, self.clock.now(), Duration::days(7)).await.map_err(|e| e.to_string())?;
        if n > 0 {
            tracing::info!(jobs.deleted = n, "swept finished jobs");
        }
        Ok(())
    }
}

/// Runs one kind of job.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// Does the work; an error is recorded and, unless it is
    /// [`JobError::Fail`], retried with backoff.
    async fn run(&self, job: &Job) -> Result<(), JobError>;

    /// The deadline of one run; a run that misses it is abandoned and
    /// retried like a failure.
    fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(300)
    }
}

/// How one run ended.
enum Ran {
    /// The handler returned (or missed its deadline).
    Finished(Result<(), JobError>),
    /// Another worker holds the job now: nothing to record.
    LeaseLost,
    /// Shutdown interrupted it: hand it back.
    Interrupted,
}

/// Claims due jobs and runs them with their handlers until shut down.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    clock: Clock,
    name: String,
    handlers: Arc<HashMap<String, Arc<dyn JobHandler>>>,
    lease: std::time::Duration,
}

impl Worker {
    /// A worker with no handlers yet and a 30-second lease.
    pub fn new(db: Db, clock: Clock) -> Worker {
        Worker {
            db,
            clock,
            name: format!("worker-{}", Uuid::now_v7()),
            handlers: Arc::new(HashMap::new()),
            lease: std::time::Duration::from_secs(30),
        }
    }

    /// Sets the lease: how long a job stays claimed without renewal, and so
    /// how soon a dead replica's job is retried.
    pub fn with_lease(mut self, lease: std::time::Duration) -> Worker {
        self.lease = lease.max(std::time::Duration::from_secs(1));
        self
    }

    /// Registers the handler of a kind.
    pub fn handle(mut self, kind: &str, handler: impl JobHandler) -> Worker {
        Arc::make_mut(&mut self.handlers).insert(kind.to_owned(), Arc::new(handler));
        self
    }

    fn kinds(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    fn lease(&self) -> Duration {
        Duration::from_std(self.lease).unwrap_or(Duration::seconds(30))
    }

    /// Claims the next due job for this worker.
    ///
    /// # Errors
    /// The database's error.
    pub async fn claim(&self) -> Result<Option<Job>, StoreError> {
        claim(&self.db, &self.name, &self.kinds(), self.clock.now(), self.lease()).await
    }

    /// Runs every due job now, one after another; returns how many ran.
    ///
    /// # Errors
    /// The database's error.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut ran = 0;
        while let Some(job) = self.claim().await? {
            self.run_claimed(job, std::future::pending()).await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// Runs a claimed job to its end, renewing its lease meanwhile, and
    /// records the outcome; `interrupt` resolving hands the job back.
    async fn run_claimed(&self, job: Job, interrupt: impl std::future::Future<Output = ()>) -> Result<(), StoreError> {
        match self.execute(&job, interrupt).await {
            Ran::Finished(outcome) => {
                if let Err(e) = &outcome {
                    tracing::warn!(job.id = %job.id, job.kind = %job.kind, job.attempts = job.attempts, error = %e, "job failed");
                }
                finish(&self.db, &job, outcome, self.clock.now()).await
            }
            Ran::LeaseLost => {
                tracing::warn!(job.id = %job.id, job.kind = %job.kind, "lost the lease of a running job; another worker has it");
                Ok(())
            }
            Ran::Interrupted => {
                tracing::info!(job.id = %job.id, job.kind = %job.kind, "handing a running job back for another replica");
                release(&self.db, &job, self.clock.now()).await
            }
        }
    }

    async fn execute(&self, job: &Job, interrupt: impl std::future::Future<Output = ()>) -> Ran {
        let Some(handler) = self.handlers.get(&job.kind) else {
            return Ran::Finished(Err(JobError::Fail(format!("no handler for job kind {:?}", job.kind))));
        };
        let deadline = handler.timeout();
        let work = tokio::time::timeout(deadline, handler.run(job));
        tokio::pin!(work);
        tokio::pin!(interrupt);
        let mut renewal = tokio::time::interval(self.lease / 3);
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        renewal.tick().await; // the first tick is immediate: the claim just set the lease
        loop {
            tokio::select! {
                done = &mut work => {
                    return Ran::Finished(done.unwrap_or_else(|_| {
                        Err(JobError::Retry(format!("did not finish within {} s", deadline.as_secs())))
                    }));
                }
                _ = renewal.tick() => {
                    let now = self.clock.now();
                    match renew(&self.db, job, now + self.lease(), now).await {
                        Ok(true) => {}
                        Ok(false) => return Ran::LeaseLost,
                        // The database may come back before the lease ends.
                        Err(e) => tracing::warn!(job.id = %job.id, error.cause_chain = ?e, "could not renew a job's lease"),
                    }
                }
                _ = &mut interrupt => return Ran::Interrupted,
            }
        }
    }

    /// Polls for due jobs every `every` until `stop` turns true. Then it
    /// claims nothing more; the job running at that moment has `grace` to
    /// finish before it is handed back.
    pub async fn run(
        self,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
        grace: std::time::Duration,
    ) {
        loop {
            if *stop.borrow() {
                break;
            }
            match self.claim().await {
                Ok(Some(job)) => {
                    let mut stopping = stop.clone();
                    let interrupt = async move {
                        let _ = stopping.wait_for(|s| *s).await;
                        tokio::time::sleep(grace).await;
                    };
                    if let Err(e) = self.run_claimed(job, interrupt).await {
                        tracing::error!(error.cause_chain = ?e, "job worker could not record a job's end");
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error.cause_chain = ?e, "job worker could not reach the database"),
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("name", &self.name).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped_at_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(1));
        assert_eq!(backoff(2), Duration::seconds(2));
        assert_eq!(backoff(5), Duration::seconds(16));
        assert_eq!(backoff(40), Duration::seconds(3600));
    }
}
