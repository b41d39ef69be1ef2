//! Builds the application from its configuration: storage, security, the
//! router with its middleware, and the job worker.

use crate::http;
use crate::metrics::Metrics;
use crate::serve::Lifecycle;
use anyhow::Context;
use axum::extract::{FromRef, State};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::Router;
use stackpro_assistant::{Assistant, AssistantConfig, PlatformLlm};
use stackpro_billing::{Billing, Catalogue};
use stackpro_core::config::Config;
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, Clock, Code};
use stackpro_realtime::Realtime;
use stackpro_security::crypto::Keyring;
use stackpro_security::mail::Mailer;
use stackpro_security::tokens::AccessTokens;
use stackpro_security::{Security, Settings};
use stackpro_sites::{Sites, SitesConfig};
use stackpro_store::jobs::Worker;
use stackpro_store::{BlobStore, Bus, Counters, Db, Redis, RedisHealth};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Everything a handler may extract with `State`. axum clones the state
/// for every request: one shared pointer, not a dozen.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct AppParts {
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
    /// Redis, when scaled out.
    pub redis: Option<Redis>,
    /// Whether the server is shutting down.
    pub lifecycle: Lifecycle,
    /// Plans, usage and invoices.
    pub billing: Billing,
    /// Sites, pages, publishing and the Host lookup.
    pub sites: Sites,
    /// The assistant: knowledge base, search, chat.
    pub assistant: Assistant,
    /// Channels, messages, presence and the WebSocket gateway.
    pub realtime: Realtime,
}

