//! The errors of realtime, each with its code.

use stackpro_core::metering::LimitReached;
use stackpro_core::{Code, ErrorCode};
use stackpro_store::StoreError;

/// What can go wrong with channels, messages and the gateway.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field is empty, too long or malformed.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// No such channel, or one the caller may not read.
    #[error("No channel {0} in this workspace.")]
    ChannelNotFound(String),
    /// No such message, or one the caller may not read.
    #[error("No message {0} in this channel.")]
    MessageNotFound(String),
    /// No such member.
    #[error("No member {0} in this workspace.")]
    MemberNotFound(String),
    /// A channel of that name exists.
    #[error("A channel named {0:?} exists already.")]
    NameTaken(String),
    /// A message carries as many different reactions as it may.
    #[error("A message carries at most {0} different reactions; add to one of them.")]
    TooManyReactions(usize),
    /// The role does not allow it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Too many messages in a short time.
    #[error("Too many messages in a short time; try again in {0} s.")]
    RateLimited(u64),
    /// A hard limit of the plan forbids it.
    #[error(transparent)]
    Limit(#[from] LimitReached),
    /// Metering failed.
    #[error("metering: {0}")]
    Metering(String),
    /// Identity and security failed (keys).
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
            Error::ChannelNotFound(_) => Code::ChannelNotFound,
            Error::MessageNotFound(_) => Code::MessageNotFound,
            Error::MemberNotFound(_) => Code::MemberNotFound,
            Error::NameTaken(_) => Code::ChannelNameTaken,
            Error::TooManyReactions(_) => Code::TooManyReactions,
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
