//! The realtime section of `make bench`:
//! - connections held: 10,000 WebSocket connections to one server (one
//!   person's access token, the per-person limits lifted), and the
//!   server's memory per connection (its resident memory after, less
//!   before, over the count);
//! - fan-out: a channel with 1,000 subscribers; delivery latency (publish
//!   sent → frame read by each subscriber) at a steady 20 messages a
//!   second, and delivered messages per second when publishing as fast as
//!   acknowledgements come, against a Socket.IO 4 server (Node, npm) doing
//!   the same fan-out to the same load generator in the same run.
//!
//! The load generator is this process (tokio-tungstenite): it shares the
//! two cores with the server under test, for both servers alike. StackPro
//! stores and seals every message before sending it out; Socket.IO keeps
//! nothing.

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Ws;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connections held at once.
pub const HELD: usize = 10_000;
/// Subscribers of the fan-out channel.
pub const SUBSCRIBERS: usize = 1_000;
/// Messages of the latency phase, and their rate.
const STEADY: usize = 200;
const STEADY_RATE: f64 = 20.0;
/// Messages of the throughput phase, and acknowledgements awaited at once.
const BURST: usize = 2_000;
const WINDOW: usize = 32;

/// One server's fan-out.
#[derive(Clone, Copy, Debug)]
pub struct Fanout {
    /// Latency at the steady rate, ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Deliveries per second when publishing flat out.
    pub delivered_per_sec: f64,
    /// Deliveries expected but not seen.
    pub missing: u64,
}

pub struct Report {
    pub held: usize,
    pub connect_secs: f64,
    pub bytes_per_connection: f64,
    pub stackpro: Fanout,
    pub socketio: Fanout,
}

fn rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

/// Raises this process's open-file limit (children inherit it): 10,000
/// connections are 20,000 descriptors on loopback.
pub fn raise_nofile() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let cur = getrlimit(Resource::Nofile);
    let want = cur.maximum.unwrap_or(1 << 20).min(1 << 20);
    let _ = setrlimit(Resource::Nofile, Rlimit { current: Some(want), maximum: cur.maximum });
}

