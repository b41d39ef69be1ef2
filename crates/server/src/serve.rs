//! The HTTP server loop: accepting connections, bounding what a client may
//! hold, and shutting down without dropping a request.
//!
//! `axum::serve` has no connection limit, no header timeout and closes its
//! listener the moment shutdown starts, so it is replaced by this loop over
//! hyper's connection builder (HTTP/1.1 only: no client here needs HTTP/2, and
//! HTTP/2's idle connections have no header timeout to bound them).
//!
//! What a client can hold, and for how long:
//! - a connection must send each request's headers within
//!   `header_read_timeout`, counted from its start or from the end of the
//!   previous answer, so a half-sent request and an idle keep-alive
//!   connection both end after it (a request body and the whole request have
//!   their own deadlines, see [`crate::http`]);
//! - at most `max_connections` are served at once; beyond that a new
//!   connection is closed at once (logged once per ten seconds with a count),
//!   so a flood cannot take the file descriptors the server needs to answer
//!   anyone else;
//! - an accept error (out of file descriptors) backs off instead of spinning.
//!
//! Shutdown ([`Lifecycle`]) goes in three steps: *draining* (for
//! `shutdown_drain`: `/readyz` answers 503 so load balancers move away, and
//! every answer carries `Connection: close`, so each client learns after its
//! current request that it must reconnect, rather than finding its kept-alive
//! connection closed under a request it is sending); *closing* (the listener
//! closes, idle connections close, requests in flight finish, and a
//! connection accepted while draining still gets its first request
//! answered if it sends it within two seconds); and the
//! *deadline* (`shutdown_timeout` after the signal, whatever clients or
//! dependencies do, the remaining connections are cut and the process exits).

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Limits and deadlines of the server loop.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time to send a request's headers (and idle keep-alive timeout).
    pub header_read_timeout: Duration,
    /// Most connections at once.
    pub max_connections: usize,
    /// How long to keep serving, answering with `Connection: close`, after
    /// shutdown starts.
    pub drain: Duration,
    /// From the start of shutdown to the exit, whatever happens.
    pub deadline: Duration,
}

/// Whether the server is draining: shared by the loop, `/readyz` and the
/// middleware that adds `Connection: close`. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    draining: Arc<AtomicBool>,
    open: Arc<AtomicU64>,
}

impl Lifecycle {
    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
    /// Marks the start of shutdown.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }
    /// Connections open now.
    pub fn open_connections(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains and
/// closes as described above. Returns when every connection has ended or the
/// deadline has passed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    lifecycle: Lifecycle,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let mut acceptor = Acceptor {
        builder,
        router,
        graceful: hyper_util::server::graceful::GracefulShutdown::new(),
        permits: Arc::new(Semaphore::new(limits.max_connections)),
        lifecycle,
        refused: Refused::default(),
        backoff: AcceptBackoff::default(),
    };
    // Serving, until the signal.
    acceptor.accept_until(&listener, shutdown).await;
    let started = Instant::now();
    acceptor.lifecycle.start_draining();
    tracing::info!(drain_ms = limits.drain.as_millis() as u64, "shutting down: draining (readyz answers 503)");
    // Draining: still accepting and answering, every answer with `Connection: close`.
    // Connections accepted now are watched apart: their client may not have
    // sent its first request yet when the listener closes.
    let early = std::mem::take(&mut acceptor.graceful);
    acceptor.accept_until(&listener, tokio::time::sleep(limits.drain)).await;
    drop(listener);
    // Closing: in-flight requests finish, idle connections close; a
    // connection accepted while draining first gets FIRST_REQUEST_GRACE to
    // send its request (answered, with `Connection: close`).
    let late = acceptor.graceful;
    let lifecycle = acceptor.lifecycle;
    tracing::info!(connections = early.count() + late.count(), "listener closed; finishing requests in flight");
    let left = limits.deadline.saturating_sub(started.elapsed());
    let grace = FIRST_REQUEST_GRACE.min(left);
    let close = async {
        tokio::join!(early.shutdown(), async {
            tokio::time::sleep(grace).await;
            late.shutdown().await
        });
    };
    if tokio::time::timeout(left, close).await.is_err() {
        tracing::warn!(
            connections = lifecycle.open_connections(),
            "shutdown deadline reached: cutting the connections still open"
        );
    }
}

/// How long a connection accepted while draining may take to send its first
/// request once the listener has closed.
const FIRST_REQUEST_GRACE: Duration = Duration::from_secs(2);

/// Accepts connections and serves each on its own task.
struct Acceptor {
    builder: Builder<TokioExecutor>,
    router: Router,
    graceful: hyper_util::server::graceful::GracefulShutdown,
    permits: Arc<Semaphore>,
    lifecycle: Lifecycle,
    refused: Refused,
    backoff: AcceptBackoff,
}

impl Acceptor {
    /// Accepts until `stop` resolves.
    async fn accept_until(&mut self, listener: &TcpListener, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                accepted = listener.accept() => self.handle(accepted).await,
                _ = &mut stop => return,
            }
        }
    }

    async fn handle(&mut self, accepted: std::io::Result<(tokio::net::TcpStream, SocketAddr)>) {
        let (stream, peer) = match accepted {
            Ok(ok) => {
                self.backoff.reset();
                ok
            }
            Err(e) => {
                self.backoff.wait(&e).await;
                return;
            }
        };
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            self.refused.one();
            drop(stream);
            return;
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceBuilder::new()
            .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            })
            .service(self.router.clone());
        let conn = self.builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = self.graceful.watch(conn.into_owned());
        let open = self.lifecycle.open.clone();
        open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            // Errors here are the client's doing (reset, header timeout).
            let _ = conn.await;
            open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}

/// Counts connections refused at the limit, logging at most every ten seconds.
#[derive(Default)]
struct Refused {
    since_log: u64,
    last_log: Option<Instant>,
}

impl Refused {
    fn one(&mut self) {
        self.since_log += 1;
        if self.last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            tracing::warn!(
                refused = self.since_log,
                "connection limit reached (STACKPRO_MAX_CONNECTIONS): closing new connections"
            );
            self.since_log = 0;
            self.last_log = Some(Instant::now());
        }
    }
}

/// Backs off after accept errors: out of file descriptors, retrying at once
/// would spin and fill the log; each error doubles the pause up to a second.
#[derive(Default)]
struct AcceptBackoff {
    pause: Option<Duration>,
    last_log: Option<Instant>,
}

impl AcceptBackoff {
    fn reset(&mut self) {
        self.pause = None;
    }
    async fn wait(&mut self, e: &std::io::Error) {
        let pause = self.pause.map_or(Duration::from_millis(5), |p| (p * 2).min(Duration::from_secs(1)));
        self.pause = Some(pause);
        if self.last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            tracing::error!(error = %e, pause_ms = pause.as_millis() as u64, "cannot accept connections; backing off");
            self.last_log = Some(Instant::now());
        }
        tokio::time::sleep(pause).await;
    }
}

/// Raises this process's open-file limit to its hard limit, so
/// `max_connections` can be honoured; returns the limit in force.
pub fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current < lim.maximum {
        lim.current = lim.maximum;
        if setrlimit(Resource::Nofile, lim).is_err() {
            return getrlimit(Resource::Nofile).current;
        }
    }
    lim.current
}
