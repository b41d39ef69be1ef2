//! SQL for identity, keys and audit, written once for both dialects. Every
//! function on tenant data takes `&mut TenantTx` and binds its tenant; the few
//! lookups that must cross tenants (by email or token hash, before the tenant
//! is known) take `&mut SystemTx`.

use crate::audit::AuditRow;
use crate::error::Error;
use crate::model::{ApiKeyRow, Tenant, UserRow};
use chrono::{DateTime, Duration, Utc};
use stackpro_core::ids::{ApiKeyId, TenantId, UserId};
use stackpro_core::Role;
use stackpro_store::jobs::JobTx;
use stackpro_store::{exec, on_db, Dialect, ResultExt, SystemTx, TenantTx};
use uuid::Uuid;

// ---- tenants --------------------------------------------------------------

const TENANT_COLS: &str = "id, name, slug, created_at, plan, plan_status";

/// Inserts the tenant of the transaction; `false` when the slug is taken.
///
/// # Errors
/// The database's error.
pub async fn insert_tenant(tx: &mut TenantTx, name: &str, slug: &str, now: DateTime<Utc>) -> Result<bool, Error> {
    const SQL: &str = "INSERT INTO tenants (id, name, slug, created_at) VALUES ($1, $2, $3, $4)";
    let id = tx.tenant_id();
    match exec!(tx, sqlx::query(SQL).bind(id).bind(name).bind(slug).bind(now)) {
        Ok(_) => Ok(true),
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The tenant of the transaction.
///
/// # Errors
/// The database's error.
pub async fn tenant(tx: &mut TenantTx) -> Result<Option<Tenant>, Error> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE id = $1");
    let id = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?)
}

/// Every tenant, oldest first.
///
/// # Errors
/// The database's error.
pub async fn list_tenants(tx: &mut SystemTx) -> Result<Vec<Tenant>, Error> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants ORDER BY created_at");
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).fetch_all(c).await)?)
}

/// A tenant by id, across tenants.
///
/// # Errors
/// The database's error.
pub async fn tenant_by_id(tx: &mut SystemTx, id: TenantId) -> Result<Option<Tenant>, Error> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE id = $1");
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?)
}

/// A tenant by slug, across tenants.
///
/// # Errors
/// The database's error.
pub async fn tenant_by_slug(tx: &mut SystemTx, slug: &str) -> Result<Option<Tenant>, Error> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE slug = $1");
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(slug).fetch_optional(c).await)?)
}

/// Deletes a tenant; every row of it goes with it by cascade, its wrapped
/// data key included.
///
/// # Errors
/// The database's error.
pub async fn delete_tenant(tx: &mut SystemTx, id: TenantId) -> Result<bool, Error> {
    const SQL: &str = "DELETE FROM tenants WHERE id = $1";
    Ok(exec!(tx, sqlx::query(SQL).bind(id))? == 1)
}

/// Locks the tenant's row until the transaction ends (PostgreSQL), so
/// changes that count the tenant's things (seats, plan changes) happen one
/// at a time; SQLite's write lock already does the same.
///
/// # Errors
/// The database's error.
pub async fn lock_tenant(tx: &mut TenantTx) -> Result<(), Error> {
    if tx.dialect() == Dialect::Postgres {
        const SQL: &str = "SELECT id FROM tenants WHERE id = $1 FOR UPDATE";
        let tenant = tx.tenant_id();
        exec!(tx, sqlx::query(SQL).bind(tenant))?;
    }
    Ok(())
}

/// Members and pending invitations: the seats in use.
///
/// # Errors
/// The database's error.
pub async fn count_seats(tx: &mut TenantTx) -> Result<i64, Error> {
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_one(c).await)?)
}

// ---- tenant data keys -----------------------------------------------------

/// Stores the tenant's wrapped data key.
///
/// # Errors
/// The database's error.
pub async fn insert_tenant_key(
    tx: &mut TenantTx,
    wrapped: &[u8],
    kek_id: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO tenant_keys (tenant_id, wrapped_key, kek_id, created_at) VALUES ($1, $2, $3, $4)";
    let id = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(id).bind(wrapped).bind(kek_id).bind(now))?;
    Ok(())
}

