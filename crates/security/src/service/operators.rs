//! Platform operators: the people who run an installation, as opposed to
//! the members of its workspaces. Made and disabled from the CLI only (a
//! web endpoint that makes operators would be the first thing attacked);
//! they sign in to the console with email and password (argon2id, rate
//! limited like members) and get an opaque session token, kept as its
//! SHA-256, that lasts [`OPERATOR_SESSION_HOURS`] and is checked against the
//! database on every request, so disabling an operator ends their sessions
//! at once. Tenant credentials and operator sessions never stand for each
//! other: the console's routes answer 404 to anything else
//! ([`stackpro_core::OperatorCtx`]).

use super::*;
use crate::store::OperatorRow;
use stackpro_core::OperatorCtx;

/// How long a console session lasts.
pub const OPERATOR_SESSION_HOURS: i64 = 8;

/// A console session.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OperatorSession {
    /// The bearer token for the console's endpoints.
    pub access_token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The operator's email.
    pub email: String,
}

/// An operator, for `stackpro operator list`.
#[derive(Clone, Debug)]
pub struct OperatorInfo {
    /// Sign-in email.
    pub email: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Disabled, when.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Security {
    /// Makes an operator (the CLI's `stackpro operator create`).
    ///
    /// # Errors
    /// `email_taken` when one has this email; the database's error.
    pub async fn create_operator(&self, email: &Email, password: &Password) -> Result<(), Error> {
        let row = OperatorRow {
            id: Uuid::now_v7(),
            email: email.as_str().to_owned(),
            password_hash: password::hash(password.expose()).await?,
            created_at: self.now(),
            disabled_at: None,
        };
        let mut tx = self.0.db.system_tx().await?;
        if !store::insert_operator(&mut tx, &row).await? {
            return Err(Error::EmailTaken(email.as_str().to_owned()));
        }
        tx.commit().await?;
        tracing::info!(operator = %email.as_str(), "platform operator created");
        Ok(())
    }

    /// Sets an operator's password and/or disables (`Some(true)`) or enables
    /// them; every change ends their sessions. `false` when there is no such
    /// operator.
    ///
    /// # Errors
    /// The database's error.
    pub async fn update_operator(
        &self,
        email: &Email,
        password: Option<&Password>,
        disabled: Option<bool>,
    ) -> Result<bool, Error> {
        let hash = match password {
            Some(p) => Some(password::hash(p.expose()).await?),
            None => None,
        };
        let mut tx = self.0.db.system_tx().await?;
        let disabled_at = disabled.map(|d| d.then(|| self.now()));
        let found = store::update_operator(&mut tx, email.as_str(), hash.as_deref(), disabled_at).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Every operator.
    ///
    /// # Errors
    /// The database's error.
    pub async fn list_operators(&self) -> Result<Vec<OperatorInfo>, Error> {
        let mut tx = self.0.db.system_read().await?;
        let rows = store::operators(&mut tx).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| OperatorInfo { email: r.email, created_at: r.created_at, disabled_at: r.disabled_at })
            .collect())
    }

    /// Signs an operator in to the console.
    ///
    /// # Errors
    /// `invalid_credentials` (also for a disabled operator), `rate_limited`.
    #[tracing::instrument(skip_all)]
    pub async fn operator_login(&self, email: &Email, password: &str, ip: IpAddr) -> Result<OperatorSession, Error> {
        let ip_key = format!("rl:operator:ip:{ip}");
        let account_key = format!("rl:operator:account:{}", email.as_str());
        self.reserve(&ip_key, self.0.settings.rate_per_ip).await?;
        if let Err(e) = self.reserve(&account_key, self.0.settings.rate_per_account).await {
            self.release(&ip_key).await;
            return Err(e);
        }
        let mut tx = self.0.db.system_read().await?;
        let row = store::operator_by_email(&mut tx, email.as_str()).await?;
        tx.commit().await?;
        // One argon2 verification whether or not the operator exists.
        let ok = self.verify_password(password, row.as_ref().map(|r| r.password_hash.as_str())).await?;
        let Some(row) = row.filter(|r| ok && r.disabled_at.is_none()) else {
            tracing::warn!(%ip, "operator sign-in refused");
            return Err(Error::InvalidCredentials);
        };
        self.release(&ip_key).await;
        self.release(&account_key).await;
        let token = random_token("spo_");
        let now = self.now();
        let expires_at = now + Duration::hours(OPERATOR_SESSION_HOURS);
        let mut tx = self.0.db.system_tx().await?;
        let opened =
            store::insert_operator_session(&mut tx, &token_hash(&token), row.id, &row.password_hash, now, expires_at)
                .await?;
        tx.commit().await?;
        if !opened {
            // The password was reset, or the operator disabled, while this
            // sign-in was being checked.
            tracing::warn!(%ip, "operator sign-in refused: the account changed meanwhile");
            return Err(Error::InvalidCredentials);
        }
        tracing::info!(operator = %row.email, %ip, "operator signed in");
        Ok(OperatorSession { access_token: token, expires_at, email: row.email })
    }

    /// The operator of a console session token.
    ///
    /// # Errors
    /// `unauthorized` when the token is not a live session of an enabled
    /// operator.
    pub async fn operator_of(&self, token: &str) -> Result<OperatorCtx, Error> {
        if !token.starts_with("spo_") || token.len() > 100 {
            return Err(Error::Unauthorized("not an operator session"));
        }
        let mut tx = self.0.db.system_read().await?;
        let found = store::operator_of_session(&mut tx, &token_hash(token), self.now()).await?;
        tx.commit().await?;
        let (operator, email, _) = found.ok_or(Error::Unauthorized("not an operator session"))?;
        Ok(OperatorCtx { operator, email })
    }

    /// Ends a console session.
    ///
    /// # Errors
    /// The database's error.
    pub async fn operator_logout(&self, token: &str) -> Result<(), Error> {
        let mut tx = self.0.db.system_tx().await?;
        store::delete_operator_session(&mut tx, &token_hash(token)).await?;
        tx.commit().await?;
        Ok(())
    }
}
