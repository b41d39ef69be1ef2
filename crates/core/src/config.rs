//! Configuration: defaults, then an optional TOML file, then `STACKPRO_*`
//! environment variables (flat names: `STACKPRO_DATABASE_URL` sets
//! `database_url`). No setting is required: everything defaults to files under
//! `data_dir`. [`RawConfig::validate`] turns the raw strings into typed values
//! and names the setting at fault.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::Url;

/// A configuration error, naming the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file or environment value could not be read.
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value is present but wrong.
    #[error("{setting}: {message}")]
    Invalid {
        /// The environment name of the setting, e.g. `STACKPRO_DATABASE_URL`.
        setting: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
}

fn invalid(setting: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { setting, message: message.into() }
}

/// Settings as read, before validation. Field names are the flat setting names.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct RawConfig {
    /// Address the HTTP server listens on.
    pub listen: String,
    /// Directory for the SQLite database, local blobs and the master key.
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://user@host/db`; default: `sqlite://<data_dir>/stackpro.db`.
    pub database_url: Option<String>,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// `redis://host:port/db` for the Bus, counters and rate limits across replicas.
    pub redis_url: Option<String>,
    /// Domain under which tenant sites get their subdomains.
    pub base_domain: String,
    /// The URL people use to reach this server, for links in emails.
    pub public_url: Option<String>,
    /// The key-encryption key file; default `<data_dir>/master.key` (created 0600 if missing).
    pub master_key_file: Option<PathBuf>,
    /// `file:///dir` or `s3://bucket`; default: `<data_dir>/blobs`.
    pub blob_url: Option<String>,
    /// Endpoint of an S3-compatible store (e.g. `http://127.0.0.1:8333`).
    pub s3_endpoint: Option<String>,
    /// Region of the S3 bucket.
    pub s3_region: String,
    /// S3 access key id.
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    #[serde(skip_serializing)]
    pub s3_secret_access_key: Option<SecretString>,
    /// `smtp://user:pass@host:port` (or `smtps://`); unset: emails are written to the log.
    #[serde(skip_serializing)]
    pub smtp_url: Option<SecretString>,
    /// Sender of outgoing email.
    pub smtp_from: Option<String>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    #[serde(skip_serializing)]
    pub metrics_token: Option<SecretString>,
    /// Comma-separated origins allowed by CORS; empty: same origin only.
    pub cors_origins: String,
    /// Trust `X-Forwarded-For` from the peer (set behind a load balancer).
    pub trust_proxy: bool,
    /// Directory of a built web UI to serve at `/app` instead of the one
    /// embedded in the binary.
    pub web_dir: Option<PathBuf>,
    /// Log format: `pretty` or `json`.
    pub log: String,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, in days.
    pub refresh_token_ttl_days: u64,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Login, sign-up and reset attempts allowed per IP in a 15-minute window.
    pub auth_rate_per_ip: u64,
    /// Login and reset attempts allowed per account in a 15-minute window.
    pub auth_rate_per_account: u64,
    /// Workspaces one IP may create per hour.
    pub signup_rate_per_ip: u64,
    /// Deadline of every Redis command, in milliseconds.
    pub redis_timeout_ms: u64,
    /// Deadline of every SMTP exchange (connect, each command), in seconds.
    pub smtp_timeout_secs: u64,
    /// Time a client has to send a request's headers, counted from the
    /// connection's start or the end of the previous answer (so it is also
    /// the idle keep-alive timeout).
    pub header_read_timeout_secs: u64,
    /// Longest pause allowed while a request body is being received.
    pub body_read_timeout_secs: u64,
    /// Longest time from a request's headers to its answer.
    pub request_timeout_secs: u64,
    /// Most connections served at once; beyond it new ones are closed.
    pub max_connections: usize,
    /// On SIGTERM, how long `/readyz` reports draining while requests are
    /// still served (with `Connection: close`), so load balancers move away.
    pub shutdown_drain_secs: u64,
    /// On SIGTERM, the deadline (from the signal) by which the process exits
    /// whatever its clients or dependencies do.
    pub shutdown_timeout_secs: u64,
    /// How long a claimed job is leased; a running job renews it, and a job
    /// whose replica died is claimed again after it ends.
    pub job_lease_secs: u64,
    /// Changes to the plan catalogue: a table per plan key (`[plans.starter]`
    /// with `price_cents`, `limits`, `features`, ...), see the README.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plans: Option<serde_json::Value>,
    /// The currency invoices are in (ISO 4217).
    pub currency: String,
    /// Days a new workspace spends on the trial.
    pub trial_days: i64,
    /// Days an unpaid invoice leaves the plan in place before its limits
    /// drop to the free level.
    pub payment_grace_days: i64,
    /// Stripe's secret key (`sk_…`); unset: invoices are computed and shown,
    /// payments are not collected.
    #[serde(skip_serializing)]
    pub stripe_secret_key: Option<SecretString>,
    /// The webhook endpoint's signing secrets (`whsec_…`), comma-separated
    /// during a rotation.
    #[serde(skip_serializing)]
    pub stripe_webhook_secret: Option<SecretString>,
    /// Stripe's API address (a local peer in tests).
    pub stripe_api_base: String,
    /// Embeddings: `local` (all-MiniLM-L6-v2 from `embed_model_dir`),
    /// `openai` (an OpenAI-compatible `/v1/embeddings`), `bedrock` (Titan) or `none`.
    pub embed_provider: String,
    /// The local model's directory. Default: <data_dir>/models/all-MiniLM-L6-v2
    pub embed_model_dir: Option<PathBuf>,
    /// The embeddings API root (`openai`) or endpoint override (`bedrock`).
    pub embed_base_url: Option<String>,
    /// The embeddings model of `openai`/`bedrock`.
    pub embed_model: Option<String>,
    /// The embeddings API key (`openai`).
    #[serde(skip_serializing)]
    pub embed_api_key: Option<SecretString>,
    /// The vectors' length of `openai`/`bedrock` models.
    pub embed_dimensions: usize,
    /// The platform's language model for workspaces without their own:
    /// `openai`, `anthropic`, `bedrock`; unset: quoting answers.
    pub llm_provider: Option<String>,
    /// Its API root (or Bedrock endpoint override).
    pub llm_base_url: Option<String>,
    /// Its model.
    pub llm_model: Option<String>,
    /// Its API key (Bedrock: the access key id).
    #[serde(skip_serializing)]
    pub llm_api_key: Option<SecretString>,
    /// Bedrock's secret access key.
    #[serde(skip_serializing)]
    pub llm_secret_key: Option<SecretString>,
    /// The AWS region of Bedrock (language model and Titan embeddings).
    pub aws_region: String,
    /// The program parser workers run. Default: this binary.
    pub parser_program: Option<PathBuf>,
    /// Memory a parser worker may map, in MiB.
    pub parser_memory_mb: u64,
    /// CPU seconds a parser worker may use.
    pub parser_cpu_secs: u64,
    /// Parser workers at a time.
    pub parser_workers: usize,
    /// `strict`: parse only in workers confined by Landlock and seccomp;
    /// `best-effort` (default): parse anyway where the kernel lacks them.
    pub parser_confinement: String,
    /// Whether a workspace's own language model may be on a private network.
    pub assistant_allow_private_endpoints: bool,
    /// Questions one website visitor may ask the widget per 10 minutes.
    pub widget_questions_per_visitor: i64,
    /// Questions one site's widget may take per 10 minutes.
    pub widget_questions_per_site: i64,
    /// Messages and reactions one person may send per 10 seconds.
    pub realtime_writes_per_10s: i64,
    /// WebSocket connections one person (with their API keys) may hold on
    /// one server.
    pub realtime_connections_per_person: usize,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: 16,
            redis_url: None,
            base_domain: "localhost".into(),
            public_url: None,
            master_key_file: None,
            blob_url: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            smtp_url: None,
            smtp_from: None,
            metrics_token: None,
            cors_origins: String::new(),
            trust_proxy: false,
            web_dir: None,
            log: "pretty".into(),
            access_token_ttl_secs: 900,
            refresh_token_ttl_days: 30,
            body_limit_bytes: 1024 * 1024,
            auth_rate_per_ip: 30,
            auth_rate_per_account: 10,
            signup_rate_per_ip: 5,
            redis_timeout_ms: 1000,
            smtp_timeout_secs: 15,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 10,
            request_timeout_secs: 30,
            max_connections: 16_384,
            shutdown_drain_secs: 3,
            shutdown_timeout_secs: 20,
            job_lease_secs: 30,
            plans: None,
            currency: "usd".into(),
            trial_days: 14,
            payment_grace_days: 7,
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: "https://api.stripe.com".into(),
            embed_provider: "local".into(),
            embed_model_dir: None,
            embed_base_url: None,
            embed_model: None,
            embed_api_key: None,
            embed_dimensions: 1024,
            llm_provider: None,
            llm_base_url: None,
            llm_model: None,
            llm_api_key: None,
            llm_secret_key: None,
            aws_region: "us-east-1".into(),
            parser_program: None,
            parser_memory_mb: 1024,
            parser_cpu_secs: 30,
            parser_workers: 2,
            parser_confinement: "best-effort".into(),
            assistant_allow_private_endpoints: false,
            widget_questions_per_visitor: 20,
            widget_questions_per_site: 300,
            realtime_writes_per_10s: 30,
            realtime_connections_per_person: 20,
        }
    }
}

