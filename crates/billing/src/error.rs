//! The errors of billing, each with its code.

use stackpro_core::metering::{LimitReached, MeteringError};
use stackpro_core::{Code, ErrorCode};
use stackpro_store::StoreError;

/// What can go wrong with plans, usage and invoices.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hard limit forbids it.
    #[error(transparent)]
    Limit(#[from] LimitReached),
    /// No such plan, or not one a workspace may choose.
    #[error("There is no plan {0:?} to choose.")]
    PlanNotFound(String),
    /// Already on it.
    #[error("The workspace is already on the {0} plan.")]
    PlanUnchanged(String),
    /// The workspace uses more than the smaller plan allows.
    #[error("{0}")]
    DowngradeRefused(String, serde_json::Value),
    /// No such invoice (or another tenant's).
    #[error("No invoice {0} in this workspace.")]
    InvoiceNotFound(String),
    /// The role does not allow it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A request's input is wrong.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// Stripe failed or refused; `true` when trying again may succeed.
    #[error("{0}")]
    Payments(String, bool),
    /// No Stripe key (or no webhook secret) is configured.
    #[error("Payment collection (Stripe) is not configured on this installation.")]
    PaymentsNotConfigured,
    /// A paid plan, with Stripe configured and no card on file yet.
    #[error("{0} costs money and the workspace has no card on file yet: pay through Checkout (POST /api/v1/billing/checkout), which starts the plan once the card is accepted.")]
    PaymentMethodRequired(String),
    /// A larger plan while a payment is overdue.
    #[error("A payment for the workspace is overdue: once it is paid, {0} can be chosen. Smaller plans can be scheduled meanwhile.")]
    PaymentOverdue(String),
    /// Checkout for a workspace that already has a subscription.
    #[error("The workspace already pays by card; change its plan instead (POST /api/v1/billing/plan).")]
    SubscriptionExists,
    /// A webhook's signature does not hold.
    #[error("{0}")]
    WebhookSignature(String),
    /// Identity and security failed (audit, mail, invalidation).
    #[error(transparent)]
    Security(#[from] stackpro_security::Error),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

stackpro_store::database_errors_into!(Error);

impl From<Error> for MeteringError {
    fn from(e: Error) -> Self {
        match e {
            Error::Limit(l) => MeteringError::Limit(l),
            other => MeteringError::Failed(other.to_string()),
        }
    }
}

impl Error {
    /// `plan_not_found` for `key`, shortened: the key may be anything.
    pub(crate) fn no_plan(key: &str) -> Error {
        let mut shown: String = key.chars().take(64).collect();
        if shown.len() < key.len() {
            shown.push('…');
        }
        Error::PlanNotFound(shown)
    }
}

impl ErrorCode for Error {
    fn code(&self) -> Code {
        match self {
            Error::Limit(_) => Code::PlanLimitReached,
            Error::PlanNotFound(_) => Code::PlanNotFound,
            Error::PlanUnchanged(_) => Code::PlanUnchanged,
            Error::DowngradeRefused(..) => Code::DowngradeRefused,
            Error::InvoiceNotFound(_) => Code::InvoiceNotFound,
            Error::Forbidden(_) => Code::Forbidden,
            Error::Invalid(..) => Code::InvalidQuery,
            Error::Payments(_, true) => Code::Unavailable,
            Error::Payments(_, false) => Code::PaymentsFailed,
            Error::PaymentsNotConfigured => Code::PaymentsNotConfigured,
            Error::PaymentMethodRequired(_) => Code::PaymentMethodRequired,
            Error::PaymentOverdue(_) => Code::PaymentOverdue,
            Error::SubscriptionExists => Code::SubscriptionExists,
            Error::WebhookSignature(_) => Code::WebhookSignatureInvalid,
            Error::Security(e) => e.code(),
            Error::Store(e) => e.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Error::PlanNotFound(_)
            | Error::PlanUnchanged(_)
            | Error::DowngradeRefused(..)
            | Error::PaymentMethodRequired(_)
            | Error::PaymentOverdue(_)
            | Error::SubscriptionExists => Some("/plan"),
            Error::Invalid(field, _) => Some(field),
            _ => None,
        }
    }

    fn extra(&self) -> Option<serde_json::Value> {
        match self {
            Error::Limit(l) => Some(l.extra()),
            Error::DowngradeRefused(_, over) => Some(serde_json::json!({ "over_limits": over })),
            _ => None,
        }
    }
}
