//! HTTP handlers for sign-up, sign-in, members, API keys and the audit log.
//! Each extracts, calls one service method and maps the result.

use crate::audit::Verification;
use crate::error::Error;
use crate::model::*;
use crate::service::{Security, Signup};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use stackpro_core::ids::{ApiKeyId, UserId};
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, ClientIp, Json, Path, Problem, Query, Role, TenantCtx};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this crate, for any router state that holds the service
/// and the authenticator.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Security: FromRef<S>,
    AuthState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
        .routes(routes!(accept_invitation))
        .routes(routes!(me))
        .routes(routes!(list_members, invite_member))
        .routes(routes!(get_member, update_member, remove_member))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(get_api_key, revoke_api_key))
        .routes(routes!(list_audit))
        .routes(routes!(verify_audit))
        .routes(routes!(get_audit_entry))
        .routes(routes!(list_security_events))
        .routes(routes!(operator_login, operator_logout))
        .routes(routes!(operator_me))
}

/// The schema states the four roles; an unknown one is still answered with
/// `invalid_role` on `/role`, as before the schema said so.
fn parse_role(raw: &str) -> Result<Role, Error> {
    Role::parse(raw).ok_or(Error::InvalidRole("Choose a role among owner, admin, member and client."))
}

/// Parses an optional display name; empty means none.
fn optional_name(raw: Option<&str>) -> Result<Option<Name>, Error> {
    match raw.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Ok(Some(Name::parse(n, "/name")?)),
        None => Ok(None),
    }
}

// ---- auth -----------------------------------------------------------------

/// Body of `POST /api/v1/auth/signup`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The owner's email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 10 to 1024 characters, not the email address.
    #[schema(min_length = 10, max_length = 1024, pattern = r"^[^\u0000]*$")]
    pub password: String,
    /// The business's name.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub tenant_name: String,
}

impl TryFrom<SignupRequest> for Signup {
    type Error = Error;
    fn try_from(r: SignupRequest) -> Result<Self, Error> {
        let email = Email::parse(&r.email)?;
        Ok(Signup {
            password: Password::parse_new(&r.password, &email, "/password")?,
            tenant_name: TenantName::parse(&r.tenant_name)?,
            email,
        })
    }
}

/// Create a workspace
///
/// Creates a tenant and its owner and signs the owner in.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = Session),
        (status = "4XX", description = "A problem: invalid_email, weak_password, invalid_tenant_name, rate_limited, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn signup(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<SignupRequest>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    let session = sec.signup(body.try_into()?, ip).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Body of `POST /api/v1/auth/login`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Password.
    #[schema(max_length = 1024, pattern = r"^[^\u0000]*$")]
    pub password: String,
    /// The workspace's slug. Without it, the oldest workspace this email
    /// belongs to.
    #[serde(default)]
    #[schema(min_length = 3, max_length = 63, pattern = "^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")]
    pub tenant: Option<String>,
}

/// Sign in
///
/// Exchanges email and password for a session.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = Session),
        (status = "4XX", description = "A problem: invalid_credentials, rate_limited, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn login(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<LoginRequest>,
) -> Result<Json<Session>, ApiError> {
    // A malformed email or an overlong password cannot match an account:
    // answer as a wrong password.
    let email = Email::parse(&body.email).map_err(|_| Error::InvalidCredentials)?;
    if body.password.chars().count() > Password::MAX {
        return Err(Error::InvalidCredentials.into());
    }
    let tenant = body.tenant.as_deref().map(str::trim).filter(|t| !t.is_empty());
    Ok(Json(sec.login(email, &body.password, tenant, ip).await?))
}

/// Body of refresh and logout.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the session.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*$")]
    pub refresh_token: String,
}

/// Refresh a session
///
/// Exchanges a refresh token (single use) for a new access and refresh token.
/// Presenting a used token revokes its whole family.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = Session),
        (status = "4XX", description = "A problem: refresh_token_invalid, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn refresh(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<RefreshRequest>,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(sec.refresh(&body.refresh_token, ip).await?))
}

/// Sign out
///
/// Revokes the session's refresh token and every token rotated from it.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out."),
        (status = "4XX", description = "A problem: invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn logout(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    sec.logout(&body.refresh_token, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/auth/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The current password.
    #[schema(max_length = 1024, pattern = r"^[^\u0000]*$")]
    pub current_password: String,
    /// The new password: 10 to 1024 characters, not the email address.
    #[schema(min_length = 10, max_length = 1024, pattern = r"^[^\u0000]*$")]
    pub new_password: String,
}

/// Change password
///
/// Changes the caller's password and signs out their other sessions.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses((status = 204, description = "Changed."),
        (status = "4XX", description = "A problem: unauthorized, invalid_credentials, weak_password, rate_limited.", body = Problem, content_type = "application/problem+json")))]