/// Where relational data lives. `Debug` hides a PostgreSQL password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            DatabaseUrl::Postgres(u) => f.debug_tuple("Postgres").field(&redact_url(u)).finish(),
        }
    }
}

/// A URL with its password replaced by `***`, for logs and `Debug`.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparsable url>".into(),
    }
}

/// Where blobs live.
#[derive(Clone, Debug)]
pub enum BlobConfig {
    /// A local directory.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Endpoint URL, for stores other than AWS.
        endpoint: Option<String>,
        /// Region.
        region: String,
        /// Access key id.
        access_key_id: Option<String>,
        /// Secret access key.
        secret_access_key: Option<SecretString>,
    },
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database location.
    pub database: DatabaseUrl,
    /// Pool size.
    pub database_max_connections: u32,
    /// Redis, when scaled out (it may hold a password).
    pub redis_url: Option<SecretString>,
    /// Base domain for tenant subdomains.
    pub base_domain: String,
    /// Public URL for links, without a trailing slash.
    pub public_url: String,
    /// The key-encryption key file.
    pub master_key_file: PathBuf,
    /// Blob storage.
    pub blobs: BlobConfig,
    /// SMTP URL, when mail is sent.
    pub smtp_url: Option<SecretString>,
    /// Mail sender.
    pub smtp_from: String,
    /// Bearer token required by `/metrics`, when set.
    pub metrics_token: Option<SecretString>,
    /// Allowed CORS origins.
    pub cors_origins: Vec<String>,
    /// Trust `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// A web UI directory overriding the embedded UI.
    pub web_dir: Option<PathBuf>,
    /// Log format.
    pub log: LogFormat,
    /// Access token lifetime.
    pub access_token_ttl: chrono::Duration,
    /// Refresh token lifetime.
    pub refresh_token_ttl: chrono::Duration,
    /// Body size limit.
    pub body_limit_bytes: usize,
    /// Auth attempts per IP per window.
    pub auth_rate_per_ip: u64,
    /// Auth attempts per account per window.
    pub auth_rate_per_account: u64,
    /// Sign-ups per IP per hour.
    pub signup_rate_per_ip: u64,
    /// Deadline of Redis commands.
    pub redis_timeout: std::time::Duration,
    /// Deadline of SMTP exchanges.
    pub smtp_timeout: std::time::Duration,
    /// Time to send request headers (and idle keep-alive timeout).
    pub header_read_timeout: std::time::Duration,
    /// Longest pause while receiving a body.
    pub body_read_timeout: std::time::Duration,
    /// Longest time from headers to answer.
    pub request_timeout: std::time::Duration,
    /// Most connections at once.
    pub max_connections: usize,
    /// Draining period after SIGTERM.
    pub shutdown_drain: std::time::Duration,
    /// Exit deadline after SIGTERM.
    pub shutdown_timeout: std::time::Duration,
    /// Job lease.
    pub job_lease: std::time::Duration,
    /// Changes to the plan catalogue, as configured (billing checks them).
    pub plans: Option<serde_json::Value>,
    /// Currency of invoices.
    pub currency: String,
    /// Trial length in days.
    pub trial_days: i64,
    /// Grace before an unpaid account is restricted, in days.
    pub payment_grace_days: i64,
    /// Stripe's secret key, when payments are collected.
    pub stripe_secret_key: Option<SecretString>,
    /// Webhook signing secrets.
    pub stripe_webhook_secrets: Vec<SecretString>,
    /// Stripe's API address.
    pub stripe_api_base: String,
    /// The assistant's models and parser.
    pub assistant: AssistantSettings,
    /// Messages and reactions one person may send per 10 seconds.
    pub realtime_writes_per_10s: i64,
    /// WebSocket connections one person may hold on one server.
    pub realtime_connections_per_person: usize,
}