/// The tenant's wrapped data key and the id of the KEK that wrapped it.
///
/// # Errors
/// The database's error.
pub async fn tenant_key(tx: &mut TenantTx) -> Result<Option<(Vec<u8>, String)>, Error> {
    const SQL: &str = "SELECT wrapped_key, kek_id FROM tenant_keys WHERE tenant_id = $1";
    let id = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?)
}

/// Every wrapped data key, for KEK rotation.
///
/// # Errors
/// The database's error.
pub async fn all_tenant_keys(tx: &mut SystemTx) -> Result<Vec<(TenantId, Vec<u8>, String)>, Error> {
    const SQL: &str = "SELECT tenant_id, wrapped_key, kek_id FROM tenant_keys ORDER BY tenant_id";
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).fetch_all(c).await)?)
}

/// Replaces a wrapped data key after KEK rotation.
///
/// # Errors
/// The database's error.
pub async fn rewrap_tenant_key(
    tx: &mut SystemTx,
    tenant: TenantId,
    wrapped: &[u8],
    kek_id: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "UPDATE tenant_keys SET wrapped_key = $2, kek_id = $3, rewrapped_at = $4 WHERE tenant_id = $1";
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(wrapped).bind(kek_id).bind(now))?;
    Ok(())
}

// ---- users ----------------------------------------------------------------

const USER_COLS: &str = "tenant_id, id, email, name, password_hash, role, status, created_at, last_login_at, \
     tokens_valid_after, invited_by";

/// Inserts a member.
///
/// # Errors
/// `email_taken` when the email is already a member.
pub async fn insert_user(tx: &mut TenantTx, u: &UserRow) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO users (tenant_id, id, email, name, password_hash, role, status, created_at, \
                       invited_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(u.id)
            .bind(&u.email)
            .bind(&u.name)
            .bind(&u.password_hash)
            .bind(&u.role)
            .bind(&u.status)
            .bind(u.created_at)
            .bind(u.invited_by)
    )
    .on_unique_violation(|| Error::EmailTaken(u.email.clone()))?;
    Ok(())
}

/// A member by id.
///
/// # Errors
/// The database's error.
pub async fn user(tx: &mut TenantTx, id: UserId) -> Result<Option<UserRow>, Error> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?)
}

/// A member by id, locked against removal and role changes until the
/// transaction ends (PostgreSQL; SQLite's writer lock does the same).
///
/// # Errors
/// The database's error.
pub async fn user_for_share(tx: &mut TenantTx, id: UserId) -> Result<Option<UserRow>, Error> {
    let lock = if tx.dialect() == Dialect::Postgres { " FOR SHARE" } else { "" };
    let sql = format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 AND id = $2{lock}");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?)
}

/// Makes `by` the sender of a pending invitation (its role was changed, so
/// the new role is theirs to stand behind).
///
/// # Errors
/// The database's error.
pub async fn set_inviter(tx: &mut TenantTx, id: UserId, by: UserId) -> Result<(), Error> {
    const SQL: &str = "UPDATE users SET invited_by = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'invited'";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(by))?;
    Ok(())
}

/// A member by email.
///
/// # Errors
/// The database's error.
pub async fn user_by_email(tx: &mut TenantTx, email: &str) -> Result<Option<UserRow>, Error> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 AND email = $2");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(email).fetch_optional(c).await)?)
}

/// Every member, oldest first.
///
/// # Errors
/// The database's error.
pub async fn users(tx: &mut TenantTx) -> Result<Vec<UserRow>, Error> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 ORDER BY created_at, id");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?)
}

/// The active accounts with this email in every tenant (at most 10), with their
/// tenant, for sign-in before the tenant is known. `slug` narrows to one.
///
/// # Errors
/// The database's error.
pub async fn sign_in_candidates(tx: &mut SystemTx, email: &str, slug: Option<&str>) -> Result<Vec<UserRow>, Error> {
    // Oldest first: sign-in without a workspace tries that one, which an
    // account created later with the same email cannot displace.
    const SQL: &str = "SELECT u.tenant_id, u.id, u.email, u.name, u.password_hash, u.role, u.status, u.created_at, \
                       u.last_login_at, u.tokens_valid_after, u.invited_by \
                       FROM users u JOIN tenants t ON t.id = u.tenant_id \
                       WHERE u.email = $1 AND u.status = 'active' AND ($2 IS NULL OR t.slug = $2) \
                       ORDER BY u.created_at, u.id LIMIT 10";
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(email).bind(slug).fetch_all(c).await)?)
}

