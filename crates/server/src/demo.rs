//! The demo workspace of `stackpro serve --demo`: a bakery on the Starter
//! plan since before last month, with a daily usage history (a weekly rhythm,
//! slow growth), last month's invoice issued and this month's forecast to
//! look at. The history is written once, with the workspace, through
//! billing's public recording path; every start only sets a new password.

use crate::app::App;
use chrono::{DateTime, Datelike, Duration, Utc};
use stackpro_billing::model::Period;
use stackpro_billing::service::usage::NewEvent;
use stackpro_core::ids::TenantId;
use stackpro_core::Meter;
use stackpro_security::model::{Email, Password, TenantName};
use stackpro_security::Signup;

/// The demo owner's email.
pub const EMAIL: &str = "demo@example.com";
const SLUG: &str = "demo-bakery";

/// The demo workspace's login, and the address of its published site.
pub struct Demo {
    /// The owner's email.
    pub email: String,
    /// The owner's fresh password.
    pub password: String,
    /// Where the demo site answers, when it is published.
    pub site_url: Option<String>,
}

/// Seeds the demo workspace on first start and sets a fresh password;
/// returns the login and the site's address.
///
/// # Errors
/// The database's error.
pub async fn seed(app: &App) -> anyhow::Result<Demo> {
    let password = stackpro_security::crypto::random_token("").chars().take(16).collect::<String>();
    let sec = &app.state.security;
    match sec.tenant_by_slug(SLUG).await? {
        Some(t) => sec.set_password_by_email(t.id, EMAIL, &password).await?,
        None => {
            let s = Signup {
                email: Email::parse(EMAIL)?,
                password: Password::parse(&password)?,
                tenant_name: TenantName::parse("Demo Bakery")?,
            };
            let (tx, tenant, owner) = sec.create_tenant(&s, None).await?;
            tx.commit().await?;
            history(app, tenant.id, Utc::now()).await?;
            site(app, tenant.id, owner.id).await?;
            knowledge(app, tenant.id, owner.id).await?;
        }
    }
    let site_url = match sec.tenant_by_slug(SLUG).await? {
        Some(t) => {
            let ctx = owner_ctx(t.id, None);
            app.state.sites.list(&ctx).await?.into_iter().find(|s| s.published_at.is_some()).map(|s| s.url)
        }
        None => None,
    };
    Ok(Demo { email: EMAIL.to_owned(), password, site_url })
}

/// The owner's context, for seeding through the services' public methods.
fn owner_ctx(tenant: TenantId, owner: Option<stackpro_core::ids::UserId>) -> stackpro_core::TenantCtx {
    stackpro_core::TenantCtx {
        tenant,
        principal: stackpro_core::Principal::User(owner.unwrap_or_default()),
        role: stackpro_core::Role::Owner,
        read_only: false,
        person: owner,
        plan: stackpro_core::PlanRef { key: "starter".into(), status: stackpro_core::PlanStatus::Active },
    }
}

/// The bakery's website, made from its template and published.
async fn site(app: &App, tenant: TenantId, owner: stackpro_core::ids::UserId) -> anyhow::Result<()> {
    let ctx = owner_ctx(tenant, Some(owner));
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let new = stackpro_sites::model::NewSite {
        template: "bakery".into(),
        business: stackpro_sites::model::Business {
            name: "Demo Bakery".into(),
            city: "Lyon".into(),
            phone: "+33 4 78 00 00 00".into(),
            email: "hello@demo-bakery.example".into(),
            services: Vec::new(),
        },
        slug: Some(SLUG.into()),
    };
    let site = app.state.sites.create(&ctx, ip, new).await?;
    app.state.sites.publish(&ctx, ip, site.id).await?;
    Ok(())
}

/// The bakery's FAQ, public, so the assistant's widget on the demo website
/// has something to answer from; read by the job worker once serving starts.
const FAQ: &str = "# Demo Bakery: questions and answers

## Opening hours
We open Tuesday to Saturday from 7 am to 7 pm, and on Sunday from 7 am to 1 pm. We are closed on Mondays.

## Ordering a cake
Celebration cakes are ordered at least three days ahead, in the shop or by phone. A cake for 8 people costs 32 euros;
for 12 people, 45 euros. Wedding cakes are discussed in a tasting appointment.

