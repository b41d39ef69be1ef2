//! The middleware every request passes through, outermost first: request-id
//! check, request id, tracing span, problem rendering (with the request id,
//! and the cause logged once), CORS, then the edge: client IP, the request's
//! deadline, metrics, security events, security headers; innermost, the body's
//! read timeout and size limit.

use crate::metrics::{method_label, status_label, Metrics};
use crate::serve::Lifecycle;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use stackpro_core::error::{problem_response, REQUEST_ID_HEADER};
use stackpro_core::tenancy::CtxSlot;
use stackpro_core::{ApiError, ClientIp, Code};
use stackpro_security::events::{Recorder, Refusal};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// The span of one request. `route` (the matched path, never the raw URI) is
/// recorded by [`observe`] once the router has matched; `tenant_id` and
/// `principal_id` by the `TenantCtx` extractor. Field values are evaluated
/// only when the span is enabled.
pub fn make_span(req: &axum::http::Request<Body>) -> tracing::Span {
    tracing::info_span!(
        "http_request",
        method = %req.method(),
        route = tracing::field::Empty,
        request_id = req.headers().get(&REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or(""),
        tenant_id = tracing::field::Empty,
        principal_id = tracing::field::Empty,
    )
}

/// Renders every error as problem+json with the request id, logs the cause
/// of internal errors once, and turns axum's own plain answers (unknown
/// method, oversized body) into problems too.
pub async fn problems(req: Request, next: Next) -> Response {
    let request_id = req.headers().get(&REQUEST_ID_HEADER).cloned();
    let res = next.run(req).await;
    if res.status().is_success() {
        return res;
    }
    let request_id = request_id.and_then(|v| v.to_str().ok().map(str::to_owned));

    if let Some(err) = res.extensions().get::<ApiError>().cloned() {
        if let Some(cause) = err.cause() {
            tracing::error!(error.cause_chain = ?cause, error.code = %err.code(), "request failed");
        }
        let mut out = problem_response(&err, request_id);
        keep_headers(&res, &mut out);
        return out;
    }
    let is_plain_error = res.status().is_client_error()
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|ct| ct.to_str().map(|s| s.starts_with("text/plain")).unwrap_or(true));
    if is_plain_error {
        let err = match res.status() {
            StatusCode::METHOD_NOT_ALLOWED => {
                Some(ApiError::new(Code::MethodNotAllowed, "This endpoint does not accept this method."))
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                Some(ApiError::new(Code::PayloadTooLarge, "The request body is larger than allowed."))
            }
            StatusCode::NOT_FOUND => Some(ApiError::new(Code::RouteNotFound, "No endpoint answers at this path.")),
            _ => None,
        };
        if let Some(err) = err {
            let mut out = problem_response(&err, request_id);
            keep_headers(&res, &mut out);
            return out;
        }
    }
    res
}

/// The operator console answers as if it did not exist, wrong methods
/// included: a 405 and its `Allow` would tell that something is there. The
/// outermost layer, as axum adds `Allow` after the layers of a route.
pub async fn console_unseen(req: Request, next: Next) -> Response {
    let console = req.uri().path().starts_with("/api/v1/operator/");
    let res = next.run(req).await;
    if !console || res.status() != StatusCode::METHOD_NOT_ALLOWED {
        return res;
    }
    let request_id = res.headers().get(&REQUEST_ID_HEADER).and_then(|v| v.to_str().ok().map(str::to_owned));
    let mut out =
        problem_response(&ApiError::new(Code::RouteNotFound, "No endpoint answers at this path."), request_id);
    keep_headers(&res, &mut out);
    out.headers_mut().remove(header::ALLOW);
    out
}

/// Carries the headers set by inner layers (security headers, `Allow`,
/// CORS) over to the re-rendered problem, but not the old body's.
fn keep_headers(from: &Response, to: &mut Response) {
    for (name, value) in from.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && !to.headers().contains_key(name) {
            to.headers_mut().insert(name.clone(), value.clone());
        }
    }
}

/// The fallback for unknown API paths.
pub async fn not_found() -> ApiError {
    ApiError::new(Code::RouteNotFound, "No endpoint answers at this path.")
}