impl FromRef<AppState> for Realtime {
    fn from_ref(s: &AppState) -> Realtime {
        s.realtime.clone()
    }
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
impl FromRef<AppState> for Billing {
    fn from_ref(s: &AppState) -> Billing {
        s.billing.clone()
    }
}
impl FromRef<AppState> for Sites {
    fn from_ref(s: &AppState) -> Sites {
        s.sites.clone()
    }
}
impl FromRef<AppState> for Assistant {
    fn from_ref(s: &AppState) -> Assistant {
        s.assistant.clone()
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
        Errors are application/problem+json (RFC 9457) with a stable `code`; `GET /api/v1/errors` lists every code. \
        No text anywhere in a request (body, path or query) may contain the NUL character."),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions and passwords"),
        (name = "members", description = "The people of a workspace and their roles"),
        (name = "api-keys", description = "Keys for programs"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "billing", description = "Plans, usage, limits and invoices"),
        (name = "assistant", description = "The AI assistant: the knowledge base (documents read in a sandbox, with \
            who may read each), hybrid search, chat with streamed answers and citations, and its settings."),
        (name = "realtime", description = "Channels (team, private, direct, shared with clients), messages with threads, \
            reactions and read marks, presence, and the WebSocket gateway at `/api/v1/realtime` (protocol: \
            docs/realtime.md)."),
        (name = "sites", description = "Websites: templates, pages and their versions, images, publishing, previews and \
            form submissions. A published site answers at `<slug>.<base domain>` (its own host, outside this API)."),
        (name = "operator", description = "The console of the people who run the installation: revenue, plans, past-due \
            workspaces, trial conversions, usage by workspace. Operators are made with `stackpro operator create`; to \
            anyone else these endpoints answer 404."),
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
    /// The worker that reads documents into the assistant, apart, so a long
    /// document never holds up mail, billing or other tenants' sweeps.
    pub ingest: Worker,
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
    /// Redis, when configured.
    pub redis: Option<Redis>,
    /// Billing, whose metering security uses for seats.
    pub billing: Billing,
    /// Sites.
    pub sites: Sites,
    /// The assistant.
    pub assistant: Assistant,
    /// Realtime.
    pub realtime: Realtime,
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
        // A Redis that does not answer yet is not fatal: limits count per
        // replica until it does (see stackpro_store::redis).
        let redis = match &cfg.redis_url {
            Some(url) => {
                let client =
                    redis::Client::open(secrecy::ExposeSecret::expose_secret(url)).context("STACKPRO_REDIS_URL")?;
                Some(Redis::connect(client, cfg.redis_timeout).await)
            }
            None => None,
        };
        let (bus, counters) = match &redis {
            Some(r) => (Bus::redis(r.clone()), Counters::redis(r.clone())),
            None => (Bus::local(), Counters::local()),
        };
        let blobs = BlobStore::open(&cfg.blobs).context("opening blob storage")?;
        let mailer =
            Mailer::new(cfg.smtp_url.as_ref(), &cfg.smtp_from, cfg.smtp_timeout).context("configuring SMTP")?;
        let signing_key = stackpro_security::tokens::signing_key(&db, &keys, clock.now())
            .await
            .context("loading the token signing key")?;
        let tokens = AccessTokens::new(signing_key, clock.clone(), cfg.access_token_ttl);
        let settings = Settings {
            public_url: cfg.public_url.clone(),
            refresh_ttl: cfg.refresh_token_ttl,
            rate_per_ip: cfg.auth_rate_per_ip,
            rate_per_account: cfg.auth_rate_per_account,
            signup_rate_per_ip: cfg.signup_rate_per_ip,
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
        let security = Security::new(
            db.clone(),
            bus.clone(),
            keys,
            tokens,
            counters.clone(),
            mailer,
            clock.clone(),
            settings,
            secrets,
        );
        let mut catalogue = Catalogue::new(cfg.plans.as_ref()).context("STACKPRO plans")?;
        catalogue.currency = cfg.currency.clone();
        catalogue.trial_days = cfg.trial_days;
        catalogue.grace_days = cfg.payment_grace_days;
        let payments = match &cfg.stripe_secret_key {
            Some(key) => Some(stackpro_billing::service::payments::Payments {
                stripe: stackpro_billing::stripe::Stripe::new(&cfg.stripe_api_base, key.clone())
                    .context("building the Stripe client")?,
                webhook_secrets: cfg.stripe_webhook_secrets.clone(),
                public_url: cfg.public_url.clone(),
            }),
            None => None,
        };
        let billing = Billing::new(
            db.clone(),
            security.clone(),
            counters.clone(),
            bus.clone(),
            catalogue,
            clock.clone(),
            payments,
        );
        security.set_metering(billing.metering());
        let sites_secret = stackpro_security::crypto::server_secret(&db, security.keys(), "sites", clock.now())
            .await
            .context("loading the sites secret")?;
        let sites = Sites::new(
            db.clone(),
            security.clone(),
            blobs.clone(),
            bus.clone(),
            counters.clone(),
            billing.metering(),
            clock.clone(),
            SitesConfig::from_public_url(&cfg.public_url, &cfg.base_domain),
            sites_secret,
        );
        let assistant_secret = stackpro_security::crypto::server_secret(&db, security.keys(), "assistant", clock.now())
            .await
            .context("loading the assistant secret")?;
        let assistant = Assistant::new(
            db.clone(),
            security.clone(),
            blobs.clone(),
            bus.clone(),
            counters.clone(),
            billing.metering(),
            clock.clone(),
            assistant_config(&cfg.assistant)?,
            assistant_secret,
        );
        sites.hosting().set_extras(Arc::new(assistant.clone()));
        let hub = stackpro_realtime::Hub::new(bus.clone(), redis.clone(), cfg.realtime_connections_per_person);
        let realtime = Realtime::new(
            db.clone(),
            security.clone(),
            counters.clone(),
            billing.metering(),
            clock.clone(),
            hub,
            cfg.realtime_writes_per_10s,
        );
        Ok(Parts { db, security, blobs, bus, counters, redis, billing, sites, assistant, realtime })
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
        let lifecycle = Lifecycle::default();
        let state = AppState(Arc::new(AppParts {
            auth: Arc::new(MeteredAuth { security: parts.security.clone(), billing: parts.billing.clone() }),
            security: parts.security.clone(),
            db: parts.db.clone(),
            metrics: metrics.clone(),
            openapi,
            metrics_token: cfg.metrics_token.clone().map(Arc::new),
            redis: parts.redis.clone(),
            lifecycle: lifecycle.clone(),
            billing: parts.billing.clone(),
            sites: parts.sites.clone(),
            assistant: parts.assistant.clone(),
            realtime: parts.realtime.clone(),
        }));
        parts.realtime.hub().start();
        tokio::spawn(parts.sites.hosting().clone().follow());
        tokio::spawn(parts.sites.hosting().clone().poll());
        let flusher = parts.billing.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                flusher.flush_api_requests().await;
            }
        });
        parts.security.load_ended_sessions().await.context("loading signed-out sessions")?;
        let follower = parts.security.clone();
        tokio::spawn(async move {
            if let Err(e) = follower.follow_invalidations().await {
                tracing::error!(error.cause_chain = ?e, "cannot follow credential-cache invalidations");
            }
        });
        let poller = parts.security.clone();
        tokio::spawn(async move { poller.poll_invalidations().await });
        let worker = Worker::new(parts.db.clone(), clock.clone())
            .with_lease(cfg.job_lease)
            .handle(stackpro_security::service::EMAIL_JOB, parts.security.email_job())
            .handle(stackpro_security::service::RESET_JOB, parts.security.reset_job())
            .handle(stackpro_security::service::SWEEP_JOB, parts.security.sweep_job())
            .handle(stackpro_billing::service::tick::TICK_JOB, parts.billing.tick_job())
            .handle(stackpro_billing::service::usage::ALERT_JOB, parts.billing.alert_job())
            .handle(stackpro_billing::service::payments::SUBSCRIPTION_JOB, parts.billing.subscription_job())
            .handle(stackpro_billing::service::payments::USAGE_JOB, parts.billing.usage_job())
            .handle(
                stackpro_store::jobs::SWEEP,
                stackpro_store::jobs::Sweeper { db: parts.db.clone(), clock: clock.clone() },
            );
        let ingest = Worker::new(parts.db.clone(), clock.clone())
            .with_lease(cfg.job_lease)
            .handle(stackpro_assistant::service::documents::INGEST_JOB, parts.assistant.ingest_job());
        stackpro_store::jobs::schedule_sweep(&parts.db, clock.now()).await.context("scheduling the job sweep")?;
        parts.security.schedule_sweep().await.context("scheduling the security sweep")?;
        parts.billing.schedule_tick().await.context("scheduling the billing tick")?;
        parts.billing.schedule_usage_sync().await.context("scheduling the Stripe usage sync")?;

        let edge = http::Edge {
            metrics,
            trust_proxy: cfg.trust_proxy,
            lifecycle,
            hsts: cfg.public_url.starts_with("https://"),
            events: parts.security.events().clone(),
            request_timeout: cfg.request_timeout,
        };
        let mut router = Router::new()
            .merge(api)
            .nest("/api", Router::new().fallback(http::not_found))
            .merge(stackpro_sites::routes::public_router())
            .merge(crate::web::router(cfg.web_dir.as_deref()))
            .fallback(http::not_found)
            .layer(axum::extract::DefaultBodyLimit::max(cfg.body_limit_bytes))
            .layer(RequestBodyTimeoutLayer::new(cfg.body_read_timeout))
            .layer(from_fn_with_state(Arc::new(edge), http::edge))
            .with_state(state.clone());
        if let Some(cors) = http::cors(&cfg.cors_origins) {
            router = router.layer(cors);
        }
        let router = router.layer(
            ServiceBuilder::new()
                .map_request(http::request_id)
                .layer(TraceLayer::new_for_http().make_span_with(http::make_span))
                .layer(PropagateRequestIdLayer::new(stackpro_core::error::REQUEST_ID_HEADER.clone()))
                .layer(from_fn(http::problems)),
        );
        // Around everything (a layer on a router's only fallback wraps it whole).
        let router = Router::new().fallback_service(router).layer(from_fn(http::console_unseen));
        // A site's own host is answered before everything else: the one Host
        // lookup decides, and the dashboard's hosts go on to the router.
        let site_host = Arc::new(http::SiteHost {
            sites: parts.sites.clone(),
            assistant: parts.assistant.clone(),
            metrics: state.metrics.clone(),
            trust_proxy: cfg.trust_proxy,
        });
        let router = router.layer(from_fn_with_state(site_host, http::site_host));
        Ok(App { router, state, worker, ingest, blobs: parts.blobs, bus: parts.bus, config: cfg })
    }

    /// Serves on `listener` until `shutdown` resolves, running the job worker
    /// beside, then shuts down as [`crate::serve`] describes: draining,
    /// closing, and exiting by the configured deadline. On the signal the
    /// worker stops claiming; its running job has until shortly before the
    /// deadline to finish, and is then handed back for another replica.
    ///
    /// # Errors
    /// Never at present; kept fallible for the TLS listener to come.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let cfg = &self.config;
        let fd_limit = crate::serve::raise_fd_limit();
        // Keep descriptors for the database, Redis, SMTP and the log.
        let max_connections = match fd_limit {
            Some(limit) if (limit as usize) < cfg.max_connections + 256 => {
                let fit = (limit as usize).saturating_sub(256).max(16);
                tracing::warn!(
                    fd_limit = limit,
                    configured = cfg.max_connections,
                    max_connections = fit,
                    "the open-file limit is too low for STACKPRO_MAX_CONNECTIONS: serving fewer connections"
                );
                fit
            }
            _ => cfg.max_connections,
        };
        let limits = crate::serve::Limits {
            header_read_timeout: cfg.header_read_timeout,
            max_connections,
            drain: cfg.shutdown_drain,
            deadline: cfg.shutdown_timeout,
        };
        // The worker stops claiming at the signal; its running job may go on
        // (while the server drains and closes) until shortly before the
        // deadline, leaving time to hand it back.
        let grace = cfg.shutdown_timeout.saturating_sub(Duration::from_secs(2));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // Two readers of documents: a small one is not stuck behind a long one.
        let readers: Vec<_> = (0..2)
            .map(|_| tokio::spawn(self.ingest.clone().run(Duration::from_millis(500), stop_rx.clone(), grace)))
            .collect();
        let worker = tokio::spawn(self.worker.clone().run(Duration::from_millis(500), stop_rx, grace));
        let signalled = Arc::new(std::sync::OnceLock::new());
        let mark = signalled.clone();
        let shutdown = async move {
            shutdown.await;
            let _ = mark.set(Instant::now());
            let _ = stop_tx.send(true);
        };
        crate::serve::serve(listener, self.router, limits, self.state.lifecycle.clone(), shutdown).await;
        let since = signalled.get().copied().unwrap_or_else(Instant::now);
        let left = cfg.shutdown_timeout.saturating_sub(since.elapsed());
        if tokio::time::timeout(left, futures::future::join_all(readers.into_iter().chain([worker]))).await.is_err() {
            tracing::warn!("shutdown deadline reached with a job worker still running");
        }
        let left = cfg.shutdown_timeout.saturating_sub(since.elapsed()).min(Duration::from_secs(1));
        // API requests counted in the last second reach the ledger.
        let _ = tokio::time::timeout(left, self.state.billing.flush_api_requests()).await;
        let left = cfg.shutdown_timeout.saturating_sub(since.elapsed()).min(Duration::from_secs(1));
        let _ = tokio::time::timeout(left, self.state.db.close()).await;
        Ok(())
    }
}
/// The assistant's models and parser from the configuration. A missing
/// local model is not fatal: search works by keywords, and says so.
fn assistant_config(c: &stackpro_core::config::AssistantSettings) -> anyhow::Result<AssistantConfig> {
    use stackpro_assistant::embed::{Embedder, LazyLocal, OpenAi, Titan};
    use stackpro_assistant::model::Provider;
    let http = stackpro_assistant::service::http_client();
    let aws = || {
        Some(stackpro_assistant::aws::AwsCredentials {
            access_key_id: secrecy::ExposeSecret::expose_secret(c.llm_api_key.as_ref()?).to_owned(),
            secret_access_key: c.llm_secret_key.clone()?,
            session_token: None,
        })
    };
    let embedder: Option<Arc<dyn Embedder>> = match c.embed_provider.as_str() {
        "local" => match LazyLocal::new(&c.embed_model_dir) {
            Some(m) => Some(Arc::new(m)),
            None => {
                tracing::warn!(dir = %c.embed_model_dir.display(), "no embedding model there (model.safetensors, \
                    config.json, tokenizer.json): the assistant searches by keywords only; `make run` fetches it");
                None
            }
        },
        "openai" => Some(Arc::new(OpenAi::new(
            http.clone(),
            c.embed_base_url.as_deref().unwrap_or("https://api.openai.com/v1"),
            c.embed_api_key.clone(),
            c.embed_model.as_deref().unwrap_or("text-embedding-3-small"),
            c.embed_dimensions,
        ))),
        "bedrock" => {
            let creds = aws().context(
                "STACKPRO_EMBED_PROVIDER=bedrock needs STACKPRO_LLM_API_KEY and STACKPRO_LLM_SECRET_KEY (the AWS keys)",
            )?;
            let endpoint = c
                .embed_base_url
                .clone()
                .unwrap_or_else(|| format!("https://bedrock-runtime.{}.amazonaws.com", c.aws_region));
            Some(Arc::new(Titan::new(
                http.clone(),
                &endpoint,
                &c.aws_region,
                creds,
                c.embed_model.as_deref().unwrap_or("amazon.titan-embed-text-v2:0"),
                c.embed_dimensions,
            )))
        }
        _ => None,
    };
    let provider = match c.llm_provider.as_deref() {
        Some("openai") => Some(Provider::Openai),
        Some("anthropic") => Some(Provider::Anthropic),
        Some("bedrock") => Some(Provider::Bedrock),
        _ => None,
    };
    let program = match &c.parser_program {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("finding this program for the document parser")?,
    };
    let limits = stackpro_assistant::sandbox::Limits {
        memory: c.parser_memory,
        cpu_secs: c.parser_cpu_secs,
        strict: c.parser_strict,
        ..Default::default()
    };
    Ok(AssistantConfig {
        sandbox: stackpro_assistant::sandbox::Sandbox::new(program, limits, c.parser_workers),
        embedder,
        llm: PlatformLlm {
            provider,
            base_url: c.llm_base_url.clone(),
            model: c.llm_model.clone(),
            region: Some(c.aws_region.clone()),
            api_key: c.llm_api_key.clone(),
            secret_key: c.llm_secret_key.clone(),
        },
        http,
        visitor_questions: c.widget_questions_per_visitor,
        site_questions: c.widget_questions_per_site,
        allow_private_endpoints: c.allow_private_endpoints,
    })
}