async fn change_password(
    State(sec): State<Security>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    sec.change_password(&ctx, &body.current_password, &body.new_password, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/auth/password-reset`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The account's email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// The workspace slug, to limit the reset to one workspace.
    #[serde(default)]
    #[schema(min_length = 3, max_length = 63, pattern = "^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")]
    pub tenant: Option<String>,
}

/// Request a password reset
///
/// Emails a one-hour reset link if the account exists; answers 202 either way.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses((status = 202, description = "If the account exists, a link is on its way."),
        (status = "4XX", description = "A problem: invalid_email, rate_limited, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn request_password_reset(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    let email = Email::parse(&body.email)?;
    let tenant = body.tenant.as_deref().map(str::trim).filter(|t| !t.is_empty());
    sec.request_password_reset(email, tenant, ip).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Body of `POST /api/v1/auth/password-reset/confirm`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the emailed link.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*$")]
    pub token: String,
    /// The new password: 10 to 1024 characters, not the email address.
    #[schema(min_length = 10, max_length = 1024, pattern = r"^[^\u0000]*$")]
    pub new_password: String,
}

/// Set a new password
///
/// Uses a reset link's token to set a new password; every session ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses((status = 204, description = "Password set; sign in with it."),
        (status = "4XX", description = "A problem: reset_token_invalid, weak_password, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn confirm_password_reset(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    sec.confirm_password_reset(&body.token, &body.new_password, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/invitations/accept`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The token from the invitation link.
    #[schema(max_length = 200, pattern = r"^[^\u0000]*$")]
    pub token: String,
    /// The password to sign in with from now on: 10 to 1024 characters, not
    /// the email address.
    #[schema(min_length = 10, max_length = 1024, pattern = r"^[^\u0000]*$")]
    pub password: String,
    /// The name to show to the team.
    #[serde(default)]
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub name: Option<String>,
}

/// Accept an invitation
///
/// Joins the workspace with a password (and name) and signs in.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "members", request_body = AcceptInvitation,
    responses((status = 200, body = Session),
        (status = "4XX", description = "A problem: invite_invalid, weak_password, invalid_name, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn accept_invitation(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<AcceptInvitation>,
) -> Result<Json<Session>, ApiError> {
    let name = optional_name(body.name.as_deref())?;
    Ok(Json(sec.accept_invitation(&body.token, &body.password, name, ip).await?))
}

/// The caller
///
/// Who is calling: the person (or API key), the workspace and the role.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me),
        (status = "4XX", description = "A problem: unauthorized, token_expired.", body = Problem, content_type = "application/problem+json")))]
async fn me(State(sec): State<Security>, ctx: TenantCtx) -> Result<Json<Me>, ApiError> {
    Ok(Json(sec.me(&ctx).await?))
}

// ---- members --------------------------------------------------------------

/// The members of a workspace.
#[derive(serde::Serialize, ToSchema)]
pub struct MemberList {
    /// Members and pending invitations, oldest first.
    pub items: Vec<Member>,
}

/// List members
///
/// Every member and pending invitation of the workspace.
#[utoipa::path(get, path = "/api/v1/members", tag = "members", security(("bearer" = [])),
    responses((status = 200, body = MemberList),
        (status = "4XX", description = "A problem: unauthorized, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn list_members(State(sec): State<Security>, ctx: TenantCtx) -> Result<Json<MemberList>, ApiError> {
    Ok(Json(MemberList { items: sec.members(&ctx).await? }))
}

/// Body of `POST /api/v1/members`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteMember {
    /// Who to invite.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Their role: at most the inviter's own.
    #[schema(value_type = Role)]
    pub role: String,
    /// Their name, if known.
    #[serde(default)]
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub name: Option<String>,
}

/// Invite a member
///
/// Invites someone by email with a role. The answer holds the invitation link,
/// which is also emailed when SMTP is configured.
#[utoipa::path(post, path = "/api/v1/members", tag = "members", request_body = InviteMember, security(("bearer" = [])),
    responses((status = 201, body = Invitation),
        (status = "4XX", description = "A problem: unauthorized, forbidden, invalid_email, invalid_role, email_taken, plan_limit_reached (402: the plan's seats are all taken).", body = Problem, content_type = "application/problem+json")))]
async fn invite_member(
    State(sec): State<Security>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Json(body): Json<InviteMember>,
) -> Result<(StatusCode, Json<Invitation>), ApiError> {
    let email = Email::parse(&body.email)?;
    let name = optional_name(body.name.as_deref())?;
    let inv = sec.invite(&ctx, email, parse_role(&body.role)?, name, ip).await?;
    Ok((StatusCode::CREATED, Json(inv)))
}

