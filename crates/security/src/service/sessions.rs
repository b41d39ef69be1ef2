//! Sessions: sign-in, refresh-token rotation with reuse detection, sign-out,
//! password change and reset.

use super::*;

impl Security {
    pub(super) async fn open_session(
        &self,
        tx: &mut TenantTx,
        tenant: Tenant,
        user: &UserRow,
        family: Uuid,
    ) -> Result<Session, Error> {
        let refresh = random_token("spr_");
        store::insert_refresh(tx, family, user.id, &token_hash(&refresh), self.now(), self.0.settings.refresh_ttl)
            .await?;
        let (access, _) = self.0.tokens.issue(tenant.id, user.id, family)?;
        Ok(Session {
            access_token: access,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: self.0.tokens.ttl().num_seconds(),
            tenant,
            user: User::from(user),
            role: user.role(),
        })
    }

    /// Signs in with email and password, to the workspace named by `tenant`
    /// (its slug) or, without one, to this email's oldest workspace.
    ///
    /// Every attempt does the same work, one argon2 verification, whether the
    /// email has no account, one, or several in other workspaces, so timing
    /// reveals nothing about them; the failure's audit entry is written off
    /// the answer's path for the same reason.
    ///
    /// # Errors
    /// `invalid_credentials`, `rate_limited`.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: Email,
        password: &str,
        tenant: Option<&str>,
        ip: IpAddr,
    ) -> Result<Session, Error> {
        // Each attempt reserves a place in both windows before any work (so a
        // burst of parallel guesses cannot slip past the limit), and a
        // successful one gives its places back: only failures stay counted,
        // and a success never wipes out failures counted against the email.
        let ip_key = format!("rl:login:ip:{ip}");
        let account_key = format!("rl:login:account:{}", email.as_str());
        self.reserve(&ip_key, self.0.settings.rate_per_ip).await?;
        if let Err(e) = self.reserve(&account_key, self.0.settings.rate_per_account).await {
            self.release(&ip_key).await;
            return Err(e);
        }
        // Existing slugs are matched as they are (one made before a name was
        // reserved still works); anything longer than a slug names nothing.
        let named = tenant.filter(|t| t.len() <= stackpro_core::slug::MAX_LEN);
        let mut found = if tenant.is_some() && named.is_none() {
            Vec::new()
        } else {
            let mut sys = self.0.db.system_read().await?;
            let found = store::sign_in_candidates(&mut sys, email.as_str(), named).await?;
            sys.commit().await?;
            found
        };
        // The failure is the account's own business only when the caller
        // named its workspace or the email has no other: an account made
        // later with someone else's email learns nothing of their attempts.
        let audit_failure = tenant.is_some() || found.len() == 1;
        let candidate = (!found.is_empty()).then(|| found.swap_remove(0));
        let matched =
            self.verify_password(password, candidate.as_ref().and_then(|c| c.password_hash.as_deref())).await?;
        let user = match (matched, candidate) {
            (true, Some(user)) => user,
            (_, candidate) => {
                if let Some(c) = candidate.filter(|_| audit_failure) {
                    let this = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = this.audit_failed_login(&c, ip).await {
                            tracing::warn!(error.cause_chain = ?e, "could not audit a failed sign-in");
                        }
                    });
                }
                tracing::warn!(client.ip = %ip, "sign-in refused");
                return Err(Error::InvalidCredentials);
            }
        };
        self.release(&ip_key).await;
        self.release(&account_key).await;
        let mut tx = self.0.db.tenant_tx_for(user.tenant_id).await?;
        let tenant = store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(user.tenant_id.to_string()))?;
        store::touch_login(&mut tx, user.id, self.now()).await?;
        let actor = Actor { id: Some(user.id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.login", Some(format!("user:{}", user.id)), json!({})).await?;
        let session = self.open_session(&mut tx, tenant, &user, Uuid::now_v7()).await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn audit_failed_login(&self, user: &UserRow, ip: IpAddr) -> Result<(), Error> {
        let mut tx = self.0.db.tenant_tx_for(user.tenant_id).await?;
        let actor = Actor { id: None, label: Some(user.email.clone()), ip: Some(ip) };
        let target = Some(format!("user:{}", user.id));
        self.audit(&mut tx, &actor, "auth.login_failed", target, json!({ "reason": "wrong password" })).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Exchanges a refresh token for a new pair. A token used twice means it
    /// was stolen (or raced): the whole family is revoked and both holders
    /// must sign in again.
    ///
    /// # Errors
    /// `refresh_token_invalid`.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, token: &str, ip: IpAddr) -> Result<Session, Error> {
        let mut sys = self.0.db.system_read().await?;
        let row = store::refresh_by_hash(&mut sys, &token_hash(token)).await?;
        sys.commit().await?;
        let row = row.ok_or(Error::RefreshTokenInvalid)?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Err(Error::RefreshTokenInvalid);
        }
        if row.rotated_at.is_some() || !store::rotate_refresh(&mut tx, row.id, now).await? {
            let revoked = store::revoke_family(&mut tx, row.family_id, now).await?;
            let actor = Actor { id: Some(row.user_id.0), label: None, ip: Some(ip) };
            self.audit(
                &mut tx,
                &actor,
                "auth.refresh_reused",
                Some(format!("user:{}", row.user_id)),
                json!({ "revoked_tokens": revoked }),
            )
            .await?;
            let pending = self.invalidate(&mut tx, vec![Forget::Session(row.tenant_id, row.family_id)]).await?;
            tx.commit().await?;
            self.announce(pending).await;
            tracing::warn!(tenant.id = %row.tenant_id, user.id = %row.user_id, "refresh token reused: family revoked");
            return Err(Error::RefreshTokenInvalid);
        }
        let user =
            store::user(&mut tx, row.user_id).await?.filter(UserRow::is_active).ok_or(Error::RefreshTokenInvalid)?;
        let tenant = store::tenant(&mut tx).await?.ok_or(Error::RefreshTokenInvalid)?;
        let session = self.open_session(&mut tx, tenant, &user, row.family_id).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Signs out: revokes the refresh token's whole family. Unknown tokens are
    /// accepted silently (signing out twice is not an error).
    ///
    /// # Errors
    /// The database's error.
    pub async fn logout(&self, token: &str, ip: IpAddr) -> Result<(), Error> {
        let mut sys = self.0.db.system_read().await?;
        let row = store::refresh_by_hash(&mut sys, &token_hash(token)).await?;
        sys.commit().await?;
        let Some(row) = row else { return Ok(()) };
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        store::revoke_family(&mut tx, row.family_id, self.now()).await?;
        let actor = Actor { id: Some(row.user_id.0), label: None, ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.logout", Some(format!("user:{}", row.user_id)), json!({})).await?;
        let pending = self.invalidate(&mut tx, vec![Forget::Session(row.tenant_id, row.family_id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        Ok(())
    }

    /// Changes the caller's password and signs out their other sessions.
    ///
    /// # Errors
    /// `invalid_credentials` for a wrong current password, `weak_password`.
    pub async fn change_password(&self, ctx: &TenantCtx, current: &str, new: &str, ip: IpAddr) -> Result<(), Error> {
        let user_id = ctx.user().ok_or(Error::Forbidden("Only a person can change a password, not an API key."))?;
        self.reserve(&format!("rl:password:user:{user_id}"), self.0.settings.rate_per_account).await?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let user = store::user(&mut tx, user_id).await?.ok_or(Error::Unauthorized("The account no longer exists."))?;
        drop(tx);
        let email = Email::parse(&user.email)?;
        let new = Password::parse_new(new, &email, "/new_password")?;
        if !self.verify_password(current, user.password_hash.as_deref()).await? {
            return Err(Error::CurrentPasswordWrong);
        }
        let hash = password::hash(new.expose()).await?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        store::set_password(&mut tx, user_id, &hash, None, self.now()).await?;
        store::expire_resets(&mut tx, user_id, self.now()).await?;
        store::revoke_user_refresh(&mut tx, user_id, self.now()).await?;
        let actor = Actor { id: Some(user_id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.password_changed", Some(format!("user:{user_id}")), json!({})).await?;
        let pending = self.invalidate(&mut tx, vec![Forget::User(ctx.tenant, user_id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        Ok(())
    }

    /// Starts a password reset: mails a one-hour link when the account exists.
    /// Answers the same either way, so it reveals nothing.
    ///
    /// # Errors
    /// `rate_limited`, or the database's error.
    pub async fn request_password_reset(&self, email: Email, tenant: Option<&str>, ip: IpAddr) -> Result<(), Error> {
        self.reserve(&format!("rl:reset:ip:{ip}"), self.0.settings.rate_per_ip).await?;
        self.reserve(&format!("rl:reset:account:{}", email.as_str()), self.0.settings.rate_per_account).await?;
        // The lookup runs in a job: the answer takes the same time whether the
        // account exists or not, and reveals nothing.
        let payload = json!({ "email": email.as_str(), "tenant": tenant, "ip": ip.to_string() });
        let now = self.now();
        let mut sys = self.0.db.system_tx().await?;
        jobs::enqueue(&mut sys, NewJob::new(RESET_JOB, self.seal_job(RESET_JOB, &payload)?, now), now).await?;
        sys.commit().await?;
        Ok(())
    }

    /// Mails a reset link to every active account with this email (in one
    /// workspace when `tenant` names it), from the reset job.
    ///
    /// # Errors
    /// The database's error.
    pub(super) async fn send_reset_links(
        &self,
        email: Email,
        tenant: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        if tenant.is_some_and(|t| t.len() > stackpro_core::slug::MAX_LEN) {
            return Ok(()); // names no workspace: nothing to send
        }
        let mut sys = self.0.db.system_read().await?;
        let candidates = store::sign_in_candidates(&mut sys, email.as_str(), tenant).await?;
        sys.commit().await?;
        for user in candidates {
            let token = random_token("");
            let now = self.now();
            let mut tx = self.0.db.tenant_tx_for(user.tenant_id).await?;
            // A workspace deleted since the lookup: nothing to mail, and nothing
            // to tell this anonymous caller about.
            let Some(tenant) = store::tenant(&mut tx).await? else { continue };
            store::insert_user_token(
                &mut tx,
                user.id,
                "reset",
                &token_hash(&token),
                now,
                Duration::minutes(RESET_TTL_MINUTES),
            )
            .await?;
            let link = format!("{}/app/reset-password?token={token}", self.0.settings.public_url);
            let body = format!(
                "Someone asked to reset the password of {email} in the workspace {name}.\n\n\
                 Choose a new password here (the link works for one hour, once):\n{link}\n\n\
                 If it was not you, ignore this email; your password stays as it is.\n",
                email = user.email,
                name = tenant.name
            );
            self.queue_email(&mut tx, &user.email, &format!("Reset your {} password", tenant.name), &body).await?;
            let actor = Actor { id: None, label: Some(user.email.clone()), ip };
            self.audit(&mut tx, &actor, "auth.password_reset_requested", Some(format!("user:{}", user.id)), json!({}))
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Redeems an emailed one-time token (invitation or reset): checks it,
    /// hashes the new password outside any transaction, and returns a write
    /// transaction in which the token is already used, with its member, the
    /// hash and the time. Every failure is `invalid()`, so a caller learns
    /// nothing about which check failed.
    pub(super) async fn redeem(
        &self,
        token: &str,
        purpose: &str,
        invalid: fn() -> Error,
        password: &str,
        field: &'static str,
    ) -> Result<(TenantTx, UserRow, String, DateTime<Utc>), Error> {
        let mut sys = self.0.db.system_read().await?;
        let row = store::user_token_by_hash(&mut sys, &token_hash(token), purpose).await?;
        sys.commit().await?;
        let row = row.ok_or_else(invalid)?;
        let now = self.now();
        if row.used_at.is_some() || row.expires_at <= now {
            return Err(invalid());
        }
        let mut tx = self.0.db.tenant_read_for(row.tenant_id).await?;
        let user = store::user(&mut tx, row.user_id).await?.ok_or_else(invalid)?;
        drop(tx);
        let pw = Password::parse_new(password, &Email::parse(&user.email)?, field)?;
        let hash = password::hash(pw.expose()).await?;
        let mut tx = self.0.db.tenant_tx_for(row.tenant_id).await?;
        if !store::use_user_token(&mut tx, row.id, now).await? {
            return Err(invalid());
        }
        Ok((tx, user, hash, now))
    }

    /// Sets a new password from a reset link and signs out every session.
    ///
    /// # Errors
    /// `reset_token_invalid`, `weak_password`.
    pub async fn confirm_password_reset(&self, token: &str, new: &str, ip: IpAddr) -> Result<(), Error> {
        let (mut tx, user, hash, now) =
            self.redeem(token, "reset", || Error::ResetTokenInvalid, new, "/new_password").await?;
        store::set_password(&mut tx, user.id, &hash, None, now).await?;
        store::expire_resets(&mut tx, user.id, now).await?;
        store::revoke_user_refresh(&mut tx, user.id, now).await?;
        let actor = Actor { id: Some(user.id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "auth.password_reset", Some(format!("user:{}", user.id)), json!({})).await?;
        let pending = self.invalidate(&mut tx, vec![Forget::User(user.tenant_id, user.id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        Ok(())
    }
}
