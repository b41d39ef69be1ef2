//! Plans and the arithmetic of billing: limits per meter, tiered prices,
//! proration by the second, and calendar-month periods. Pure functions,
//! checked against Stripe's documented examples.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use stackpro_core::metering::{Feature, Meter, PlanRef, PlanStatus};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// Micro-cents in a cent: unit prices are kept in millionths of a cent, so a
/// price like $0.000002 per token stays exact in integers.
pub const MICRO: i64 = 1_000_000;

/// How tiers price a quantity (Stripe's `tiers_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TierMode {
    /// Each unit at the price of the tier it falls in.
    Graduated,
    /// Every unit at the price of the tier the whole quantity reaches.
    Volume,
}

/// One price tier: up to and including `up_to` units (the last tier has
/// none), a price per unit in micro-cents, and a flat amount in cents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tier {
    /// The last unit of the tier; `None` for the last tier.
    pub up_to: Option<i64>,
    /// Price per unit, in millionths of a cent.
    #[serde(default)]
    pub unit_microcents: i64,
    /// Flat amount for reaching the tier, in cents.
    #[serde(default)]
    pub flat_cents: i64,
}

/// Prices `quantity` units by `tiers`, in micro-cents (round to cents once,
/// for the whole line, with [`to_cents`]).
pub fn price(quantity: i64, tiers: &[Tier], mode: TierMode) -> i128 {
    if quantity <= 0 || tiers.is_empty() {
        return 0;
    }
    let q = quantity as i128;
    match mode {
        TierMode::Volume => {
            let tier = tiers.iter().find(|t| t.up_to.is_none_or(|u| quantity <= u)).unwrap_or(&tiers[tiers.len() - 1]);
            q * tier.unit_microcents as i128 + tier.flat_cents as i128 * MICRO as i128
        }
        TierMode::Graduated => {
            let mut total = 0i128;
            let mut below = 0i128;
            for t in tiers {
                if q <= below {
                    break;
                }
                let top = t.up_to.map_or(q, |u| (u as i128).min(q));
                let units = top - below;
                if units > 0 {
                    total += units * t.unit_microcents as i128 + t.flat_cents as i128 * MICRO as i128;
                }
                below = top;
                if t.up_to.is_none() {
                    break;
                }
            }
            total
        }
    }
}

/// Micro-cents to cents, rounding half away from zero.
pub fn to_cents(microcents: i128) -> i64 {
    let m = MICRO as i128;
    let rounded = if microcents >= 0 { (microcents + m / 2) / m } else { (microcents - m / 2) / m };
    rounded.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// What a plan allows of one meter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Limit {
    /// Refused beyond `included`.
    Hard {
        /// The most allowed in a period (or at once, for levels).
        included: i64,
    },
    /// Allowed beyond `included`, alerted at 80 % and 100 %, and the
    /// overage charged by `tiers`.
    Soft {
        /// What the plan's price covers.
        included: i64,
        /// How the overage is priced, per package (tiers' `up_to` counts
        /// packages too).
        tiers: Vec<Tier>,
        /// Graduated or volume.
        mode: TierMode,
        /// Units per package: the overage is charged in whole packages,
        /// rounded up (1 by default; a GB of storage is `1073741824`), as
        /// Stripe's `transform_quantity` does.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        package: i64,
    },
    /// No limit and no charge.
    Unlimited,
}

impl Limit {
    /// Whether `value` of the meter is allowed.
    pub fn allows(&self, value: i64) -> bool {
        match self {
            Limit::Hard { included } => value <= *included,
            Limit::Soft { .. } | Limit::Unlimited => true,
        }
    }
    /// The quantity the plan covers, if limited.
    pub fn included(&self) -> Option<i64> {
        match self {
            Limit::Hard { included } | Limit::Soft { included, .. } => Some(*included),
            Limit::Unlimited => None,
        }
    }
    /// The overage charge of a period total, in micro-cents.
    pub fn overage(&self, total: i64) -> (i64, i128) {
        match self {
            Limit::Soft { included, tiers, mode, package } => {
                let over = (total - included).max(0);
                let package = (*package).max(1);
                let packages = over / package + i64::from(over % package != 0);
                (over, price(packages, tiers, *mode))
            }
            _ => (0, 0),
        }
    }
}

/// A plan of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    /// The stable key (`starter`).
    pub key: String,
    /// The name people see.
    pub name: String,
    /// The monthly price, in cents.
    pub price_cents: i64,
    /// Whether a workspace may choose it (the trial is given, not chosen).
    pub selectable: bool,
    /// Higher ranks are upgrades.
    pub rank: u32,
    /// What each meter allows; a meter not listed is unlimited.
    #[schema(value_type = std::collections::HashMap<String, Limit>)]
    pub limits: BTreeMap<Meter, Limit>,
    /// The features it includes.
    pub features: BTreeSet<Feature>,
}

