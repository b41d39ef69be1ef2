//! The assistant's settings (name, persona, tone, what to do when unsure,
//! the widget, the workspace's own language model with its sealed key) and
//! which models answer a workspace.

use super::{Assistant, PlatformLlm};
use crate::aws::AwsCredentials;
use crate::error::Error;
use crate::llm::{Anthropic, BedrockConverse, Llm, OpenAiChat};
use crate::model::{AssistantStatus, Provider, Settings};
use crate::store;
use secrecy::SecretString;
use serde_json::json;
use stackpro_core::metering::PlanRef;
use stackpro_core::{Feature, TenantCtx};
use stackpro_store::TenantTx;
use std::sync::Arc;

const SECRET_AAD: &str = "assistant-llm-secret";

/// The stored key of a workspace's own provider.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Secret {
    api_key: Option<String>,
    secret_key: Option<String>,
}

fn extract_blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn invalid(field: &'static str, msg: &str) -> Error {
    Error::Invalid(field, msg.to_owned())
}

fn check_len(field: &'static str, s: &str, min: usize, max: usize) -> Result<(), Error> {
    let n = s.chars().count();
    if n < min || n > max || s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::Invalid(field, format!("Use {min} to {max} printable characters.")));
    }
    Ok(())
}

/// Whether an address is not on the public internet: loopback, private,
/// link-local (cloud metadata), shared (CGNAT), benchmarking, unspecified.
fn private_v4(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 0)
}

/// Whether an endpoint's host is not a public one: a workspace may not
/// point the server at the platform's own network. Names are judged as
/// written (a public name that resolves to a private address is not caught;
/// the operator's egress rules are the wall for that), and redirects are
/// never followed.
fn private_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => private_v4(ip),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(private_v4)
                || ip.segments()[0] == 0x2002
                || ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            !d.contains('.')
                || d.ends_with(".localhost")
                || d.ends_with(".internal")
                || d.ends_with(".local")
                || d.ends_with(".nip.io")
                || d.ends_with(".sslip.io")
        }
        None => true,
    }
}

impl Assistant {
    async fn load_settings(&self, tx: &mut TenantTx) -> Result<(Settings, Secret), Error> {
        let Some((json, sealed)) = store::settings(tx).await? else {
            return Ok((Settings::default(), Secret::default()));
        };
        let mut settings: Settings = serde_json::from_str(&json).unwrap_or_default();
        let secret = match sealed {
            Some(s) => {
                let plain = self.0.security.decrypt(tx, &s, SECRET_AAD).await?;
                serde_json::from_slice(&plain).unwrap_or_default()
            }
            None => Secret::default(),
        };
        settings.llm.has_key = secret.api_key.is_some();
        settings.llm.has_secret = secret.secret_key.is_some();
        settings.llm.api_key = None;
        settings.llm.secret_key = None;
        Ok((settings, secret))
    }

