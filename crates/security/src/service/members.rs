//! The caller, members, invitations and roles.

use super::*;

impl Security {
    /// The caller.
    ///
    /// # Errors
    /// The database's error.
    pub async fn me(&self, ctx: &TenantCtx) -> Result<Me, Error> {
        if let Principal::User(u) = ctx.principal {
            // The authenticator has just loaded this member: no round trip.
            let c =
                self.cached_user(ctx.tenant, u).await?.ok_or(Error::Unauthorized("The account no longer exists."))?;
            return Ok(Me {
                user: Some(User::from(&c.user)),
                tenant: c.tenant.clone(),
                role: ctx.role,
                via: AuthVia::Token,
                read_only: false,
            });
        }
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let tenant = store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(ctx.tenant.to_string()))?;
        let (user, via) = match ctx.principal {
            Principal::User(u) => (store::user(&mut tx, u).await?, AuthVia::Token),
            Principal::ApiKey(k) => {
                let creator = match store::api_key(&mut tx, k).await?.and_then(|k| k.created_by) {
                    Some(u) => store::user(&mut tx, u).await?,
                    None => None,
                };
                (creator, AuthVia::ApiKey)
            }
        };
        tx.commit().await?;
        Ok(Me { user: user.as_ref().map(User::from), tenant, role: ctx.role, via, read_only: ctx.read_only })
    }

    /// Every member and pending invitation.
    ///
    /// # Errors
    /// `forbidden` for clients.
    pub async fn members(&self, ctx: &TenantCtx) -> Result<Vec<Member>, Error> {
        ctx.require(Role::Member).map_err(|_| Error::Forbidden("Clients cannot list the workspace's members."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let users = store::users(&mut tx).await?;
        tx.commit().await?;
        Ok(users.iter().map(Member::from).collect())
    }

    /// One member.
    ///
    /// # Errors
    /// `member_not_found` (also for another tenant's member).
    pub async fn member(&self, ctx: &TenantCtx, id: UserId) -> Result<Member, Error> {
        ctx.require(Role::Member).map_err(|_| Error::Forbidden("Clients cannot see other members."))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        tx.commit().await?;
        Ok(Member::from(&user))
    }

    /// Invites someone by email with a role; the link is mailed (or logged)
    /// and returned so an admin can share it.
    ///
    /// # Errors
    /// `forbidden`, `invalid_role`, `email_taken`.
    pub async fn invite(
        &self,
        ctx: &TenantCtx,
        email: Email,
        role: Role,
        name: Option<Name>,
        ip: IpAddr,
    ) -> Result<Invitation, Error> {
        require_write(ctx, Role::Admin)?;
        if !ctx.role.at_least(role) {
            return Err(Error::Forbidden("You cannot invite someone with more rights than your own."));
        }
        let inviter = ctx.person.ok_or(Error::Forbidden("Only a member's credentials can invite."))?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let tenant = store::tenant(&mut tx).await?.ok_or_else(|| Error::TenantNotFound(ctx.tenant.to_string()))?;
        let user = UserRow {
            tenant_id: ctx.tenant,
            id: UserId::new(),
            email: email.as_str().to_owned(),
            name: name.map(|n| n.as_str().to_owned()),
            password_hash: None,
            role: role.as_str().to_owned(),
            status: "invited".into(),
            created_at: now,
            last_login_at: None,
            tokens_valid_after: None,
            invited_by: Some(inviter),
        };
        store::lock_tenant(&mut tx).await?;
        store::insert_user(&mut tx, &user).await?;
        self.meter_seats(&mut tx).await?;
        let token = random_token("");
        store::insert_user_token(&mut tx, user.id, "invite", &token_hash(&token), now, Duration::days(INVITE_TTL_DAYS))
            .await?;
        let invite_url = format!("{}/app/accept-invite?token={token}", self.0.settings.public_url);
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        let inviter = actor.label.clone().unwrap_or_else(|| "A member".into());
        let body = format!(
            "{inviter} invited you to join {name} on StackPro as {role}.\n\n\
             Accept the invitation and choose your password here (the link works for {INVITE_TTL_DAYS} days, once):\n{invite_url}\n",
            name = tenant.name,
            role = role.as_str()
        );
        self.queue_email(&mut tx, email.as_str(), &format!("You are invited to {}", tenant.name), &body).await?;
        self.audit(
            &mut tx,
            &actor,
            "member.invited",
            Some(format!("user:{}", user.id)),
            json!({ "email": user.email, "role": role.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(Invitation { member: Member::from(&user), invite_url, email_sent: self.0.mailer.sends() })
    }

    /// Accepts an invitation: sets the password (and name) and signs in. An
    /// invitation grants no more than its sender holds now: one whose sender
    /// left, or no longer may invite to that role, is refused.
    ///
    /// # Errors
    /// `invite_invalid`, `weak_password`.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: &str,
        name: Option<Name>,
        ip: IpAddr,
    ) -> Result<Session, Error> {
        let (mut tx, user, hash, now) =
            self.redeem(token, "invite", || Error::InviteInvalid, password, "/password").await?;
        // Locked: the sender cannot be removed or demoted while this commits.
        let inviter = match user.invited_by {
            Some(id) => store::user_for_share(&mut tx, id).await?.filter(UserRow::is_active),
            None => None,
        };
        let may_grant = inviter.is_some_and(|i| i.role().at_least(Role::Admin) && i.role().at_least(user.role()));
        if !may_grant {
            tracing::warn!(tenant.id = %user.tenant_id, user.id = %user.id, "refused an invitation its sender can no longer give");
            return Err(Error::InviteInvalid);
        }
        store::set_password(&mut tx, user.id, &hash, name.as_ref().map(Name::as_str), now).await?;
        store::touch_login(&mut tx, user.id, now).await?;
        let user = store::user(&mut tx, user.id).await?.ok_or(Error::InviteInvalid)?;
        let tenant = store::tenant(&mut tx).await?.ok_or(Error::InviteInvalid)?;
        let actor = Actor { id: Some(user.id.0), label: Some(user.email.clone()), ip: Some(ip) };
        self.audit(&mut tx, &actor, "member.joined", Some(format!("user:{}", user.id)), json!({ "role": user.role }))
            .await?;
        let session = self.open_session(&mut tx, tenant, &user, Uuid::now_v7()).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Changes a member's role. Only owners give or take the owner role, and
    /// the last owner keeps it.
    ///
    /// # Errors
    /// `member_not_found`, `forbidden`, `invalid_role`, `last_owner`.
    pub async fn set_role(&self, ctx: &TenantCtx, id: UserId, role: Role, ip: IpAddr) -> Result<Member, Error> {
        require_write(ctx, Role::Admin)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        let old = user.role();
        if (role == Role::Owner || old == Role::Owner) && ctx.role != Role::Owner {
            return Err(Error::Forbidden("Only an owner can give or take the owner role."));
        }
        if old == Role::Owner && role != Role::Owner && user.is_active() && store::count_owners(&mut tx).await? <= 1 {
            return Err(Error::LastOwner);
        }
        store::set_role(&mut tx, id, role).await?;
        if !user.is_active() {
            // The new role of an invitation is the changer's to stand behind.
            if let Some(person) = ctx.person {
                store::set_inviter(&mut tx, id, person).await?;
            }
        }
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        self.audit(
            &mut tx,
            &actor,
            "member.role_changed",
            Some(format!("user:{id}")),
            json!({ "email": user.email, "from": old.as_str(), "to": role.as_str() }),
        )
        .await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        // Their API keys are capped by their role when used, so forgetting
        // the member is enough for every replica to apply the new role.
        let pending = self.invalidate(&mut tx, vec![Forget::User(ctx.tenant, id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        Ok(Member::from(&user))
    }

    /// Removes a member (or withdraws an invitation): their sessions end,
    /// their API keys are revoked and the invitations they sent withdrawn.
    ///
    /// # Errors
    /// `member_not_found`, `forbidden`, `last_owner`.
    pub async fn remove_member(&self, ctx: &TenantCtx, id: UserId, ip: IpAddr) -> Result<(), Error> {
        require_write(ctx, Role::Admin)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let user = store::user(&mut tx, id).await?.ok_or_else(|| Error::MemberNotFound(id.to_string()))?;
        if user.role() == Role::Owner {
            if ctx.role != Role::Owner {
                return Err(Error::Forbidden("Only an owner can remove an owner."));
            }
            if user.is_active() && store::count_owners(&mut tx).await? <= 1 {
                return Err(Error::LastOwner);
            }
        }
        let actor = self.actor_of(&mut tx, ctx, Some(ip)).await?;
        // Keys act with their creator's authority: they leave with them.
        let keys = store::revoke_keys_of(&mut tx, id, self.now()).await?;
        // What they sent, they can no longer stand behind.
        let invitations = store::withdraw_invitations_of(&mut tx, id).await?;
        store::delete_user(&mut tx, id).await?;
        self.meter_seats(&mut tx).await?;
        self.audit(
            &mut tx,
            &actor,
            "member.removed",
            Some(format!("user:{id}")),
            json!({
                "email": user.email,
                "role": user.role,
                "revoked_api_keys": keys.len(),
                "withdrawn_invitations": invitations.len(),
            }),
        )
        .await?;
        // Forgetting the member is enough for their keys too: a key is
        // refused once the person behind it is gone.
        let pending = self.invalidate(&mut tx, vec![Forget::User(ctx.tenant, id)]).await?;
        tx.commit().await?;
        self.announce(pending).await;
        Ok(())
    }
}
