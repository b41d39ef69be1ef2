//! The test harness: the real server on 127.0.0.1:0 against a fresh SQLite
//! file or a fresh PostgreSQL database, and an HTTP client that speaks to it.

use reqwest::{Method, Response};
use serde_json::{json, Value};
use stackpro_core::config::RawConfig;
use stackpro_core::Clock;
use stackpro_server::App;
use stackpro_store::jobs::Worker;
use stackpro_store::Db;
use std::path::PathBuf;
use tokio::sync::OnceCell;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server PostgreSQL tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("STACKPRO_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn pg_url(db: &str) -> String {
    let admin = pg_admin_url();
    match admin.rfind('/') {
        Some(i) => format!("{}/{db}", &admin[..i]),
        None => admin,
    }
}

/// The migrated template database, created once per test run. Its name
/// carries a hash of the migrations, so a changed migration makes a new one.
async fn pg_template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let mut hash: u64 = 1469598103934665603;
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../store/migrations/postgres");
            let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            for f in files {
                for b in std::fs::read(f).unwrap() {
                    hash = (hash ^ b as u64).wrapping_mul(1099511628211);
                }
            }
            let name = format!("sp_tpl_{:016x}", hash);
            let admin =
                sqlx::PgPool::connect(&pg_admin_url()).await.expect("PostgreSQL must run for the postgres cases");
            // Serialise template creation between concurrent test processes.
            let mut lock = admin.acquire().await.unwrap();
            sqlx::query("SELECT pg_advisory_lock(7031)").execute(&mut *lock).await.unwrap();
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&admin)
                .await
                .unwrap();
            // The databases of earlier runs (and their stale templates) go
            // here, once per run: a test run is one process, so none of them
            // is in use.
            let old: Vec<String> = sqlx::query_scalar(
                // `_` is a LIKE wildcard: escaped, or 'sp_t_%' would match the template too.
                r"SELECT datname FROM pg_database WHERE datname <> $1 AND (datname LIKE 'sp\_t\_%' OR datname LIKE 'sp\_tpl\_%')",
            )
            .bind(&name)
            .fetch_all(&admin)
            .await
            .unwrap();
            for db in old {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).execute(&admin).await;
            }
            if !exists {
                sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&admin).await.unwrap();
                let db = Db::connect(&stackpro_core::config::DatabaseUrl::Postgres(pg_url(&name)), 2).await.unwrap();
                db.migrate().await.unwrap();
                db.close().await;
            }
            sqlx::query("SELECT pg_advisory_unlock(7031)").execute(&mut *lock).await.unwrap();
            name
        })
        .await
}

