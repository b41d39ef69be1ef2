//! Builds the application from its configuration: storage, security, the
//! router with its middleware, and the job worker.

use crate::http;
use crate::metrics::Metrics;
use anyhow::Context;
use axum::extract::{FromRef, State};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::Router;
use stackpro_core::config::Config;
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, Clock, Code};
use stackpro_security::crypto::Keyring;
use stackpro_security::mail::Mailer;
use stackpro_security::tokens::AccessTokens;
use stackpro_security::{Security, Settings};
use stackpro_store::jobs::Worker;
use stackpro_store::{BlobStore, Bus, Counters, Db};
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Everything a handler may extract with `State`.
#[derive(Clone)]
pub struct AppState {
    /// Identity and security.
    pub security: Security,
    /// The authenticator behind the `TenantCtx` extractor.
    pub auth: AuthState,
    /// The database.
    pub db: Db,
    /// Metrics.
    pub metrics: Metrics,
    /// The OpenAPI document, rendered once.
    pub openapi: Arc<String>,
    /// The token `/metrics` requires, when set.
    pub metrics_token: Option<Arc<secrecy::SecretString>>,
}

impl FromRef<AppState> for Security {
    fn from_ref(s: &AppState) -> Security {
        s.security.clone()
    }
}
impl FromRef<AppState> for AuthState {
    fn from_ref(s: &AppState) -> AuthState {
        s.auth.clone()
    }
}
impl FromRef<AppState> for Metrics {
    fn from_ref(s: &AppState) -> Metrics {
        s.metrics.clone()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "StackPro API", description = "The REST API of StackPro, a self-hostable multi-tenant business platform. \
        Errors are application/problem+json (RFC 9457) with a stable `code`; `GET /api/v1/errors` lists every code."),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions and passwords"),
        (name = "members", description = "The people of a workspace and their roles"),
        (name = "api-keys", description = "Keys for programs"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "system", description = "Health, readiness, metrics and the error list"),
    )
)]
struct ApiDoc;

/// A built application: its router, state and job worker.
pub struct App {
    /// The router, with every middleware.
    pub router: Router,
    /// Shared state.
    pub state: AppState,
    /// The job worker (not yet running).
    pub worker: Worker,
    /// Blob storage.
    pub blobs: BlobStore,
    /// The bus.
    pub bus: Bus,
    /// The configuration it was built from.
    pub config: Config,
}

/// The storage and services an application needs, before the router.
pub struct Parts {
    /// Database, migrated.
    pub db: Db,
    /// Security service.
    pub security: Security,
    /// Blob storage.
    pub blobs: BlobStore,
    /// Bus.
    pub bus: Bus,
    /// Counters.
    pub counters: Counters,
}

