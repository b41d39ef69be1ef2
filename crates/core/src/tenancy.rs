//! The tenant context of a request. Every function that reads or writes tenant
//! data takes a [`TenantCtx`]; the only way to get one in a handler is the
//! extractor below, which asks the [`Authenticator`] (implemented by `security`).

use crate::error::{ApiError, Code};
use crate::ids::{ApiKeyId, TenantId, UserId};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// A member's role in a tenant, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Owns the workspace: billing, deletion, everything an admin can do.
    Owner,
    /// Manages members, API keys and settings.
    Admin,
    /// Works in the workspace: sites, documents, conversations.
    Member,
    /// An outside client: sees only what is shared with them.
    Client,
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::Client => 0,
        }
    }
    /// Whether this role includes every right of `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
    /// The less powerful of two roles: what a credential holds when it is
    /// capped by the role of the person behind it.
    pub fn lesser(self, other: Role) -> Role {
        if self.rank() <= other.rank() {
            self
        } else {
            other
        }
    }
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Client => "client",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "client" => Some(Role::Client),
            _ => None,
        }
    }
}

/// Who is acting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in person, by access token.
    User(UserId),
    /// A program, by API key.
    ApiKey(ApiKeyId),
}

impl Principal {
    /// The principal's id as a UUID, for logs and audit entries.
    pub fn id(&self) -> uuid::Uuid {
        match self {
            Principal::User(u) => u.0,
            Principal::ApiKey(k) => k.0,
        }
    }
}

/// The tenant, principal and rights of one request.
#[derive(Clone, Debug)]
pub struct TenantCtx {
    /// The tenant every query of this request is bound to.
    pub tenant: TenantId,
    /// Who is acting.
    pub principal: Principal,
    /// The rights the principal holds in the tenant.
    pub role: Role,
    /// An API key limited to reading: every write is refused.
    pub read_only: bool,
    /// The person whose rights the request exercises: the signed-in user, or
    /// the creator of the API key. What the request creates belongs to them,
    /// and its rights never exceed theirs.
    pub person: Option<UserId>,
    /// The tenant's plan and standing, which bound what it may use.
    pub plan: crate::metering::PlanRef,
}

impl TenantCtx {
    /// Refuses unless the principal's role includes `min`.
    ///
    /// # Errors
    /// `forbidden` when the role is lower.
    pub fn require(&self, min: Role) -> Result<(), ApiError> {
        if self.role.at_least(min) {
            Ok(())
        } else {
            Err(ApiError::new(Code::Forbidden, format!("This action needs the {} role or higher.", min.as_str())))
        }
    }
    /// Refuses a write by a read-only API key, then checks the role.
    ///
    /// # Errors
    /// `forbidden` for a read-only key or a lower role.
    pub fn require_write(&self, min: Role) -> Result<(), ApiError> {
        if self.read_only {
            return Err(ApiError::new(Code::Forbidden, "This API key may only read."));
        }
        self.require(min)
    }
    /// As [`TenantCtx::require_write`], with the refusal's words for people
    /// (`why` when the role is lower), for crates with their own errors.
    ///
    /// # Errors
    /// The words of the refusal.
    pub fn may_write(&self, min: Role, why: &'static str) -> Result<(), &'static str> {
        if self.read_only {
            return Err("This API key may only read.");
        }
        if !self.role.at_least(min) {
            return Err(why);
        }
        Ok(())
    }
    /// The acting user, if the principal is a person.
    pub fn user(&self) -> Option<UserId> {
        match self.principal {
            Principal::User(u) => Some(u),
            Principal::ApiKey(_) => None,
        }
    }
}

/// A place for the request's [`TenantCtx`], put into the request by the
/// server's edge middleware and filled by the extractor, so the middleware
/// learns after the handler whom the request was for (to record a refused
/// request against its tenant). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct CtxSlot(Arc<std::sync::OnceLock<TenantCtx>>);

impl CtxSlot {
    /// The context, if the request got far enough to have one.
    pub fn get(&self) -> Option<&TenantCtx> {
        self.0.get()
    }
}

/// Resolves a request's credentials to a [`TenantCtx`]. `security` implements
/// it; `server` puts it in the router state.
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticates the request from its headers.
    ///
    /// # Errors
    /// `unauthorized` or `token_expired` when the credentials do not hold.
    async fn authenticate(&self, parts: &Parts) -> Result<TenantCtx, ApiError>;

    /// Authenticates a platform operator's console request.
    ///
    /// # Errors
    /// `route_not_found` for anything but a live operator session, so the
    /// console does not exist for anyone else.
    async fn authenticate_operator(&self, _parts: &Parts) -> Result<OperatorCtx, ApiError> {
        Err(OperatorCtx::not_found())
    }
}

/// A platform operator's request: the people who run the installation, not
/// members of any tenant. The console's endpoints take it; to anyone
/// without it they answer as if they did not exist.
#[derive(Clone, Debug)]
pub struct OperatorCtx {
    /// The operator.
    pub operator: uuid::Uuid,
    /// Their sign-in email.
    pub email: String,
}

impl OperatorCtx {
    /// The answer to anyone who is not an operator: the router's own 404.
    pub fn not_found() -> ApiError {
        ApiError::new(Code::RouteNotFound, "No endpoint answers at this path.")
    }
}

impl<S> FromRequestParts<S> for OperatorCtx
where
    S: Send + Sync,
    AuthState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let auth = AuthState::from_ref(state);
        auth.authenticate_operator(parts).await.map_err(|_| OperatorCtx::not_found())
    }
}

/// The authenticator as held in router state.
pub type AuthState = Arc<dyn Authenticator>;

impl<S> FromRequestParts<S> for TenantCtx
where
    S: Send + Sync,
    AuthState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(ctx) = parts.extensions.get::<TenantCtx>() {
            return Ok(ctx.clone());
        }
        let auth = AuthState::from_ref(state);
        let ctx = auth.authenticate(parts).await?;
        let span = tracing::Span::current();
        span.record("tenant_id", tracing::field::display(ctx.tenant));
        span.record("principal_id", tracing::field::display(ctx.principal.id()));
        if let Some(slot) = parts.extensions.get::<CtxSlot>() {
            let _ = slot.0.set(ctx.clone());
        }
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_from_owner_to_client() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Member));
        assert!(Role::Member.at_least(Role::Client));
        assert!(!Role::Member.at_least(Role::Admin));
        assert!(!Role::Client.at_least(Role::Member));
    }

    #[test]
    fn the_lesser_role_is_the_less_powerful_whichever_comes_first() {
        assert_eq!(Role::Admin.lesser(Role::Client), Role::Client);
        assert_eq!(Role::Client.lesser(Role::Admin), Role::Client);
        assert_eq!(Role::Owner.lesser(Role::Member), Role::Member);
        assert_eq!(Role::Admin.lesser(Role::Admin), Role::Admin);
    }

    #[test]
    fn a_read_only_key_cannot_write_even_as_admin() {
        let ctx = TenantCtx {
            tenant: TenantId::new(),
            principal: Principal::ApiKey(ApiKeyId::new()),
            role: Role::Admin,
            read_only: true,
            person: None,
            plan: crate::metering::PlanRef { key: "starter".into(), status: crate::metering::PlanStatus::Active },
        };
        assert!(ctx.require(Role::Admin).is_ok());
        assert_eq!(ctx.require_write(Role::Member).unwrap_err().code(), Code::Forbidden);
    }
}
