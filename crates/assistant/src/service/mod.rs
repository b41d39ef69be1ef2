//! The rules of the assistant. No HTTP here: routes parse input and call one
//! method; each method checks the caller's rights through the one
//! permission rule ([`stackpro_core::access`]) and does its work in one
//! transaction.
//!
//! - [`documents`]: upload, re-upload, list, change, delete, open a passage.
//! - [`ingest`]: the background job that parses (in the sandbox), chunks,
//!   embeds and stores a document, with progress.
//! - [`search`]: keeping this replica's index current and searching it.
//! - [`chat`]: conversations and streamed answers with citations.
//! - [`settings`]: the assistant's settings and which models answer.

use crate::embed::Embedder;
use crate::error::Error;
use crate::index::Indexes;
use crate::sandbox::Sandbox;
use chrono::{DateTime, Utc};
use stackpro_core::metering::Metering;
use stackpro_core::{Clock, Role, TenantCtx};
use stackpro_security::service::Actor;
use stackpro_security::Security;
use stackpro_store::{BlobStore, Bus, Counters, Db, TenantTx};
use std::sync::Arc;

pub mod chat;
pub mod documents;
pub mod ingest;
pub mod search;
pub mod settings;

/// The platform's own language model, used by workspaces without one.
#[derive(Clone, Debug, Default)]
pub struct PlatformLlm {
    /// `openai`, `anthropic` or `bedrock`; `None`: no platform model.
    pub provider: Option<crate::model::Provider>,
    /// API root or endpoint override.
    pub base_url: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// AWS region.
    pub region: Option<String>,
    /// API key (Bedrock: access key id).
    pub api_key: Option<secrecy::SecretString>,
    /// Bedrock's secret access key.
    pub secret_key: Option<secrecy::SecretString>,
}

/// How the assistant is set up on this installation.
#[derive(Clone)]
pub struct AssistantConfig {
    /// Runs parser workers.
    pub sandbox: Sandbox,
    /// The embedder, when one is configured and loaded.
    pub embedder: Option<Arc<dyn Embedder>>,
    /// The platform's language model.
    pub llm: PlatformLlm,
    /// HTTP client for providers.
    pub http: reqwest::Client,
    /// Questions one website visitor may ask per 10 minutes.
    pub visitor_questions: i64,
    /// Questions one site's widget may take per 10 minutes, all visitors.
    pub site_questions: i64,
    /// Whether a workspace's own provider may be on a private network
    /// (loopback, RFC 1918): off unless the operator trusts every tenant.
    pub allow_private_endpoints: bool,
}

/// The HTTP client for providers: connections time out, streams do not
/// (an answer may take a minute), reads stall out after 60 s.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .read_timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("stackpro/", env!("CARGO_PKG_VERSION")))
        // A provider that redirects could send the request anywhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Documents, search, chat and settings. Cheap to clone.
#[derive(Clone)]
pub struct Assistant(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) db: Db,
    pub(crate) security: Security,
    pub(crate) blobs: BlobStore,
    pub(crate) bus: Bus,
    pub(crate) counters: Counters,
    pub(crate) metering: Arc<dyn Metering<TenantTx>>,
    pub(crate) clock: Clock,
    pub(crate) config: AssistantConfig,
    pub(crate) indexes: Indexes,
    /// Signs widget visitors' sessions.
    pub(crate) secret: [u8; 32],
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Assistant")
    }
}

impl Assistant {
    /// The service.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        security: Security,
        blobs: BlobStore,
        bus: Bus,
        counters: Counters,
        metering: Arc<dyn Metering<TenantTx>>,
        clock: Clock,
        config: AssistantConfig,
        secret: [u8; 32],
    ) -> Assistant {
        Assistant(Arc::new(Inner {
            db,
            security,
            blobs,
            bus,
            counters,
            metering,
            clock,
            config,
            indexes: Indexes::default(),
            secret,
        }))
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    /// Whether the caller may upload, asked before the body is read.
    ///
    /// # Errors
    /// `forbidden`.
    pub fn may_upload(ctx: &TenantCtx) -> Result<(), Error> {
        Self::may_edit(ctx)
    }

    /// Adding and changing documents needs the member role.
    pub(crate) fn may_edit(ctx: &TenantCtx) -> Result<(), Error> {
        ctx.may_write(Role::Member, "Adding and changing documents needs the member role or higher.")
            .map_err(Error::Forbidden)
    }

    /// Settings need the admin role.
    pub(crate) fn may_manage(ctx: &TenantCtx) -> Result<(), Error> {
        ctx.may_write(Role::Admin, "Changing the assistant's settings needs the admin role or higher.")
            .map_err(Error::Forbidden)
    }

    pub(crate) fn actor(ctx: &TenantCtx, ip: Option<std::net::IpAddr>) -> Actor {
        Actor { id: Some(ctx.principal.id()), label: None, ip }
    }

    /// Bumps the tenant's knowledge-base generation in `tx`: every replica
    /// compares it at its next query and reloads what changed.
    pub(crate) async fn changed(tx: &mut TenantTx) -> Result<(), Error> {
        crate::store::bump_generation(tx).await?;
        Ok(())
    }

    /// Whether passages are searched by meaning.
    pub fn semantic(&self) -> bool {
        self.0.config.embedder.is_some()
    }

    /// The embedder's model, when one is configured.
    pub fn embedder_model(&self) -> Option<String> {
        self.0.config.embedder.as_ref().map(|e| e.model().to_owned())
    }

    /// Forgets a tenant's index (the tenant was deleted).
    pub fn forget(&self, tenant: stackpro_core::ids::TenantId) {
        self.0.indexes.forget(tenant);
    }
}