/// The assistant's models and parser, validated.
#[derive(Clone, Debug)]
pub struct AssistantSettings {
    /// `local`, `openai`, `bedrock` or `none`.
    pub embed_provider: String,
    /// The local model's directory.
    pub embed_model_dir: PathBuf,
    /// The embeddings API root or endpoint.
    pub embed_base_url: Option<String>,
    /// The embeddings model.
    pub embed_model: Option<String>,
    /// The embeddings API key.
    pub embed_api_key: Option<SecretString>,
    /// The vectors' length of remote models.
    pub embed_dimensions: usize,
    /// `openai`, `anthropic`, `bedrock`, or none.
    pub llm_provider: Option<String>,
    /// The model's API root or endpoint.
    pub llm_base_url: Option<String>,
    /// The model.
    pub llm_model: Option<String>,
    /// Its key.
    pub llm_api_key: Option<SecretString>,
    /// Bedrock's secret access key.
    pub llm_secret_key: Option<SecretString>,
    /// AWS region.
    pub aws_region: String,
    /// The parser workers' program.
    pub parser_program: Option<PathBuf>,
    /// Their memory, in bytes.
    pub parser_memory: u64,
    /// Their CPU seconds.
    pub parser_cpu_secs: u64,
    /// How many at a time.
    pub parser_workers: usize,
    /// Whether unconfined workers refuse to parse.
    pub parser_strict: bool,
    /// Whether workspaces' providers may be on private networks.
    pub allow_private_endpoints: bool,
    /// Widget questions per visitor per 10 minutes.
    pub widget_questions_per_visitor: i64,
    /// Widget questions per site per 10 minutes.
    pub widget_questions_per_site: i64,
}