/// Sets a member's role.
///
/// # Errors
/// The database's error.
pub async fn set_role(tx: &mut TenantTx, id: UserId, role: Role) -> Result<bool, Error> {
    const SQL: &str = "UPDATE users SET role = $3 WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(role.as_str()))? == 1)
}

/// Sets a member's password hash and, when accepting an invitation, makes
/// them active with a name.
///
/// # Errors
/// The database's error.
/// Access tokens issued before `now` stop working: a new password ends every
/// session, not only the refresh tokens.
///
/// # Errors
/// The database's error.
pub async fn set_password(
    tx: &mut TenantTx,
    id: UserId,
    hash: &str,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "UPDATE users SET password_hash = $3, status = 'active', name = COALESCE($4, name), \
                       tokens_valid_after = $5 WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(hash).bind(name).bind(now))?;
    Ok(())
}

/// Records a successful sign-in.
///
/// # Errors
/// The database's error.
pub async fn touch_login(tx: &mut TenantTx, id: UserId, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "UPDATE users SET last_login_at = $3 WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(now))?;
    Ok(())
}

/// Removes a member; their sessions and tokens go by cascade.
///
/// # Errors
/// The database's error.
pub async fn delete_user(tx: &mut TenantTx, id: UserId) -> Result<bool, Error> {
    const SQL: &str = "DELETE FROM users WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id))? == 1)
}

/// How many active owners the tenant has.
///
/// # Errors
/// The database's error.
pub async fn count_owners(tx: &mut TenantTx) -> Result<i64, Error> {
    // On PostgreSQL the owners' rows are locked until the transaction ends, so
    // two owners demoting each other at once cannot both see "another owner
    // remains". SQLite's single writer already serialises the two.
    let tenant = tx.tenant_id();
    if tx.dialect() == Dialect::Postgres {
        const LOCK: &str =
            "SELECT id FROM users WHERE tenant_id = $1 AND role = 'owner' AND status = 'active' FOR UPDATE";
        let ids: Vec<UserId> = on_db!(tx, |c| sqlx::query_scalar(LOCK).bind(tenant).fetch_all(c).await)?;
        return Ok(ids.len() as i64);
    }
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'owner' AND status = 'active'";
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_one(c).await)?)
}

// ---- refresh tokens -------------------------------------------------------

/// A refresh token as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RefreshRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub id: Uuid,
    /// All tokens rotated from one sign-in share a family.
    pub family_id: Uuid,
    /// Owner.
    pub user_id: UserId,
    /// Expires.
    pub expires_at: DateTime<Utc>,
    /// Set when it was exchanged for a new one.
    pub rotated_at: Option<DateTime<Utc>>,
    /// Set at sign-out or on reuse.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a refresh token's hash.
///
/// # Errors
/// The database's error.
pub async fn insert_refresh(
    tx: &mut TenantTx,
    family: Uuid,
    user: UserId,
    hash: &[u8],
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<(), Error> {
    const SQL: &str =
        "INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, token_hash, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL).bind(tenant).bind(Uuid::now_v7()).bind(family).bind(user).bind(hash).bind(now).bind(now + ttl)
    )?;
    Ok(())
}

/// A refresh token by hash, across tenants.
///
/// # Errors
/// The database's error.
pub async fn refresh_by_hash(tx: &mut SystemTx, hash: &[u8]) -> Result<Option<RefreshRow>, Error> {
    const SQL: &str = "SELECT tenant_id, id, family_id, user_id, expires_at, rotated_at, revoked_at \
                       FROM refresh_tokens WHERE token_hash = $1";
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(hash).fetch_optional(c).await)?)
}

/// Marks a token used; `false` when another request used or revoked it first.
///
/// # Errors
/// The database's error.
pub async fn rotate_refresh(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<bool, Error> {
    const SQL: &str = "UPDATE refresh_tokens SET rotated_at = $3 \
                       WHERE tenant_id = $1 AND id = $2 AND rotated_at IS NULL AND revoked_at IS NULL";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(now))? == 1)
}

/// Revokes every token of a family.
///
/// # Errors
/// The database's error.
pub async fn revoke_family(tx: &mut TenantTx, family: Uuid, now: DateTime<Utc>) -> Result<u64, Error> {
    const SQL: &str = "UPDATE refresh_tokens SET revoked_at = $3 \
                       WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(family).bind(now))?)
}

