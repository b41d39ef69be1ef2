//! The vocabulary of usage billing that every crate shares: what is metered
//! ([`Meter`], with its [`Aggregation`]), the plan a tenant is on
//! ([`PlanRef`], carried in every `TenantCtx`), the features a plan unlocks
//! ([`Feature`]), and the one interface through which crates ask before work
//! and record usage ([`Metering`]). `billing` owns the rules and implements
//! the interface; `server` hands it to the crates that need it, so no crate
//! meters usage any other way.

use crate::error::{ApiError, Code};
use crate::ids::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! meters {
    ($($variant:ident => ($name:literal, $agg:ident, $unit:literal, $doc:literal),)*) => {
        /// Something a tenant uses and may pay for. The wire name is stable.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Meter { $(#[doc = $doc] $variant,)* }

        impl Meter {
            /// Every meter, in catalogue order.
            pub const ALL: &'static [Meter] = &[$(Meter::$variant,)*];
            /// The stable wire name, e.g. `api_requests`.
            pub fn as_str(self) -> &'static str { match self { $(Meter::$variant => $name,)* } }
            /// How a period's events make its total.
            pub fn aggregation(self) -> Aggregation { match self { $(Meter::$variant => Aggregation::$agg,)* } }
            /// The unit of its quantities, for people.
            pub fn unit(self) -> &'static str { match self { $(Meter::$variant => $unit,)* } }
            /// What it measures, for people.
            pub fn describe(self) -> &'static str { match self { $(Meter::$variant => $doc,)* } }
            /// Parses the wire name.
            pub fn parse(s: &str) -> Option<Meter> { match s { $($name => Some(Meter::$variant),)* _ => None } }
        }
    };
}

meters! {
    Seats => ("seats", Max, "members", "Members and pending invitations of the workspace."),
    ApiRequests => ("api_requests", Sum, "requests", "API requests made with an API key."),
    StorageBytes => ("storage_bytes", Max, "bytes", "Bytes stored: documents, files and site assets."),
    Sites => ("sites", Max, "sites", "Websites of the workspace."),
    PagesPublished => ("pages_published", Sum, "pages", "Pages published."),
    AiQueries => ("ai_queries", Sum, "questions", "Questions answered by the assistant."),
    AiTokens => ("ai_tokens", Sum, "tokens", "Language-model tokens used by the assistant."),
    IngestedPages => ("ingested_pages", Sum, "pages", "Document pages read into the assistant's knowledge."),
    Messages => ("messages", Sum, "messages", "Chat messages sent."),
    FileBytes => ("file_bytes", Max, "bytes", "Bytes of shared files."),
    Emails => ("emails", Sum, "emails", "Notification emails sent."),
    Sms => ("sms", Sum, "messages", "Text messages sent."),
    Push => ("push", Sum, "notifications", "Web push notifications sent."),
    CustomDomains => ("custom_domains", Max, "domains", "Custom domains connected."),
}

impl std::fmt::Display for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the events of a period make its total. Levels (`Max`, `Latest`) are
/// recorded as the new level; counts and sums as the amount added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// The sum of the quantities.
    Sum,
    /// The number of events.
    Count,
    /// The highest level reached.
    Max,
    /// The last level recorded.
    Latest,
    /// The number of different subjects.
    UniqueCount,
}

impl Aggregation {
    /// Whether events state a level rather than an amount.
    pub fn is_level(self) -> bool {
        matches!(self, Aggregation::Max | Aggregation::Latest)
    }
}

/// What a plan unlocks beyond quantities; later features read these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Sites may answer on the tenant's own domain.
    CustomDomains,
    /// The assistant may use a configured language-model provider.
    LlmProviders,
    /// Notifications may go out by SMS.
    Sms,
    /// Published sites carry no "made with StackPro" badge.
    RemoveBadge,
}

/// Whether the tenant's account is in good standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Paid up, or on a plan that costs nothing.
    Active,
    /// On a trial that has not ended.
    Trialing,
    /// A payment failed; the plan holds during a grace period.
    PastDue,
    /// The grace period ended unpaid: the free level's limits apply, nothing
    /// is deleted.
    Restricted,
}

impl PlanStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Active => "active",
            PlanStatus::Trialing => "trialing",
            PlanStatus::PastDue => "past_due",
            PlanStatus::Restricted => "restricted",
        }
    }
    /// Parses the stored name; unknown names read as restricted (the safe side).
    pub fn parse(s: &str) -> PlanStatus {
        match s {
            "active" => PlanStatus::Active,
            "trialing" => PlanStatus::Trialing,
            "past_due" => PlanStatus::PastDue,
            _ => PlanStatus::Restricted,
        }
    }
}

impl From<String> for PlanStatus {
    fn from(s: String) -> Self {
        PlanStatus::parse(&s)
    }
}

/// The plan a tenant is on, as every request carries it: the plan's key in
/// the catalogue (`starter`, `professional`, ...) and the account's standing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRef {
    /// The plan's key.
    pub key: String,
    /// The account's standing.
    pub status: PlanStatus,
}