impl Config {
    /// Loads defaults, the optional TOML file, then `STACKPRO_*` variables.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the setting at fault.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(RawConfig::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(invalid("--config", format!("{} does not exist", path.display())));
            }
            fig = fig.merge(Toml::file(path));
        }
        let raw: RawConfig = fig.merge(Env::prefixed("STACKPRO_")).extract().map_err(Box::new)?;
        raw.validate()
    }

    /// The configuration used when nothing is set, rooted at `data_dir`.
    ///
    /// # Errors
    /// Never for a valid path; kept fallible like [`RawConfig::validate`].
    pub fn for_data_dir(data_dir: &Path) -> Result<Config, ConfigError> {
        RawConfig { data_dir: data_dir.to_owned(), ..RawConfig::default() }.validate()
    }
}

impl RawConfig {
    /// Checks every value and derives the defaults that depend on `data_dir`.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the setting at fault.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let listen: SocketAddr = self.listen.parse().map_err(|_| {
            invalid("STACKPRO_LISTEN", format!("expected host:port such as 127.0.0.1:8080, got {:?}", self.listen))
        })?;
        let database = match self.database_url.as_deref() {
            None | Some("") => DatabaseUrl::Sqlite(self.data_dir.join("stackpro.db")),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                DatabaseUrl::Postgres(url.to_owned())
            }
            Some(url) if url.starts_with("sqlite:") => {
                let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if path.is_empty() {
                    return Err(invalid("STACKPRO_DATABASE_URL", "sqlite:// needs a file path"));
                }
                DatabaseUrl::Sqlite(PathBuf::from(path))
            }
            Some(_) => return Err(invalid("STACKPRO_DATABASE_URL", "expected sqlite:// or postgres://")),
        };
        if self.database_max_connections == 0 {
            return Err(invalid("STACKPRO_DATABASE_MAX_CONNECTIONS", "must be at least 1"));
        }
        if let Some(url) = &self.redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(invalid("STACKPRO_REDIS_URL", "expected redis:// or rediss://"));
            }
        }
        let public_url = match &self.public_url {
            Some(u) => {
                let parsed = Url::parse(u).map_err(|e| invalid("STACKPRO_PUBLIC_URL", e.to_string()))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(invalid("STACKPRO_PUBLIC_URL", "expected an http:// or https:// URL"));
                }
                u.trim_end_matches('/').to_owned()
            }
            None => format!("http://{listen}"),
        };
        let blobs = match self.blob_url.as_deref() {
            None | Some("") => BlobConfig::Local(self.data_dir.join("blobs")),
            Some(u) if u.starts_with("file://") => BlobConfig::Local(PathBuf::from(&u["file://".len()..])),
            Some(u) if u.starts_with("s3://") => {
                let bucket = u["s3://".len()..].trim_end_matches('/');
                if bucket.is_empty() || bucket.contains('/') {
                    return Err(invalid("STACKPRO_BLOB_URL", "expected s3://bucket"));
                }
                BlobConfig::S3 {
                    bucket: bucket.to_owned(),
                    endpoint: self.s3_endpoint.clone(),
                    region: self.s3_region.clone(),
                    access_key_id: self.s3_access_key_id.clone(),
                    secret_access_key: self.s3_secret_access_key.clone(),
                }
            }
            Some(_) => return Err(invalid("STACKPRO_BLOB_URL", "expected file:///dir or s3://bucket")),
        };
        let log = match self.log.as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            _ => return Err(invalid("STACKPRO_LOG", "expected pretty or json")),
        };
        let cors_origins: Vec<String> =
            self.cors_origins.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        for origin in &cors_origins {
            if Url::parse(origin).is_err() {
                return Err(invalid("STACKPRO_CORS_ORIGINS", format!("{origin:?} is not an origin URL")));
            }
        }
        if self.access_token_ttl_secs < 30 {
            return Err(invalid("STACKPRO_ACCESS_TOKEN_TTL_SECS", "must be at least 30"));
        }
        if self.body_limit_bytes < 1024 {
            return Err(invalid("STACKPRO_BODY_LIMIT_BYTES", "must be at least 1024"));
        }
        let secs = |v: u64, setting: &'static str, min: u64| {
            if v < min {
                Err(invalid(setting, format!("must be at least {min}")))
            } else {
                Ok(std::time::Duration::from_secs(v))
            }
        };
        if self.redis_timeout_ms < 10 {
            return Err(invalid("STACKPRO_REDIS_TIMEOUT_MS", "must be at least 10"));
        }
        if self.max_connections < 16 {
            return Err(invalid("STACKPRO_MAX_CONNECTIONS", "must be at least 16"));
        }
        if self.signup_rate_per_ip == 0 {
            return Err(invalid("STACKPRO_SIGNUP_RATE_PER_IP", "must be at least 1"));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid("STACKPRO_CURRENCY", "expected a three-letter ISO 4217 code such as usd or eur"));
        }
        if self.trial_days < 0 || self.payment_grace_days < 0 {
            return Err(invalid("STACKPRO_TRIAL_DAYS", "trial and grace days cannot be negative"));
        }
        if Url::parse(&self.stripe_api_base).is_err() {
            return Err(invalid("STACKPRO_STRIPE_API_BASE", "expected a URL such as https://api.stripe.com"));
        }
        if self.shutdown_drain_secs >= self.shutdown_timeout_secs {
            return Err(invalid("STACKPRO_SHUTDOWN_DRAIN_SECS", "must be shorter than STACKPRO_SHUTDOWN_TIMEOUT_SECS"));
        }
        if !matches!(self.embed_provider.as_str(), "local" | "openai" | "bedrock" | "none") {
            return Err(invalid("STACKPRO_EMBED_PROVIDER", "expected local, openai, bedrock or none"));
        }
        if let Some(p) = &self.llm_provider {
            if !matches!(p.as_str(), "openai" | "anthropic" | "bedrock" | "") {
                return Err(invalid("STACKPRO_LLM_PROVIDER", "expected openai, anthropic or bedrock"));
            }
        }
        for (name, url) in
            [("STACKPRO_EMBED_BASE_URL", &self.embed_base_url), ("STACKPRO_LLM_BASE_URL", &self.llm_base_url)]
        {
            if url.as_deref().is_some_and(|u| Url::parse(u).is_err()) {
                return Err(invalid(name, "expected a URL such as https://api.openai.com/v1"));
            }
        }
        if !matches!(self.parser_confinement.as_str(), "strict" | "best-effort") {
            return Err(invalid("STACKPRO_PARSER_CONFINEMENT", "expected strict or best-effort"));
        }
        if self.parser_memory_mb < 64 || self.parser_cpu_secs == 0 || self.parser_workers == 0 {
            return Err(invalid(
                "STACKPRO_PARSER_MEMORY_MB",
                "parsers need at least 64 MiB, 1 CPU second and 1 worker",
            ));
        }
        let assistant = AssistantSettings {
            embed_provider: self.embed_provider.clone(),
            embed_model_dir: self
                .embed_model_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("models").join("all-MiniLM-L6-v2")),
            embed_base_url: self.embed_base_url.clone(),
            embed_model: self.embed_model.clone(),
            embed_api_key: self.embed_api_key.clone(),
            embed_dimensions: self.embed_dimensions,
            llm_provider: self.llm_provider.clone().filter(|p| !p.is_empty()),
            llm_base_url: self.llm_base_url.clone(),
            llm_model: self.llm_model.clone(),
            llm_api_key: self.llm_api_key.clone(),
            llm_secret_key: self.llm_secret_key.clone(),
            aws_region: self.aws_region.clone(),
            parser_program: self.parser_program.clone(),
            parser_memory: self.parser_memory_mb << 20,
            parser_cpu_secs: self.parser_cpu_secs,
            parser_workers: self.parser_workers,
            parser_strict: self.parser_confinement == "strict",
            allow_private_endpoints: self.assistant_allow_private_endpoints,
            widget_questions_per_visitor: self.widget_questions_per_visitor,
            widget_questions_per_site: self.widget_questions_per_site,
        };
        let smtp_from = self.smtp_from.unwrap_or_else(|| format!("StackPro <no-reply@{}>", self.base_domain));
        Ok(Config {
            listen,
            master_key_file: self.master_key_file.unwrap_or_else(|| self.data_dir.join("master.key")),
            data_dir: self.data_dir,
            database,
            database_max_connections: self.database_max_connections,
            redis_url: self.redis_url.map(SecretString::from),
            base_domain: self.base_domain,
            public_url,
            blobs,
            smtp_url: self.smtp_url,
            smtp_from,
            metrics_token: self.metrics_token,
            cors_origins,
            trust_proxy: self.trust_proxy,
            web_dir: self.web_dir,
            log,
            access_token_ttl: chrono::Duration::seconds(self.access_token_ttl_secs as i64),
            refresh_token_ttl: chrono::Duration::days(self.refresh_token_ttl_days as i64),
            body_limit_bytes: self.body_limit_bytes,
            auth_rate_per_ip: self.auth_rate_per_ip,
            auth_rate_per_account: self.auth_rate_per_account,
            signup_rate_per_ip: self.signup_rate_per_ip,
            redis_timeout: std::time::Duration::from_millis(self.redis_timeout_ms),
            smtp_timeout: secs(self.smtp_timeout_secs, "STACKPRO_SMTP_TIMEOUT_SECS", 1)?,
            header_read_timeout: secs(self.header_read_timeout_secs, "STACKPRO_HEADER_READ_TIMEOUT_SECS", 1)?,
            body_read_timeout: secs(self.body_read_timeout_secs, "STACKPRO_BODY_READ_TIMEOUT_SECS", 1)?,
            request_timeout: secs(self.request_timeout_secs, "STACKPRO_REQUEST_TIMEOUT_SECS", 1)?,
            max_connections: self.max_connections,
            shutdown_drain: secs(self.shutdown_drain_secs, "STACKPRO_SHUTDOWN_DRAIN_SECS", 0)?,
            shutdown_timeout: secs(self.shutdown_timeout_secs, "STACKPRO_SHUTDOWN_TIMEOUT_SECS", 1)?,
            job_lease: secs(self.job_lease_secs, "STACKPRO_JOB_LEASE_SECS", 2)?,
            plans: self.plans,
            currency: self.currency.to_lowercase(),
            trial_days: self.trial_days,
            payment_grace_days: self.payment_grace_days,
            stripe_webhook_secrets: self
                .stripe_webhook_secret
                .as_ref()
                .map(|s| {
                    secrecy::ExposeSecret::expose_secret(s)
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| SecretString::from(s.to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            stripe_secret_key: self.stripe_secret_key,
            stripe_api_base: self.stripe_api_base,
            assistant,
            realtime_writes_per_10s: self.realtime_writes_per_10s.max(1),
            realtime_connections_per_person: self.realtime_connections_per_person.max(1),
        })
    }
}

/// Every setting with its default and its comment, as `stackpro config example` prints it.
pub fn example_toml() -> String {
    let d = RawConfig::default();
    format!(
        r#"# StackPro configuration. Every setting is optional; each can also be set
# as an environment variable: STACKPRO_<NAME IN CAPITALS>.

# Address the HTTP server listens on.
listen = "{listen}"
# Directory for the SQLite database, local blobs and the master key.
data_dir = "{data_dir}"
# sqlite://path or postgres://user@host/db. Default: sqlite://<data_dir>/stackpro.db
# database_url = "postgres://stackpro@127.0.0.1/stackpro"
# Largest number of pooled database connections.
database_max_connections = {maxc}
# Redis for the Bus, counters and rate limits shared by replicas. Default: in-process.
# redis_url = "redis://127.0.0.1:6379/0"
# Domain under which tenant sites get their subdomains.
base_domain = "{base_domain}"
# The URL people use to reach this server, for links in emails. Default: http://<listen>
# public_url = "https://app.example.com"
# Key-encryption key file (32 random bytes, created 0600 when missing). Default: <data_dir>/master.key
# master_key_file = "/etc/stackpro/master.key"
# file:///dir or s3://bucket. Default: <data_dir>/blobs
# blob_url = "s3://stackpro"
# s3_endpoint = "http://127.0.0.1:8333"
s3_region = "{region}"
# s3_access_key_id = ""
# s3_secret_access_key = ""
# smtp://user:pass@host:port or smtps://...; unset: emails are written to the log.
# smtp_url = "smtp://127.0.0.1:2525"
# smtp_from = "StackPro <no-reply@example.com>"
# Require `Authorization: Bearer <token>` on /metrics; unset: /metrics is open.
# metrics_token = ""
# Comma-separated origins allowed by CORS; empty: same origin only.
cors_origins = ""
# Trust X-Forwarded-For from the peer (only behind your own load balancer).
trust_proxy = {trust_proxy}
# Serve the web UI from this directory instead of the copy embedded in the binary.
# web_dir = "web/dist"
# pretty or json.
log = "{log}"
# Lifetime of access tokens (seconds) and refresh tokens (days).
access_token_ttl_secs = {att}
refresh_token_ttl_days = {rtt}
# Largest accepted request body, in bytes.
body_limit_bytes = {body}
# Login, sign-up and reset attempts per 15 minutes: per client IP, per account.
auth_rate_per_ip = {rip}
auth_rate_per_account = {racc}
# Workspaces one client IP may create per hour.
signup_rate_per_ip = {signup}
# Deadline of every Redis command, in milliseconds. While Redis is down,
# rate limits are counted per replica and the bus is skipped; see README.
redis_timeout_ms = {redis_ms}
# Deadline of every SMTP exchange (connect, each command), in seconds.
smtp_timeout_secs = {smtp_secs}
# Slow clients: seconds to send a request's headers (also the idle keep-alive
# timeout), longest pause inside a body, longest time from headers to answer.
header_read_timeout_secs = {hdr}
body_read_timeout_secs = {bodyt}
request_timeout_secs = {reqt}
# Most connections served at once; beyond it new ones are closed at once.
max_connections = {maxconn}
# On SIGTERM: seconds /readyz reports draining while requests are still
# served, and the deadline by which the process exits whatever happens.
shutdown_drain_secs = {drain}
shutdown_timeout_secs = {stop}
# Seconds a claimed job is leased (renewed while it runs); a job whose
# replica died is retried once its lease ends.
job_lease_secs = {lease}
# Billing: the currency of invoices, the trial's length, and the days an
# unpaid invoice leaves the plan in place before its limits drop to free.
currency = "{currency}"
trial_days = {trial}
payment_grace_days = {grace}
# Stripe collects payments when a secret key is set (unset: invoices are
# still computed and shown). Webhook secrets: comma-separated during a rotation.
# stripe_secret_key = "sk_live_..."
# stripe_webhook_secret = "whsec_..."
stripe_api_base = "{stripe_base}"
# The assistant. Embeddings: local (all-MiniLM-L6-v2 from embed_model_dir;
# `make run` fetches it), openai (any OpenAI-compatible /v1/embeddings:
# OpenAI, Ollama, vLLM, llama.cpp), bedrock (Amazon Titan), or none
# (keyword search only).
embed_provider = "{embed}"
# embed_model_dir = "./data/models/all-MiniLM-L6-v2"
# embed_base_url = "http://127.0.0.1:11434/v1"
# embed_model = "nomic-embed-text"
# embed_api_key = "..."
embed_dimensions = {embed_dim}
# The platform's language model, for workspaces without their own (unset:
# answers quote the documents): openai, anthropic or bedrock.
# llm_provider = "anthropic"
# llm_base_url = "https://api.anthropic.com"
# llm_model = "claude-3-5-haiku-latest"
# llm_api_key = "..."            # Bedrock: the access key id
# llm_secret_key = "..."         # Bedrock: the secret access key
aws_region = "{aws}"
# Uploaded documents are parsed in worker processes with these limits.
# parser_program = "/usr/local/bin/stackpro"   # default: this binary
parser_memory_mb = {pmem}
parser_cpu_secs = {pcpu}
parser_workers = {pworkers}
# strict: refuse to parse where Landlock or seccomp cannot confine the worker.
parser_confinement = "{pconf}"
# Whether a workspace's own model may be on a private network (loopback, 10/8…).
assistant_allow_private_endpoints = {private}
# The website widget: questions per visitor, and per site, each 10 minutes.
widget_questions_per_visitor = {wv}
widget_questions_per_site = {ws}
# Realtime: messages and reactions one person may send per 10 seconds.
realtime_writes_per_10s = {rtw}
# WebSocket connections one person (with their API keys) may hold per server.
realtime_connections_per_person = {rtc}
# The plan catalogue (free, trial, starter, professional, enterprise) can be
# changed per plan; a new key adds a plan. Tables go at the end of the file.
# Prices in cents; soft limits' tier prices in micro-cents per unit.
# For example:
# [plans.starter]
# price_cents = 2500
# limits.seats = {{ kind = "hard", included = 5 }}
# limits.ai_queries = {{ kind = "soft", included = 1000, mode = "graduated", tiers = [{{ unit_microcents = 2000000 }}] }}
"#,
        listen = d.listen,
        data_dir = d.data_dir.display(),
        maxc = d.database_max_connections,
        base_domain = d.base_domain,
        region = d.s3_region,
        trust_proxy = d.trust_proxy,
        log = d.log,
        att = d.access_token_ttl_secs,
        rtt = d.refresh_token_ttl_days,
        body = d.body_limit_bytes,
        rip = d.auth_rate_per_ip,
        racc = d.auth_rate_per_account,
        signup = d.signup_rate_per_ip,
        redis_ms = d.redis_timeout_ms,
        smtp_secs = d.smtp_timeout_secs,
        hdr = d.header_read_timeout_secs,
        bodyt = d.body_read_timeout_secs,
        reqt = d.request_timeout_secs,
        maxconn = d.max_connections,
        drain = d.shutdown_drain_secs,
        stop = d.shutdown_timeout_secs,
        lease = d.job_lease_secs,
        currency = d.currency,
        trial = d.trial_days,
        grace = d.payment_grace_days,
        stripe_base = d.stripe_api_base,
        embed = d.embed_provider,
        embed_dim = d.embed_dimensions,
        aws = d.aws_region,
        pmem = d.parser_memory_mb,
        pcpu = d.parser_cpu_secs,
        pworkers = d.parser_workers,
        pconf = d.parser_confinement,
        private = d.assistant_allow_private_endpoints,
        wv = d.widget_questions_per_visitor,
        ws = d.widget_questions_per_site,
        rtw = d.realtime_writes_per_10s,
        rtc = d.realtime_connections_per_person,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_gives_sqlite_and_local_blobs_under_the_data_dir() {
        let c = RawConfig::default().validate().unwrap();
        assert_eq!(c.database, DatabaseUrl::Sqlite(PathBuf::from("./data/stackpro.db")));
        assert!(matches!(c.blobs, BlobConfig::Local(ref p) if p == &PathBuf::from("./data/blobs")));
        assert_eq!(c.master_key_file, PathBuf::from("./data/master.key"));
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn debug_output_hides_database_passwords() {
        let url = DatabaseUrl::Postgres("postgres://app:hunter2@db.example/stackpro".into());
        let shown = format!("{url:?}");
        assert!(!shown.contains("hunter2") && shown.contains("app:***@db.example"), "{shown}");
    }

    #[test]
    fn a_bad_database_url_names_the_setting() {
        let raw = RawConfig { database_url: Some("mysql://x".into()), ..RawConfig::default() };
        let err = raw.validate().unwrap_err().to_string();
        assert_eq!(err, "STACKPRO_DATABASE_URL: expected sqlite:// or postgres://");
    }

    #[test]
    fn the_example_parses_back_to_the_defaults() {
        let parsed: RawConfig = Figment::from(Toml::string(&example_toml())).extract().unwrap();
        let d = RawConfig::default();
        assert_eq!(parsed.listen, d.listen);
        assert_eq!(parsed.auth_rate_per_ip, d.auth_rate_per_ip);
        assert_eq!(parsed.body_limit_bytes, d.body_limit_bytes);
        assert_eq!(parsed.web_dir, d.web_dir);
    }
}
