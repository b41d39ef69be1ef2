//! Every failure reaches the client as one RFC 9457 problem document.
//!
//! Each crate has its own `thiserror` enum implementing [`ErrorCode`]; `?` turns
//! it into an [`ApiError`]. [`Code`] is the single list of machine codes with
//! their HTTP status: a code is never renamed once released, because clients
//! branch on it.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::borrow::Cow;
use std::sync::Arc;
use utoipa::ToSchema;

macro_rules! codes {
    ($($variant:ident => ($status:expr, $name:literal, $summary:literal),)*) => {
        /// The machine-readable code of a problem. The wire name is the
        /// snake_case string; the list below is the one place codes are defined.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code { $(#[doc = $summary] $variant,)* }

        impl Code {
            /// Every code, in the order of the list.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            /// The stable wire name, e.g. `email_taken`.
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $name,)* } }
            /// The HTTP status this code is answered with.
            pub fn status(self) -> StatusCode { match self { $(Code::$variant => $status,)* } }
            /// One sentence on what the code means.
            pub fn summary(self) -> &'static str { match self { $(Code::$variant => $summary,)* } }
        }
    };
}

codes! {
    InvalidBody => (StatusCode::BAD_REQUEST, "invalid_body", "The request body is not valid JSON of the expected shape."),
    InvalidPath => (StatusCode::BAD_REQUEST, "invalid_path", "A path parameter is malformed."),
    InvalidQuery => (StatusCode::BAD_REQUEST, "invalid_query", "A query parameter is malformed."),
    UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "The body must be sent as application/json."),
    PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is larger than allowed."),
    RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "request_timeout", "The request was not received or answered in time."),
    RouteNotFound => (StatusCode::NOT_FOUND, "route_not_found", "No endpoint answers at this path."),
    MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "The endpoint does not accept this method."),
    Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "The request needs a valid access token or API key."),
    TokenExpired => (StatusCode::UNAUTHORIZED, "token_expired", "The access token has expired; refresh it."),
    InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials", "The email or password is wrong."),
    RefreshTokenInvalid => (StatusCode::UNAUTHORIZED, "refresh_token_invalid", "The refresh token is unknown, expired or revoked."),
    Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Your role does not allow this action."),
    InvalidEmail => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_email", "The email address is not valid."),
    WeakPassword => (StatusCode::UNPROCESSABLE_ENTITY, "weak_password", "The password is too short or too long."),
    CurrentPasswordWrong => (StatusCode::FORBIDDEN, "current_password_wrong", "The current password given to change it is wrong."),
    InvalidTenantName => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_tenant_name", "The workspace name is empty or too long."),
    InvalidName => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_name", "The name is empty or too long."),
    InvalidScope => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_scope", "The API key scopes are empty or unknown."),
    InvalidRole => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_role", "This role cannot be given here."),
    TenantRequired => (StatusCode::UNPROCESSABLE_ENTITY, "tenant_required", "The email belongs to several workspaces; name one."),
    EmailTaken => (StatusCode::CONFLICT, "email_taken", "This email already belongs to a member of the workspace."),
    LastOwner => (StatusCode::CONFLICT, "last_owner", "A workspace must keep at least one owner."),
    TenantNotFound => (StatusCode::NOT_FOUND, "tenant_not_found", "No such workspace."),
    MemberNotFound => (StatusCode::NOT_FOUND, "member_not_found", "No such member in this workspace."),
    ApiKeyNotFound => (StatusCode::NOT_FOUND, "api_key_not_found", "No such API key in this workspace."),
    AuditEntryNotFound => (StatusCode::NOT_FOUND, "audit_entry_not_found", "No such audit entry in this workspace."),
    InviteInvalid => (StatusCode::NOT_FOUND, "invite_invalid", "The invitation link is unknown, used, expired or withdrawn."),
    ResetTokenInvalid => (StatusCode::NOT_FOUND, "reset_token_invalid", "The password reset link is unknown, used or expired."),
    RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many attempts; wait before trying again."),
    PlanLimitReached => (StatusCode::PAYMENT_REQUIRED, "plan_limit_reached", "The workspace's plan does not allow more of this; a higher plan does."),
    PlanNotFound => (StatusCode::NOT_FOUND, "plan_not_found", "No such plan."),
    DowngradeRefused => (StatusCode::CONFLICT, "downgrade_refused", "Current usage exceeds a hard limit of the plan chosen."),
    PlanUnchanged => (StatusCode::CONFLICT, "plan_unchanged", "The workspace is already on this plan."),
    InvoiceNotFound => (StatusCode::NOT_FOUND, "invoice_not_found", "No such invoice in this workspace."),
    PaymentsNotConfigured => (StatusCode::CONFLICT, "payments_not_configured", "Payment collection (Stripe) is not configured on this installation."),
    PaymentMethodRequired => (StatusCode::CONFLICT, "payment_method_required", "A paid plan needs a card first: start a Checkout session."),
    PaymentOverdue => (StatusCode::CONFLICT, "payment_overdue", "A payment is overdue: settle it before moving to a larger plan."),
    SubscriptionExists => (StatusCode::CONFLICT, "subscription_exists", "The workspace already pays by card: change the plan instead."),
    PaymentsFailed => (StatusCode::BAD_GATEWAY, "payments_failed", "The payment provider refused or failed the request."),
    WebhookSignatureInvalid => (StatusCode::BAD_REQUEST, "webhook_signature_invalid", "The webhook's signature is missing, wrong or too old."),
    InvalidField => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "A field of the request is empty, too long or malformed; `field` names it."),
    SiteNotFound => (StatusCode::NOT_FOUND, "site_not_found", "No such site in this workspace."),
    PageNotFound => (StatusCode::NOT_FOUND, "page_not_found", "No such page on this site."),
    VersionNotFound => (StatusCode::NOT_FOUND, "version_not_found", "No such version of this page."),
    AssetNotFound => (StatusCode::NOT_FOUND, "asset_not_found", "No such image on this site."),
    TemplateNotFound => (StatusCode::NOT_FOUND, "template_not_found", "No such template."),
    SlugTaken => (StatusCode::CONFLICT, "slug_taken", "Another site already answers at this subdomain."),
    PathTaken => (StatusCode::CONFLICT, "path_taken", "Another page of the site already has this path."),
    HomePageFixed => (StatusCode::CONFLICT, "home_page_fixed", "The home page keeps the path / and cannot be deleted."),
    SiteFull => (StatusCode::CONFLICT, "site_full", "The site holds as many pages or images as a site may."),
    VersionConflict => (StatusCode::CONFLICT, "version_conflict", "The page changed since you loaded it; the answer carries the current version."),
    PreconditionRequired => (StatusCode::PRECONDITION_REQUIRED, "precondition_required", "Saving needs If-Match with the version's ETag."),
    AssetRefused => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "asset_refused", "The upload is not a JPEG, PNG, WebP or GIF image, whatever its name says."),
    PreviewExpired => (StatusCode::GONE, "preview_expired", "The preview link has expired; make a new one."),
    FormRejected => (StatusCode::UNPROCESSABLE_ENTITY, "form_rejected", "The form submission was refused (spam check or malformed fields)."),
    DocumentNotFound => (StatusCode::NOT_FOUND, "document_not_found", "No such document in this workspace, or not one you may read."),
    PassageNotFound => (StatusCode::NOT_FOUND, "passage_not_found", "No such passage, or not one you may read."),
    ConversationNotFound => (StatusCode::NOT_FOUND, "conversation_not_found", "No such conversation of yours."),
    DocumentRefused => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "document_refused", "The upload is not a document the knowledge base reads (PDF, DOCX, text, Markdown, HTML); `detail` says what it is."),
    ChannelNotFound => (StatusCode::NOT_FOUND, "channel_not_found", "No such channel in this workspace, or not one you may read."),
    MessageNotFound => (StatusCode::NOT_FOUND, "message_not_found", "No such message in this channel."),
    ChannelNameTaken => (StatusCode::CONFLICT, "channel_name_taken", "Another channel of the workspace has this name."),
    TooManyReactions => (StatusCode::CONFLICT, "too_many_reactions", "The message carries as many different reactions as it may."),
    WebsocketRequired => (StatusCode::UPGRADE_REQUIRED, "websocket_required", "This endpoint is a WebSocket; connect with a WebSocket client."),
    Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "A dependency is unavailable; try again shortly."),
    Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "An internal error; the request id identifies it in the logs."),
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implemented by each crate's error enum, so `?` maps it to a problem.
pub trait ErrorCode: std::error::Error + Send + Sync + 'static {
    /// The code this error is answered with.
    fn code(&self) -> Code;
    /// The JSON pointer of the request field at fault, if one is.
    fn field(&self) -> Option<&'static str> {
        None
    }
    /// Seconds the client should wait before retrying (sets `Retry-After`).
    fn retry_after(&self) -> Option<u64> {
        None
    }
    /// Extension members of the problem (a JSON object), if any.
    fn extra(&self) -> Option<serde_json::Value> {
        None
    }
}

