//! HTTP handlers of the assistant under `/api/v1/assistant`. Each handler
//! extracts, calls one service method and maps the result; chat answers
//! stream as server-sent events.

use crate::model::*;
use crate::service::chat::{Asker, ChatEvent};
use crate::service::documents::{Upload, UploadOptions};
use crate::service::Assistant;
use axum::extract::{FromRef, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use stackpro_core::access::Visibility;
use stackpro_core::extract::FileBytes;
use stackpro_core::ids::UserId;
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, ClientIp, Json, Path, Problem, Query, TenantCtx};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The API routes of this crate.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Assistant: FromRef<S>,
    AuthState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_documents, upload_document))
        .routes(routes!(get_document, patch_document, delete_document))
        .routes(routes!(reupload_document))
        .routes(routes!(get_passage))
        .routes(routes!(search))
        .routes(routes!(chat))
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation, delete_conversation))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(status))
}

/// A list of documents.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Documents {
    /// Newest first.
    pub items: Vec<Document>,
}

/// A list of conversations.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Conversations {
    /// Newest first.
    pub items: Vec<ConversationSummary>,
}

/// List documents
///
/// The documents of the knowledge base the caller may read, newest first,
/// with their ingestion status and progress.
#[utoipa::path(get, path = "/api/v1/assistant/documents", tag = "assistant", security(("bearer" = [])),
    responses((status = 200, body = Documents),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn list_documents(State(a): State<Assistant>, ctx: TenantCtx) -> Result<Json<Documents>, ApiError> {
    Ok(Json(Documents { items: a.documents(&ctx).await? }))
}

/// Query of a document upload.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, with its extension (1 to 255 characters).
    #[param(min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub name: String,
    /// A title; the name without its extension by default (1 to 200 characters).
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: Option<String>,
    /// Who may read it: `team` (default), `admins`, `clients` or `public`.
    pub visibility: Option<Visibility>,
    /// Client members to share it with, ids separated by commas.
    #[param(
        max_length = 4000,
        pattern = "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(,[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})*)?$"
    )]
    pub shared_with: Option<String>,
}

/// Query of a re-upload.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReuploadQuery {
    /// The file's name, with its extension (1 to 255 characters).
    #[param(min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub name: String,
}

fn user_ids(list: Option<&str>) -> Result<Vec<UserId>, ApiError> {
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else { return Ok(Vec::new()) };
    list.split(',')
        .map(|s| {
            s.trim().parse::<UserId>().map_err(|_| {
                ApiError::new(stackpro_core::Code::InvalidQuery, format!("{s:?} is not a member id."))
                    .with_field("shared_with")
            })
        })
        .collect()
}

async fn read_body(body: axum::body::Body) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_DOCUMENT_BYTES + 1).await.map_err(|_| {
        ApiError::new(
            stackpro_core::Code::PayloadTooLarge,
            format!("A document may be at most {} MB.", MAX_DOCUMENT_BYTES >> 20),
        )
    })
}

/// Upload a document
///
/// The file's bytes as the body: PDF (with a text layer), Word (.docx),
/// plain text, Markdown or HTML, at most 25 MB; its kind is read from its
/// bytes. It is stored sealed with the workspace's key and read in the
/// background (`status`, `progress` and `stage` tell how far); a file that
/// cannot be read ends `failed` with `error`. Counts against the plan's
/// storage, and its pages against ingested pages. Members and above.
#[utoipa::path(post, path = "/api/v1/assistant/documents", tag = "assistant", security(("bearer" = [])),
    request_body(content = FileBytes, description = "The document", content_type = "application/octet-stream"),
    params(UploadQuery),
    responses((status = 202, description = "Stored and queued for reading", body = Document),
        (status = "4XX", description = "A problem: document_refused (415: not a document we read), payload_too_large, plan_limit_reached, invalid_field, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn upload_document(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Query(q): Query<UploadQuery>,
    body: axum::body::Body,
) -> Result<(axum::http::StatusCode, Json<Document>), ApiError> {
    let shared_with = user_ids(q.shared_with.as_deref())?;
    Assistant::may_upload(&ctx)?;
    let bytes = read_body(body).await?;
    let opts = UploadOptions { title: q.title, visibility: q.visibility, shared_with };
    let doc = a.upload(&ctx, Some(ip), Upload { filename: q.name, bytes }, opts).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(doc)))
}

