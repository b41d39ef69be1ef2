//! The relational database in two dialects, and the only two ways into it.
//!
//! [`Db`] holds a SQLite or a PostgreSQL pool. Store functions are written once
//! with runtime-checked `sqlx` queries in the common SQL subset; the [`on_db!`]
//! macro expands one body into both match arms so each is type-checked against
//! its own driver. Where SQL really differs (job claims), the function branches
//! on [`Dialect`].
//!
//! Tenant data is reached only through a [`TenantTx`], which carries its tenant
//! id for every `WHERE`. On PostgreSQL it also runs as the restricted role
//! [`APP_ROLE`] with `app.tenant_id` set, so row-level security is a second
//! wall: a query that forgot its filter still sees only its tenant's rows.
//! Work across tenants (sign-in lookups, job claims) uses [`SystemTx`], named so
//! that a search lists every such place.

use crate::error::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use stackpro_core::config::DatabaseUrl;
use stackpro_core::ids::TenantId;
use stackpro_core::TenantCtx;
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL role tenant transactions run as: it owns nothing and
/// bypasses nothing, so row-level security applies to it.
pub const APP_ROLE: &str = "stackpro_app";
/// The PostgreSQL role system transactions run as: it sees every tenant's
/// rows through policies granted to it alone, and bypasses nothing else.
pub const SYSTEM_ROLE: &str = "stackpro_system";

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which SQL dialect a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (embedded default).
    Sqlite,
    /// PostgreSQL (scale-out).
    Postgres,
}

