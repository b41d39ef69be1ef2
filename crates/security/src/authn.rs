//! Resolves a request's credentials to a [`TenantCtx`]: an access token
//! (`Authorization: Bearer <jwt>`) or an API key (`Authorization: Bearer sp_…`
//! or `X-Api-Key: sp_…`). Rights come from the person behind the credential
//! as they are now (read through the credential cache, see [`crate::cache`]):
//! a removed member or a revoked key loses access at once, not when a token
//! expires, and an API key acts with the lesser of its scopes and its
//! creator's current role, so demoting someone demotes their keys too.

use crate::crypto::token_hash;
use crate::error::Error;
use crate::model::Scopes;
use crate::service::Security;
use crate::store;
use axum::http::{header, request::Parts};
use stackpro_core::{ApiError, Authenticator, Principal, TenantCtx};

/// The prefix of every API key secret.
pub const API_KEY_PREFIX: &str = "sp_";

#[async_trait::async_trait]
impl Authenticator for Security {
    async fn authenticate(&self, parts: &Parts) -> Result<TenantCtx, ApiError> {
        let bearer = bearer(&parts.headers);
        let api_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
        let ctx = match (bearer, api_key) {
            (Some(k), _) | (None, Some(k)) if k.starts_with(API_KEY_PREFIX) => self.by_api_key(k).await,
            (Some(token), _) => self.by_access_token(token).await,
            (None, Some(_)) => Err(Error::Unauthorized("The API key is not valid.")),
            (None, None) => Err(Error::Unauthorized("Sign in, or send an access token or API key.")),
        };
        Ok(ctx?)
    }

    async fn authenticate_operator(&self, parts: &Parts) -> Result<stackpro_core::OperatorCtx, ApiError> {
        let bearer = bearer(&parts.headers).ok_or_else(stackpro_core::OperatorCtx::not_found)?;
        self.operator_of(bearer).await.map_err(|_| stackpro_core::OperatorCtx::not_found())
    }
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

impl Security {
    async fn by_access_token(&self, token: &str) -> Result<TenantCtx, Error> {
        let claims = self.tokens().verify(token)?;
        if self.cache().session_ended(claims.sid) {
            return Err(Error::Unauthorized("This session was signed out; sign in again."));
        }
        let member = self
            .cached_user(claims.tid, claims.sub)
            .await?
            .ok_or(Error::Unauthorized("The account behind this token no longer exists."))?;
        // Microseconds, what both databases keep: a token issued in the same
        // second as a password change, but before it, is refused too.
        if member.user.tokens_valid_after.is_some_and(|t| claims.issued_at_micros() < t.timestamp_micros()) {
            return Err(Error::Unauthorized("The password changed since this token was issued; sign in again."));
        }
        Ok(TenantCtx {
            tenant: claims.tid,
            principal: Principal::User(member.user.id),
            role: member.user.role(),
            read_only: false,
            person: Some(member.user.id),
            plan: member.tenant.plan_ref(),
        })
    }

    async fn by_api_key(&self, secret: &str) -> Result<TenantCtx, Error> {
        let hash = token_hash(secret);
        let key = match self.cache().api_key(&hash) {
            Some(hit) => Some(hit),
            None => {
                // Taken before the read: an invalidation that lands while we
                // read makes the insert below a no-op.
                let generation = self.cache().generation();
                let mut sys = self.db().system_read().await?;
                let key = store::api_key_by_hash(&mut sys, &hash).await?;
                sys.commit().await?;
                if let Some(k) = key.as_ref().filter(|k| k.revoked_at.is_none()) {
                    self.cache().put_api_key(generation, hash.clone(), k.clone());
                }
                key
            }
        };
        let key = key
            .filter(|k| k.revoked_at.is_none())
            .ok_or(Error::Unauthorized("The API key is not valid or was revoked."))?;
        let now = self.clock_now();
        // Record use at most once a minute, so reads stay reads.
        if key.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
            self.touch_api_key(key.tenant_id, key.id).await?;
            self.cache().touch_api_key(&hash, now);
        }
        // The key acts for its creator and never with more than they hold now.
        let creator = match key.created_by {
            Some(u) => self.cached_user(key.tenant_id, u).await?,
            None => None,
        };
        let creator =
            creator.ok_or(Error::Unauthorized("The person who created this API key is no longer a member."))?;
        let (scoped, read_only) = Scopes::from_stored(&key.scopes).role();
        Ok(TenantCtx {
            tenant: key.tenant_id,
            principal: Principal::ApiKey(key.id),
            role: scoped.lesser(creator.user.role()),
            read_only,
            person: Some(creator.user.id),
            plan: creator.tenant.plan_ref(),
        })
    }
}