/// Revokes every token of a user (after a password change).
///
/// # Errors
/// The database's error.
pub async fn revoke_user_refresh(tx: &mut TenantTx, user: UserId, now: DateTime<Utc>) -> Result<u64, Error> {
    const SQL: &str = "UPDATE refresh_tokens SET revoked_at = $3 \
                       WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(user).bind(now))?)
}

// ---- one-time user tokens (invitations, resets) ----------------------------

/// A one-time token as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserTokenRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub id: Uuid,
    /// The member it is for.
    pub user_id: UserId,
    /// `invite` or `reset`.
    pub purpose: String,
    /// Expires.
    pub expires_at: DateTime<Utc>,
    /// Set once used.
    pub used_at: Option<DateTime<Utc>>,
}

/// Stores a one-time token's hash.
///
/// # Errors
/// The database's error.
pub async fn insert_user_token(
    tx: &mut TenantTx,
    user: UserId,
    purpose: &str,
    hash: &[u8],
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO user_tokens (tenant_id, id, user_id, purpose, token_hash, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(Uuid::now_v7())
            .bind(user)
            .bind(purpose)
            .bind(hash)
            .bind(now)
            .bind(now + ttl)
    )?;
    Ok(())
}

/// A one-time token by hash and purpose, across tenants.
///
/// # Errors
/// The database's error.
pub async fn user_token_by_hash(tx: &mut SystemTx, hash: &[u8], purpose: &str) -> Result<Option<UserTokenRow>, Error> {
    const SQL: &str = "SELECT tenant_id, id, user_id, purpose, expires_at, used_at FROM user_tokens \
                       WHERE token_hash = $1 AND purpose = $2";
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(hash).bind(purpose).fetch_optional(c).await)?)
}

/// Uses a one-time token; `false` when it was used already.
///
/// # Errors
/// The database's error.
pub async fn use_user_token(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<bool, Error> {
    const SQL: &str = "UPDATE user_tokens SET used_at = $3 WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(now))? == 1)
}

// ---- API keys -------------------------------------------------------------

const KEY_COLS: &str = "tenant_id, id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at";

/// Stores an API key (its secret as a hash).
///
/// # Errors
/// The database's error.
pub async fn insert_api_key(tx: &mut TenantTx, k: &ApiKeyRow, hash: &[u8]) -> Result<(), Error> {
    const SQL: &str =
        "INSERT INTO api_keys (tenant_id, id, name, prefix, secret_hash, scopes, created_by, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(k.id)
            .bind(&k.name)
            .bind(&k.prefix)
            .bind(hash)
            .bind(&k.scopes)
            .bind(k.created_by)
            .bind(k.created_at)
    )?;
    Ok(())
}

/// Every API key of the tenant, newest first.
///
/// # Errors
/// The database's error.
pub async fn api_keys(tx: &mut TenantTx) -> Result<Vec<ApiKeyRow>, Error> {
    let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?)
}

/// One API key.
///
/// # Errors
/// The database's error.
pub async fn api_key(tx: &mut TenantTx, id: ApiKeyId) -> Result<Option<ApiKeyRow>, Error> {
    let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?)
}

/// Revokes an API key; `false` when it does not exist or was revoked already.
///
/// # Errors
/// The database's error.
pub async fn revoke_api_key(tx: &mut TenantTx, id: ApiKeyId, now: DateTime<Utc>) -> Result<bool, Error> {
    const SQL: &str = "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(now))? == 1)
}

/// An API key by secret hash, across tenants.
///
/// # Errors
/// The database's error.
pub async fn api_key_by_hash(tx: &mut SystemTx, hash: &[u8]) -> Result<Option<ApiKeyRow>, Error> {
    let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE secret_hash = $1");
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(hash).fetch_optional(c).await)?)
}

/// Records use of a key, at most once a minute (so reads stay reads).
///
/// # Errors
/// The database's error.
pub async fn touch_api_key(tx: &mut TenantTx, id: ApiKeyId, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2 \
                       AND (last_used_at IS NULL OR last_used_at < $4)";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(now).bind(now - Duration::minutes(1)))?;
    Ok(())
}

// ---- audit ----------------------------------------------------------------

const AUDIT_COLS: &str = "tenant_id, seq, id, at, actor_id, actor_label, action, target, ip, details, prev_hash, hash";