impl App {
    /// Opens storage (migrating the database), loads or creates the master
    /// key, and builds the services. Shared by `serve` and the CLI commands.
    ///
    /// # Errors
    /// When storage cannot be opened or the key cannot be read.
    pub async fn parts(cfg: &Config, clock: Clock) -> anyhow::Result<Parts> {
        let db = Db::connect(&cfg.database, cfg.database_max_connections).await.context("opening the database")?;
        db.migrate().await.context("migrating the database")?;
        let (keys, created) = Keyring::load_or_create(&cfg.master_key_file).context("loading the master key")?;
        if created {
            tracing::warn!(path = %cfg.master_key_file.display(), "generated a new master key (mode 0600): back it up, \
                without it no tenant's encrypted data can be read");
        }
        let (bus, counters) = match &cfg.redis_url {
            Some(url) => {
                let client =
                    redis::Client::open(secrecy::ExposeSecret::expose_secret(url)).context("STACKPRO_REDIS_URL")?;
                let bus = Bus::redis(client.clone()).await.context("connecting to Redis")?;
                (bus, Counters::redis(client).await.context("connecting to Redis")?)
            }
            None => (Bus::local(), Counters::local()),
        };
        let blobs = BlobStore::open(&cfg.blobs).context("opening blob storage")?;
        let mailer = Mailer::new(cfg.smtp_url.as_ref(), &cfg.smtp_from).context("configuring SMTP")?;
        let signing_key = stackpro_security::tokens::signing_key(&db, &keys, clock.now())
            .await
            .context("loading the token signing key")?;
        let tokens = AccessTokens::new(signing_key, clock.clone(), cfg.access_token_ttl);
        let settings = Settings {
            public_url: cfg.public_url.clone(),
            refresh_ttl: cfg.refresh_token_ttl,
            rate_per_ip: cfg.auth_rate_per_ip,
            rate_per_account: cfg.auth_rate_per_account,
        };
        let audit_key =
            stackpro_security::crypto::server_secret(&db, &keys, stackpro_security::audit::CHAIN_KEY, clock.now())
                .await
                .context("loading the audit chain key")?;
        let job_payloads = stackpro_security::crypto::server_secret(
            &db,
            &keys,
            stackpro_security::service::JOB_PAYLOAD_KEY,
            clock.now(),
        )
        .await
        .context("loading the job payload key")?;
        let secrets = stackpro_security::service::ServerSecrets { audit_chain: audit_key, job_payloads };
        let security =
            Security::new(db.clone(), bus.clone(), keys, tokens, counters.clone(), mailer, clock, settings, secrets);
        Ok(Parts { db, security, blobs, bus, counters })
    }

    /// Builds the whole application.
    ///
    /// # Errors
    /// When storage cannot be opened or the key cannot be read.
    pub async fn build(cfg: Config, clock: Clock) -> anyhow::Result<App> {
        let parts = Self::parts(&cfg, clock.clone()).await?;
        let metrics = Metrics::new().context("registering metrics")?;
        let (api, openapi) = api_router().split_for_parts();
        let openapi = with_server_errors(openapi);
        let openapi = Arc::new(openapi.to_pretty_json().context("rendering OpenAPI")?);
        let state = AppState {
            auth: Arc::new(parts.security.clone()),
            security: parts.security.clone(),
            db: parts.db.clone(),
            metrics: metrics.clone(),
            openapi,
            metrics_token: cfg.metrics_token.clone().map(Arc::new),
        };
        parts.security.load_ended_sessions().await.context("loading signed-out sessions")?;
        let follower = parts.security.clone();
        tokio::spawn(async move {
            if let Err(e) = follower.follow_invalidations().await {
                tracing::error!(error.cause_chain = ?e, "cannot follow credential-cache invalidations");
            }
        });
        let worker = Worker::new(parts.db.clone(), clock.clone())
            .handle(stackpro_security::service::EMAIL_JOB, parts.security.email_job())
            .handle(stackpro_security::service::RESET_JOB, parts.security.reset_job())
            .handle(
                stackpro_store::jobs::SWEEP,
                stackpro_store::jobs::Sweeper { db: parts.db.clone(), clock: clock.clone() },
            );
        stackpro_store::jobs::schedule_sweep(&parts.db, clock.now()).await.context("scheduling the job sweep")?;

        let mut router = Router::new()
            .merge(api)
            .nest("/api", Router::new().fallback(http::not_found))
            .merge(crate::web::router(cfg.web_dir.as_deref()))
            .fallback(http::not_found)
            .layer(axum::extract::DefaultBodyLimit::max(cfg.body_limit_bytes))
            .layer(from_fn_with_state(http::Edge { metrics, trust_proxy: cfg.trust_proxy }, http::edge))
            .with_state(state.clone());
        if let Some(cors) = http::cors(&cfg.cors_origins) {
            router = router.layer(cors);
        }
        let router = router.layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(stackpro_core::error::REQUEST_ID_HEADER.clone(), http::MakeV7))
                .layer(TraceLayer::new_for_http().make_span_with(http::make_span))
                .layer(PropagateRequestIdLayer::new(stackpro_core::error::REQUEST_ID_HEADER.clone()))
                .layer(from_fn(http::problems)),
        );
        Ok(App { router, state, worker, blobs: parts.blobs, bus: parts.bus, config: cfg })
    }

    /// Serves on `listener` until `shutdown` resolves, running the job worker
    /// beside; in-flight requests finish before it returns.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut worker_stop = stop_rx.clone();
        let worker = tokio::spawn(self.worker.clone().run(std::time::Duration::from_millis(500), async move {
            let _ = worker_stop.wait_for(|s| *s).await;
        }));
        let service = self.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            })
            .await
            .context("serving HTTP")?;
        let _ = worker.await;
        self.state.db.close().await;
        Ok(())
    }
}

