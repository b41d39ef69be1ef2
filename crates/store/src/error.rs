//! Storage errors. None of them is the client's fault: they answer as
//! `internal` (cause logged) or `unavailable` when the database cannot be
//! reached. Constraint violations that are the client's fault are mapped to a
//! feature error at the call site with [`ResultExt`].

use stackpro_core::{Code, ErrorCode};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database answered with an error or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blob(#[from] object_store::Error),
    /// Redis answered with an error.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis cannot be reached or missed its deadline (see [`crate::redis`]).
    #[error("redis unavailable: {0}")]
    RedisUnavailable(String),
    /// A stored value could not be decoded.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl ErrorCode for StoreError {
    fn code(&self) -> Code {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed) => {
                Code::Unavailable
            }
            StoreError::Redis(e) if e.is_io_error() || e.is_connection_dropped() => Code::Unavailable,
            StoreError::RedisUnavailable(_) => Code::Unavailable,
            _ => Code::Internal,
        }
    }
}

/// Turns a unique-constraint violation into the caller's own error.
pub trait ResultExt<T> {
    /// Maps a unique violation (by kind: SQLite gives no constraint name) to `f()`.
    ///
    /// # Errors
    /// `f()` on a unique violation, the store error otherwise.
    fn on_unique_violation<E: From<StoreError>>(self, f: impl FnOnce() -> E) -> Result<T, E>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_unique_violation<E: From<StoreError>>(self, f: impl FnOnce() -> E) -> Result<T, E> {
        self.map_err(|e| match e.as_database_error() {
            Some(db) if db.is_unique_violation() => f(),
            _ => E::from(StoreError::Database(e)),
        })
    }
}
/// Writes `impl From<sqlx::Error>` for a feature crate's error enum that has
/// a `Store(StoreError)` variant: a database error is a storage failure.
#[macro_export]
macro_rules! database_errors_into {
    ($error:ident) => {
        impl From<::sqlx::Error> for $error {
            fn from(e: ::sqlx::Error) -> Self {
                $error::Store($crate::StoreError::Database(e))
            }
        }
    };
}

/// Writes `impl From<MeteringError>` for a feature crate's error enum that
/// has `Limit(LimitReached)` and `Metering(String)` variants: billing's
/// refusal stays a refusal, its failure a failure.
#[macro_export]
macro_rules! metering_errors_into {
    ($error:ident) => {
        impl From<::stackpro_core::metering::MeteringError> for $error {
            fn from(e: ::stackpro_core::metering::MeteringError) -> Self {
                match e {
                    ::stackpro_core::metering::MeteringError::Limit(l) => $error::Limit(l),
                    ::stackpro_core::metering::MeteringError::Failed(m) => $error::Metering(m),
                }
            }
        }
    };
}
