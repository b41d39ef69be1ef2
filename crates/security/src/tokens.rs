//! Access tokens: short-lived HS256 JWTs signed with a key derived from the
//! KEK, so replicas that share the key file share the signing key. Expiry is
//! checked against our [`Clock`], not the library's, so tests can move time.

use crate::crypto::Keyring;
use crate::error::Error;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use stackpro_core::ids::{TenantId, UserId};
use stackpro_core::Clock;

const PURPOSE: &str = "stackpro access-token signing key v1";

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// The tenant.
    pub tid: TenantId,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Issues and checks access tokens.
#[derive(Clone, Debug)]
pub struct AccessTokens {
    keys: Keyring,
    clock: Clock,
    ttl: Duration,
}

impl AccessTokens {
    /// Tokens signed with the keyring's current key, valid for `ttl`.
    pub fn new(keys: Keyring, clock: Clock, ttl: Duration) -> AccessTokens {
        AccessTokens { keys, clock, ttl }
    }

    /// The lifetime of a token.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for a user of a tenant.
    ///
    /// # Errors
    /// Only if signing fails.
    pub fn issue(&self, tenant: TenantId, user: UserId) -> Result<(String, DateTime<Utc>), Error> {
        let now = self.clock.now();
        let exp = now + self.ttl;
        let claims = Claims {
            sub: user,
            tid: tenant,
            iat: now.timestamp(),
            exp: exp.timestamp(),
        };
        let key = EncodingKey::from_secret(&self.keys.current().derive(PURPOSE));
        let token = encode(&Header::new(Algorithm::HS256), &claims, &key)
            .map_err(|e| Error::Crypto(e.to_string()))?;
        Ok((token, exp))
    }

    /// Checks a token's signature (with the current or previous key) and expiry.
    ///
    /// # Errors
    /// `unauthorized` for a bad token, `token_expired` for an old one.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        for kek in self.keys.all() {
            let key = DecodingKey::from_secret(&kek.derive(PURPOSE));
            match decode::<Claims>(token, &key, &validation) {
                Ok(data) => {
                    if data.claims.exp <= self.clock.now().timestamp() {
                        return Err(Error::TokenExpired);
                    }
                    return Ok(data.claims);
                }
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => continue,
                Err(_) => return Err(Error::Unauthorized("The access token is malformed.")),
            }
        }
        Err(Error::Unauthorized("The access token is not valid."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(clock: &Clock) -> (AccessTokens, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (ring, _) = Keyring::load_or_create(&dir.path().join("k")).unwrap();
        (
            AccessTokens::new(ring, clock.clone(), Duration::minutes(15)),
            dir,
        )
    }

    #[test]
    fn a_token_holds_until_it_expires() {
        let clock = Clock::manual(Utc::now());
        let (t, _dir) = tokens(&clock);
        let (tok, _) = t.issue(TenantId::new(), UserId::new()).unwrap();
        assert!(t.verify(&tok).is_ok());
        clock.advance(Duration::minutes(16));
        assert!(matches!(t.verify(&tok), Err(Error::TokenExpired)));
    }

    #[test]
    fn a_token_signed_by_another_key_or_tampered_is_refused() {
        let clock = Clock::manual(Utc::now());
        let (a, _d1) = tokens(&clock);
        let (b, _d2) = tokens(&clock);
        let (tok, _) = a.issue(TenantId::new(), UserId::new()).unwrap();
        assert!(matches!(b.verify(&tok), Err(Error::Unauthorized(_))));
        let mut tampered = tok.clone();
        tampered.insert(tok.len() / 2, 'x');
        assert!(a.verify(&tampered).is_err());
        assert!(a.verify("not.a.jwt").is_err());
    }
}