impl Plan {
    /// What the plan allows of a meter.
    pub fn limit(&self, meter: Meter) -> &Limit {
        self.limits.get(&meter).unwrap_or(&Limit::Unlimited)
    }
}

/// Keys of the plans every catalogue has.
pub const FREE: &str = "free";
/// The plan new workspaces start on.
pub const TRIAL: &str = "trial";

/// The plans of the installation: defaults, overridden by the configuration.
#[derive(Clone, Debug)]
pub struct Catalogue {
    plans: BTreeMap<String, Plan>,
    /// Days a new workspace spends on the trial.
    pub trial_days: i64,
    /// Days a failed payment leaves the plan in place before its limits drop
    /// to the free level.
    pub grace_days: i64,
    /// The installation's currency (ISO 4217, lower case).
    pub currency: String,
}

/// Why the configured plans cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("plans: {0}")]
pub struct CatalogueError(pub String);

impl Catalogue {
    /// The default catalogue with the configuration's changes: `config` is the
    /// `plans` table of the configuration file, each entry replacing fields of
    /// the default plan of that key or adding a plan. Every catalogue keeps a
    /// `free` and a `trial` plan.
    ///
    /// # Errors
    /// When a plan does not parse, or `free` or `trial` is missing.
    pub fn new(config: Option<&serde_json::Value>) -> Result<Catalogue, CatalogueError> {
        let mut plans: BTreeMap<String, Plan> = defaults().into_iter().map(|p| (p.key.clone(), p)).collect();
        if let Some(serde_json::Value::Object(table)) = config {
            for (key, changes) in table {
                let mut value = match plans.get(key) {
                    Some(p) => serde_json::to_value(p).map_err(|e| CatalogueError(e.to_string()))?,
                    None => serde_json::json!({ "key": key, "name": key, "selectable": true, "rank": 100,
                        "limits": {}, "features": [] }),
                };
                merge(&mut value, changes);
                value["key"] = serde_json::Value::String(key.clone());
                let plan: Plan =
                    serde_json::from_value(value).map_err(|e| CatalogueError(format!("plans.{key}: {e}")))?;
                plans.insert(key.clone(), plan);
            }
        }
        for required in [FREE, TRIAL] {
            if !plans.contains_key(required) {
                return Err(CatalogueError(format!("the catalogue needs a `{required}` plan")));
            }
        }
        Ok(Catalogue { plans, trial_days: 14, grace_days: 7, currency: "usd".into() })
    }

    /// A plan by key.
    pub fn get(&self, key: &str) -> Option<&Plan> {
        self.plans.get(key)
    }

    /// The plan whose limits apply to a tenant: its own, or the free level's
    /// when its account is restricted (or names a plan that no longer exists).
    pub fn effective(&self, plan: &PlanRef) -> &Plan {
        let free = &self.plans[FREE];
        if plan.status == PlanStatus::Restricted {
            return free;
        }
        self.plans.get(&plan.key).unwrap_or(free)
    }

    /// Every plan, cheapest first.
    pub fn all(&self) -> Vec<&Plan> {
        let mut all: Vec<&Plan> = self.plans.values().collect();
        all.sort_by_key(|p| (p.rank, p.price_cents));
        all
    }

    /// The cheapest plan a workspace may choose that allows `value` of a meter.
    pub fn cheapest_allowing(&self, meter: Meter, value: i64) -> Option<&Plan> {
        self.all().into_iter().filter(|p| p.selectable && p.limit(meter).allows(value)).min_by_key(|p| p.price_cents)
    }
}