/// The newest `(seq, hash)` of the chain, locking it until the transaction
/// ends so appends serialise (SQLite's write lock does the same).
///
/// # Errors
/// The database's error.
pub async fn audit_head(tx: &mut TenantTx, lock: bool) -> Result<Option<(i64, String, String)>, Error> {
    let sql = if lock && tx.dialect() == Dialect::Postgres {
        "SELECT seq, hash, tag FROM audit_heads WHERE tenant_id = $1 FOR UPDATE"
    } else {
        "SELECT seq, hash, tag FROM audit_heads WHERE tenant_id = $1"
    };
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(sql).bind(tenant).fetch_optional(c).await)?)
}

/// Creates the (empty) head row of a new tenant's chain.
///
/// # Errors
/// The database's error.
pub async fn init_audit_head(tx: &mut TenantTx, tag: &str) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO audit_heads (tenant_id, seq, hash, tag) VALUES ($1, 0, $2, $3)";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(crate::audit::GENESIS).bind(tag))?;
    Ok(())
}

/// Appends an entry and moves the head to it.
///
/// # Errors
/// The database's error.
pub async fn insert_audit(tx: &mut TenantTx, row: &AuditRow, head_tag: &str) -> Result<(), Error> {
    let sql =
        format!("INSERT INTO audit_log ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
    const HEAD: &str = "UPDATE audit_heads SET seq = $2, hash = $3, tag = $4 WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(&sql)
            .bind(tenant)
            .bind(row.seq)
            .bind(row.id)
            .bind(row.at)
            .bind(row.actor_id)
            .bind(&row.actor_label)
            .bind(&row.action)
            .bind(&row.target)
            .bind(&row.ip)
            .bind(&row.details)
            .bind(&row.prev_hash)
            .bind(&row.hash)
    )?;
    exec!(tx, sqlx::query(HEAD).bind(tenant).bind(row.seq).bind(&row.hash).bind(head_tag))?;
    Ok(())
}

/// A page of entries, newest first, before `before` (a seq).
///
/// # Errors
/// The database's error.
pub async fn audit_page(tx: &mut TenantTx, before: Option<i64>, limit: i64) -> Result<Vec<AuditRow>, Error> {
    let sql = format!(
        "SELECT {AUDIT_COLS} FROM audit_log WHERE tenant_id = $1 AND ($2 IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3"
    );
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(before).bind(limit).fetch_all(c).await)?)
}

/// One entry by id.
///
/// # Errors
/// The database's error.
pub async fn audit_entry(tx: &mut TenantTx, id: Uuid) -> Result<Option<AuditRow>, Error> {
    let sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?)
}

/// The whole chain in order, for verification.
///
/// # Errors
/// The database's error.
pub async fn audit_all(tx: &mut TenantTx) -> Result<Vec<AuditRow>, Error> {
    let sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE tenant_id = $1 ORDER BY seq");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?)
}

// ---- server secrets -------------------------------------------------------

/// Stores a wrapped server secret unless one of that name exists.
///
/// # Errors
/// The database's error.
pub async fn insert_server_secret(
    tx: &mut SystemTx,
    name: &str,
    wrapped: &[u8],
    kek_id: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO server_secrets (name, wrapped, kek_id, created_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (name) DO NOTHING";
    exec!(tx, sqlx::query(SQL).bind(name).bind(wrapped).bind(kek_id).bind(now))?;
    Ok(())
}

/// Every wrapped server secret: (name, wrapped, kek id).
///
/// # Errors
/// The database's error.
pub async fn server_secrets(tx: &mut SystemTx) -> Result<Vec<(String, Vec<u8>, String)>, Error> {
    const SQL: &str = "SELECT name, wrapped, kek_id FROM server_secrets ORDER BY name";
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).fetch_all(c).await)?)
}

/// Replaces a wrapped server secret after KEK rotation.
///
/// # Errors
/// The database's error.
pub async fn rewrap_server_secret(tx: &mut SystemTx, name: &str, wrapped: &[u8], kek_id: &str) -> Result<(), Error> {
    const SQL: &str = "UPDATE server_secrets SET wrapped = $2, kek_id = $3 WHERE name = $1";
    exec!(tx, sqlx::query(SQL).bind(name).bind(wrapped).bind(kek_id))?;
    Ok(())
}

