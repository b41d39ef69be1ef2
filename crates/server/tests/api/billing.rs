//! Usage billing through the real server: limits checked before work (and
//! exactly under concurrency), one idempotent ledger, soft-limit alerts once,
//! plan changes, and invoices computed at the period's end.

use crate::helpers::*;
use chrono::{TimeZone, Utc};
use rstest::rstest;
use serde_json::{json, Value};
use stackpro_billing::service::usage::NewEvent;
use stackpro_core::ids::TenantId;
use stackpro_core::Meter;

/// The real catalogue, with changes to the trial for one test.
fn plans(trial_limits: Value) -> impl FnOnce(&mut stackpro_core::config::RawConfig) {
    move |c| c.plans = Some(json!({ "trial": { "limits": trial_limits } }))
}

fn tenant(a: &Account) -> TenantId {
    a.tenant_id.parse().unwrap()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn inviting_more_members_than_the_starter_plan_allows_is_refused_naming_the_limit_and_a_plan_that_allows_more(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    app.billing.set_plan(tenant(&ann), "starter", "test").await.unwrap();
    app.invite(&ann.access, "bob@ann.test", "member").await;
    app.invite(&ann.access, "cy@ann.test", "member").await;
    let res = app.post("/api/v1/members", Some(&ann.access), json!({ "email": "di@ann.test", "role": "member" })).await;
    assert_eq!(res.status(), 402);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "plan_limit_reached");
    assert_eq!(
        (body["meter"].as_str(), body["limit"].as_i64(), body["current"].as_i64()),
        (Some("seats"), Some(3), Some(3))
    );
    assert_eq!(body["allowed_by"], "professional");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("Starter") && detail.contains("Professional"), "{detail}");
    assert_eq!(count_rows(&app, "users").await, 3, "the refused invitation left nothing behind");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn fifty_concurrent_invitations_against_ten_seats_leave_exactly_ten(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, plans(json!({ "seats": { "kind": "hard", "included": 10 } }))).await;
    let ann = app.signup("ann").await;
    let invites = (0..50).map(|i| {
        let (app, token) = (&app, ann.access.clone());
        async move {
            app.post("/api/v1/members", Some(&token), json!({ "email": format!("m{i}@ann.test"), "role": "member" }))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(invites).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 9, "the owner holds the tenth seat: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 402).count(), 41, "{statuses:?}");
    assert_eq!(count_rows(&app, "users").await, 10);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn fifty_concurrent_api_key_requests_against_ten_allowed_leave_exactly_ten_and_the_ledger_agrees(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn_with(backend, plans(json!({ "api_requests": { "kind": "hard", "included": 10 } }))).await;
    let ann = app.signup("ann").await;
    let (key, _) = app.api_key(&ann, &["read"]).await;
    let calls = (0..50).map(|_| {
        let (app, key) = (&app, key.clone());
        async move { app.get("/api/v1/me", &key).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 402).count(), 40, "{statuses:?}");
    // Signed-in people are not counted: the owner's own requests still pass.
    assert_eq!(app.get("/api/v1/me", &ann.access).await.status(), 200);
    // The counted requests reach the ledger within a second or two.
    let mut in_ledger = 0;
    for _ in 0..40 {
        in_ledger = events_of(&app, &ann, Meter::ApiRequests).await.0;
        if in_ledger == 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(in_ledger, 10);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_hard_limit_that_returns_after_an_unlimited_plan_counts_the_requests_made_meanwhile(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| {
        c.plans = Some(json!({
            "trial": { "limits": { "api_requests": { "kind": "hard", "included": 10 } } },
            "professional": { "limits": { "api_requests": { "kind": "unlimited" } } },
        }))
    })
    .await;
    let ann = app.signup("ann").await;
    let (key, _) = app.api_key(&ann, &["read"]).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.get("/api/v1/me", &key).await.status().as_u16());
    }
    app.billing.set_plan(tenant(&ann), "professional", "test").await.unwrap();
    for _ in 0..10 {
        statuses.push(app.get("/api/v1/me", &key).await.status().as_u16());
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // Back on the limited plan, the fifteen requests of this period count.
    app.billing.set_plan(tenant(&ann), "trial", "test").await.unwrap();
    let res = app.get("/api/v1/me", &key).await;
    assert_eq!(res.status(), 402, "15 requests made against a limit of 10");
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["current"].as_i64(), body["limit"].as_i64()), (Some(15), Some(10)), "{body}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn leaving_the_trial_for_a_smaller_plan_is_refused_over_its_hard_limits_and_malformed_input_changes_nothing(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    for who in ["b", "c"] {
        app.invite(&ann.access, &format!("{who}@ann.test"), "member").await;
    }
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "free" })).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "downgrade_refused");
    assert_eq!(body["over_limits"][0], json!({ "meter": "seats", "current": 3, "limit": 2 }));

    let long = "x".repeat(3000);
    for plan in ["STARTER", "", long.as_str(), "star ter"] {
        let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": plan })).await;
        assert_eq!(res.status(), 400, "{plan:.20}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "invalid_body");
        assert!(body["detail"].as_str().unwrap().len() < 200, "the key is not echoed: {body}");
    }
    for days in ["0", "-1", "401", "9223372036854775807"] {
        for path in ["/api/v1/billing/usage", "/api/v1/billing/usage.csv"] {
            let res = app.get(&format!("{path}?days={days}"), &ann.access).await;
            assert_eq!(res.status(), 400, "{path}?days={days}");
            assert_eq!(res.json::<Value>().await.unwrap()["code"], "invalid_query");
        }
    }
    let me: Value = app.get("/api/v1/me", &ann.access).await.json().await.unwrap();
    assert_eq!(me["tenant"]["plan"], "trial", "nothing changed");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn stackpro_billing_settle_clears_an_overdue_payment_and_says_when_there_was_none(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    app.billing.set_plan(tenant(&ann), "starter", "test").await.unwrap();
    let now = Utc::now();
    let mut tx = app.db.tenant_tx_for(tenant(&ann)).await.unwrap();
    stackpro_billing::store::set_past_due(&mut tx, Some(now), now).await.unwrap();
    stackpro_billing::store::set_plan(&mut tx, "starter", "restricted").await.unwrap();
    tx.commit().await.unwrap();
    let restricted: Value = app.get("/api/v1/billing", &ann.access).await.json().await.unwrap();
    assert_eq!(restricted["status"], "restricted");

    let out = app.cli(&["billing", "settle", &ann.tenant_slug]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("good standing"));
    let mut o = Value::Null;
    for _ in 0..40 {
        o = app.get("/api/v1/billing", &ann.access).await.json().await.unwrap();
        if o["status"] == "active" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!((o["status"].as_str(), o["past_due_since"].is_null()), (Some("active"), true), "{o:#}");
    let log: Value = app.get("/api/v1/audit?limit=50", &ann.access).await.json().await.unwrap();
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["action"] == "billing.settled"), "{log:#}");
    let again = app.cli(&["billing", "settle", &ann.tenant_slug]).await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("no overdue payment"));
}