## Allergens
Every recipe is listed in the allergen folder at the counter. Our hazelnut and almond pastries are made on shared
equipment, so we cannot promise that any product is free of tree nuts.

## Delivery
We deliver cake orders of 40 euros or more within 10 km of the shop, on Fridays and Saturdays, for 6 euros.
";

async fn knowledge(app: &App, tenant: TenantId, owner: stackpro_core::ids::UserId) -> anyhow::Result<()> {
    let ctx = owner_ctx(tenant, Some(owner));
    let ip = Some(std::net::IpAddr::from([127, 0, 0, 1]));
    let upload = stackpro_assistant::service::documents::Upload {
        filename: "bakery-faq.md".into(),
        bytes: bytes::Bytes::from_static(FAQ.as_bytes()),
    };
    let opts = stackpro_assistant::service::documents::UploadOptions {
        title: Some("Bakery FAQ".into()),
        visibility: Some(stackpro_core::access::Visibility::Public),
        shared_with: Vec::new(),
    };
    app.state.assistant.upload(&ctx, ip, upload, opts).await?;
    let mut settings = stackpro_assistant::model::Settings {
        name: "Demo Bakery assistant".into(),
        industry: "bakery".into(),
        human_contact: "+33 4 78 00 00 00".into(),
        ..Default::default()
    };
    settings.widget.enabled = true;
    settings.widget.greeting = "Hello! Ask me about our hours, cakes or deliveries.".into();
    settings.widget.accent = "#b45309".into();
    app.state.assistant.put_settings(&ctx, ip, settings).await?;
    Ok(())
}

/// A day's amount of a meter: `base` growing 1 % a week, quieter at the
/// weekend, with a fixed wobble so the chart is not a ruler.
fn amount(base: f64, day: i64, weekday: u32, salt: u64) -> i64 {
    let weekend = if weekday >= 5 { 0.45 } else { 1.0 };
    let wobble = 0.85 + 0.3 * ((day as u64).wrapping_mul(2_654_435_761).wrapping_add(salt * 97) % 1000) as f64 / 1000.0;
    (base * (1.0 + 0.01 * day as f64 / 7.0) * weekend * wobble).round() as i64
}

/// Starter since before last month, a daily history through now, and last
/// month's invoice.
async fn history(app: &App, tenant: TenantId, now: DateTime<Utc>) -> anyhow::Result<()> {
    let billing = &app.state.billing;
    let this = Period::of(now);
    let last = Period::of(this.start - Duration::seconds(1));
    billing.set_plan_since(tenant, "starter", "demo", last.start - Duration::days(3)).await?;
    // Meter, a weekday's base, and a salt for the wobble. Starter includes
    // 500 AI queries: last month goes a little over, this month more.
    let profile = [
        (Meter::AiQueries, 21.0, 1),
        (Meter::PagesPublished, 4.0, 2),
        (Meter::Emails, 55.0, 3),
        (Meter::Messages, 240.0, 4),
        (Meter::Push, 40.0, 5),
    ];
    // The owner has been the only member since the start.
    let mut events =
        vec![NewEvent { meter: Meter::Seats, quantity: 1, occurred_at: last.start, key: "demo-seats-start".into() }];
    let mut day = last.start;
    let mut n = 0;
    while day < now {
        // Today's events happened by now.
        let at = (day + Duration::hours(12)).min(now);
        for (meter, base, salt) in profile {
            let quantity = amount(base, n, day.weekday().num_days_from_monday(), salt);
            if quantity > 0 {
                events.push(NewEvent {
                    meter,
                    quantity,
                    occurred_at: at,
                    key: format!("demo-{}-{}", meter.as_str(), day.date_naive()),
                });
            }
        }
        // Photos and files: a level that grows by a few MB a day.
        let stored = 350_000_000 + n * 4_500_000;
        events.push(NewEvent {
            meter: Meter::StorageBytes,
            quantity: stored,
            occurred_at: at,
            key: format!("demo-storage-{}", day.date_naive()),
        });
        day += Duration::days(1);
        n += 1;
    }
    for chunk in events.chunks(500) {
        billing.record_batch(tenant, chunk).await?;
    }
    billing.issue_invoice(tenant, last).await?;
    Ok(())
}