/// A new, migrated PostgreSQL database; its URL.
pub async fn fresh_pg_database() -> String {
    let template = pg_template().await;
    let name = format!("sp_t_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&pg_admin_url()).await.unwrap();
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
    let mut tries = 0;
    // Two CREATE DATABASE from one template at the same instant can collide.
    while let Err(e) = sqlx::query(&sql).execute(&admin).await {
        tries += 1;
        assert!(tries < 20, "creating a test database: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(50 * tries)).await;
    }
    admin.close().await;
    pg_url(&name)
}

/// Where the local embedding model is (`make test` fetches it).
pub fn model_dir() -> PathBuf {
    match std::env::var("STACKPRO_TEST_MODEL_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/stackpro-models/all-MiniLM-L6-v2")
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub security: stackpro_security::Security,
    pub billing: stackpro_billing::Billing,
    pub worker: Worker,
    pub ingest: Worker,
    pub data_dir: tempfile::TempDir,
    pub database_url: String,
    pub blobs: stackpro_store::BlobStore,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with settings changed by `tweak` (e.g. low rate limits).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut RawConfig)) -> TestApp {
        let data_dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => {
                format!("sqlite://{}", data_dir.path().join("stackpro.db").display())
            }
            Backend::Postgres => fresh_pg_database().await,
        };
        Self::spawn_on(data_dir, database_url, tweak).await
    }

    /// A second replica: the same database and master key, its own process
    /// state, with settings changed by `tweak` (give both the same Redis).
    pub async fn replica(&self, tweak: impl FnOnce(&mut RawConfig)) -> TestApp {
        let data_dir = tempfile::tempdir().unwrap();
        std::fs::copy(self.data_dir.path().join("master.key"), data_dir.path().join("master.key")).unwrap();
        Self::spawn_on(data_dir, self.database_url.clone(), tweak).await
    }

    /// Spawns on a database of the caller's choosing.
    pub async fn spawn_at(database_url: String) -> TestApp {
        Self::spawn_on(tempfile::tempdir().unwrap(), database_url, |_| {}).await
    }

    pub async fn spawn_on(
        data_dir: tempfile::TempDir,
        database_url: String,
        tweak: impl FnOnce(&mut RawConfig),
    ) -> TestApp {
        Self::spawn_on_clock(data_dir, database_url, Clock::system(), tweak).await
    }

    /// Spawns with a clock of the test's (a manual one moves time).
    pub async fn spawn_with_clock(backend: Backend, clock: Clock, tweak: impl FnOnce(&mut RawConfig)) -> TestApp {
        let data_dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", data_dir.path().join("stackpro.db").display()),
            Backend::Postgres => fresh_pg_database().await,
        };
        Self::spawn_on_clock(data_dir, database_url, clock, tweak).await
    }

    async fn spawn_on_clock(
        data_dir: tempfile::TempDir,
        database_url: String,
        clock: Clock,
        tweak: impl FnOnce(&mut RawConfig),
    ) -> TestApp {
        let mut raw = RawConfig {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.path().to_owned(),
            database_url: Some(database_url.clone()),
            database_max_connections: 5,
            web_dir: Some(PathBuf::from("/nonexistent")),
            // Every test client is 127.0.0.1: per-IP limits get their own test.
            auth_rate_per_ip: 100_000,
            auth_rate_per_account: 1_000,
            signup_rate_per_ip: 100_000,
            shutdown_drain_secs: 0,
            // New workspaces start on the trial: the tests of other
            // capabilities must not meet its seat and API limits. Billing's
            // tests set `plans = None` for the real catalogue.
            plans: Some(serde_json::json!({ "trial": { "limits": {
                "seats": { "kind": "unlimited" }, "api_requests": { "kind": "unlimited" } } } })),
            // Documents are parsed by workers running the real binary.
            parser_program: Some(PathBuf::from(env!("CARGO_BIN_EXE_stackpro"))),
            // The local embedding model, where `make test` put it; without
            // it the assistant searches by keywords (tests that need
            // vectors say so when it is missing).
            embed_model_dir: Some(model_dir()),
            ..RawConfig::default()
        };
        tweak(&mut raw);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        if raw.public_url.is_none() {
            raw.public_url = Some(format!("http://{addr}"));
        }
        let cfg = raw.validate().unwrap();
        let app = App::build(cfg, clock).await.unwrap();
        let db = app.state.db.clone();
        let security = app.state.security.clone();
        let billing = app.state.billing.clone();
        let worker = app.worker.clone();
        let ingest = app.ingest.clone();
        let blobs = app.blobs.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            db,
            security,
            billing,
            worker,
            ingest,
            data_dir,
            database_url,
            blobs,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(Method::POST, path, token, Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(token), Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// Signs up a workspace named after `who`, owned by `who@<who>.test`.
    pub async fn signup(&self, who: &str) -> Account {
        let email = format!("{who}@{who}.test");
        let res = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": email, "password": PASSWORD, "tenant_name": format!("{who} shop") }),
            )
            .await;
        assert_eq!(res.status(), 201, "signup failed: {}", res.text().await.unwrap());
        Account::from_session(res.json().await.unwrap())
    }

    /// Logs in and returns the session.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post("/api/v1/auth/login", None, json!({ "email": email, "password": password })).await
    }

    /// Runs every due job now (emails, ...).
    pub async fn drain_jobs(&self) -> usize {
        self.worker.drain().await.unwrap() + self.ingest.drain().await.unwrap()
    }

    /// Creates an API key for `owner` and returns its secret and id.
    pub async fn api_key(&self, owner: &Account, scopes: &[&str]) -> (String, String) {
        let res = self.post("/api/v1/api-keys", Some(&owner.access), json!({ "name": "ci", "scopes": scopes })).await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        (body["secret"].as_str().unwrap().to_owned(), body["api_key"]["id"].as_str().unwrap().to_owned())
    }

    /// Invites `email` with `role`, authenticated by `credential` (an access
    /// token or an API key); returns the invitation.
    pub async fn invite(&self, credential: &str, email: &str, role: &str) -> Value {
        let res = self.post("/api/v1/members", Some(credential), json!({ "email": email, "role": role })).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// Accepts an invitation; the answer, as sent.
    pub async fn try_accept(&self, invitation: &Value, password: &str) -> Response {
        let token = invitation["invite_url"].as_str().unwrap().split("token=").nth(1).unwrap();
        self.post("/api/v1/invitations/accept", None, json!({ "token": token, "password": password, "name": "Bob" }))
            .await
    }

    /// Accepts an invitation and returns the new member's session.
    pub async fn accept(&self, invitation: &Value, password: &str) -> Account {
        let res = self.try_accept(invitation, password).await;
        assert_eq!(res.status(), 200);
        Account::from_session(res.json().await.unwrap())
    }

    /// A new member of `owner`'s workspace with `role`, signed in.
    pub async fn member(&self, owner: &Account, who: &str, role: &str) -> Account {
        let inv = self.invite(&owner.access, &format!("{who}@{}.test", owner.tenant_slug), role).await;
        self.accept(&inv, "a member's password").await
    }

    /// Sets a member's role as `by`.
    pub async fn set_role(&self, by: &str, member: &Account, role: &str) -> Response {
        self.patch(&format!("/api/v1/members/{}", member.user_id), by, json!({ "role": role })).await
    }

    /// A Prometheus value of this app (the sum of the series whose line
    /// starts with `series`).
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self.client.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        text.lines().filter(|l| l.starts_with(series)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
    }

    /// Runs the `stackpro` binary against this app's database and data dir.
    /// Async: the test's runtime also runs the server, which must go on
    /// (and finish its transactions) while the command waits for it.
    pub async fn cli(&self, args: &[&str]) -> std::process::Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_stackpro"))
            .args(args)
            .env("STACKPRO_DATABASE_URL", &self.database_url)
            .env("STACKPRO_DATA_DIR", self.data_dir.path())
            .env("RUST_LOG", "error")
            .output()
            .await
            .unwrap()
    }
}

