//! The job queue's story on both databases: enqueue in a transaction, claim,
//! retry with backoff, give up, recur; and no double claims on PostgreSQL.

use crate::helpers::*;
use chrono::{Duration, Utc};
use rstest::rstest;
use serde_json::json;
use stackpro_store::jobs::{self, JobError, JobHandler, NewJob, Worker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Both databases keep microseconds.
fn now_micros() -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

struct Flaky(Arc<AtomicUsize>, usize);

#[async_trait::async_trait]
impl JobHandler for Flaky {
    async fn run(&self, _: &jobs::Job) -> Result<(), JobError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.1 {
            Err(format!("failure {n}").into())
        } else {
            Ok(())
        }
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_succeeds(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = now_micros();
    let mut tx = app.db.system_tx().await.unwrap();
    let id = jobs::enqueue(&mut tx, NewJob::new("flaky", json!({}), now), now).await.unwrap();
    assert!(id.is_some());
    tx.commit().await.unwrap();

    let runs = Arc::new(AtomicUsize::new(0));
    let clock = stackpro_core::Clock::manual(now);
    let worker = Worker::new(app.db.clone(), clock.clone()).handle("flaky", Flaky(runs.clone(), 2));
    assert_eq!(worker.drain().await.unwrap(), 1);
    // The server's own hourly sweep is queued too: look at this test's job.
    let queued = jobs::list(&app.db, Some("queued"), 10).await.unwrap();
    let job = queued.iter().find(|j| j.kind == "flaky").unwrap();
    assert_eq!((job.attempts, job.last_error.as_deref()), (1, Some("failure 1")));
    assert_eq!(job.run_at, now + Duration::seconds(1));
    // Not due yet: nothing runs.
    assert_eq!(worker.drain().await.unwrap(), 0);
    clock.advance(Duration::seconds(1));
    assert_eq!(worker.drain().await.unwrap(), 1);
    clock.advance(Duration::seconds(2));
    assert_eq!(worker.drain().await.unwrap(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(jobs::list(&app.db, Some("succeeded"), 10).await.unwrap().len(), 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_job_that_keeps_failing_is_marked_failed_after_its_last_attempt(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = now_micros();
    let mut tx = app.db.system_tx().await.unwrap();
    jobs::enqueue(&mut tx, NewJob { max_attempts: 2, ..NewJob::new("doomed", json!({}), now) }, now).await.unwrap();
    tx.commit().await.unwrap();
    let clock = stackpro_core::Clock::manual(now);
    let worker = Worker::new(app.db.clone(), clock.clone()).handle("doomed", Flaky(Arc::new(AtomicUsize::new(0)), 99));
    worker.drain().await.unwrap();
    clock.advance(Duration::seconds(5));
    worker.drain().await.unwrap();
    let failed = jobs::list(&app.db, Some("failed"), 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 2);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_recurring_job_is_rescheduled_and_a_unique_key_enqueues_once(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = now_micros();
    let mut tx = app.db.system_tx().await.unwrap();
    let job = NewJob {
        every: Some(Duration::minutes(10)),
        unique_key: Some("nightly".into()),
        ..NewJob::new("tick", json!({}), now)
    };
    assert!(jobs::enqueue(&mut tx, job.clone(), now).await.unwrap().is_some());
    assert!(jobs::enqueue(&mut tx, job, now).await.unwrap().is_none());
    tx.commit().await.unwrap();
    let clock = stackpro_core::Clock::manual(now);
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = Worker::new(app.db.clone(), clock.clone()).handle("tick", Flaky(runs.clone(), 0));
    assert_eq!(worker.drain().await.unwrap(), 1);
    let queued: Vec<_> =
        jobs::list(&app.db, Some("queued"), 10).await.unwrap().into_iter().filter(|j| j.kind == "tick").collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].run_at, now + Duration::minutes(10));
    clock.advance(Duration::minutes(10));
    assert_eq!(worker.drain().await.unwrap(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn replicas_racing_for_jobs_on_postgres_never_claim_one_twice() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let now = now_micros();
    let mut tx = app.db.system_tx().await.unwrap();
    for i in 0..40 {
        jobs::enqueue(&mut tx, NewJob::new("race", json!({ "i": i }), now), now).await.unwrap();
    }
    tx.commit().await.unwrap();
    let claims = (0..4).map(|w| {
        let db = app.db.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            let kinds = ["race".to_owned()];
            while let Some(job) =
                jobs::claim(&db, &format!("w{w}"), &kinds, Utc::now(), Duration::minutes(5)).await.unwrap()
            {
                mine.push(job.id);
            }
            mine
        })
    });
    let mut all: Vec<_> = futures::future::join_all(claims).await.into_iter().flat_map(|r| r.unwrap()).collect();
    assert_eq!(all.len(), 40);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 40, "a job was claimed twice");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn finished_jobs_are_swept_after_a_week_and_recurring_ones_stay(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let start = now_micros();
    let mut tx = app.db.system_tx().await.unwrap();
    jobs::enqueue(&mut tx, NewJob::new("once", json!({}), start), start).await.unwrap();
    tx.commit().await.unwrap();
    let clock = stackpro_core::Clock::manual(start);
    let worker = Worker::new(app.db.clone(), clock.clone()).handle("once", Flaky(Arc::new(AtomicUsize::new(0)), 0));
    assert_eq!(worker.drain().await.unwrap(), 1);
    // The server scheduled its own hourly sweep at start: exactly one.
    let sweeps: Vec<_> =
        jobs::list(&app.db, None, 50).await.unwrap().into_iter().filter(|j| j.kind == jobs::SWEEP).collect();
    assert_eq!(sweeps.len(), 1);
    assert_eq!(sweeps[0].every_secs, Some(3600));

    assert_eq!(jobs::sweep(&app.db, start + Duration::days(6), Duration::days(7)).await.unwrap(), 0);
    assert_eq!(jobs::sweep(&app.db, start + Duration::days(8), Duration::days(7)).await.unwrap(), 1);
    let left: Vec<_> = jobs::list(&app.db, None, 50).await.unwrap();
    assert!(left.iter().all(|j| j.every_secs.is_some()), "only recurring jobs stay: {left:?}");
}

/// Runs until cancelled.
struct Hangs;

#[async_trait::async_trait]
impl JobHandler for Hangs {
    async fn run(&self, _: &jobs::Job) -> Result<(), JobError> {
        std::future::pending().await
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_worker_told_to_stop_claims_nothing_more_and_hands_its_running_job_back_after_the_grace(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let now = now_micros();
    let mut tx = app.db.system_tx().await.unwrap();
    jobs::enqueue(&mut tx, NewJob::new("hangs", json!({ "n": 1 }), now), now).await.unwrap();
    jobs::enqueue(&mut tx, NewJob::new("hangs", json!({ "n": 2 }), now), now).await.unwrap();
    tx.commit().await.unwrap();
    let worker = Worker::new(app.db.clone(), stackpro_core::Clock::system()).handle("hangs", Hangs);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let grace = std::time::Duration::from_millis(300);
    let run = tokio::spawn(worker.run(std::time::Duration::from_millis(50), stopped, grace));
    // Wait until it holds one of them.
    for _ in 0..100 {
        if jobs::list(&app.db, Some("running"), 10).await.unwrap().iter().any(|j| j.kind == "hangs") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let asked = std::time::Instant::now();
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(3), run).await.expect("the worker stopped").unwrap();
    assert!(asked.elapsed() >= grace, "the running job had its grace period");
    let hangs: Vec<_> =
        jobs::list(&app.db, None, 50).await.unwrap().into_iter().filter(|j| j.kind == "hangs").collect();
    assert_eq!(hangs.len(), 2);
    assert!(hangs.iter().all(|j| j.status == "queued" && j.attempts == 0 && j.locked_by.is_none()), "{hangs:?}");
}

/// Fails until its deadline passes, slowly.
struct Slow;

#[async_trait::async_trait]
impl JobHandler for Slow {
    async fn run(&self, _: &jobs::Job) -> Result<(), JobError> {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        Ok(())
    }
    fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(200)
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_run_that_misses_its_deadline_is_abandoned_and_retried_later(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = now_micros();
    let mut tx = app.db.system_tx().await.unwrap();
    jobs::enqueue(&mut tx, NewJob::new("slow", json!({}), now), now).await.unwrap();
    tx.commit().await.unwrap();
    let worker = Worker::new(app.db.clone(), stackpro_core::Clock::system()).handle("slow", Slow);
    let started = std::time::Instant::now();
    assert_eq!(worker.drain().await.unwrap(), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    let job = jobs::list(&app.db, None, 50).await.unwrap().into_iter().find(|j| j.kind == "slow").unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("queued", 1));
    assert!(job.last_error.unwrap().contains("did not finish within"));
}