/// Every API route with its OpenAPI annotations.
pub fn api_router() -> OpenApiRouter<AppState> {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An access token from sign-in, or an API key (`sp_…`)."))
                .build(),
        ),
    );
    OpenApiRouter::with_openapi(doc)
        .merge(stackpro_security::routes::router())
        .routes(utoipa_axum::routes!(healthz))
        .routes(utoipa_axum::routes!(readyz))
        .routes(utoipa_axum::routes!(metrics_text))
        .routes(utoipa_axum::routes!(openapi_json))
        .routes(utoipa_axum::routes!(errors))
}

/// The OpenAPI document as JSON, for `stackpro openapi`.
///
/// # Errors
/// Only if serialisation fails.
pub fn openapi_json_text() -> anyhow::Result<String> {
    Ok(with_server_errors(api_router().split_for_parts().1).to_pretty_json()?)
}

/// Every operation can fail with `internal` (500) or `unavailable` (503):
/// documented once here rather than on each handler.
fn with_server_errors(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
    let problem = ResponseBuilder::new()
        .description("A problem: internal (500) or unavailable (503, with Retry-After).")
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("Problem"))).build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            op.responses.responses.entry("5XX".into()).or_insert_with(|| RefOr::T(problem.clone()));
        }
    }
    doc
}

/// The problem codes
///
/// Every problem `code` with its HTTP status and meaning, so each problem's
/// `type` URI resolves here.
#[utoipa::path(get, path = "/api/v1/errors", tag = "system",
    responses((status = 200, description = "`{items: [{code, status, title, summary}]}`", body = Object)))]
async fn errors() -> impl IntoResponse {
    let list: Vec<_> = Code::ALL
        .iter()
        .map(|c| {
            serde_json::json!({
                "code": c.as_str(),
                "status": c.status().as_u16(),
                "title": c.status().canonical_reason().unwrap_or(""),
                "summary": c.summary(),
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "items": list }))
}

/// Liveness
///
/// Answers while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "`{status: \"ok\"}`", body = Object)))]
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness
///
/// Answers 200 while the database answers, 503 `unavailable` otherwise.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, description = "`{status: \"ready\"}`", body = Object),
        (status = 503, description = "unavailable", body = stackpro_core::Problem, content_type = "application/problem+json")))]
async fn readyz(State(s): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    s.db.ping().await.map_err(|e| {
        tracing::warn!(error.cause_chain = ?e, "not ready: database unreachable");
        ApiError::new(Code::Unavailable, "The database is unreachable.").with_retry_after(5)
    })?;
    Ok(axum::Json(serde_json::json!({ "status": "ready" })))
}

/// Prometheus metrics
///
/// Request counts and latencies in the Prometheus text format. With
/// `STACKPRO_METRICS_TOKEN` set, only `Authorization: Bearer <token>` is answered.
#[utoipa::path(get, path = "/metrics", tag = "system", security((), ("bearer" = [])),
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"),
        (status = 401, description = "unauthorized", body = stackpro_core::Problem, content_type = "application/problem+json")))]
async fn metrics_text(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = &s.metrics_token {
        use secrecy::ExposeSecret;
        use subtle::ConstantTimeEq;
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
            return Err(ApiError::new(Code::Unauthorized, "Send the metrics token as a bearer token."));
        }
    }
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()))
}

/// The OpenAPI document
///
/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
async fn openapi_json(State(s): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], s.openapi.as_str().to_owned())
}
