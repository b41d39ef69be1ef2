//! The website widget: what a published site's own host answers under
//! `/_stackpro/assistant…`, for a site the one Host lookup found. Visitors
//! are anonymous: a session is a random id signed with the server's
//! secret, kept by the browser; they read with [`Reader::Visitor`], so only
//! public documents answer them. Questions are limited per visitor
//! address and per site before any work, and count as the workspace's AI
//! questions through billing.

use crate::error::Error;
use crate::service::chat::{Asker, ChatEvent};
use crate::service::Assistant;
use crate::store::{self, Owner};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use hmac::Mac;
use stackpro_core::access::Reader;
use stackpro_core::ids::TenantId;
use stackpro_core::{ApiError, Code};
use std::net::IpAddr;
use std::time::Duration;

/// The widget's script, served from the site's own host.
pub const SCRIPT: &str = include_str!("widget.js");
/// The tag published pages carry when the widget is on.
pub const TAG: &str = "<script src=\"/_stackpro/assistant.js\" defer></script>";
const WINDOW: Duration = Duration::from_secs(600);

/// A question from the widget.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Ask {
    message: String,
    session: Option<String>,
    conversation_id: Option<crate::model::ConversationId>,
}

#[async_trait::async_trait]
impl stackpro_core::hooks::PageExtras for Assistant {
    async fn head_tags(&self, tenant: TenantId) -> String {
        match self.widget_settings(tenant).await {
            Ok(Some(_)) => TAG.to_owned(),
            Ok(None) => String::new(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the widget's settings: pages go without it");
                String::new()
            }
        }
    }
}

impl Assistant {
    /// The widget's settings when it is on.
    async fn widget_settings(&self, tenant: TenantId) -> Result<Option<crate::model::Settings>, Error> {
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let s = store::settings(&mut tx).await?;
        tx.commit().await?;
        let settings: crate::model::Settings =
            s.and_then(|(json, _)| serde_json::from_str(&json).ok()).unwrap_or_default();
        Ok(settings.widget.enabled.then_some(settings))
    }

    fn sign(&self, id: &str) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0.secret).expect("any key length");
        mac.update(b"widget-session:");
        mac.update(id.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// A visitor's session id from its signed token, or a new one.
    fn session(&self, token: Option<&str>) -> (String, bool) {
        if let Some((id, sig)) = token.and_then(|t| t.split_once('.')) {
            use subtle::ConstantTimeEq;
            if id.len() == 32 && bool::from(self.sign(id).as_bytes().ct_eq(sig.as_bytes())) {
                return (id.to_owned(), false);
            }
        }
        (hex::encode(rand::random::<[u8; 16]>()), true)
    }

    /// Answers a request to `/_stackpro/assistant…` on a published site's
    /// host; `site` keys the site's limits.
    pub async fn serve_widget(&self, tenant: TenantId, site: &str, req: Request, ip: IpAddr) -> Response {
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        let settings = match self.widget_settings(tenant).await {
            Ok(Some(s)) => s,
            Ok(None) => return not_found(),
            Err(e) => return ApiError::from(e).into_response(),
        };
        match (method, path.as_str()) {
            (Method::GET | Method::HEAD, "/_stackpro/assistant.js") => (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
                    (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
                ],
                SCRIPT,
            )
                .into_response(),
            (Method::GET, "/_stackpro/assistant/config") => {
                let w = &settings.widget;
                (
                    [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
                    axum::Json(serde_json::json!({
                        "name": settings.name, "greeting": w.greeting, "accent": w.accent, "position": w.position,
                    })),
                )
                    .into_response()
            }
            (Method::POST, "/_stackpro/assistant/chat") => match self.widget_chat(tenant, site, req, ip).await {
                Ok(r) => r,
                Err(e) => ApiError::from(e).into_response(),
            },
            _ => not_found(),
        }
    }

    async fn widget_chat(&self, tenant: TenantId, site: &str, req: Request, ip: IpAddr) -> Result<Response, Error> {
        // An IPv6 visitor holds a whole /64: counted as one.
        let who = match ip {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            v4 => v4.to_string(),
        };
        let per_ip = self.0.counters.incr(&format!("assistant:widget:{site}:{who}"), 1, WINDOW).await?;
        if per_ip.value > self.0.config.visitor_questions {
            return Err(Error::RateLimited(per_ip.resets_in.as_secs().max(1)));
        }
        let body = axum::body::to_bytes(req.into_body(), 16 * 1024)
            .await
            .map_err(|_| Error::Invalid("/message", "A question is at most 2,000 characters.".into()))?;
        let ask: Ask = serde_json::from_slice(&body)
            .map_err(|e| Error::Invalid("/", format!("Send {{\"message\": \"…\"}} as JSON ({e}).")))?;
        let per_site = self.0.counters.incr(&format!("assistant:widget:{site}"), 1, WINDOW).await?;
        if per_site.value > self.0.config.site_questions {
            return Err(Error::RateLimited(per_site.resets_in.as_secs().max(1)));
        }
        let (id, new) = self.session(ask.session.as_deref());
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let plan = store::plan(&mut tx).await?;
        tx.commit().await?;
        let asker = Asker { tenant, plan, reader: Reader::Visitor, owner: Owner::Visitor(id.clone()) };
        // A new session cannot continue anyone's conversation.
        let conversation = if new { None } else { ask.conversation_id };
        let mut rx = self.chat(asker, &ask.message, conversation).await?;
        let token = format!("{id}.{}", self.sign(&id));
        let (tx_ev, out) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let _ = tx_ev.send(ChatEvent::Session { token }).await;
            while let Some(ev) = rx.recv().await {
                if tx_ev.send(ev).await.is_err() {
                    break;
                }
            }
        });
        Ok(crate::routes::sse(out))
    }
}

fn not_found() -> Response {
    ApiError::new(Code::RouteNotFound, "This site has no assistant.").into_response()
}