/// A frame's text, skipping pings and such; `None` when closed.
async fn text(ws: &mut Socket) -> Option<String> {
    loop {
        match ws.next().await? {
            Ok(Ws::Text(t)) => return Some(t.as_str().to_owned()),
            Ok(Ws::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

async fn stackpro_socket(url: &str, key: &str) -> anyhow::Result<Socket> {
    let mut req = url.into_client_request()?;
    req.headers_mut().insert("authorization", format!("Bearer {key}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    match ws.next().await {
        Some(Ok(Ws::Text(t))) if t.as_str().contains("\"ready\"") => Ok(ws),
        other => bail!("no ready frame: {other:?}"),
    }
}

/// The microseconds since `base` written in a body, found without parsing
/// the whole frame (the generator must stay cheap).
fn stamp_in(frame: &str) -> Option<u64> {
    let at = frame.find("t=")? + 2;
    let digits: String = frame[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Subscribers read until they have `expect` messages or `deadline`; each
/// returns its latencies in microseconds.
fn spawn_readers<F>(
    sockets: Vec<Socket>,
    expect: usize,
    base: Instant,
    seen: Arc<AtomicU64>,
    is_message: F,
) -> Vec<tokio::task::JoinHandle<Vec<u64>>>
where
    F: Fn(&str) -> bool + Copy + Send + 'static,
{
    sockets
        .into_iter()
        .map(|mut ws| {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(expect);
                let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
                while lat.len() < expect {
                    let Ok(Some(msg)) = tokio::time::timeout_at(deadline, ws.next()).await else { break };
                    match msg {
                        Ok(Ws::Text(t)) => {
                            let t = t.as_str();
                            if is_message(t) {
                                if let Some(sent) = stamp_in(t) {
                                    lat.push((base.elapsed().as_micros() as u64).saturating_sub(sent));
                                    seen.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                        Ok(Ws::Ping(p)) => {
                            let _ = ws.send(Ws::Pong(p)).await;
                        }
                        Ok(Ws::Close(_)) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
                lat
            })
        })
        .collect()
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1).min(sorted.len() - 1);
    sorted[i] as f64 / 1000.0
}

/// What a publisher does, for either server.
trait Publisher {
    /// Sends one message whose body carries `body`, without waiting for its
    /// acknowledgement (read later by `acked`, in order).
    async fn send(&mut self, body: String) -> anyhow::Result<()>;
    /// Waits for one acknowledgement.
    async fn acked(&mut self) -> anyhow::Result<()>;
}

/// StackPro's publisher posts over REST (the socket allows a person 50
/// frames a second, too few to find the fan-out's ceiling); the path after
/// the request is the same as a `publish` frame's.
struct StackproPub {
    client: reqwest::Client,
    url: String,
    token: String,
    pending: std::collections::VecDeque<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Publisher for StackproPub {
    async fn send(&mut self, body: String) -> anyhow::Result<()> {
        let req = self.client.post(&self.url).bearer_auth(&self.token).json(&json!({ "body": body }));
        self.pending.push_back(tokio::spawn(async move {
            let res = req.send().await?;
            if res.status() != 201 {
                bail!("publish refused: {}", res.text().await?);
            }
            Ok(())
        }));
        Ok(())
    }
    async fn acked(&mut self) -> anyhow::Result<()> {
        match self.pending.pop_front() {
            Some(h) => h.await?,
            None => Ok(()),
        }
    }
}

struct SocketIoPub {
    ws: Socket,
    n: u64,
}

impl Publisher for SocketIoPub {
    async fn send(&mut self, body: String) -> anyhow::Result<()> {
        self.n += 1;
        let f = format!("42{}[\"publish\",\"bench\",{}]", self.n, Value::String(body));
        self.ws.send(Ws::Text(f.into())).await?;
        Ok(())
    }
    async fn acked(&mut self) -> anyhow::Result<()> {
        loop {
            let t = text(&mut self.ws).await.context("publisher closed")?;
            if t.starts_with("43") {
                return Ok(());
            }
            if t == "2" {
                self.ws.send(Ws::Text("3".into())).await?;
            }
        }
    }
}

/// The two phases against subscribers already listening.
async fn fanout<P: Publisher>(
    publisher: &mut P,
    subscribers: Vec<Socket>,
    is_message: fn(&str) -> bool,
) -> anyhow::Result<Fanout> {
    let base = Instant::now();
    let seen = Arc::new(AtomicU64::new(0));
    let readers = spawn_readers(subscribers, STEADY + BURST, base, seen.clone(), is_message);
    let n = readers.len() as u64;
    // Steady: latency.
    let every = Duration::from_secs_f64(1.0 / STEADY_RATE);
    let mut tick = tokio::time::interval(every);
    for _ in 0..STEADY {
        tick.tick().await;
        publisher.send(format!("t={}", base.elapsed().as_micros())).await?;
        publisher.acked().await?;
    }
    // Let the steady phase drain, then go flat out.
    let steady_total = n * STEADY as u64;
    let drain = Instant::now();
    while seen.load(Ordering::Relaxed) < steady_total && drain.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    let mut outstanding = 0usize;
    for _ in 0..BURST {
        if outstanding == WINDOW {
            publisher.acked().await?;
            outstanding -= 1;
        }
        publisher.send(format!("t={}", base.elapsed().as_micros())).await?;
        outstanding += 1;
    }
    for _ in 0..outstanding {
        publisher.acked().await?;
    }
    let total = n * (STEADY + BURST) as u64;
    while seen.load(Ordering::Relaxed) < total && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let burst_secs = started.elapsed().as_secs_f64();
    let burst_seen = seen.load(Ordering::Relaxed).saturating_sub(steady_total);
    let mut steady_lat = Vec::new();
    for r in readers {
        let lat = r.await.unwrap_or_default();
        steady_lat.extend(lat.into_iter().take(STEADY));
    }
    steady_lat.sort_unstable();
    Ok(Fanout {
        p50_ms: percentile(&steady_lat, 0.50),
        p99_ms: percentile(&steady_lat, 0.99),
        delivered_per_sec: burst_seen as f64 / burst_secs,
        missing: total.saturating_sub(seen.load(Ordering::Relaxed)),
    })
}

/// Opens `n` connections, `parallel` at a time.
async fn open_many<F, Fut>(n: usize, parallel: usize, open: F) -> anyhow::Result<Vec<Socket>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Socket>>,
{
    let mut out = Vec::with_capacity(n);
    let mut pending = futures::stream::iter((0..n).map(|_| open())).buffer_unordered(parallel);
    while let Some(ws) = pending.next().await {
        out.push(ws?);
    }
    Ok(out)
}

struct Node(Child);
impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn socketio_socket(url: &str) -> anyhow::Result<Socket> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let open = text(&mut ws).await.context("no engine.io open")?;
    if !open.starts_with('0') {
        bail!("engine.io said {open}");
    }
    ws.send(Ws::Text("40".into())).await?;
    loop {
        let t = text(&mut ws).await.context("no socket.io connect")?;
        if t.starts_with("40") {
            return Ok(ws);
        }
    }
}

pub async fn section(dir: &Path) -> anyhow::Result<Report> {
    raise_nofile();
    // One person opens every connection: the limits per person are lifted.
    let server = crate::start_stackpro_with(
        None,
        &[("STACKPRO_REALTIME_WRITES_PER_10S", "1000000"), ("STACKPRO_REALTIME_CONNECTIONS_PER_PERSON", "1000000")],
    )
    .await?;
    let pid = server.child.id();
    let session = crate::signup(&server.url, "realtime").await?;
    let token = session["access_token"].as_str().context("token")?.to_owned();
    let client = reqwest::Client::new();
    // Every connection is the owner's (an API key's would count against the
    // plan's API requests, one per upgrade).
    let key = token.clone();
    let channel: Value = client
        .post(format!("{}/api/v1/realtime/channels", server.url))
        .bearer_auth(&token)
        .json(&json!({ "kind": "team", "name": "bench" }))
        .send()
        .await?
        .json()
        .await?;
    let channel = channel["id"].as_str().context("channel")?.to_owned();
    let ws_url = format!("{}/api/v1/realtime", server.url.replacen("http", "ws", 1));

    // Connections held.
    eprintln!("realtime: opening {HELD} connections");
    let warm = open_many(10, 10, || stackpro_socket(&ws_url, &key)).await?;
    drop(warm);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss(pid);
    let t = Instant::now();
    let held = open_many(HELD, 200, || stackpro_socket(&ws_url, &key)).await?;
    let connect_secs = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss(pid);
    let bytes_per_connection = after.saturating_sub(before) as f64 / held.len() as f64;
    let held_n = held.len();
    drop(held);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Fan-out through StackPro.
    eprintln!("realtime: {SUBSCRIBERS} subscribers, stackpro");
    let mut subs = open_many(SUBSCRIBERS, 100, || stackpro_socket(&ws_url, &key)).await?;
    for ws in &mut subs {
        ws.send(Ws::Text(json!({ "type": "subscribe", "channel": channel }).to_string().into())).await?;
        loop {
            let t = text(ws).await.context("subscriber closed")?;
            if t.contains("\"subscribed\"") {
                break;
            }
        }
    }
    let mut publisher = StackproPub {
        client: client.clone(),
        url: format!("{}/api/v1/realtime/channels/{channel}/messages", server.url),
        token: token.clone(),
        pending: std::collections::VecDeque::new(),
    };
    let stackpro = fanout(&mut publisher, subs, |t| t.contains("\"type\":\"message\"")).await?;
    drop(publisher);
    drop(server);

    // Fan-out through Socket.IO.
    eprintln!("realtime: {SUBSCRIBERS} subscribers, socket.io");
    let port = crate::free_port()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/socketio/server.js");
    let node = Node(
        Command::new("node")
            .arg(&script)
            .arg(port.to_string())
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting node bench/socketio/server.js (npm install in bench/socketio)")?,
    );
    let sio_url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let mut ready = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !ready {
        bail!("the Socket.IO server did not start");
    }
    let mut subs = open_many(SUBSCRIBERS, 100, || socketio_socket(&sio_url)).await?;
    for ws in &mut subs {
        ws.send(Ws::Text("420[\"join\",\"bench\"]".into())).await?;
        loop {
            let t = text(ws).await.context("subscriber closed")?;
            if t.starts_with("430") {
                break;
            }
        }
    }
    let mut publisher = SocketIoPub { ws: socketio_socket(&sio_url).await?, n: 0 };
    let socketio = fanout(&mut publisher, subs, |t| t.starts_with("42[\"message\"")).await?;
    drop(node);

    Ok(Report { held: held_n, connect_secs, bytes_per_connection, stackpro, socketio })
}

impl Report {
    fn ratio(&self) -> f64 {
        self.stackpro.delivered_per_sec / self.socketio.delivered_per_sec
    }

    /// Whether the targets hold.
    pub fn met(&self) -> bool {
        self.held >= HELD
            && self.bytes_per_connection < 16.0 * 1024.0
            && self.stackpro.p99_ms < 50.0
            && self.ratio() >= 3.0
            && self.stackpro.missing == 0
    }

    pub fn markdown(&self) -> String {
        let row = |name: &str, f: &Fanout| {
            format!("| {name} | {:.1} | {:.1} | {:.0} | {} |\n", f.p50_ms, f.p99_ms, f.delivered_per_sec, f.missing)
        };
        let mut out = String::new();
        out.push_str(&format!(
            "{} WebSocket connections held by one server (opened in {:.1} s, 200 at a time, each authenticated by an access token): \
             **{:.1} KiB of server memory per connection** (resident memory after, less before, over the count).\n\n",
            self.held,
            self.connect_secs,
            self.bytes_per_connection / 1024.0
        ));
        out.push_str(&format!(
            "Fan-out to {SUBSCRIBERS} subscribers of one channel: latency from publish to each subscriber at a steady \
             {STEADY_RATE} messages/s ({STEADY} messages), then {BURST} messages published as fast as acknowledgements \
             come ({WINDOW} awaited at once):\n\n"
        ));
        out.push_str("| server | p50 ms | p99 ms | delivered/s (flat out) | missing |\n|---|---|---|---|---|\n");
        out.push_str(&row("StackPro (stored, sealed, then sent)", &self.stackpro));
        out.push_str(&row("Socket.IO 4.8 on Node (reference, stores nothing)", &self.socketio));
        out.push_str(&format!(
            "\nStackPro delivers {:.2}× Socket.IO's messages per second. Targets (10,000 connections, < 16 KiB each, \
             p99 < 50 ms, ≥ 3× Socket.IO): **{}**\n",
            self.ratio(),
            if self.met() { "met" } else { "NOT met" }
        ));
        out
    }
}