async fn events_of(app: &TestApp, who: &Account, meter: Meter) -> (i64, i64) {
    let mut tx = app.db.tenant_read_for(tenant(who)).await.unwrap();
    let n = stackpro_billing::store::count_events(&mut tx, meter.as_str()).await.unwrap();
    tx.commit().await.unwrap();
    n
}

fn event(meter: Meter, quantity: i64, key: &str) -> NewEvent {
    NewEvent { meter, quantity, occurred_at: Utc::now(), key: key.to_owned() }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_event_recorded_again_sequentially_or_concurrently_counts_once(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let batch: Vec<NewEvent> = (0..20).map(|i| event(Meter::AiTokens, 100 + i, &format!("tok-{i}"))).collect();
    assert_eq!(app.billing.record_batch(tenant(&ann), &batch).await.unwrap(), 20);
    assert_eq!(app.billing.record_batch(tenant(&ann), &batch).await.unwrap(), 0, "a replay counts nothing");
    let more: Vec<NewEvent> = (10..30).map(|i| event(Meter::AiTokens, 100 + i, &format!("tok-{i}"))).collect();
    let racing = (0..8).map(|_| app.billing.record_batch(tenant(&ann), &more));
    let new: usize = futures::future::join_all(racing).await.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(new, 10, "each of the ten new keys counted by exactly one of the racers");
    let expected: i64 = (0..30).map(|i| 100 + i).sum();
    assert_eq!(events_of(&app, &ann, Meter::AiTokens).await, (30, expected));
    let overview: Value = app.get("/api/v1/billing", &ann.access).await.json().await.unwrap();
    let tokens = overview["usage"].as_array().unwrap().iter().find(|u| u["meter"] == "ai_tokens").unwrap().clone();
    assert_eq!(tokens["used"], expected, "the daily rollup agrees with the ledger");
}

#[tokio::test]
async fn two_replicas_recording_the_same_events_count_them_once() {
    let redis = redis_url().await;
    let r = redis.clone();
    let a = TestApp::spawn_with(Backend::Postgres, move |c| c.redis_url = Some(r)).await;
    let b = a.replica(move |c| c.redis_url = Some(redis)).await;
    let ann = a.signup("ann").await;
    let batch: Vec<NewEvent> = (0..50).map(|i| event(Meter::Messages, 1, &format!("msg-{i}"))).collect();
    let (x, y) =
        tokio::join!(a.billing.record_batch(tenant(&ann), &batch), b.billing.record_batch(tenant(&ann), &batch));
    assert_eq!(x.unwrap() + y.unwrap(), 50);
    assert_eq!(events_of(&a, &ann, Meter::Messages).await, (50, 50));
}

#[tokio::test]
async fn fifty_api_key_requests_spread_over_two_replicas_against_ten_allowed_leave_exactly_ten() {
    let redis = redis_url().await;
    let (r, limit) = (redis.clone(), json!({ "api_requests": { "kind": "hard", "included": 10 } }));
    let tweak = plans(limit.clone());
    let a = TestApp::spawn_with(Backend::Postgres, move |c| {
        tweak(c);
        c.redis_url = Some(r);
    })
    .await;
    let tweak = plans(limit);
    let b = a
        .replica(move |c| {
            tweak(c);
            c.redis_url = Some(redis);
        })
        .await;
    let ann = a.signup("ann").await;
    let (key, _) = a.api_key(&ann, &["read"]).await;
    let calls = (0..50).map(|i| {
        let (app, key) = (if i % 2 == 0 { &a } else { &b }, key.clone());
        async move { app.get("/api/v1/me", &key).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "the reservation is one, in Redis: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 402).count(), 40, "{statuses:?}");
    let mut in_ledger = 0;
    for _ in 0..40 {
        in_ledger = events_of(&a, &ann, Meter::ApiRequests).await.0;
        if in_ledger == 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(in_ledger, 10, "both replicas' counts reach the one ledger");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_soft_limit_alerts_the_owners_and_admins_once_at_80_and_once_at_100_percent(#[case] backend: Backend) {
    let smtpd = crate::auth::Smtpd::start();
    let port = smtpd.port;
    let soft = json!({ "ai_queries": { "kind": "soft", "included": 10, "mode": "graduated",
        "tiers": [{ "unit_microcents": 2000000 }] } });
    let app = TestApp::spawn_with(backend, move |c| {
        c.plans = Some(json!({ "trial": { "limits": soft } }));
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "admin").await;
    app.member(&ann, "cy", "member").await;
    app.drain_jobs().await;
    let before = smtpd.mails().len();
    let t = tenant(&ann);
    for (from, to) in [(0, 7), (7, 8), (8, 9), (9, 10), (10, 14)] {
        let batch: Vec<NewEvent> = (from..to).map(|i| event(Meter::AiQueries, 1, &format!("q-{i}"))).collect();
        app.billing.record_batch(t, &batch).await.unwrap();
    }
    app.drain_jobs().await;
    let mails: Vec<String> =
        smtpd.wait_for(before + 4).await.iter().map(|m| crate::auth::decode_quoted_printable(m)).collect();
    let alerts: Vec<&String> = mails.iter().filter(|m| m.contains("ai_queries")).collect();
    assert_eq!(alerts.len(), 4, "80 % and 100 %, each to the owner and the admin (not the member): {alerts:#?}");
    assert_eq!(alerts.iter().filter(|m| m.contains("has used 80")).count(), 2);
    assert_eq!(alerts.iter().filter(|m| m.contains("has used all")).count(), 2);
    assert!(alerts.iter().any(|m| m.contains(&bob.email)));
    let overview: Value = app.get("/api/v1/billing", &ann.access).await.json().await.unwrap();
    assert_eq!(overview["alerts"].as_array().unwrap().len(), 2);
    let q = overview["usage"].as_array().unwrap().iter().find(|u| u["meter"] == "ai_queries").unwrap().clone();
    assert_eq!((q["used"].as_i64(), q["overage"].as_i64(), q["overage_cents"].as_i64()), (Some(14), Some(4), Some(8)));
    let log: Value = app.get("/api/v1/audit?limit=200", &ann.access).await.json().await.unwrap();
    let audited = log["items"].as_array().unwrap().iter().filter(|e| e["action"] == "billing.usage_alert").count();
    assert_eq!(audited, 2);

    // Another workspace crosses both thresholds in one step: one alert, of
    // the higher, in the mail and on the page.
    let dee = app.signup("dee").await;
    app.drain_jobs().await;
    let before = smtpd.mails().len();
    let batch: Vec<NewEvent> = (0..12).map(|i| event(Meter::AiQueries, 1, &format!("burst-{i}"))).collect();
    app.billing.record_batch(tenant(&dee), &batch).await.unwrap();
    app.drain_jobs().await;
    smtpd.wait_for(before + 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let alerts = smtpd.mails().iter().filter(|m| m.contains("ai_queries")).count();
    assert_eq!(alerts, 4 + 1, "one alert for the burst, to its only owner");
    let overview: Value = app.get("/api/v1/billing", &dee.access).await.json().await.unwrap();
    let shown: Vec<i64> =
        overview["alerts"].as_array().unwrap().iter().map(|a| a["threshold"].as_i64().unwrap()).collect();
    assert_eq!(shown, vec![100], "{overview:#}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_upgrade_applies_at_once_and_a_downgrade_over_a_hard_limit_is_refused_naming_it(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "professional" })).await;
    assert_eq!(res.status(), 200);
    let change: Value = res.json().await.unwrap();
    assert_eq!(change["outcome"], "upgraded");
    // The plan travels with every request at once.
    let me: Value = app.get("/api/v1/me", &ann.access).await.json().await.unwrap();
    assert_eq!(
        (me["tenant"]["plan"].as_str(), me["tenant"]["plan_status"].as_str()),
        (Some("professional"), Some("active"))
    );
    for who in ["b", "c", "d", "e"] {
        app.invite(&ann.access, &format!("{who}@ann.test"), "member").await;
    }
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "starter" })).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "downgrade_refused");
    assert_eq!(body["over_limits"][0], json!({ "meter": "seats", "current": 5, "limit": 3 }));
    assert!(body["detail"].as_str().unwrap().contains("5 seats (allows 3)"), "{body}");
    // A member may not change the plan.
    let bob = app.member(&ann, "bob", "admin").await;
    let res = app.post("/api/v1/billing/plan", Some(&bob.access), json!({ "plan": "enterprise" })).await;
    assert_eq!(res.status(), 403);
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "free" })).await;
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "downgrade_refused", "free allows fewer seats than in use");
}

/// Signs in again (tokens expire when a manual clock jumps).
async fn relogin(app: &TestApp, who: &Account) -> String {
    let s: Value = app.login(&who.email, PASSWORD).await.json().await.unwrap();
    s["access_token"].as_str().unwrap().to_owned()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_mid_month_upgrade_is_invoiced_prorated_with_tiered_overage_and_late_usage_lands_on_the_next_invoice(
    #[case] backend: Backend,
) {
    let clock = stackpro_core::Clock::manual(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
    let app = TestApp::spawn_with_clock(backend, clock.clone(), |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    let t = tenant(&ann);
    app.billing.set_plan(t, "starter", "test").await.unwrap();
    // Starter includes 500 AI questions; 520 in the first half of April.
    let mut batch: Vec<NewEvent> = (0..520).map(|i| event(Meter::AiQueries, 1, &format!("q-{i}"))).collect();
    for e in &mut batch {
        e.occurred_at = Utc.with_ymd_and_hms(2026, 4, 10, 12, 0, 0).unwrap();
    }
    app.billing.record_batch(t, &batch).await.unwrap();
    // Upgrade exactly halfway through April (30 days): 15 days each.
    clock.advance(chrono::Duration::days(15));
    let token = relogin(&app, &ann).await;
    let res = app.post("/api/v1/billing/plan", Some(&token), json!({ "plan": "professional" })).await;
    assert_eq!(res.status(), 200);
    // Professional includes 3,000 questions, then 2 cents each up to
    // 10,000 (graduated): 3,600 in April bill 600 × 2 cents = 12 USD.
    let more: Vec<NewEvent> = (520..3_600)
        .map(|i| NewEvent {
            occurred_at: Utc.with_ymd_and_hms(2026, 4, 20, 9, 0, 0).unwrap(),
            ..event(Meter::AiQueries, 1, &format!("q-{i}"))
        })
        .collect();
    app.billing.record_batch(t, &more).await.unwrap();

    clock.advance(chrono::Duration::days(16));
    let report = app.billing.tick().await.unwrap();
    assert_eq!(report.invoices, 1);
    let token = relogin(&app, &ann).await;
    let list: Value = app.get("/api/v1/billing/invoices", &token).await.json().await.unwrap();
    let april = &list["items"][0];
    let amounts: Vec<(String, i64)> = april["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap().to_owned(), l["amount_cents"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        amounts,
        [("plan".into(), 950), ("plan".into(), 2_450), ("usage".into(), 1_200)],
        "half of 19 USD, half of 49 USD, 600 questions over at 2 cents: {april:#}"
    );
    assert_eq!(april["total_cents"], 4_600);
    assert_eq!(april["number"], "SP-2026-000001");
    assert_eq!(app.billing.tick().await.unwrap().invoices, 0, "a period is invoiced once");

    // 500 more questions of April arrive in May, after April's invoice.
    clock.advance(chrono::Duration::hours(1));
    let late: Vec<NewEvent> = (3_600..4_100)
        .map(|i| NewEvent {
            occurred_at: Utc.with_ymd_and_hms(2026, 4, 30, 23, 0, 0).unwrap(),
            ..event(Meter::AiQueries, 1, &format!("q-{i}"))
        })
        .collect();
    app.billing.record_batch(t, &late).await.unwrap();
    let token = relogin(&app, &ann).await;
    let april_again: Value = app
        .get(&format!("/api/v1/billing/invoices/{}", april["id"].as_str().unwrap()), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(april_again["total_cents"], 4_600, "an issued invoice never changes");
    clock.advance(chrono::Duration::days(31));
    // The worker's own scheduled tick may get there first (it runs beside the
    // test, on the same clock): either way April and May are invoiced once each.
    app.billing.tick().await.unwrap();
    let token = relogin(&app, &ann).await;
    let list: Value = app.get("/api/v1/billing/invoices", &token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
    let may = &list["items"][0];
    assert_eq!(may["number"], "SP-2026-000002");
    let adjustment =
        may["lines"].as_array().unwrap().iter().find(|l| l["kind"] == "adjustment").expect("an adjustment").clone();
    assert_eq!((adjustment["quantity"].as_i64(), adjustment["amount_cents"].as_i64()), (Some(500), Some(1_000)));
    assert_eq!(may["total_cents"], 4_900 + 1_000, "May's plan and April's late questions");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_scheduled_downgrade_applies_at_the_periods_end_and_an_ended_trial_drops_to_free(#[case] backend: Backend) {
    let clock = stackpro_core::Clock::manual(Utc.with_ymd_and_hms(2026, 6, 10, 0, 0, 0).unwrap());
    let app = TestApp::spawn_with_clock(backend, clock.clone(), |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    let bob = app.signup("bob").await;
    app.billing.set_plan(tenant(&ann), "professional", "test").await.unwrap();
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "starter" })).await;
    let change: Value = res.json().await.unwrap();
    assert_eq!(change["outcome"], "scheduled");
    assert_eq!(change["effective_at"], "2026-07-01T00:00:00Z");
    let overview: Value = app.get("/api/v1/billing", &ann.access).await.json().await.unwrap();
    assert_eq!(
        (overview["plan"]["key"].as_str(), overview["scheduled_plan"].as_str()),
        (Some("professional"), Some("starter"))
    );

    clock.advance(chrono::Duration::days(25));
    let report = app.billing.tick().await.unwrap();
    assert_eq!((report.downgraded, report.trials_ended), (1, 1), "ann's downgrade, bob's trial (14 days)");
    let ann_token = relogin(&app, &ann).await;
    let bob_token = relogin(&app, &bob).await;
    let me: Value = app.get("/api/v1/me", &ann_token).await.json().await.unwrap();
    assert_eq!(me["tenant"]["plan"], "starter");
    let me: Value = app.get("/api/v1/me", &bob_token).await.json().await.unwrap();
    assert_eq!(me["tenant"]["plan"], "free");
    // June is invoiced for ann: the trial until 10 June, then professional
    // for the 21 days left, 21/30 of 49 USD (the downgrade applies on
    // 1 July, at the period's end).
    let list: Value = app.get("/api/v1/billing/invoices", &ann_token).await.json().await.unwrap();
    assert_eq!(list["items"][0]["total_cents"], 3_430, "{list:#}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_forecast_follows_a_weekly_pattern_prices_it_through_the_tiers_and_the_history_exports_as_csv(
    #[case] backend: Backend,
) {
    let now = Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap();
    let clock = stackpro_core::Clock::manual(now);
    let app = TestApp::spawn_with_clock(backend, clock.clone(), |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    let t = tenant(&ann);
    app.billing.set_plan(t, "starter", "test").await.unwrap();
    // 30 questions on weekdays, 5 on weekends, from 1 February.
    let per_day = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        if d.weekday().number_from_monday() >= 6 {
            5
        } else {
            30
        }
    };
    let first = chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    let mut batch = Vec::new();
    for d in first.iter_days().take_while(|d| *d < now.date_naive()) {
        for i in 0..per_day(d) {
            let at = d.and_hms_opt(10, 0, 0).unwrap().and_utc();
            batch.push(NewEvent { occurred_at: at, ..event(Meter::AiQueries, 1, &format!("{d}-{i}")) });
        }
    }
    app.billing.record_batch(t, &batch).await.unwrap();
    let truth: i64 = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap().iter_days().take(31).map(per_day).sum();

    let f: Value = app.get("/api/v1/billing/forecast", &ann.access).await.json().await.unwrap();
    let q = f["meters"].as_array().unwrap().iter().find(|m| m["meter"] == "ai_queries").unwrap().clone();
    assert_eq!(q["method"], "weekly", "{q:#}");
    let expected = q["expected"].as_f64().unwrap();
    assert!((expected - truth as f64).abs() / (truth as f64) < 0.05, "expected {expected}, truth {truth}");
    assert!(q["low80"].as_f64().unwrap() <= truth as f64 && truth as f64 <= q["high80"].as_f64().unwrap(), "{q:#}");
    // Starter includes 500 questions: the projection passes them in March,
    // and each one beyond costs 2 cents on top of the plan's fee, which the
    // month's invoice prorates: Starter since 20 March at noon, 11.5 of 31
    // days of 19 USD (the trial before it is free).
    assert!(q["reaches_limit_on"].as_str().unwrap().starts_with("2026-03-2"), "{q:#}");
    let over = (expected.round() as i64 - 500).max(0);
    let fee = (1_900.0_f64 * 11.5 / 31.0).round() as i64;
    let o: Value = app.get("/api/v1/billing", &ann.access).await.json().await.unwrap();
    let plan_lines: i64 = o["upcoming"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "plan")
        .map(|l| l["amount_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(plan_lines, fee, "{o:#}");
    assert_eq!(f["cost"]["expected_cents"], fee + 2 * over, "the forecast charges the plan as the invoice does");
    assert!(f["explanation"].as_str().unwrap().contains("80 %"));

    let h: Value = app.get("/api/v1/billing/usage?days=7", &ann.access).await.json().await.unwrap();
    let days = h["meters"].as_array().unwrap().iter().find(|m| m["meter"] == "ai_queries").unwrap()["days"].clone();
    assert_eq!(days.as_array().unwrap().len(), 7);
    assert_eq!(days[6]["day"], "2026-03-20");
    let csv = app.get("/api/v1/billing/usage.csv?days=3", &ann.access).await.text().await.unwrap();
    assert!(csv.starts_with("day,meter,unit,value\n"));
    assert!(csv.contains("2026-03-19,ai_queries,questions,30\n"), "{csv}");
    let res = app.get("/api/v1/billing/usage?days=0", &ann.access).await;
    assert_eq!(res.status(), 400, "the range is 1 to 400 days");
    let bob = app.member(&ann, "bob", "member").await;
    assert_eq!(app.get("/api/v1/billing/forecast", &bob.access).await.status(), 403);
}
