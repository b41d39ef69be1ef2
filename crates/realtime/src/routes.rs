//! HTTP handlers of realtime under `/api/v1/realtime`: channels, messages,
//! read marks and presence. The WebSocket gateway is [`crate::gateway`].
//! Each handler extracts, calls one service method and maps the result.

use crate::model::*;
use crate::service::Realtime;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, Json, Path, Problem, Query, TenantCtx};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The API routes of this crate, the gateway included.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Realtime: FromRef<S>,
    AuthState: FromRef<S>,
{
    OpenApiRouter::new()
        .route("/api/v1/realtime", axum::routing::get(crate::gateway::connect::<S>))
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(get_channel, delete_channel))
        .routes(routes!(change_members))
        .routes(routes!(open_direct))
        .routes(routes!(list_messages, post_message))
        .routes(routes!(edit_message, delete_message))
        .routes(routes!(add_reaction, remove_reaction))
        .routes(routes!(mark_read))
        .routes(routes!(presence))
}

/// A list of channels.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Channels {
    /// Oldest first.
    pub items: Vec<Channel>,
}

/// A list of messages.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Messages {
    /// Oldest first.
    pub items: Vec<Message>,
}

/// Who is online.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PresenceList {
    /// People online or away; everyone else is offline.
    pub items: Vec<Presence>,
}

/// List channels
///
/// The channels the caller may read, with unread counts: team channels
/// (not for clients), private channels and direct messages the caller is
/// in, and channels shared with the caller.
#[utoipa::path(get, path = "/api/v1/realtime/channels", tag = "realtime", security(("bearer" = [])),
    responses((status = 200, body = Channels),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn list_channels(State(rt): State<Realtime>, ctx: TenantCtx) -> Result<Json<Channels>, ApiError> {
    Ok(Json(Channels { items: rt.channels(&ctx).await? }))
}

/// Create a channel
///
/// `team` (the whole team reads it), `private` (its members only) or
/// `clients` (the team and the client members in it). Members and above.
#[utoipa::path(post, path = "/api/v1/realtime/channels", tag = "realtime", security(("bearer" = [])),
    request_body = NewChannel,
    responses((status = 201, body = Channel),
        (status = "4XX", description = "A problem: invalid_field, member_not_found, channel_name_taken, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn create_channel(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Json(new): Json<NewChannel>,
) -> Result<(StatusCode, Json<Channel>), ApiError> {
    Ok((StatusCode::CREATED, Json(rt.create(&ctx, new).await?)))
}

/// Get a channel
#[utoipa::path(get, path = "/api/v1/realtime/channels/{channel}", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id")),
    responses((status = 200, body = Channel),
        (status = "4XX", description = "A problem: channel_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn get_channel(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path(id): Path<ChannelId>,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(rt.channel(&ctx, id).await?))
}

/// Delete a channel
///
/// With all its messages. Admins and the channel's creator.
#[utoipa::path(delete, path = "/api/v1/realtime/channels/{channel}", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "A problem: channel_not_found, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn delete_channel(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path(id): Path<ChannelId>,
) -> Result<StatusCode, ApiError> {
    rt.delete(&ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add or remove members
///
/// The team adds people to channels it reads; anyone may remove
/// themselves (leave); removing others is for admins and the channel's
/// creator. Someone removed stops receiving the channel's events at once.
#[utoipa::path(post, path = "/api/v1/realtime/channels/{channel}/members", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id")),
    request_body = MembersChange,
    responses((status = 200, body = Channel),
        (status = "4XX", description = "A problem: channel_not_found, member_not_found, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn change_members(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path(id): Path<ChannelId>,
    Json(change): Json<MembersChange>,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(rt.change_members(&ctx, id, change).await?))
}

/// Open a direct message
///
/// The caller's direct-message channel with one person, made on first use.
#[utoipa::path(post, path = "/api/v1/realtime/direct", tag = "realtime", security(("bearer" = [])),
    request_body = NewDirect,
    responses((status = 200, body = Channel),
        (status = "4XX", description = "A problem: member_not_found, invalid_field, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn open_direct(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Json(d): Json<NewDirect>,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(rt.direct(&ctx, d.user).await?))
}

/// Query of a message page.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// Messages numbered below this one (default: the latest).
    #[param(minimum = 0)]
    pub before: Option<i64>,
    /// How many, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The answers in this message's thread instead of the channel.
    pub thread: Option<MessageId>,
}

/// List messages
///
/// A page of the channel's messages (or of one thread's answers), oldest
/// first; page back with `before` = the first one's `seq`.
#[utoipa::path(get, path = "/api/v1/realtime/channels/{channel}/messages", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id"), MessagesQuery),
    responses((status = 200, body = Messages),
        (status = "4XX", description = "A problem: channel_not_found, message_not_found.", body = Problem, content_type = "application/problem+json")))]
async fn list_messages(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path(id): Path<ChannelId>,
    Query(q): Query<MessagesQuery>,
) -> Result<Json<Messages>, ApiError> {
    Ok(Json(Messages { items: rt.messages(&ctx, id, q.thread, q.before, q.limit.unwrap_or(50)).await? }))
}

/// Post a message
///
/// Counted as `messages`; at most 30 per person per 10 seconds. Sent at
/// once to everyone listening to the channel.
#[utoipa::path(post, path = "/api/v1/realtime/channels/{channel}/messages", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id")),
    request_body = NewMessage,
    responses((status = 201, body = Message),
        (status = "4XX", description = "A problem: channel_not_found, message_not_found (thread), invalid_field, rate_limited, plan_limit_reached.", body = Problem, content_type = "application/problem+json")))]