/// The request authenticator: identity from `security`; then a request made
/// with an API key counts against the plan's API requests (`billing`),
/// refused once they are used up. Requests of people signed in to the web
/// UI are not counted.
struct MeteredAuth {
    security: Security,
    billing: Billing,
}

#[async_trait::async_trait]
impl stackpro_core::Authenticator for MeteredAuth {
    async fn authenticate(&self, parts: &axum::http::request::Parts) -> Result<stackpro_core::TenantCtx, ApiError> {
        let ctx = self.security.authenticate(parts).await?;
        if let stackpro_core::Principal::ApiKey(_) = ctx.principal {
            self.billing.count_api_request(&ctx, &uuid::Uuid::now_v7().to_string()).await?;
        }
        Ok(ctx)
    }

    async fn authenticate_operator(
        &self,
        parts: &axum::http::request::Parts,
    ) -> Result<stackpro_core::OperatorCtx, ApiError> {
        self.security.authenticate_operator(parts).await
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
    components.add_security_scheme(
        "operator",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An operator console session (`spo_…`) from `POST /api/v1/operator/session`."))
                .build(),
        ),
    );
    OpenApiRouter::with_openapi(doc)
        .merge(stackpro_security::routes::router())
        .merge(stackpro_billing::routes::router())
        .merge(stackpro_sites::routes::router())
        .merge(stackpro_assistant::routes::router())
        .merge(stackpro_realtime::routes::router())
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
/// 200 while this replica can serve: `{status: "ready" | "degraded", checks}`
/// with the state of each dependency (`degraded`: Redis is down, so rate
/// limits count per replica, and everything else works). 503 `unavailable`
/// while the database does not answer or the replica is shutting down.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, description = "`{status: \"ready\" | \"degraded\", checks: {database: {status}, redis?: {status, down_secs?, error?}}}`", body = Object),
        (status = 503, description = "unavailable: shutting down, or the database does not answer", body = stackpro_core::Problem, content_type = "application/problem+json")))]