/// Get a member
///
/// One member of the workspace.
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = UserId, Path, description = "The member's user id")),
    responses((status = 200, body = Member),
        (status = "4XX", description = "A problem: unauthorized, member_not_found.", body = Problem, content_type = "application/problem+json")))]
async fn get_member(
    State(sec): State<Security>,
    ctx: TenantCtx,
    Path(id): Path<UserId>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(sec.member(&ctx, id).await?))
}

/// Body of `PATCH /api/v1/members/{id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    /// The new role.
    #[schema(value_type = Role)]
    pub role: String,
}

/// Change a member's role
///
/// Only owners give or take the owner role; the last owner keeps it.
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members", request_body = UpdateMember, security(("bearer" = [])),
    params(("id" = UserId, Path, description = "The member's user id")),
    responses((status = 200, body = Member),
        (status = "4XX", description = "A problem: unauthorized, forbidden, member_not_found, invalid_role, last_owner.", body = Problem, content_type = "application/problem+json")))]
async fn update_member(
    State(sec): State<Security>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(id): Path<UserId>,
    Json(body): Json<UpdateMember>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(sec.set_role(&ctx, id, parse_role(&body.role)?, ip).await?))
}

/// Remove a member
///
/// Removes a member or withdraws an invitation; their sessions end at once.
#[utoipa::path(delete, path = "/api/v1/members/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = UserId, Path, description = "The member's user id")),
    responses((status = 204, description = "Removed."),
        (status = "4XX", description = "A problem: unauthorized, forbidden, member_not_found, last_owner.", body = Problem, content_type = "application/problem+json")))]
async fn remove_member(
    State(sec): State<Security>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(id): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    sec.remove_member(&ctx, id, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- API keys -------------------------------------------------------------

/// The API keys of a workspace.
#[derive(serde::Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Keys, newest first, revoked ones included.
    pub items: Vec<ApiKey>,
}

/// List API keys
///
/// Every API key of the workspace, without secrets.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    responses((status = 200, body = ApiKeyList),
        (status = "4XX", description = "A problem: unauthorized, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn list_api_keys(State(sec): State<Security>, ctx: TenantCtx) -> Result<Json<ApiKeyList>, ApiError> {
    Ok(Json(ApiKeyList { items: sec.api_keys(&ctx).await? }))
}

/// Body of `POST /api/v1/api-keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What the key is for.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub name: String,
    /// What it may do. A key never does more than its creator may do at the
    /// time it is used.
    #[schema(min_items = 1, value_type = Vec<Scope>)]
    pub scopes: Vec<String>,
}

/// Create an API key
///
/// Creates a key; its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateApiKey, security(("bearer" = [])),
    responses((status = 201, body = CreatedApiKey),
        (status = "4XX", description = "A problem: unauthorized, forbidden, invalid_name, invalid_scope.", body = Problem, content_type = "application/problem+json")))]
async fn create_api_key(
    State(sec): State<Security>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Json(body): Json<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let name = Name::parse(&body.name, "/name")?;
    let scopes = body.scopes.iter().map(|s| Scope::parse(s)).collect::<Result<Vec<_>, _>>()?;
    let created = sec.create_api_key(&ctx, name, Scopes::new(scopes)?, ip).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Get an API key
///
/// One API key, without its secret.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = ApiKeyId, Path, description = "The key's id")),
    responses((status = 200, body = ApiKey),
        (status = "4XX", description = "A problem: unauthorized, forbidden, api_key_not_found.", body = Problem, content_type = "application/problem+json")))]
async fn get_api_key(
    State(sec): State<Security>,
    ctx: TenantCtx,
    Path(id): Path<ApiKeyId>,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(sec.api_key(&ctx, id).await?))
}

/// Revoke an API key
///
/// The key stops working at once. Revoking twice is not an error.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = ApiKeyId, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked."),
        (status = "4XX", description = "A problem: unauthorized, forbidden, api_key_not_found.", body = Problem, content_type = "application/problem+json")))]
async fn revoke_api_key(
    State(sec): State<Security>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(id): Path<ApiKeyId>,
) -> Result<StatusCode, ApiError> {
    sec.revoke_api_key(&ctx, id, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- audit ----------------------------------------------------------------

/// Query of `GET /api/v1/audit`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Entries per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Only entries older than this seq (from `next_before`).
    pub before: Option<i64>,
}

/// Read the audit log
///
/// Security-relevant actions in the workspace, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage),
        (status = "4XX", description = "A problem: unauthorized, forbidden, invalid_query.", body = Problem, content_type = "application/problem+json")))]
async fn list_audit(
    State(sec): State<Security>,
    ctx: TenantCtx,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(sec.audit_log(&ctx, q.before, q.limit.unwrap_or(50)).await?))
}