/// Ends every unused password-reset link of a user (after a reset or a
/// password change).
///
/// # Errors
/// The database's error.
pub async fn expire_resets(tx: &mut TenantTx, user: UserId, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "UPDATE user_tokens SET used_at = $3 \
                       WHERE tenant_id = $1 AND user_id = $2 AND purpose = 'reset' AND used_at IS NULL";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(user).bind(now))?;
    Ok(())
}

/// Withdraws the invitations a member sent that are still pending; returns
/// the invited members' ids.
///
/// # Errors
/// The database's error.
pub async fn withdraw_invitations_of(tx: &mut TenantTx, inviter: UserId) -> Result<Vec<UserId>, Error> {
    const SQL: &str = "DELETE FROM users WHERE tenant_id = $1 AND invited_by = $2 AND status = 'invited' RETURNING id";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(inviter).fetch_all(c).await)?)
}

/// Revokes every API key a member created; returns how many.
///
/// # Errors
/// The database's error.
pub async fn revoke_keys_of(tx: &mut TenantTx, user: UserId, now: DateTime<Utc>) -> Result<Vec<ApiKeyId>, Error> {
    const SQL: &str = "UPDATE api_keys SET revoked_at = $3 \
                       WHERE tenant_id = $1 AND created_by = $2 AND revoked_at IS NULL RETURNING id";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(user).bind(now).fetch_all(c).await)?)
}

/// Refresh-token families revoked since `since` (signed-out sessions).
///
/// # Errors
/// The database's error.
pub async fn revoked_families_since(tx: &mut SystemTx, since: DateTime<Utc>) -> Result<Vec<Uuid>, Error> {
    const SQL: &str = "SELECT DISTINCT family_id FROM refresh_tokens WHERE revoked_at > $1";
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(since).fetch_all(c).await)?)
}

// ---- invalidations --------------------------------------------------------

/// Records an invalidation in the transaction that takes the rights away;
/// `tenant` is the tenant it concerns (a tenant transaction may only record
/// its own).
///
/// # Errors
/// The database's error.
pub async fn insert_invalidation(
    tx: &mut impl JobTx,
    tenant: TenantId,
    what: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO auth_invalidations (id, tenant_id, what, at) VALUES ($1, $2, $3, $4)";
    exec!(tx, sqlx::query(SQL).bind(Uuid::now_v7()).bind(tenant).bind(what).bind(now))?;
    Ok(())
}

/// Invalidations recorded after `since` (and after the row `after`, for the
/// next page), oldest first: `(id, what, at)`.
///
/// # Errors
/// The database's error.
pub async fn invalidations_after(
    tx: &mut SystemTx,
    since: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<(Uuid, String, DateTime<Utc>)>, Error> {
    const SQL: &str = "SELECT id, what, at FROM auth_invalidations WHERE at > $1 \
                       AND ($2 IS NULL OR at > $2 OR (at = $2 AND id > $3)) ORDER BY at, id LIMIT $4";
    let (after_at, after_id) = (after.map(|a| a.0), after.map(|a| a.1));
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(since).bind(after_at).bind(after_id).bind(limit).fetch_all(c).await)?)
}

/// Deletes invalidations and security events older than their keeping time;
/// returns how many rows went.
///
/// # Errors
/// The database's error.
pub async fn sweep_security(
    tx: &mut SystemTx,
    invalidations_before: DateTime<Utc>,
    events_before: DateTime<Utc>,
) -> Result<u64, Error> {
    const INVALIDATIONS: &str = "DELETE FROM auth_invalidations WHERE at < $1";
    const EVENTS: &str = "DELETE FROM security_events WHERE at < $1";
    const OPERATOR_SESSIONS: &str = "DELETE FROM operator_sessions WHERE expires_at < $1";
    let a = exec!(tx, sqlx::query(INVALIDATIONS).bind(invalidations_before))?;
    let b = exec!(tx, sqlx::query(EVENTS).bind(events_before))?;
    let c = exec!(tx, sqlx::query(OPERATOR_SESSIONS).bind(invalidations_before))?;
    Ok(a + b + c)
}

// ---- platform operators -------------------------------------------------------------

/// A platform operator as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OperatorRow {
    /// Id.
    pub id: Uuid,
    /// Sign-in email.
    pub email: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Disabled: no sign-in, no session.
    pub disabled_at: Option<DateTime<Utc>>,
}

const OPERATOR_COLS: &str = "id, email, password_hash, created_at, disabled_at";