/// A Redis database of its own for one test (db 1 to 15, flushed first).
pub async fn redis_url() -> String {
    static NEXT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
    let base = std::env::var("STACKPRO_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let n = 1 + NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 15;
    let url = format!("{base}/{n}");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.expect("Redis must run for the scale-out tests");
    redis::cmd("FLUSHDB").query_async::<()>(&mut conn).await.unwrap();
    url
}

pub const PASSWORD: &str = "correct horse battery";

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct Account {
    pub access: String,
    pub refresh: String,
    pub tenant_id: String,
    pub tenant_slug: String,
    pub user_id: String,
    pub email: String,
}

impl Account {
    pub fn from_session(s: Value) -> Account {
        Account {
            access: s["access_token"].as_str().unwrap().to_owned(),
            refresh: s["refresh_token"].as_str().unwrap().to_owned(),
            tenant_id: s["tenant"]["id"].as_str().unwrap().to_owned(),
            tenant_slug: s["tenant"]["slug"].as_str().unwrap().to_owned(),
            user_id: s["user"]["id"].as_str().unwrap().to_owned(),
            email: s["user"]["email"].as_str().unwrap().to_owned(),
        }
    }
}

/// A problem+json body.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    pub field: Option<String>,
    pub request_id: Option<String>,
}

pub trait ProblemExt {
    async fn problem(self) -> Problem;
}