/// A pool of database connections. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite in WAL mode.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// A borrowed connection of either dialect, for [`on_db!`].
pub enum Conn<'a> {
    /// A SQLite connection.
    Sqlite(&'a mut SqliteConnection),
    /// A PostgreSQL connection.
    Postgres(&'a mut PgConnection),
}

/// Runs the same body against whichever connection a transaction holds.
///
/// ```ignore
/// on_db!(tx, |c| sqlx::query(SQL).bind(tx_tenant).execute(c).await)?;
/// ```
#[macro_export]
macro_rules! on_db {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx.conn() {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}

/// Executes a query built from `sqlx::query(..)` in either dialect and
/// returns the number of rows it affected.
///
/// ```ignore
/// let n = exec!(tx, sqlx::query(SQL).bind(tx.tenant_id()).bind(id))?;
/// ```
#[macro_export]
macro_rules! exec {
    ($tx:expr, $q:expr) => {
        $crate::on_db!($tx, |c| $q.execute(c).await.map(|r| r.rows_affected()))
    };
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }
    async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A transaction bound to one tenant. Dropping it without [`TenantTx::commit`]
/// rolls back, so a failed request changes nothing.
pub struct TenantTx {
    tenant: TenantId,
    tx: Tx,
}

impl TenantTx {
    /// The tenant every query in this transaction must filter on.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }
    /// The connection, for [`on_db!`].
    pub fn conn(&mut self) -> Conn<'_> {
        self.tx.conn()
    }
    /// The dialect, for the few queries that differ.
    pub fn dialect(&self) -> Dialect {
        match self.tx {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
    /// Commits.
    ///
    /// # Errors
    /// The database's error.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await
    }
}

/// A transaction across tenants, for the few places that need one (sign-in
/// lookups by email or token hash, job claims). On PostgreSQL it runs as
/// [`SYSTEM_ROLE`], so the server never needs a superuser or BYPASSRLS.
pub struct SystemTx {
    tx: Tx,
}

impl SystemTx {
    /// The connection, for [`on_db!`].
    pub fn conn(&mut self) -> Conn<'_> {
        self.tx.conn()
    }
    /// The dialect, for the few queries that differ.
    pub fn dialect(&self) -> Dialect {
        match self.tx {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
    /// Commits.
    ///
    /// # Errors
    /// The database's error.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await
    }
}

async fn system_role(mut t: Transaction<'static, Postgres>) -> Result<Transaction<'static, Postgres>, StoreError> {
    sqlx::query("SELECT set_config('role', $1, true)").bind(SYSTEM_ROLE).execute(&mut *t).await?;
    Ok(t)
}

impl Db {
    /// Connects to the configured database (creating a SQLite file and its
    /// directory when missing). Does not migrate.
    ///
    /// # Errors
    /// When the database cannot be opened or reached.
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Db, StoreError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
                }
                // Vaultwarden's defaults: WAL for concurrent readers, NORMAL sync
                // (durable at checkpoints), a busy timeout instead of SQLITE_BUSY.
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db::Sqlite(pool))
            }
            DatabaseUrl::Postgres(url) => {
                // Bounds on what one statement or one forgotten transaction
                // may hold: a stuck query fails instead of holding a
                // connection (and a shutdown) for ever.
                let opts = PgConnectOptions::from_str(url)?
                    .options([("statement_timeout", "30s"), ("idle_in_transaction_session_timeout", "60s")]);
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Applies the migrations of this dialect. On PostgreSQL this also creates
    /// [`APP_ROLE`] and grants it what tenant transactions need; the connecting
    /// role must be able to create roles (a superuser or `CREATEROLE`).
    ///
    /// # Errors
    /// When a migration fails or an applied one was edited.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATOR.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// The dialect of this database.
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A writing transaction for the request's tenant.
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn tenant_tx(&self, ctx: &TenantCtx) -> Result<TenantTx, StoreError> {
        self.tenant_tx_for(ctx.tenant).await
    }

    /// A read-only transaction for the request's tenant. On SQLite it is a
    /// deferred transaction (readers never wait for the writer in WAL mode).
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn tenant_read(&self, ctx: &TenantCtx) -> Result<TenantTx, StoreError> {
        self.begin_tenant(ctx.tenant, false).await
    }

    /// A read-only transaction for a tenant known by id (the authenticator,
    /// before the request has its context).
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn tenant_read_for(&self, tenant: TenantId) -> Result<TenantTx, StoreError> {
        self.begin_tenant(tenant, false).await
    }

    /// A writing transaction for a tenant known by id, for work that has no
    /// request context yet: sign-up, sign-in after the system lookup, jobs.
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn tenant_tx_for(&self, tenant: TenantId) -> Result<TenantTx, StoreError> {
        self.begin_tenant(tenant, true).await
    }

    async fn begin_tenant(&self, tenant: TenantId, write: bool) -> Result<TenantTx, StoreError> {
        let tx = match self {
            Db::Sqlite(p) => {
                // A writer takes the lock up front: a deferred transaction that
                // upgrades later can fail with SQLITE_BUSY_SNAPSHOT, which
                // busy_timeout does not retry.
                let begin = if write { "BEGIN IMMEDIATE" } else { "BEGIN" };
                Tx::Sqlite(p.begin_with(begin).await?)
            }
            Db::Postgres(p) => {
                let mut t = p.begin().await?;
                // The bindable form of SET LOCAL ROLE and SET LOCAL app.tenant_id,
                // in one round trip; both end with the transaction.
                sqlx::query("SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true)")
                    .bind(APP_ROLE)
                    .bind(tenant.to_string())
                    .execute(&mut *t)
                    .await?;
                Tx::Postgres(t)
            }
        };
        Ok(TenantTx { tenant, tx })
    }

    /// A transaction across tenants; see [`SystemTx`].
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn system_tx(&self) -> Result<SystemTx, StoreError> {
        let tx = match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(system_role(p.begin().await?).await?),
        };
        Ok(SystemTx { tx })
    }

    /// A read-only transaction across tenants.
    ///
    /// # Errors
    /// When no connection can be had.
    pub async fn system_read(&self) -> Result<SystemTx, StoreError> {
        let tx = match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::Postgres(p) => Tx::Postgres(system_role(p.begin().await?).await?),
        };
        Ok(SystemTx { tx })
    }

    /// Checks the database answers, for `/readyz`.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
            Db::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
        }
        Ok(())
    }

    /// Closes every connection, for graceful shutdown.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}