    /// The settings; any member may read them (keys are never shown).
    ///
    /// # Errors
    /// The database's error.
    pub async fn settings(&self, ctx: &TenantCtx) -> Result<Settings, Error> {
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let (s, _) = self.load_settings(&mut tx).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Replaces the settings; a key left out is kept, `""` removes it.
    ///
    /// # Errors
    /// `invalid_field`, `forbidden`, and `plan_limit_reached`-like refusal
    /// when the plan has no own language models.
    pub async fn put_settings(
        &self,
        ctx: &TenantCtx,
        ip: Option<std::net::IpAddr>,
        mut new: Settings,
    ) -> Result<Settings, Error> {
        Self::may_manage(ctx)?;
        if extract_blank(&new.name) {
            return Err(invalid("/name", "Give the assistant a name."));
        }
        check_len("/name", &new.name, 1, 60)?;
        check_len("/persona", &new.persona, 0, 500)?;
        check_len("/industry", &new.industry, 0, 80)?;
        check_len("/human_contact", &new.human_contact, 0, 200)?;
        check_len("/widget/greeting", &new.widget.greeting, 0, 200)?;
        let accent = new.widget.accent.as_bytes();
        if accent.len() != 7 || accent[0] != b'#' || !accent[1..].iter().all(u8::is_ascii_hexdigit) {
            return Err(invalid("/widget/accent", "Give the colour as #rrggbb."));
        }
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (old, mut secret) = self.load_settings(&mut tx).await?;
        if new.llm.provider == Provider::None {
            // Disconnecting forgets the provider's address, model and keys.
            new.llm = crate::model::LlmSettings::default();
            secret = Secret::default();
        }
        let llm = &mut new.llm;
        // A workspace that kept its provider through a downgrade may still
        // change its other settings; connecting one needs the plan.
        let changed = (llm.provider, &llm.base_url, &llm.model, &llm.region)
            != (old.llm.provider, &old.llm.base_url, &old.llm.model, &old.llm.region)
            || llm.api_key.is_some()
            || llm.secret_key.is_some();
        if llm.provider != Provider::None && changed && !self.0.metering.has_feature(&ctx.plan, Feature::LlmProviders) {
            return Err(Error::Forbidden(
                "Connecting the workspace's own language model needs a plan with language-model providers \
                 (Professional or Enterprise).",
            ));
        }
        if let Some(u) = &llm.base_url {
            let parsed = url::Url::parse(u).map_err(|_| invalid("/llm/base_url", "Give an http(s) URL."))?;
            if !matches!(parsed.scheme(), "http" | "https") || u.len() > 500 {
                return Err(invalid("/llm/base_url", "Give an http(s) URL of at most 500 characters."));
            }
            if !parsed.username().is_empty() || parsed.password().is_some() {
                return Err(invalid("/llm/base_url", "Put the key in the key field, not in the address."));
            }
            if private_host(&parsed) && !self.0.config.allow_private_endpoints {
                return Err(invalid(
                    "/llm/base_url",
                    "This address is on a private network; the server may not call it for a workspace.",
                ));
            }
        }
        if let Some(m) = &llm.model {
            check_len("/llm/model", m, 1, 200)?;
        }
        if let Some(r) = &llm.region {
            if r.is_empty()
                || r.len() > 50
                || !r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(invalid("/llm/region", "Give an AWS region such as eu-central-1."));
            }
        }
        match llm.provider {
            Provider::Bedrock if llm.region.is_none() => {
                return Err(invalid("/llm/region", "Bedrock needs the AWS region."));
            }
            Provider::Openai if llm.base_url.is_none() => llm.base_url = Some("https://api.openai.com/v1".into()),
            _ => {}
        }
        if llm.provider != Provider::None && llm.model.is_none() {
            return Err(invalid("/llm/model", "Name the model to use."));
        }
        for (given, slot, field) in [
            (llm.api_key.take(), &mut secret.api_key, "/llm/api_key"),
            (llm.secret_key.take(), &mut secret.secret_key, "/llm/secret_key"),
        ] {
            match given {
                Some(k) if k.is_empty() => *slot = None,
                Some(k) => {
                    check_len(field, &k, 1, 500)?;
                    *slot = Some(k);
                }
                None => {}
            }
        }
        match llm.provider {
            Provider::Anthropic | Provider::Bedrock if secret.api_key.is_none() => {
                return Err(invalid("/llm/api_key", "This provider needs its key (Bedrock: the access key id)."));
            }
            Provider::Bedrock if secret.secret_key.is_none() => {
                return Err(invalid("/llm/secret_key", "Bedrock needs the secret access key."));
            }
            _ => {}
        }
        let sealed = if secret.api_key.is_some() || secret.secret_key.is_some() {
            let plain = serde_json::to_vec(&secret).map_err(|e| Error::Invalid("/llm", e.to_string()))?;
            Some(self.0.security.encrypt(&mut tx, &plain, SECRET_AAD).await?)
        } else {
            None
        };
        let body = serde_json::to_string(&new).map_err(|e| Error::Invalid("/", e.to_string()))?;
        store::put_settings(&mut tx, &body, sealed.as_deref(), now).await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, ip),
                "assistant.settings_changed",
                None,
                json!({ "provider": new.llm.provider, "model": new.llm.model, "widget": new.widget.enabled,
                        "key_stored": secret.api_key.is_some() }),
            )
            .await?;
        tx.commit().await?;
        if old.widget.enabled != new.widget.enabled {
            // Published pages gain or lose the widget's tag on every replica.
            let msg = bytes::Bytes::from(ctx.tenant.to_string());
            if let Err(e) = self.0.bus.publish(stackpro_core::hooks::PAGE_EXTRAS_CHANGED, msg).await {
                tracing::warn!(error = %e, "cannot announce the widget's change: other replicas keep pages as they were");
            }
        }
        new.llm.has_key = secret.api_key.is_some();
        new.llm.has_secret = secret.secret_key.is_some();
        Ok(new)
    }

    /// The settings and the model that answers the workspace, in `tx`.
    pub(crate) async fn answering(
        &self,
        tx: &mut TenantTx,
        plan: &PlanRef,
    ) -> Result<(Settings, Option<Arc<dyn Llm>>), Error> {
        let (settings, secret) = self.load_settings(tx).await?;
        let own = settings.llm.provider != Provider::None && self.0.metering.has_feature(plan, Feature::LlmProviders);
        let llm = if own {
            let l = &settings.llm;
            let conf = PlatformLlm {
                provider: Some(l.provider),
                base_url: l.base_url.clone(),
                model: l.model.clone(),
                region: l.region.clone(),
                api_key: secret.api_key.clone().map(SecretString::from),
                secret_key: secret.secret_key.clone().map(SecretString::from),
            };
            self.build_llm(&conf)
        } else {
            self.build_llm(&self.0.config.llm)
        };
        Ok((settings, llm))
    }

    /// A client for a provider configuration; `None` when incomplete.
    pub(crate) fn build_llm(&self, c: &PlatformLlm) -> Option<Arc<dyn Llm>> {
        let http = self.0.config.http.clone();
        let model = c.model.clone()?;
        match c.provider? {
            Provider::None => None,
            Provider::Openai => Some(Arc::new(OpenAiChat {
                http,
                base: c.base_url.clone().unwrap_or_else(|| "https://api.openai.com/v1".into()),
                key: c.api_key.clone(),
                model,
            })),
            Provider::Anthropic => Some(Arc::new(Anthropic {
                http,
                base: c.base_url.clone().unwrap_or_else(|| "https://api.anthropic.com".into()),
                key: c.api_key.clone()?,
                model,
            })),
            Provider::Bedrock => {
                let region = c.region.clone()?;
                let endpoint =
                    c.base_url.clone().unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"));
                let credentials = AwsCredentials {
                    access_key_id: secrecy::ExposeSecret::expose_secret(c.api_key.as_ref()?).to_owned(),
                    secret_access_key: c.secret_key.clone()?,
                    session_token: None,
                };
                Some(Arc::new(BedrockConverse::new(http, &endpoint, &region, credentials, &model)))
            }
        }
    }

    /// What answers this workspace, and how parsing is confined.
    ///
    /// # Errors
    /// The database's error.
    pub async fn status(&self, ctx: &TenantCtx) -> Result<AssistantStatus, Error> {
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let (_, llm) = self.answering(&mut tx, &ctx.plan).await?;
        tx.commit().await?;
        Ok(AssistantStatus {
            semantic: self.semantic(),
            embedder: self.embedder_model(),
            llm: llm.map(|l| l.describe()),
            own_llm_allowed: self.0.metering.has_feature(&ctx.plan, Feature::LlmProviders),
            sandbox: self.0.config.sandbox.confinement(),
        })
    }
}
