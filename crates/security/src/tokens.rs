//! Access tokens: short-lived HS256 JWTs. The signing key is a server secret
//! kept in the database wrapped by the KEK ([`signing_key`]), so every replica
//! shares it and rotating the KEK signs nobody out. Expiry is checked against
//! our [`Clock`], not the library's, so tests can move time.

use crate::crypto::Keyring;
use crate::error::Error;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use stackpro_core::ids::{TenantId, UserId};
use stackpro_core::Clock;
use stackpro_store::Db;

/// The name of the signing key among the server secrets.
pub const SIGNING_KEY: &str = "access_token_signing_key";

/// Loads the signing key, creating it on first start.
///
/// # Errors
/// When the key cannot be unwrapped or the database fails.
pub async fn signing_key(db: &Db, keys: &Keyring, now: DateTime<Utc>) -> Result<[u8; 32], Error> {
    crate::crypto::server_secret(db, keys, SIGNING_KEY, now).await
}

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// The tenant.
    pub tid: TenantId,
    /// The session (refresh-token family) the token belongs to, so signing
    /// out ends the access token too.
    pub sid: uuid::Uuid,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Issued at, in microseconds (absent from tokens of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat_us: Option<i64>,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

impl Claims {
    /// When the token was issued, in microseconds; for a token without
    /// `iat_us`, the start of its second (so it is refused by a change made
    /// in that same second: the safe side).
    pub fn issued_at_micros(&self) -> i64 {
        self.iat_us.unwrap_or(self.iat.saturating_mul(1_000_000))
    }
}

/// Issues and checks access tokens.
#[derive(Clone)]
pub struct AccessTokens {
    key: [u8; 32],
    clock: Clock,
    ttl: Duration,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens").field("key", &"***").field("ttl", &self.ttl).finish()
    }
}

impl AccessTokens {
    /// Tokens signed with `key`, valid for `ttl`.
    pub fn new(key: [u8; 32], clock: Clock, ttl: Duration) -> AccessTokens {
        AccessTokens { key, clock, ttl }
    }

    /// The lifetime of a token.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for a user of a tenant.
    ///
    /// # Errors
    /// Only if signing fails.
    pub fn issue(&self, tenant: TenantId, user: UserId, session: uuid::Uuid) -> Result<(String, DateTime<Utc>), Error> {
        let now = self.clock.now();
        let exp = now + self.ttl;
        let claims = Claims {
            sub: user,
            tid: tenant,
            sid: session,
            iat: now.timestamp(),
            iat_us: Some(now.timestamp_micros()),
            exp: exp.timestamp(),
        };
        let key = EncodingKey::from_secret(&self.key);
        let token = encode(&Header::new(Algorithm::HS256), &claims, &key).map_err(|e| Error::Crypto(e.to_string()))?;
        Ok((token, exp))
    }

    /// Checks a token's signature and expiry.
    ///
    /// # Errors
    /// `unauthorized` for a bad token, `token_expired` for an old one.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        match decode::<Claims>(token, &DecodingKey::from_secret(&self.key), &validation) {
            Ok(data) if data.claims.exp <= self.clock.now().timestamp() => Err(Error::TokenExpired),
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {
                Err(Error::Unauthorized("The access token is not valid."))
            }
            Err(_) => Err(Error::Unauthorized("The access token is malformed.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(clock: &Clock) -> AccessTokens {
        AccessTokens::new(Keyring::random_key(), clock.clone(), Duration::minutes(15))
    }

    #[test]
    fn a_token_holds_until_it_expires() {
        let clock = Clock::manual(Utc::now());
        let t = tokens(&clock);
        let (tok, _) = t.issue(TenantId::new(), UserId::new(), uuid::Uuid::now_v7()).unwrap();
        assert!(t.verify(&tok).is_ok());
        clock.advance(Duration::minutes(16));
        assert!(matches!(t.verify(&tok), Err(Error::TokenExpired)));
    }

    #[test]
    fn a_token_signed_by_another_key_or_tampered_is_refused() {
        let clock = Clock::manual(Utc::now());
        let a = tokens(&clock);
        let b = tokens(&clock);
        let (tok, _) = a.issue(TenantId::new(), UserId::new(), uuid::Uuid::now_v7()).unwrap();
        assert!(matches!(b.verify(&tok), Err(Error::Unauthorized(_))));
        let mut tampered = tok.clone();
        tampered.insert(tok.len() / 2, 'x');
        assert!(a.verify(&tampered).is_err());
        assert!(a.verify("not.a.jwt").is_err());
    }
}