impl ProblemExt for Response {
    /// Asserts the answer is problem+json and parses it.
    async fn problem(self) -> Problem {
        let ct = self.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(ct.as_deref(), Some("application/problem+json"), "status {}", self.status());
        let status = self.status().as_u16();
        let p: Problem = self.json().await.unwrap();
        assert_eq!(p.status, status);
        assert!(p.request_id.is_some());
        p
    }
}

/// Counts the rows of a table across tenants.
pub async fn count_rows(app: &TestApp, table: &str) -> i64 {
    let mut tx = app.db.system_read().await.unwrap();
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let n: i64 = stackpro_store::on_db!(tx, |c| sqlx::query_scalar(&sql).fetch_one(c).await).unwrap();
    tx.commit().await.unwrap();
    n
}

/// One answer read off a raw connection.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    /// Whether the server said it closes the connection after this answer.
    pub fn closes(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// An HTTP/1.1 client on a bare TCP connection, to see exactly what a server
/// does with a connection: what it answers, and when it closes it (a pooled
/// client would hide both by retrying on a fresh connection).
pub struct RawHttp {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl RawHttp {
    pub async fn connect(addr: &str) -> std::io::Result<RawHttp> {
        Ok(RawHttp { stream: tokio::net::TcpStream::connect(addr).await?, buf: Vec::new() })
    }

    pub async fn send(&mut self, raw: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(raw).await
    }

    /// Sends a GET with keep-alive and reads its answer.
    pub async fn get(&mut self, path: &str) -> std::io::Result<RawResponse> {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await?;
        self.response().await
    }

    /// Reads one answer (bodies with Content-Length); `UnexpectedEof` when
    /// the connection ends before a whole answer.
    pub async fn response(&mut self) -> std::io::Result<RawResponse> {
        use tokio::io::AsyncReadExt;
        let eof = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before a whole answer");
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(eof());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize =
            headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        self.buf.drain(..head_end + 4);
        while self.buf.len() < len {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(eof());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = self.buf.drain(..len).collect();
        Ok(RawResponse { status, headers, body })
    }

    /// Whether the server closes the connection within `d` (reading and
    /// discarding whatever it sends meanwhile).
    pub async fn closed_within(&mut self, d: std::time::Duration) -> bool {
        use tokio::io::AsyncReadExt;
        let read_to_end = async {
            let mut chunk = [0u8; 4096];
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(d, read_to_end).await.is_ok()
    }
}

/// The `stackpro` binary serving as a child process, for what only a real
/// process shows: signals, `kill -9`, exit codes.
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub addr: String,
}

impl ServerProcess {
    /// Starts `stackpro serve` with `env` (plus a free port) and waits until
    /// `/readyz` answers.
    pub async fn start(env: &[(&str, String)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_stackpro"));
        cmd.arg("serve").env("STACKPRO_LISTEN", &addr).env("RUST_LOG", "warn").kill_on_drop(true);
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("http://{addr}/readyz")).send().await {
                if r.status() == 200 {
                    return ServerProcess { child, addr };
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("stackpro serve did not become ready on {addr}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("the server is running").to_string();
        let ok = std::process::Command::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap().success();
        assert!(ok, "kill -{signal} {pid}");
    }
}

/// A Redis server of the test's own, to stop, restart and pause.
pub struct RedisProcess {
    pub port: u16,
    child: std::process::Child,
}

impl RedisProcess {
    pub fn start() -> RedisProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::start_on(port)
    }

    fn start_on(port: u16) -> RedisProcess {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        // Dropped (killed and waited for) if it does not start.
        let redis = RedisProcess { port, child };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return redis;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("redis-server did not start on {port}");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Stops it for good (`kill -9`), keeping the port for [`Self::restart`].
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn restart(&mut self) {
        *self = Self::start_on(self.port);
    }

    /// `kill -STOP`: the server keeps its connections and answers nothing.
    pub fn pause(&self) {
        std::process::Command::new("kill").args(["-STOP", &self.child.id().to_string()]).status().unwrap();
    }

    pub fn resume(&self) {
        std::process::Command::new("kill").args(["-CONT", &self.child.id().to_string()]).status().unwrap();
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.resume();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