/// Replace a document's file
///
/// A new version of the file; it is read in the background while the
/// passages of the old one stay searchable, and replaces them when ready.
#[utoipa::path(put, path = "/api/v1/assistant/documents/{document}/file", tag = "assistant", security(("bearer" = [])),
    request_body(content = FileBytes, description = "The document", content_type = "application/octet-stream"),
    params(("document" = uuid::Uuid, Path, description = "The document's id"), ReuploadQuery),
    responses((status = 202, description = "Stored and queued for reading", body = Document),
        (status = "4XX", description = "A problem: document_not_found, document_refused, payload_too_large, plan_limit_reached, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn reupload_document(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(id): Path<DocumentId>,
    Query(q): Query<ReuploadQuery>,
    body: axum::body::Body,
) -> Result<(axum::http::StatusCode, Json<Document>), ApiError> {
    Assistant::may_upload(&ctx)?;
    let bytes = read_body(body).await?;
    let doc = a.reupload(&ctx, Some(ip), id, Upload { filename: q.name, bytes }).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(doc)))
}

/// Get a document
///
/// One document the caller may read.
#[utoipa::path(get, path = "/api/v1/assistant/documents/{document}", tag = "assistant", security(("bearer" = [])),
    params(("document" = uuid::Uuid, Path, description = "The document's id")),
    responses((status = 200, body = Document),
        (status = "4XX", description = "A problem: document_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn get_document(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    Path(id): Path<DocumentId>,
) -> Result<Json<Document>, ApiError> {
    Ok(Json(a.document(&ctx, id).await?))
}

/// Change a document
///
/// Its title, visibility, or the client members it is shared with. Only
/// admins make a document admins-only or open one that is.
#[utoipa::path(patch, path = "/api/v1/assistant/documents/{document}", tag = "assistant", security(("bearer" = [])),
    params(("document" = uuid::Uuid, Path, description = "The document's id")),
    request_body = DocumentPatch,
    responses((status = 200, body = Document),
        (status = "4XX", description = "A problem: document_not_found, invalid_field, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn patch_document(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(id): Path<DocumentId>,
    Json(patch): Json<DocumentPatch>,
) -> Result<Json<Document>, ApiError> {
    Ok(Json(a.patch(&ctx, Some(ip), id, patch).await?))
}

/// Delete a document
///
/// With its file, every passage and every vector.
#[utoipa::path(delete, path = "/api/v1/assistant/documents/{document}", tag = "assistant", security(("bearer" = [])),
    params(("document" = uuid::Uuid, Path, description = "The document's id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "A problem: document_not_found, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn delete_document(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(id): Path<DocumentId>,
) -> Result<axum::http::StatusCode, ApiError> {
    a.delete(&ctx, Some(ip), id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Get a passage
///
/// The passage a citation points at, with its document, page and headings.
#[utoipa::path(get, path = "/api/v1/assistant/passages/{passage}", tag = "assistant", security(("bearer" = [])),
    params(("passage" = uuid::Uuid, Path, description = "The passage's id")),
    responses((status = 200, body = Passage),
        (status = "4XX", description = "A problem: passage_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn get_passage(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    Path(id): Path<PassageId>,
) -> Result<Json<Passage>, ApiError> {
    Ok(Json(a.passage(&ctx, id).await?))
}

/// Search the knowledge base
///
/// Passages the caller may read that best answer the query: by keywords
/// (BM25), by meaning (when an embedding model is configured), or both
/// fused (reciprocal rank fusion, the default).
#[utoipa::path(post, path = "/api/v1/assistant/search", tag = "assistant", security(("bearer" = [])),
    request_body = SearchRequest,
    responses((status = 200, body = SearchResults),
        (status = "4XX", description = "A problem: invalid_field, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn search(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    Json(req): Json<SearchRequest>,
) -> Result<Json<SearchResults>, ApiError> {
    Ok(Json(a.search(&ctx, req).await?))
}

/// The events of a streamed answer as SSE.
pub fn sse(rx: tokio::sync::mpsc::Receiver<ChatEvent>) -> axum::response::Response {
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx).map(|ev| {
        Ok::<_, std::convert::Infallible>(Event::default().event(ev.name()).json_data(ev.data()).unwrap_or_default())
    });
    let mut resp = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    // Proxies must not hold the stream back.
    resp.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    resp
}

use futures::StreamExt;

/// Ask the assistant
///
/// Answers from the passages the caller may read, streamed as server-sent
/// events: `conversation` `{id}`, `citations` `{items}` (before the text),
/// `delta` `{text}` (append), then `done` `{message_id, mode, tokens}`, or
/// `error` `{code, detail}` if it fails midway. With a language model the
/// answer is written by it and cites `[n]`; without one it quotes the best
/// passages. Counts one AI question, and the model's tokens.
#[utoipa::path(post, path = "/api/v1/assistant/chat", tag = "assistant", security(("bearer" = [])),
    request_body = ChatRequest,
    responses((status = 200, description = "text/event-stream of the answer's events", content_type = "text/event-stream", body = String),
        (status = "4XX", description = "A problem: invalid_field, conversation_not_found, plan_limit_reached, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn chat(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    Json(req): Json<ChatRequest>,
) -> Result<axum::response::Response, ApiError> {
    let rx = a.chat(Asker::member(&ctx)?, &req.message, req.conversation_id).await?;
    Ok(sse(rx))
}

/// List conversations
///
/// The caller's own conversations, newest first.
#[utoipa::path(get, path = "/api/v1/assistant/conversations", tag = "assistant", security(("bearer" = [])),
    responses((status = 200, body = Conversations),
        (status = "4XX", description = "A problem: unauthorized, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn list_conversations(State(a): State<Assistant>, ctx: TenantCtx) -> Result<Json<Conversations>, ApiError> {
    Ok(Json(Conversations { items: a.conversations(&ctx).await? }))
}

/// Get a conversation
///
/// One of the caller's conversations with its messages and their citations.
#[utoipa::path(get, path = "/api/v1/assistant/conversations/{conversation}", tag = "assistant", security(("bearer" = [])),
    params(("conversation" = uuid::Uuid, Path, description = "The conversation's id")),
    responses((status = 200, body = Conversation),
        (status = "4XX", description = "A problem: conversation_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn get_conversation(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    Path(id): Path<ConversationId>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(a.conversation(&ctx, id).await?))
}

/// Delete a conversation
///
/// One of the caller's conversations, with its messages.
#[utoipa::path(delete, path = "/api/v1/assistant/conversations/{conversation}", tag = "assistant", security(("bearer" = [])),
    params(("conversation" = uuid::Uuid, Path, description = "The conversation's id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "A problem: conversation_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn delete_conversation(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    Path(id): Path<ConversationId>,
) -> Result<axum::http::StatusCode, ApiError> {
    a.delete_conversation(&ctx, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Get the assistant's settings
///
/// Its name, persona, tone, what it does when unsure, the widget, and the
/// workspace's own language model (its key is never shown: `has_key`).
#[utoipa::path(get, path = "/api/v1/assistant/settings", tag = "assistant", security(("bearer" = [])),
    responses((status = 200, body = Settings),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn get_settings(State(a): State<Assistant>, ctx: TenantCtx) -> Result<Json<Settings>, ApiError> {
    Ok(Json(a.settings(&ctx).await?))
}

/// Change the assistant's settings
///
/// Replaces them. `llm.api_key` (and Bedrock's `llm.secret_key`) are kept
/// when left out and removed when `""`; they are stored sealed. A
/// workspace's own language model needs a plan with language-model
/// providers. Admins and owners.
#[utoipa::path(put, path = "/api/v1/assistant/settings", tag = "assistant", security(("bearer" = [])),
    request_body = Settings,
    responses((status = 200, body = Settings),
        (status = "4XX", description = "A problem: invalid_field, invalid_body, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn put_settings(
    State(a): State<Assistant>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Json(s): Json<Settings>,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(a.put_settings(&ctx, Some(ip), s).await?))
}

/// What the assistant can do
///
/// Whether passages are searched by meaning (and with which model), which
/// language model answers this workspace (`null`: quoting answers), and
/// how document parsing is confined on this server.
#[utoipa::path(get, path = "/api/v1/assistant/status", tag = "assistant", security(("bearer" = [])),
    responses((status = 200, body = AssistantStatus),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn status(State(a): State<Assistant>, ctx: TenantCtx) -> Result<Json<AssistantStatus>, ApiError> {
    Ok(Json(a.status(&ctx).await?))
}