async fn post_message(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path(id): Path<ChannelId>,
    Json(new): Json<NewMessage>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    Ok((StatusCode::CREATED, Json(rt.post(&ctx, id, new).await?)))
}

/// Edit a message
///
/// Its author only.
#[utoipa::path(patch, path = "/api/v1/realtime/channels/{channel}/messages/{message}", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id"), ("message" = uuid::Uuid, Path, description = "The message's id")),
    request_body = MessageEdit,
    responses((status = 200, body = Message),
        (status = "4XX", description = "A problem: channel_not_found, message_not_found, forbidden, invalid_field.", body = Problem, content_type = "application/problem+json")))]
async fn edit_message(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path((channel, id)): Path<(ChannelId, MessageId)>,
    Json(edit): Json<MessageEdit>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(rt.edit(&ctx, channel, id, edit).await?))
}

/// Delete a message
///
/// Its author, or an admin. The message stays as a deleted mark, so
/// threads and numbering hold.
#[utoipa::path(delete, path = "/api/v1/realtime/channels/{channel}/messages/{message}", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id"), ("message" = uuid::Uuid, Path, description = "The message's id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "A problem: channel_not_found, message_not_found, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn delete_message(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path((channel, id)): Path<(ChannelId, MessageId)>,
) -> Result<StatusCode, ApiError> {
    rt.delete_message(&ctx, channel, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// React to a message
#[utoipa::path(post, path = "/api/v1/realtime/channels/{channel}/messages/{message}/reactions", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id"), ("message" = uuid::Uuid, Path, description = "The message's id")),
    request_body = ReactionChange,
    responses((status = 200, body = Message),
        (status = "4XX", description = "A problem: channel_not_found, message_not_found, invalid_field, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn add_reaction(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path((channel, id)): Path<(ChannelId, MessageId)>,
    Json(r): Json<ReactionChange>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(rt.react(&ctx, channel, id, &r.emoji, true).await?))
}

/// Take back a reaction
#[utoipa::path(delete, path = "/api/v1/realtime/channels/{channel}/messages/{message}/reactions", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id"), ("message" = uuid::Uuid, Path, description = "The message's id")),
    request_body = ReactionChange,
    responses((status = 200, body = Message),
        (status = "4XX", description = "A problem: channel_not_found, message_not_found, invalid_field, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn remove_reaction(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path((channel, id)): Path<(ChannelId, MessageId)>,
    Json(r): Json<ReactionChange>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(rt.react(&ctx, channel, id, &r.emoji, false).await?))
}

/// Mark read
///
/// Moves the caller's read mark forward to `seq` (never back); the
/// channel's listeners get a read receipt.
#[utoipa::path(post, path = "/api/v1/realtime/channels/{channel}/read", tag = "realtime", security(("bearer" = [])),
    params(("channel" = uuid::Uuid, Path, description = "The channel's id")),
    request_body = ReadMark,
    responses((status = 204, description = "Marked"),
        (status = "4XX", description = "A problem: channel_not_found, invalid_field.", body = Problem, content_type = "application/problem+json")))]
async fn mark_read(
    State(rt): State<Realtime>,
    ctx: TenantCtx,
    Path(id): Path<ChannelId>,
    Json(m): Json<ReadMark>,
) -> Result<StatusCode, ApiError> {
    rt.mark_read(&ctx, id, m.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Presence
///
/// Who of the workspace is online or away, across every replica.
#[utoipa::path(get, path = "/api/v1/realtime/presence", tag = "realtime", security(("bearer" = [])),
    responses((status = 200, body = PresenceList),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn presence(State(rt): State<Realtime>, ctx: TenantCtx) -> Result<Json<PresenceList>, ApiError> {
    Ok(Json(PresenceList { items: rt.presence(&ctx).await }))
}
