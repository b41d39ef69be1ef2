//! The errors of the assistant, each with its code.

use stackpro_core::metering::LimitReached;
use stackpro_core::{Code, ErrorCode};
use stackpro_store::StoreError;

/// What can go wrong with documents, search, chat and settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field is empty, too long or malformed.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// No such document, or one the caller may not read.
    #[error("No document {0} in this workspace.")]
    DocumentNotFound(String),
    /// No such passage, or one the caller may not read.
    #[error("No passage {0} in this workspace.")]
    PassageNotFound(String),
    /// No such member (to share with).
    #[error("No member {0} in this workspace.")]
    MemberNotFound(String),
    /// No such conversation of the caller's.
    #[error("No conversation {0} of yours.")]
    ConversationNotFound(String),
    /// The upload is not a document we read.
    #[error("{0}")]
    Refused(String),
    /// The upload is too large.
    #[error("{0}")]
    TooLarge(String),
    /// The role does not allow it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Too many questions from one visitor or workspace.
    #[error("Too many questions in a short time; try again in {0} s.")]
    RateLimited(u64),
    /// A hard limit of the plan forbids it.
    #[error(transparent)]
    Limit(#[from] LimitReached),
    /// Metering failed.
    #[error("metering: {0}")]
    Metering(String),
    /// Identity and security failed (keys, audit).
    #[error(transparent)]
    Security(#[from] stackpro_security::Error),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

stackpro_store::database_errors_into!(Error);

stackpro_store::metering_errors_into!(Error);

impl ErrorCode for Error {
    fn code(&self) -> Code {
        match self {
            Error::Invalid(..) => Code::InvalidField,
            Error::DocumentNotFound(_) => Code::DocumentNotFound,
            Error::PassageNotFound(_) => Code::PassageNotFound,
            Error::ConversationNotFound(_) => Code::ConversationNotFound,
            Error::MemberNotFound(_) => Code::MemberNotFound,
            Error::Refused(_) => Code::DocumentRefused,
            Error::TooLarge(_) => Code::PayloadTooLarge,
            Error::Forbidden(_) => Code::Forbidden,
            Error::RateLimited(_) => Code::RateLimited,
            Error::Limit(_) => Code::PlanLimitReached,
            Error::Metering(_) => Code::Internal,
            Error::Security(e) => e.code(),
            Error::Store(e) => e.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid(field, _) => Some(field),
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
