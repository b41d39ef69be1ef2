//! A server that survives hostile clients and failing dependencies: slow and
//! half-sent requests, connection floods, Redis stopped or paused, a mail
//! server that never answers, SIGTERM under load, a replica killed mid-job.

use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

// ---- slow clients -----------------------------------------------------------

#[tokio::test]
async fn half_sent_requests_are_cut_off_after_the_header_timeout_while_healthz_still_answers() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.header_read_timeout_secs = 1).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut c = RawHttp::connect(&addr).await.unwrap();
        c.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ").await.unwrap();
        slow.push(c);
    }
    let started = Instant::now();
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    for c in &mut slow {
        assert!(c.closed_within(Duration::from_secs(3)).await, "a half-sent request kept its connection");
    }
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.header_read_timeout_secs = 1).await;
    let mut c = RawHttp::connect(app.base.trim_start_matches("http://")).await.unwrap();
    assert_eq!(c.get("/healthz").await.unwrap().status, 200);
    let idle = Instant::now();
    assert!(c.closed_within(Duration::from_secs(3)).await);
    assert!(idle.elapsed() >= Duration::from_millis(900), "closed too early: {:?}", idle.elapsed());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_body_that_stalls_is_answered_408_and_changes_nothing(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.body_read_timeout_secs = 1).await;
    let mut c = RawHttp::connect(app.base.trim_start_matches("http://")).await.unwrap();
    c.send(b"POST /api/v1/auth/signup HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"email\": \"ann@")
        .await
        .unwrap();
    let started = Instant::now();
    let res = tokio::time::timeout(Duration::from_secs(5), c.response()).await.expect("an answer").unwrap();
    assert_eq!(res.status, 408);
    let p: Value = serde_json::from_slice(&res.body).unwrap();
    assert_eq!(p["code"], "request_timeout");
    assert!(res.closes(), "a half-read connection cannot be reused");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(count_rows(&app, "tenants").await, 0);
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_at_once_and_served_again_once_there_is_room() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.max_connections = 16).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..16 {
        let mut c = RawHttp::connect(&addr).await.unwrap();
        assert_eq!(c.get("/healthz").await.unwrap().status, 200);
        held.push(c);
    }
    let mut over = RawHttp::connect(&addr).await.unwrap();
    assert!(over.closed_within(Duration::from_secs(1)).await, "the 17th connection was kept");
    held.pop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = RawHttp::connect(&addr).await.unwrap();
    assert_eq!(again.get("/healthz").await.unwrap().status, 200);
}

// ---- Redis --------------------------------------------------------------------

/// Signs in `n` times, asserting each answer comes within `bound`.
async fn sign_ins_answer_within(app: &TestApp, who: &Account, n: usize, bound: Duration) {
    for _ in 0..n {
        let started = Instant::now();
        let res = app.login(&who.email, PASSWORD).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert!(started.elapsed() < bound, "a sign-in took {:?}", started.elapsed());
    }
}

async fn readiness(app: &TestApp) -> Value {
    app.client.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap()
}