/// Verify the audit chain
///
/// Recomputes the hash chain and names the first entry that was changed,
/// removed or reordered.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Verification),
        (status = "4XX", description = "A problem: unauthorized, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn verify_audit(State(sec): State<Security>, ctx: TenantCtx) -> Result<Json<Verification>, ApiError> {
    Ok(Json(sec.verify_audit(&ctx).await?))
}

/// Get an audit entry
///
/// One entry of the audit log.
#[utoipa::path(get, path = "/api/v1/audit/entries/{id}", tag = "audit", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The entry's id")),
    responses((status = 200, body = AuditEntry),
        (status = "4XX", description = "A problem: unauthorized, forbidden, audit_entry_not_found.", body = Problem, content_type = "application/problem+json")))]
async fn get_audit_entry(
    State(sec): State<Security>,
    ctx: TenantCtx,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<AuditEntry>, ApiError> {
    Ok(Json(sec.audit_entry(&ctx, id).await?))
}

// ---- security events ------------------------------------------------------

/// Query of `GET /api/v1/security-events`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct SecurityEventQuery {
    /// Events per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Only events older than this one (the last id of the previous page).
    pub before: Option<uuid::Uuid>,
}

/// A page of security events.
#[derive(serde::Serialize, ToSchema)]
pub struct SecurityEventList {
    /// Newest first.
    pub items: Vec<crate::events::SecurityEvent>,
}

/// List security events
///
/// Requests to this workspace that were refused: bad or expired credentials,
/// forbidden actions, rate limits. Refused sign-ins are recorded per client
/// address only (a sign-in names no workspace until it succeeds).
#[utoipa::path(get, path = "/api/v1/security-events", tag = "audit", security(("bearer" = [])), params(SecurityEventQuery),
    responses((status = 200, body = SecurityEventList),
        (status = "4XX", description = "A problem: unauthorized, forbidden, invalid_query.", body = Problem, content_type = "application/problem+json")))]
async fn list_security_events(
    State(sec): State<Security>,
    ctx: TenantCtx,
    Query(q): Query<SecurityEventQuery>,
) -> Result<Json<SecurityEventList>, ApiError> {
    Ok(Json(SecurityEventList { items: sec.security_events(&ctx, q.before, q.limit.unwrap_or(50)).await? }))
}

/// Body of the console's sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorLoginRequest {
    /// The operator's email.
    #[schema(max_length = 254)]
    pub email: String,
    /// The password.
    #[schema(max_length = 1024, pattern = r"^[^\u0000]*$")]
    pub password: String,
}

/// Sign in to the operator console
///
/// For the people who run this installation (made with `stackpro operator
/// create`), not for members of workspaces. The token it returns opens the
/// `/api/v1/operator/…` endpoints for eight hours.
#[utoipa::path(post, path = "/api/v1/operator/session", tag = "operator", request_body = OperatorLoginRequest,
    responses((status = 200, body = crate::service::operators::OperatorSession),
        (status = "4XX", description = "A problem: invalid_credentials, rate_limited, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn operator_login(
    State(sec): State<Security>,
    ClientIp(ip): ClientIp,
    Json(body): Json<OperatorLoginRequest>,
) -> Result<Json<crate::service::operators::OperatorSession>, ApiError> {
    let email = Email::parse(&body.email).map_err(|_| Error::InvalidCredentials)?;
    if body.password.chars().count() > Password::MAX {
        return Err(Error::InvalidCredentials.into());
    }
    Ok(Json(sec.operator_login(&email, &body.password, ip).await?))
}

/// Sign out of the operator console
///
/// Ends the session whose token authenticates the request.
#[utoipa::path(delete, path = "/api/v1/operator/session", tag = "operator", security(("operator" = [])),
    responses((status = 204, description = "Signed out."),
        (status = "4XX", description = "A problem: route_not_found for anyone but an operator (the console answers as if it did not exist).", body = Problem, content_type = "application/problem+json")))]
async fn operator_logout(
    State(sec): State<Security>,
    _op: stackpro_core::OperatorCtx,
    headers: axum::http::HeaderMap,
) -> Result<axum::http::StatusCode, ApiError> {
    sec.operator_logout(crate::authn::bearer(&headers).unwrap_or_default()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The signed-in operator.
#[derive(Serialize, ToSchema)]
pub struct OperatorMe {
    /// Their email.
    pub email: String,
}

/// Who is signed in to the console
#[utoipa::path(get, path = "/api/v1/operator/me", tag = "operator", security(("operator" = [])),
    responses((status = 200, body = OperatorMe),
        (status = "4XX", description = "A problem: route_not_found for anyone but an operator (the console answers as if it did not exist).", body = Problem, content_type = "application/problem+json")))]
async fn operator_me(op: stackpro_core::OperatorCtx) -> Json<OperatorMe> {
    Json(OperatorMe { email: op.email })
}