/// A refusal because the plan's limit is reached. Answered as
/// `plan_limit_reached` (402) with the meter, the limit, the current usage
/// and the plan that would allow the request as extension members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitReached {
    /// The meter.
    pub meter: Meter,
    /// The plan's limit.
    pub limit: i64,
    /// The usage now.
    pub current: i64,
    /// The tenant's plan, by name.
    pub plan: String,
    /// The cheapest plan that allows the request, by key and name.
    pub allowed_by: Option<(String, String)>,
}

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "The {} plan allows {} {} ({}); {} in use.",
            self.plan,
            self.limit,
            self.meter.unit(),
            self.meter.as_str(),
            self.current
        )?;
        match &self.allowed_by {
            Some((_, name)) => write!(f, " The {name} plan allows more."),
            None => write!(f, " No plan allows more; contact the operators of this installation."),
        }
    }
}

impl std::error::Error for LimitReached {}

impl LimitReached {
    /// The figures, as the problem's extension members.
    pub fn extra(&self) -> serde_json::Value {
        serde_json::json!({
            "meter": self.meter,
            "limit": self.limit,
            "current": self.current,
            "plan": self.plan,
            "allowed_by": self.allowed_by.as_ref().map(|(key, _)| key),
        })
    }
    /// The refusal as a problem.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(Code::PlanLimitReached, self.to_string()).with_extra(self.extra())
    }
}

impl From<LimitReached> for ApiError {
    fn from(e: LimitReached) -> ApiError {
        e.to_api_error()
    }
}

/// Why a metering call failed.
#[derive(Debug, thiserror::Error)]
pub enum MeteringError {
    /// The plan does not allow it.
    #[error(transparent)]
    Limit(#[from] LimitReached),
    /// Storage failed; the cause is logged, the client sees `internal`.
    #[error("metering: {0}")]
    Failed(String),
}

impl From<MeteringError> for ApiError {
    fn from(e: MeteringError) -> ApiError {
        match e {
            MeteringError::Limit(l) => l.to_api_error(),
            MeteringError::Failed(m) => ApiError::internal(std::io::Error::other(m)),
        }
    }
}

/// A place held for usage about to happen, taken by [`Metering::reserve`].
/// Record the usage with [`Metering::record`] in the transaction that does
/// the work and call [`Reservation::keep`] once it committed; a reservation
/// dropped before that (the work failed, the transaction rolled back) is
/// given back.
#[must_use = "keep the reservation once the work committed, or it is given back"]
pub struct Reservation {
    give_back: Option<Box<dyn FnOnce() + Send>>,
}

impl Reservation {
    /// A reservation that `give_back` undoes unless it is kept.
    pub fn new(give_back: impl FnOnce() + Send + 'static) -> Reservation {
        Reservation { give_back: Some(Box::new(give_back)) }
    }
    /// A reservation with nothing to give back (an unlimited meter).
    pub fn none() -> Reservation {
        Reservation { give_back: None }
    }
    /// The work committed: the usage stays counted.
    pub fn keep(mut self) {
        self.give_back = None;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(give_back) = self.give_back.take() {
            give_back();
        }
    }
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.give_back.is_some() { "Reservation(held)" } else { "Reservation(kept)" })
    }
}

/// The one way a crate asks before work and records usage. `Tx` is the
/// caller's transaction (`stackpro_store::TenantTx`): usage that comes with a
/// database write is recorded in the same transaction, so a crash loses no
/// usage and counts none twice. Every event has an idempotency key: the same
/// key recorded twice (a retry, another replica) counts once.
#[async_trait::async_trait]
pub trait Metering<Tx: Send>: Send + Sync + 'static {
    /// Asks before work for `quantity` of a counted meter (AI questions,
    /// messages, emails, ...). The place is taken atomically: concurrent
    /// callers never pass a hard limit together.
    ///
    /// # Errors
    /// [`MeteringError::Limit`] when a hard limit forbids it.
    async fn reserve(
        &self,
        tenant: TenantId,
        plan: &PlanRef,
        meter: Meter,
        quantity: i64,
    ) -> Result<Reservation, MeteringError>;

    /// Records `quantity` of a counted meter in the caller's transaction,
    /// once per `key`; returns whether it was new. Raises soft-limit alerts.
    ///
    /// # Errors
    /// The database's error.
    async fn record(
        &self,
        tx: &mut Tx,
        tenant: TenantId,
        plan: &PlanRef,
        meter: Meter,
        quantity: i64,
        key: &str,
    ) -> Result<bool, MeteringError>;

    /// Asks whether a level meter (seats, sites, domains, bytes stored) may
    /// be at `level`, inside the transaction that makes it so, and records
    /// the level. The caller counts the level in that same transaction under
    /// its write lock, so concurrent requests cannot both pass; the limit is
    /// the one of the plan that transaction reads (not a cached one), so a
    /// plan change committed meanwhile counts. A level that goes down is
    /// always allowed.
    ///
    /// # Errors
    /// [`MeteringError::Limit`] when a hard limit forbids it.
    async fn set_level(
        &self,
        tx: &mut Tx,
        tenant: TenantId,
        meter: Meter,
        level: i64,
        key: &str,
    ) -> Result<(), MeteringError>;

    /// Whether the plan includes a feature.
    fn has_feature(&self, plan: &PlanRef, feature: Feature) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_meter_has_a_unique_snake_case_name_that_parses_back() {
        let mut seen = std::collections::HashSet::new();
        for m in Meter::ALL {
            assert!(seen.insert(m.as_str()));
            assert_eq!(Meter::parse(m.as_str()), Some(*m));
            assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!(m.as_str()));
        }
        assert_eq!(Meter::ALL.len(), 14);
    }
}