/// An error on its way to the client. Client errors carry their own `detail`;
/// internal ones carry only a cause, which is logged and never sent.
#[derive(Clone, Debug)]
pub struct ApiError {
    code: Code,
    detail: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
    retry_after: Option<u64>,
    cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
    extra: Option<Arc<serde_json::Map<String, serde_json::Value>>>,
}

impl ApiError {
    /// An error with a code and a human-readable detail.
    pub fn new(code: Code, detail: impl Into<Cow<'static, str>>) -> Self {
        Self { code, detail: detail.into(), field: None, retry_after: None, cause: None, extra: None }
    }
    /// Adds extension members to the problem (RFC 9457 section 3.2), such as
    /// a limit and the usage that reached it. `extra` must be a JSON object;
    /// members named like the standard ones are ignored.
    pub fn with_extra(mut self, extra: serde_json::Value) -> Self {
        if let serde_json::Value::Object(map) = extra {
            self.extra = Some(Arc::new(map));
        }
        self
    }
    /// An internal error: the client sees only "internal error"; `cause` is logged.
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self { cause: Some(Arc::new(cause)), ..Self::new(Code::Internal, "internal error") }
    }
    /// Names the request field at fault (a JSON pointer such as `/email`).
    pub fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }
    /// Sets the `Retry-After` seconds.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
    /// The machine code.
    pub fn code(&self) -> Code {
        self.code
    }
    /// The human-readable detail sent to the client.
    pub fn detail(&self) -> &str {
        &self.detail
    }
    /// The cause, for the error-logging middleware.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync)> {
        self.cause.as_deref()
    }
    /// The problem document, with the request id when known.
    pub fn problem(&self, request_id: Option<String>) -> Problem {
        let status = self.code.status();
        Problem {
            r#type: format!("/api/v1/errors#{}", self.code.as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: self.code.as_str().to_owned(),
            detail: self.detail.to_string(),
            field: self.field.as_ref().map(|f| f.to_string()),
            request_id,
            extra: self
                .extra
                .as_deref()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| !STANDARD_MEMBERS.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl<E: ErrorCode> From<E> for ApiError {
    fn from(e: E) -> Self {
        let code = e.code();
        let mut api = if code == Code::Internal || code == Code::Unavailable {
            let detail = if code == Code::Internal { "internal error" } else { "service unavailable" };
            Self { cause: Some(Arc::new(e)), ..Self::new(code, detail) }
        } else {
            let mut api = Self::new(code, e.to_string());
            api.field = e.field().map(Cow::Borrowed);
            api.retry_after = e.retry_after();
            match e.extra() {
                Some(extra) => api.with_extra(extra),
                None => api,
            }
        };
        if api.retry_after.is_none() && code == Code::Unavailable {
            api.retry_after = Some(5);
        }
        api
    }
}

/// The members every problem has; extensions may not shadow them.
const STANDARD_MEMBERS: &[&str] = &["type", "title", "status", "code", "detail", "field", "request_id"];

/// The RFC 9457 problem document every error is answered with. Some codes
/// add extension members: `plan_limit_reached` carries `meter`, `limit`,
/// `current`, `plan` and `allowed_by`.
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI reference that resolves to the code's entry in `GET /api/v1/errors`.
    pub r#type: String,
    /// The HTTP status text.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// The stable machine code, e.g. `email_taken`.
    pub code: String,
    /// A human-readable explanation of this occurrence.
    pub detail: String,
    /// The JSON pointer of the request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request id, to quote when asking for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Extension members of some codes (see above); the document describes
    /// them in words, as RFC 9457 leaves them open.
    #[serde(flatten, default)]
    #[schema(ignore)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The content type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Renders a problem document as a response.
pub fn problem_response(err: &ApiError, request_id: Option<String>) -> Response {
    let problem = err.problem(request_id);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut res = (err.code.status(), body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if let Some(secs) = err.retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// The header carrying the request id, set on every request and response.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

impl IntoResponse for ApiError {
    /// The body is complete but lacks the request id; the server's problem
    /// middleware finds this error in the extensions, logs its cause inside the
    /// request span and renders it again with the id.
    fn into_response(self) -> Response {
        let mut res = problem_response(&self, None);
        res.extensions_mut().insert(self);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_unique_snake_case_name() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{name}");
            assert!(seen.insert(name), "duplicate code {name}");
        }
    }

    #[test]
    fn an_internal_error_never_shows_its_cause() {
        let err = ApiError::internal(std::io::Error::other("disk on fire at /secret/path"));
        let problem = err.problem(None);
        assert_eq!(problem.code, "internal");
        assert_eq!(problem.detail, "internal error");
        assert!(err.cause().is_some());
    }
}