/// Creates an operator; `false` when the email is taken.
///
/// # Errors
/// The database's error.
pub async fn insert_operator(tx: &mut SystemTx, row: &OperatorRow) -> Result<bool, Error> {
    const SQL: &str = "INSERT INTO operators (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (email) DO NOTHING";
    let n = exec!(tx, sqlx::query(SQL).bind(row.id).bind(&row.email).bind(&row.password_hash).bind(row.created_at))?;
    Ok(n == 1)
}

/// The operator with this email.
///
/// # Errors
/// The database's error.
pub async fn operator_by_email(tx: &mut SystemTx, email: &str) -> Result<Option<OperatorRow>, Error> {
    let sql = format!("SELECT {OPERATOR_COLS} FROM operators WHERE email = $1");
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(email).fetch_optional(c).await)?)
}

/// Every operator, oldest first.
///
/// # Errors
/// The database's error.
pub async fn operators(tx: &mut SystemTx) -> Result<Vec<OperatorRow>, Error> {
    let sql = format!("SELECT {OPERATOR_COLS} FROM operators ORDER BY created_at");
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).fetch_all(c).await)?)
}

/// Sets an operator's password and/or standing (`Some(None)` enables),
/// ending their sessions; `false` when there is no such operator.
///
/// # Errors
/// The database's error.
pub async fn update_operator(
    tx: &mut SystemTx,
    email: &str,
    password_hash: Option<&str>,
    disabled_at: Option<Option<DateTime<Utc>>>,
) -> Result<bool, Error> {
    const PASSWORD: &str = "UPDATE operators SET password_hash = $2 WHERE email = $1";
    const STANDING: &str = "UPDATE operators SET disabled_at = $2 WHERE email = $1";
    const END: &str = "DELETE FROM operator_sessions WHERE operator_id IN (SELECT id FROM operators WHERE email = $1)";
    if operator_by_email(tx, email).await?.is_none() {
        return Ok(false);
    }
    if let Some(hash) = password_hash {
        exec!(tx, sqlx::query(PASSWORD).bind(email).bind(hash))?;
    }
    if let Some(at) = disabled_at {
        exec!(tx, sqlx::query(STANDING).bind(email).bind(at))?;
    }
    exec!(tx, sqlx::query(END).bind(email))?;
    Ok(true)
}

/// Opens a console session for an operator whose password hash is still
/// `password_hash` and who is not disabled; `false` when either changed
/// since the password was checked (a reset or a disable committed in
/// between, whose deletion of sessions this one would otherwise escape). On
/// PostgreSQL the operator's row is locked first, so the check and the
/// insert see the same row as a concurrent change; SQLite's write
/// transactions are serialised already.
///
/// # Errors
/// The database's error.
pub async fn insert_operator_session(
    tx: &mut SystemTx,
    token_hash: &[u8],
    operator: Uuid,
    password_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, Error> {
    if tx.dialect() == Dialect::Postgres {
        const LOCK: &str = "SELECT id FROM operators WHERE id = $1 FOR UPDATE";
        exec!(tx, sqlx::query(LOCK).bind(operator))?;
    }
    const SQL: &str = "INSERT INTO operator_sessions (token_hash, operator_id, created_at, expires_at) \
        SELECT $1, $2, $3, $4 WHERE EXISTS \
        (SELECT 1 FROM operators WHERE id = $2 AND password_hash = $5 AND disabled_at IS NULL)";
    let inserted =
        exec!(tx, sqlx::query(SQL).bind(token_hash).bind(operator).bind(now).bind(expires_at).bind(password_hash))?;
    Ok(inserted == 1)
}

/// The operator of a live session of an enabled operator.
///
/// # Errors
/// The database's error.
pub async fn operator_of_session(
    tx: &mut SystemTx,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, String, DateTime<Utc>)>, Error> {
    const SQL: &str =
        "SELECT o.id, o.email, s.expires_at FROM operator_sessions s JOIN operators o ON o.id = s.operator_id \
                       WHERE s.token_hash = $1 AND s.expires_at > $2 AND o.disabled_at IS NULL";
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(token_hash).bind(now).fetch_optional(c).await)?)
}

/// Ends a console session.
///
/// # Errors
/// The database's error.
pub async fn delete_operator_session(tx: &mut SystemTx, token_hash: &[u8]) -> Result<(), Error> {
    exec!(tx, sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1").bind(token_hash))?;
    Ok(())
}