/// What the edge middleware needs (shared: the middleware's state is cloned
/// for every request).
pub struct Edge {
    /// Where request counts and latencies go.
    pub metrics: Metrics,
    /// Take the client IP from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Whether shutdown has begun (answers then carry `Connection: close`).
    pub lifecycle: Lifecycle,
    /// Send `Strict-Transport-Security` (the public URL is https).
    pub hsts: bool,
    /// Where refused requests are recorded.
    pub events: Recorder,
    /// Longest time from a request's headers to its answer.
    pub request_timeout: std::time::Duration,
}

/// The problem codes recorded as security events: refused credentials,
/// refused actions, rate limits, and guessed one-time tokens. An expired
/// access token is routine (clients refresh it) and is not recorded.
fn is_refusal(code: Code) -> bool {
    matches!(
        code,
        Code::Unauthorized
            | Code::InvalidCredentials
            | Code::RefreshTokenInvalid
            | Code::Forbidden
            | Code::RateLimited
            | Code::InviteInvalid
            | Code::ResetTokenInvalid
            | Code::CurrentPasswordWrong
            | Code::WebhookSignatureInvalid
    )
}

/// One middleware (one boxed future per request, not several) that decides
/// the client IP, bounds the request's time, records the matched route, the
/// metrics and refused requests, and sets the headers that hold on every
/// answer.
pub async fn edge(State(edge): State<Arc<Edge>>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().cloned();
    if let Some(r) = &route {
        tracing::Span::current().record("route", r.as_str());
    }
    let path = req.uri().path();
    let is_api = path.starts_with("/api/");
    let no_store = is_api || matches!(path, "/healthz" | "/readyz" | "/metrics");
    let ip = client_ip(&req, edge.trust_proxy);
    let had_credentials =
        req.headers().contains_key(header::AUTHORIZATION) || req.headers().contains_key(&API_KEY_HEADER);
    req.extensions_mut().insert(ClientIp(ip));
    let slot = CtxSlot::default();
    req.extensions_mut().insert(slot.clone());

    let mut res = match tokio::time::timeout(edge.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::new(Code::RequestTimeout, "The request was not answered in time.").into_response(),
    };

    security_headers(res.headers_mut(), is_api, no_store, edge.hsts);
    if res.status() == StatusCode::REQUEST_TIMEOUT {
        // The body may be half read: the connection cannot be reused.
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if edge.lifecycle.is_draining() {
        // Shutting down: this client should reconnect (to another replica)
        // for its next request, not find this connection closed under it.
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let elapsed = start.elapsed();
    // Unmatched paths share one label, so scanners cannot blow up cardinality.
    let route = route.as_ref().map(MatchedPath::as_str).unwrap_or("unmatched");
    edge.metrics.requests.with_label_values(&[method, route, status_label(res.status())]).inc();
    edge.metrics.latency.with_label_values(&[method, route]).observe(elapsed.as_secs_f64());
    if let Some(err) = res.extensions().get::<ApiError>().filter(|e| is_refusal(e.code())) {
        let ctx = slot.get();
        edge.metrics.refusals.with_label_values(&[err.code().as_str()]).inc();
        // A request with no credentials at all (a browser before sign-in) is
        // counted, not recorded: recording each would let anyone fill the table.
        let anonymous = err.code() == Code::Unauthorized && !had_credentials;
        if !anonymous {
            edge.events.record(Refusal {
                tenant: ctx.map(|c| c.tenant),
                ip,
                kind: err.code().as_str(),
                method,
                route,
                principal: ctx.map(|c| c.principal.id()),
                detail: err.detail(),
            });
        }
    }
    // Status and latency go to the metrics, and into the log only when they
    // matter: recording them on every span costs a fifth of the throughput.
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if res.status().is_server_error() {
        tracing::warn!(status = res.status().as_u16(), latency_ms, "answered with a server error");
    } else if elapsed > std::time::Duration::from_secs(1) {
        tracing::info!(status = res.status().as_u16(), latency_ms, "slow request");
    }
    res
}

/// Gives the request its id: the client's `X-Request-Id` when it is 1 to 64
/// of `A-Z a-z 0-9 . _ -` (a UUID, a trace id), else a new UUIDv7 (ids then
/// sort by time in logs). The id is echoed in answers and written to logs,
/// where a crafted one could forge lines or headers. A plain function for
/// `map_request`: no boxed future on every request.
pub fn request_id(mut req: Request) -> Request {
    let ok = req.headers().get(&REQUEST_ID_HEADER).is_some_and(|v| {
        let b = v.as_bytes();
        (1..=64).contains(&b.len()) && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    });
    if !ok {
        if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()) {
            req.headers_mut().insert(REQUEST_ID_HEADER.clone(), id);
        }
    }
    req
}

/// The socket peer, or with `trust_proxy` the last address a trusted proxy
/// appended to `X-Forwarded-For`.
pub(crate) fn client_ip(req: &Request, trust_proxy: bool) -> IpAddr {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = trust_proxy
        .then(|| req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
    forwarded.or(peer).unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

static API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");
static NOSNIFF: HeaderName = HeaderName::from_static("x-content-type-options");
static REFERRER: HeaderName = HeaderName::from_static("referrer-policy");
static FRAME: HeaderName = HeaderName::from_static("x-frame-options");
static COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
static PERMISSIONS: HeaderName = HeaderName::from_static("permissions-policy");
static CSP: HeaderName = HeaderName::from_static("content-security-policy");
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const APP_CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// Headers that hold on every answer.
///
/// JSON answers get what matters for an API (OWASP REST Security Cheat
/// Sheet): no sniffing, no framing, no caching. Health and metrics are never
/// cached either (a cached "ready" is a lie). Documents (the UI) also get the
/// headers that only a browsing context reads. Behind https, every answer
/// tells browsers to use https only (HSTS, a year; not for subdomains, which
/// are tenants' sites with their own certificates).
fn security_headers(h: &mut HeaderMap, is_api: bool, no_store: bool, hsts: bool) {
    h.insert(NOSNIFF.clone(), HeaderValue::from_static("nosniff"));
    if hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if no_store {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_api {
        // An API answer that is a document (a site's preview) brings its own.
        h.entry(CSP.clone()).or_insert(HeaderValue::from_static(API_CSP));
        return;
    }
    h.insert(CSP.clone(), HeaderValue::from_static(APP_CSP));
    h.insert(REFERRER.clone(), HeaderValue::from_static("no-referrer"));
    h.insert(FRAME.clone(), HeaderValue::from_static("DENY"));
    h.insert(COOP.clone(), HeaderValue::from_static("same-origin"));
    h.insert(
        PERMISSIONS.clone(),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
}

/// The CORS layer: same origin only unless origins are configured.
pub fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let list: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()).collect();
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(list)
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::HeaderName::from_static("x-api-key")])
            .expose_headers([REQUEST_ID_HEADER.clone(), header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// What [`site_host`] needs.
pub struct SiteHost {
    /// The sites service, with the one Host lookup.
    pub sites: stackpro_sites::Sites,
    /// The assistant, whose widget answers on published sites.
    pub assistant: stackpro_assistant::Assistant,
    /// Request counts and latencies (one route label, `site`, for every site).
    pub metrics: Metrics,
    /// Whether `X-Forwarded-For` names the client.
    pub trust_proxy: bool,
}

/// Answers requests whose Host the one lookup names as a site's (its
/// subdomain); every other request goes on to the dashboard's router.
pub async fn site_host(State(h): State<Arc<SiteHost>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).or_else(|| req.uri().host());
    let Some(host) = host else { return next.run(req).await };
    let Some(found) = h.sites.hosting().resolve(host).await else { return next.run(req).await };
    match found {
        Ok(bundle) => {
            let start = Instant::now();
            let method = method_label(req.method());
            let ip = client_ip(&req, h.trust_proxy);
            // The assistant's widget answers on a published site's host.
            let res = match bundle {
                Some(b) if b.site.published && req.uri().path().starts_with("/_stackpro/assistant") => {
                    h.assistant.serve_widget(b.site.tenant, &b.site.site.to_string(), req, ip).await
                }
                bundle => h.sites.serve_host(bundle, req, ip).await,
            };
            h.metrics.requests.with_label_values(&[method, "site", status_label(res.status())]).inc();
            h.metrics.latency.with_label_values(&[method, "site"]).observe(start.elapsed().as_secs_f64());
            res
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot look up a site by its host");
            ApiError::from(e).into_response()
        }
    }
}