/// Applies `changes` over `base`, object by object.
fn merge(base: &mut serde_json::Value, changes: &serde_json::Value) {
    match (base, changes) {
        (serde_json::Value::Object(b), serde_json::Value::Object(c)) => {
            for (k, v) in c {
                merge(b.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, c) => *b = c.clone(),
    }
}

fn hard(included: i64) -> Limit {
    Limit::Hard { included }
}

fn one() -> i64 {
    1
}

fn is_one(n: &i64) -> bool {
    *n == 1
}

/// A soft limit whose every extra unit costs `unit_microcents`.
fn soft(included: i64, unit_microcents: i64) -> Limit {
    soft_per(included, unit_microcents, 1)
}

/// A soft limit whose every started `package` of units beyond `included`
/// costs `microcents`.
fn soft_per(included: i64, microcents: i64, package: i64) -> Limit {
    Limit::Soft {
        included,
        tiers: vec![Tier { up_to: None, unit_microcents: microcents, flat_cents: 0 }],
        mode: TierMode::Graduated,
        package,
    }
}

const MB: i64 = 1024 * 1024;
const GB: i64 = 1024 * MB;

/// The default catalogue: a free level, a 14-day trial, and three plans.
pub fn defaults() -> Vec<Plan> {
    use Meter::*;
    let limits = |l: Vec<(Meter, Limit)>| l.into_iter().collect::<BTreeMap<_, _>>();
    let cent = MICRO;
    vec![
        Plan {
            key: FREE.into(),
            name: "Free".into(),
            price_cents: 0,
            selectable: true,
            rank: 0,
            limits: limits(vec![
                (Seats, hard(2)),
                (ApiRequests, hard(1_000)),
                (StorageBytes, hard(100 * MB)),
                (Sites, hard(1)),
                (PagesPublished, hard(20)),
                (AiQueries, hard(20)),
                (AiTokens, hard(20_000)),
                (IngestedPages, hard(50)),
                (Messages, hard(500)),
                (FileBytes, hard(100 * MB)),
                (Emails, hard(100)),
                (Sms, hard(0)),
                (Push, hard(100)),
                (CustomDomains, hard(0)),
            ]),
            features: BTreeSet::new(),
        },
        Plan {
            key: TRIAL.into(),
            name: "Trial".into(),
            price_cents: 0,
            selectable: false,
            rank: 1,
            limits: limits(vec![
                (Seats, hard(5)),
                (ApiRequests, hard(10_000)),
                (StorageBytes, hard(GB)),
                (Sites, hard(2)),
                (PagesPublished, hard(100)),
                (AiQueries, hard(200)),
                (AiTokens, hard(200_000)),
                (IngestedPages, hard(500)),
                (Messages, hard(5_000)),
                (FileBytes, hard(GB)),
                (Emails, hard(1_000)),
                (Sms, hard(0)),
                (Push, hard(1_000)),
                (CustomDomains, hard(1)),
            ]),
            features: [Feature::CustomDomains].into(),
        },
        Plan {
            key: "starter".into(),
            name: "Starter".into(),
            price_cents: 1_900,
            selectable: true,
            rank: 2,
            limits: limits(vec![
                (Seats, hard(3)),
                (ApiRequests, hard(50_000)),
                (StorageBytes, hard(2 * GB)),
                (Sites, hard(1)),
                (PagesPublished, soft(200, 5 * cent)),
                (AiQueries, soft(500, 2 * cent)),
                (AiTokens, soft(500_000, 200)),
                (IngestedPages, soft(1_000, cent)),
                (Messages, soft(10_000, cent / 10)),
                (FileBytes, hard(2 * GB)),
                (Emails, soft(2_000, cent / 10)),
                (Sms, hard(0)),
                (Push, soft(2_000, cent / 100)),
                (CustomDomains, hard(1)),
            ]),
            features: [Feature::CustomDomains].into(),
        },
        Plan {
            key: "professional".into(),
            name: "Professional".into(),
            price_cents: 4_900,
            selectable: true,
            rank: 3,
            limits: limits(vec![
                (Seats, soft(10, 800 * cent)),
                (ApiRequests, soft(500_000, cent / 100)),
                (StorageBytes, soft_per(20 * GB, 10 * cent, GB)),
                (Sites, hard(3)),
                (PagesPublished, Limit::Unlimited),
                (
                    AiQueries,
                    Limit::Soft {
                        included: 3_000,
                        tiers: vec![
                            Tier { up_to: Some(10_000), unit_microcents: 2 * cent, flat_cents: 0 },
                            Tier { up_to: None, unit_microcents: cent, flat_cents: 0 },
                        ],
                        mode: TierMode::Graduated,
                        package: 1,
                    },
                ),
                (AiTokens, soft(5_000_000, 200)),
                (IngestedPages, soft(10_000, cent / 2)),
                (Messages, Limit::Unlimited),
                (FileBytes, soft_per(20 * GB, 10 * cent, GB)),
                (Emails, soft(20_000, cent / 10)),
                (Sms, soft(200, 5 * cent)),
                (Push, Limit::Unlimited),
                (CustomDomains, hard(5)),
            ]),
            features: [Feature::CustomDomains, Feature::LlmProviders, Feature::Sms, Feature::RemoveBadge].into(),
        },
        Plan {
            key: "enterprise".into(),
            name: "Enterprise".into(),
            price_cents: 19_900,
            selectable: true,
            rank: 4,
            limits: limits(vec![
                (Seats, soft(50, 600 * cent)),
                (ApiRequests, Limit::Unlimited),
                (StorageBytes, soft_per(200 * GB, 8 * cent, GB)),
                (Sites, soft(20, 500 * cent)),
                (PagesPublished, Limit::Unlimited),
                (AiQueries, soft(30_000, cent)),
                (AiTokens, soft(50_000_000, 150)),
                (IngestedPages, Limit::Unlimited),
                (Messages, Limit::Unlimited),
                (FileBytes, soft_per(200 * GB, 8 * cent, GB)),
                (Emails, Limit::Unlimited),
                (Sms, soft(2_000, 4 * cent)),
                (Push, Limit::Unlimited),
                (CustomDomains, hard(50)),
            ]),
            features: [Feature::CustomDomains, Feature::LlmProviders, Feature::Sms, Feature::RemoveBadge].into(),
        },
    ]
}

/// A billing period: a calendar month in UTC, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// First instant.
    pub start: DateTime<Utc>,
    /// First instant of the next period.
    pub end: DateTime<Utc>,
}

impl Period {
    /// The period an instant falls in.
    pub fn of(at: DateTime<Utc>) -> Period {
        let start = month_start(at.year(), at.month());
        let (y, m) = if at.month() == 12 { (at.year() + 1, 1) } else { (at.year(), at.month() + 1) };
        Period { start, end: month_start(y, m) }
    }
    /// The period before this one.
    pub fn previous(&self) -> Period {
        Period::of(self.start - chrono::Duration::seconds(1))
    }
    /// The period after this one.
    pub fn next(&self) -> Period {
        Period::of(self.end)
    }
    /// `YYYY-MM`, as alerts and exports name it.
    pub fn label(&self) -> String {
        self.start.format("%Y-%m").to_string()
    }
    /// Its length in seconds.
    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }
    /// The fraction of the period (in seconds) from `from` to `to`, clamped
    /// to the period.
    pub fn fraction(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> (i64, i64) {
        let a = from.max(self.start);
        let b = to.min(self.end);
        ((b - a).num_seconds().max(0), self.seconds())
    }
}

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The part of a monthly price for `used` of `total` seconds, in cents:
/// Stripe prorates by the second, as here.
pub fn prorate(price_cents: i64, used: i64, total: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    let exact = price_cents as i128 * used as i128 * MICRO as i128 / total as i128;
    to_cents(exact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Stripe's tiered-pricing example (docs: subscriptions/pricing-models/
    /// tiered-pricing): 1-5 fonts at 7 USD, 6-10 at 6.50 USD, 11+ at 6 USD.
    fn fonts() -> Vec<Tier> {
        vec![
            Tier { up_to: Some(5), unit_microcents: 700 * MICRO, flat_cents: 0 },
            Tier { up_to: Some(10), unit_microcents: 650 * MICRO, flat_cents: 0 },
            Tier { up_to: None, unit_microcents: 600 * MICRO, flat_cents: 0 },
        ]
    }

    #[test]
    fn volume_pricing_matches_stripes_worked_example() {
        for (qty, usd_cents) in [(1, 700), (5, 3_500), (6, 3_900), (20, 12_000), (25, 15_000)] {
            assert_eq!(to_cents(price(qty, &fonts(), TierMode::Volume)), usd_cents, "{qty} fonts");
        }
    }

    #[test]
    fn graduated_pricing_matches_stripes_worked_example() {
        // 5 × 7 = 35; 5 × 7 + 1 × 6.5 = 41.50; 5 × 7 + 5 × 6.5 + 10 × 6 = 127.50.
        for (qty, usd_cents) in [(1, 700), (5, 3_500), (6, 4_150), (10, 6_750), (20, 12_750), (25, 15_750)] {
            assert_eq!(to_cents(price(qty, &fonts(), TierMode::Graduated)), usd_cents, "{qty} fonts");
        }
        // BILLING.md: 15 units at (up to 10 at 100, then 50) cost 1250 on Stripe
        // (localstripe's 1500 is wrong).
        let two = vec![
            Tier { up_to: Some(10), unit_microcents: 100 * MICRO, flat_cents: 0 },
            Tier { up_to: None, unit_microcents: 50 * MICRO, flat_cents: 0 },
        ];
        assert_eq!(to_cents(price(15, &two, TierMode::Graduated)), 1_250);
    }

    #[test]
    fn flat_amounts_are_charged_once_per_tier_reached() {
        let tiers = vec![
            Tier { up_to: Some(10), unit_microcents: 0, flat_cents: 1_000 },
            Tier { up_to: None, unit_microcents: 100 * MICRO, flat_cents: 500 },
        ];
        assert_eq!(to_cents(price(10, &tiers, TierMode::Graduated)), 1_000);
        assert_eq!(to_cents(price(12, &tiers, TierMode::Graduated)), 1_000 + 500 + 200);
        assert_eq!(to_cents(price(12, &tiers, TierMode::Volume)), 500 + 1_200);
    }

    #[test]
    fn storage_overage_is_charged_per_started_gigabyte() {
        let pro = Catalogue::new(None).unwrap().get("professional").unwrap().limit(Meter::StorageBytes).clone();
        assert_eq!(pro.overage(20 * GB), (0, 0));
        // One byte over starts a gigabyte: 10 cents.
        assert_eq!(to_cents(pro.overage(20 * GB + 1).1), 10);
        assert_eq!(to_cents(pro.overage(22 * GB).1), 20);
        assert_eq!(to_cents(pro.overage(22 * GB + GB / 2).1), 30);
    }

    #[test]
    fn a_mid_month_upgrade_is_prorated_by_the_second_as_stripe_does() {
        // Stripe's proration example: from 10 USD to 20 USD halfway through the
        // month: 5 USD of the old plan used, 10 USD of the new plan due.
        let p = Period::of(Utc.with_ymd_and_hms(2026, 4, 10, 0, 0, 0).unwrap());
        let half = p.start + chrono::Duration::seconds(p.seconds() / 2);
        let (used_old, total) = p.fraction(p.start, half);
        let (used_new, _) = p.fraction(half, p.end);
        assert_eq!(prorate(1_000, used_old, total), 500);
        assert_eq!(prorate(2_000, used_new, total), 1_000);
    }

    #[test]
    fn periods_are_calendar_months_in_utc() {
        let p = Period::of(Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap());
        assert_eq!(p.label(), "2026-12");
        assert_eq!(p.end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(p.previous().label(), "2026-11");
        assert_eq!(p.next().label(), "2027-01");
        assert_eq!(Period::of(Utc.with_ymd_and_hms(2028, 2, 10, 0, 0, 0).unwrap()).seconds(), 29 * 86_400);
    }

    #[test]
    fn the_configuration_changes_a_default_plan_or_adds_one() {
        let config = serde_json::json!({
            "starter": { "price_cents": 2500, "limits": { "seats": { "kind": "hard", "included": 4 } } },
            "team": { "name": "Team", "price_cents": 9900, "rank": 3 }
        });
        let c = Catalogue::new(Some(&config)).unwrap();
        let starter = c.get("starter").unwrap();
        assert_eq!((starter.price_cents, starter.limit(Meter::Seats)), (2500, &Limit::Hard { included: 4 }));
        assert_eq!(starter.limit(Meter::Sites), &Limit::Hard { included: 1 }, "other limits stay");
        assert_eq!(c.get("team").unwrap().price_cents, 9900);
        let bad = serde_json::json!({ "starter": { "limits": { "seats": { "kind": "sometimes" } } } });
        assert!(Catalogue::new(Some(&bad)).unwrap_err().to_string().contains("plans.starter"));
    }

    #[test]
    fn the_cheapest_plan_allowing_more_seats_is_named() {
        let c = Catalogue::new(None).unwrap();
        assert_eq!(c.cheapest_allowing(Meter::Seats, 4).map(|p| p.key.as_str()), Some("professional"));
        assert_eq!(c.cheapest_allowing(Meter::Seats, 3).map(|p| p.key.as_str()), Some("starter"));
        let restricted = PlanRef { key: "enterprise".into(), status: PlanStatus::Restricted };
        assert_eq!(c.effective(&restricted).key, FREE);
    }

    proptest! {
        #[test]
        fn graduated_never_costs_more_than_volume_at_the_first_tiers_price(q in 0i64..10_000) {
            let g = price(q, &fonts(), TierMode::Graduated);
            prop_assert!(g <= q as i128 * 700 * MICRO as i128);
            prop_assert!(g >= price(q, &fonts(), TierMode::Volume));
        }

        #[test]
        fn prorated_parts_of_a_period_add_up_to_the_price_within_a_cent(price_cents in 0i64..100_000, cut in 0i64..2_678_400) {
            let p = Period::of(Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap());
            let cut = cut.min(p.seconds());
            let a = prorate(price_cents, cut, p.seconds());
            let b = prorate(price_cents, p.seconds() - cut, p.seconds());
            prop_assert!((a + b - price_cents).abs() <= 1);
        }
    }
}
