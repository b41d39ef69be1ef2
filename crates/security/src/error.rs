//! The errors of identity and security, each with its code.

use stackpro_core::{Code, ErrorCode};
use stackpro_store::StoreError;

/// What can go wrong in sign-up, sign-in, members, keys and audit.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The email address does not parse.
    #[error("{0:?} is not a valid email address.")]
    InvalidEmail(String),
    /// The password is outside the allowed length.
    #[error("Use a password of at least {min} characters (at most {max}).", min = crate::model::Password::MIN, max = crate::model::Password::MAX)]
    WeakPassword(&'static str),
    /// The new password is the email address.
    #[error("The password must not be your email address.")]
    PasswordIsEmail(&'static str),
    /// The current password given to change it is wrong.
    #[error("The current password is wrong.")]
    CurrentPasswordWrong,
    /// The workspace name is empty or too long.
    #[error("Give the workspace a name of 1 to 100 characters.")]
    InvalidTenantName,
    /// A person's or key's name is empty or too long.
    #[error("Give a name of 1 to 100 characters.")]
    InvalidName(&'static str),
    /// Scopes are missing or unknown.
    #[error("Choose at least one scope among read, write and admin.")]
    InvalidScope,
    /// The role cannot be given by this principal.
    #[error("{0}")]
    InvalidRole(&'static str),
    /// Email or password wrong (never says which).
    #[error(
        "The email or password is wrong. If this email belongs to several workspaces, name the one to sign in to."
    )]
    InvalidCredentials,
    /// The email is taken in this workspace.
    #[error("{0} is already a member of this workspace.")]
    EmailTaken(String),
    /// The refresh token does not hold.
    #[error("The refresh token is unknown, expired or revoked; sign in again.")]
    RefreshTokenInvalid,
    /// The access token or API key does not hold.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The access token has expired.
    #[error("The access token has expired.")]
    TokenExpired,
    /// The role does not allow the action.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The last owner cannot be removed or demoted.
    #[error("A workspace must keep at least one owner.")]
    LastOwner,
    /// No such member (or one of another tenant).
    #[error("No member with id {0} in this workspace.")]
    MemberNotFound(String),
    /// No such API key (or one of another tenant).
    #[error("No API key with id {0} in this workspace.")]
    ApiKeyNotFound(String),
    /// No such audit entry (or one of another tenant).
    #[error("No audit entry with id {0} in this workspace.")]
    AuditEntryNotFound(String),
    /// No such tenant.
    #[error("No workspace {0}.")]
    TenantNotFound(String),
    /// The invitation token does not hold.
    #[error("This invitation link is unknown, already used or expired; ask for a new one.")]
    InviteInvalid,
    /// The reset token does not hold.
    #[error("This password reset link is unknown, already used or expired; ask for a new one.")]
    ResetTokenInvalid,
    /// Too many attempts.
    #[error("Too many attempts; try again in {0} seconds.")]
    RateLimited(u64),
    /// A tenant's data key is gone (the tenant was deleted) or cannot be unwrapped.
    #[error("the tenant's data key is unavailable: {0}")]
    KeyUnavailable(String),
    /// Encryption or decryption failed.
    #[error("cryptography failed: {0}")]
    Crypto(String),
    /// The plan does not allow it.
    #[error(transparent)]
    Limit(#[from] stackpro_core::metering::LimitReached),
    /// Metering failed.
    #[error("metering: {0}")]
    Metering(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<stackpro_core::metering::MeteringError> for Error {
    fn from(e: stackpro_core::metering::MeteringError) -> Self {
        match e {
            stackpro_core::metering::MeteringError::Limit(l) => Error::Limit(l),
            stackpro_core::metering::MeteringError::Failed(m) => Error::Metering(m),
        }
    }
}

stackpro_store::database_errors_into!(Error);

impl ErrorCode for Error {
    fn code(&self) -> Code {
        match self {
            Error::InvalidEmail(_) => Code::InvalidEmail,
            Error::WeakPassword(_) | Error::PasswordIsEmail(_) => Code::WeakPassword,
            Error::CurrentPasswordWrong => Code::CurrentPasswordWrong,
            Error::InvalidTenantName => Code::InvalidTenantName,
            Error::InvalidName(_) => Code::InvalidName,
            Error::InvalidScope => Code::InvalidScope,
            Error::InvalidRole(_) => Code::InvalidRole,
            Error::InvalidCredentials => Code::InvalidCredentials,
            Error::EmailTaken(_) => Code::EmailTaken,
            Error::RefreshTokenInvalid => Code::RefreshTokenInvalid,
            Error::Unauthorized(_) => Code::Unauthorized,
            Error::TokenExpired => Code::TokenExpired,
            Error::Forbidden(_) => Code::Forbidden,
            Error::LastOwner => Code::LastOwner,
            Error::MemberNotFound(_) => Code::MemberNotFound,
            Error::ApiKeyNotFound(_) => Code::ApiKeyNotFound,
            Error::TenantNotFound(_) => Code::TenantNotFound,
            Error::AuditEntryNotFound(_) => Code::AuditEntryNotFound,
            Error::InviteInvalid => Code::InviteInvalid,
            Error::ResetTokenInvalid => Code::ResetTokenInvalid,
            Error::RateLimited(_) => Code::RateLimited,
            Error::KeyUnavailable(_) | Error::Crypto(_) | Error::Metering(_) => Code::Internal,
            Error::Limit(_) => Code::PlanLimitReached,
            Error::Store(e) => e.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidEmail(_) | Error::EmailTaken(_) => Some("/email"),
            Error::WeakPassword(field) | Error::PasswordIsEmail(field) => Some(field),
            Error::CurrentPasswordWrong => Some("/current_password"),
            Error::InvalidTenantName => Some("/tenant_name"),
            Error::InvalidName(field) => Some(field),
            Error::InvalidScope => Some("/scopes"),
            Error::InvalidRole(_) => Some("/role"),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited(secs) => Some(*secs),
            _ => None,
        }
    }

    fn extra(&self) -> Option<serde_json::Value> {
        match self {
            Error::Limit(l) => Some(l.extra()),
            _ => None,
        }
    }
}