async fn readyz(State(s): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    if s.lifecycle.is_draining() {
        return Err(ApiError::new(Code::Unavailable, "This replica is shutting down.").with_retry_after(1));
    }
    let db = match tokio::time::timeout(Duration::from_secs(2), s.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 2 s".to_owned()),
    };
    if let Err(e) = &db {
        tracing::warn!(error = %e, "not ready: database unreachable");
        return Err(ApiError::new(Code::Unavailable, "The database is unreachable.").with_retry_after(5));
    }
    let mut checks = serde_json::json!({ "database": { "status": "up" } });
    let mut status = "ready";
    if let Some(redis) = &s.redis {
        checks["redis"] = match redis.health() {
            RedisHealth::Up => serde_json::json!({ "status": "up" }),
            RedisHealth::Down { for_secs, error } => {
                status = "degraded";
                serde_json::json!({ "status": "down", "down_secs": for_secs, "error": error })
            }
        };
    }
    Ok(axum::Json(serde_json::json!({ "status": status, "checks": checks })))
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
    s.metrics.connections.set(s.lifecycle.open_connections() as i64);
    s.metrics.events_dropped.set(s.security.events().dropped() as i64);
    let done = s.security.password_verifications();
    s.metrics.password_verifications.inc_by(done.saturating_sub(s.metrics.password_verifications.get()));
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()))
}

/// The OpenAPI document
///
/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
async fn openapi_json(State(s): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], s.openapi.as_str().to_owned())
}