async fn wait_ready(app: &TestApp, within: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < within {
        if readiness(app).await["status"] == "ready" {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not ready again within {within:?}: {}", readiness(app).await);
}

#[tokio::test]
async fn with_redis_stopped_requests_answer_at_once_and_limits_are_shared_again_soon_after_it_returns() {
    let mut redis = RedisProcess::start();
    let url = redis.url();
    let app = TestApp::spawn_with(Backend::Postgres, move |c| {
        c.redis_url = Some(url);
        c.redis_timeout_ms = 300;
    })
    .await;
    let ann = app.signup("ann").await;
    redis.stop();
    sign_ins_answer_within(&app, &ann, 5, Duration::from_secs(1)).await;
    let r = readiness(&app).await;
    assert_eq!((r["status"].as_str(), r["checks"]["redis"]["status"].as_str()), (Some("degraded"), Some("down")));
    let bob = app.signup("bob").await;
    assert_eq!(app.post("/api/v1/auth/logout", None, json!({ "refresh_token": bob.refresh })).await.status(), 204);
    assert_eq!(app.get("/api/v1/me", &bob.access).await.status(), 401, "sign-out still ends the session");

    redis.restart();
    let back = wait_ready(&app, Duration::from_secs(5)).await;
    assert!(back < Duration::from_secs(3), "{back:?}");
    // Limits are counted in Redis again, shared by replicas.
    assert_eq!(app.login(&ann.email, "a wrong password").await.status(), 401);
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let count: Option<i64> = redis::cmd("GET").arg("rl:login:ip:127.0.0.1").query_async(&mut conn).await.unwrap();
    assert_eq!(count, Some(1));
}

#[tokio::test]
async fn with_redis_paused_requests_answer_within_its_deadline_and_it_is_used_again_once_it_resumes() {
    let redis = RedisProcess::start();
    let url = redis.url();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| {
        c.redis_url = Some(url);
        c.redis_timeout_ms = 300;
    })
    .await;
    let ann = app.signup("ann").await;
    redis.pause();
    // The first request to meet the pause waits one deadline; the rest none.
    sign_ins_answer_within(&app, &ann, 5, Duration::from_secs(1)).await;
    assert_eq!(readiness(&app).await["status"], "degraded");
    redis.resume();
    let back = wait_ready(&app, Duration::from_secs(5)).await;
    assert!(back < Duration::from_secs(3), "{back:?}");
    sign_ins_answer_within(&app, &ann, 2, Duration::from_secs(1)).await;
}

// ---- mail -----------------------------------------------------------------------

/// Accepts SMTP connections and never says a word.
async fn silent_mail_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_mail_server_that_never_answers_fails_the_send_by_its_deadline_and_the_queue_moves_on(
    #[case] backend: Backend,
) {
    let port = silent_mail_server().await;
    let app = TestApp::spawn_with(backend, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        c.smtp_timeout_secs = 1;
    })
    .await;
    let ann = app.signup("ann").await;
    app.invite(&ann.access, "bob@ann.test", "member").await;
    app.invite(&ann.access, "carol@ann.test", "member").await;
    // Both mails are tried, one after the other (each send ends by its
    // deadline instead of holding the worker), and wait for a retry.
    let started = Instant::now();
    loop {
        let jobs = stackpro_store::jobs::list(&app.db, None, 50).await.unwrap();
        let tried: Vec<_> = jobs.iter().filter(|j| j.kind == "email.send" && j.last_error.is_some()).collect();
        if tried.len() == 2 {
            assert!(tried.iter().all(|j| j.status != "failed"), "a slow server is worth a retry: {tried:?}");
            assert!(tried.iter().all(|j| j.last_error.as_deref().unwrap().contains("SMTP")), "{tried:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the worker is stuck: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_recipient_the_mail_server_refuses_for_good_fails_the_mail_at_once(#[case] backend: Backend) {
    let mail_dir = tempfile::tempdir().unwrap();
    let (port, _smtp) = test_mail_server(mail_dir.path(), MailServer::RefusesRecipients);
    let app = TestApp::spawn_with(backend, move |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into())).await;
    let ann = app.signup("ann").await;
    app.invite(&ann.access, "gone@ann.test", "member").await;
    let started = Instant::now();
    loop {
        let failed = stackpro_store::jobs::list(&app.db, Some("failed"), 10).await.unwrap();
        if let Some(job) = failed.iter().find(|j| j.kind == "email.send") {
            assert_eq!(job.attempts, 1, "a permanent refusal is not retried");
            assert!(job.last_error.as_deref().unwrap().contains("550"), "{job:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the mail was not failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---- shutdown -------------------------------------------------------------------

#[tokio::test]
async fn sigterm_under_load_answers_every_request_and_exits_by_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&[
        ("STACKPRO_DATA_DIR", dir.path().display().to_string()),
        ("STACKPRO_SHUTDOWN_DRAIN_SECS", "1".into()),
        ("STACKPRO_SHUTDOWN_TIMEOUT_SECS", "4".into()),
        // A half-sent request alone would hold the process for a minute.
        ("STACKPRO_HEADER_READ_TIMEOUT_SECS", "60".into()),
    ])
    .await;
    let addr = server.addr.clone();
    let mut half = RawHttp::connect(&addr).await.unwrap();
    half.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\n").await.unwrap();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let (addr, stop) = (addr.clone(), stop.clone());
            tokio::spawn(async move {
                // (answered, answered with Connection: close, sent without an answer)
                let (mut answered, mut closing, mut lost) = (0u32, 0u32, 0u32);
                let Ok(mut c) = RawHttp::connect(&addr).await else { return (0, 0, 0) };
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if c.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").await.is_err() {
                        lost += 1;
                        break;
                    }
                    match c.response().await {
                        Ok(res) if res.status == 200 => {
                            answered += 1;
                            if res.closes() {
                                // Told to go: a load balancer sends it elsewhere.
                                closing += 1;
                                break;
                            }
                        }
                        Ok(res) => panic!("answered {}", res.status),
                        Err(_) => {
                            lost += 1;
                            break;
                        }
                    }
                }
                (answered, closing, lost)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.signal("TERM");
    let signalled = Instant::now();
    // Draining: not ready any more, still answering.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["connection"], "close");

    let status = tokio::time::timeout(Duration::from_secs(6), server.child.wait()).await.expect("exited").unwrap();
    let exited = signalled.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut totals = (0, 0, 0);
    for c in clients {
        let (a, c, l) = c.await.unwrap();
        totals = (totals.0 + a, totals.1 + c, totals.2 + l);
    }
    assert!(status.success(), "{status:?}");
    assert!(exited < Duration::from_millis(4500), "exited {exited:?} after SIGTERM, past its 4 s deadline");
    assert_eq!(totals.2, 0, "requests without an answer (answered {}, told to close {})", totals.0, totals.1);
    assert_eq!(totals.1, 32, "every client was told to close: {totals:?}");
    assert!(totals.0 > 100, "{totals:?}");
}

// ---- jobs -----------------------------------------------------------------------

/// A child process killed when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How the test mail server behaves.
#[derive(Clone, Copy)]
enum MailServer {
    /// Holds its answer to the first message for five minutes.
    StallsOnTheFirst,
    /// Refuses every recipient for good (550).
    RefusesRecipients,
}

/// An SMTP server (aiosmtpd) that keeps every message it receives in `dir`,
/// behaving as `mode` says.
fn test_mail_server(dir: &std::path::Path, mode: MailServer) -> (u16, Killed) {
    const SCRIPT: &str = r#"
import asyncio, os, sys, time
from aiosmtpd.controller import Controller
class Handler:
    n = 0
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if sys.argv[3] == "refuse":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        Handler.n += 1
        with open(os.path.join(sys.argv[2], "%d.eml" % Handler.n), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        if Handler.n == 1 and sys.argv[3] == "stall":
            await asyncio.sleep(300)
        return "250 OK"
Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
while True:
    time.sleep(3600)
"#;
    let mode = match mode {
        MailServer::StallsOnTheFirst => "stall",
        MailServer::RefusesRecipients => "refuse",
    };
    let python = std::env::var("STACKPRO_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(python)
        .args(["-c", SCRIPT, &port.to_string()])
        .arg(dir)
        .arg(mode)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (port, Killed(child));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(Killed(child));
    panic!("the test mail server did not start");
}

async fn wait_for_file(path: &std::path::Path, within: Duration) -> String {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} did not appear within {within:?}", path.display());
}

fn message_id(mail: &str) -> String {
    mail.lines().find_map(|l| l.strip_prefix("Message-ID: ")).expect("a Message-ID").trim().to_owned()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_job_of_a_replica_killed_mid_send_is_retried_within_its_lease_with_the_same_message_id(
    #[case] backend: Backend,
) {
    let mail_dir = tempfile::tempdir().unwrap();
    let (smtp_port, _smtp) = test_mail_server(mail_dir.path(), MailServer::StallsOnTheFirst);
    let data_dir = tempfile::tempdir().unwrap();
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", data_dir.path().join("stackpro.db").display()),
        Backend::Postgres => fresh_pg_database().await,
    };
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let mut a = ServerProcess::start(&[
        ("STACKPRO_DATA_DIR", data_dir.path().display().to_string()),
        ("STACKPRO_DATABASE_URL", database_url.clone()),
        ("STACKPRO_SMTP_URL", smtp_url.clone()),
        ("STACKPRO_JOB_LEASE_SECS", "2".into()),
    ])
    .await;
    let http = reqwest::Client::new();
    let session: Value = http
        .post(a.url("/api/v1/auth/signup"))
        .json(&json!({ "email": "ann@ann.test", "password": PASSWORD, "tenant_name": "Ann" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = http
        .post(a.url("/api/v1/members"))
        .bearer_auth(session["access_token"].as_str().unwrap())
        .json(&json!({ "email": "bob@ann.test", "role": "member" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // Replica a has sent the mail and waits for the server's answer.
    let first = wait_for_file(&mail_dir.path().join("1.eml"), Duration::from_secs(10)).await;
    a.signal("KILL");
    let _ = a.child.wait().await;
    let killed = Instant::now();

    let replica_dir = tempfile::tempdir().unwrap();
    std::fs::copy(data_dir.path().join("master.key"), replica_dir.path().join("master.key")).unwrap();
    let b = TestApp::spawn_on(replica_dir, database_url, move |c| {
        c.smtp_url = Some(smtp_url.into());
        c.job_lease_secs = 2;
    })
    .await;
    let second = wait_for_file(&mail_dir.path().join("2.eml"), Duration::from_secs(15)).await;
    assert!(killed.elapsed() < Duration::from_secs(10), "retried {:?} after the kill", killed.elapsed());
    assert_eq!(message_id(&first), message_id(&second), "the retry must be recognisable as the same mail");
    // The mail server has the message before the sender hears so and
    // records the job's success: wait for that, briefly.
    let mut jobs = Vec::new();
    for _ in 0..50 {
        jobs = stackpro_store::jobs::list(&b.db, Some("succeeded"), 10).await.unwrap();
        if jobs.iter().any(|j| j.kind == "email.send") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(jobs.iter().any(|j| j.kind == "email.send"), "{jobs:?}");
}

#[tokio::test]
async fn a_connection_accepted_while_draining_gets_its_first_request_answered_after_the_listener_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&[
        ("STACKPRO_DATA_DIR", dir.path().display().to_string()),
        ("STACKPRO_SHUTDOWN_DRAIN_SECS", "1".into()),
        ("STACKPRO_SHUTDOWN_TIMEOUT_SECS", "5".into()),
    ])
    .await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(900)).await;
    let mut late = RawHttp::connect(&server.addr).await.unwrap();
    // The listener closes at 1 s; the request comes after it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let res = late.get("/healthz").await.expect("an answer, not a closed connection");
    assert_eq!(res.status, 200);
    assert!(res.closes());
    let status = tokio::time::timeout(Duration::from_secs(6), server.child.wait()).await.expect("exited").unwrap();
    assert!(status.success());
}
