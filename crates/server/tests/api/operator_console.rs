//! The operator console: operators made from the CLI sign in and see the
//! installation's revenue, plans, past-due workspaces, trial conversions and
//! usage by workspace; to everyone else the console does not exist.

use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};
use stackpro_billing::service::usage::NewEvent;
use stackpro_core::ids::TenantId;
use stackpro_core::Meter;

const OPERATOR: &str = "ops@platform.test";
const OPERATOR_PASSWORD: &str = "a long operator passphrase";

async fn make_operator(app: &TestApp) {
    let email = stackpro_security::model::Email::parse(OPERATOR).unwrap();
    let password = stackpro_security::model::Password::parse(OPERATOR_PASSWORD).unwrap();
    app.security.create_operator(&email, &password).await.unwrap();
}

async fn operator_login(app: &TestApp, password: &str) -> reqwest::Response {
    app.post("/api/v1/operator/session", None, json!({ "email": OPERATOR, "password": password })).await
}

async fn operator_token(app: &TestApp) -> String {
    let res = operator_login(app, OPERATOR_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("spo_"));
    token
}

fn tenant(a: &Account) -> TenantId {
    a.tenant_id.parse().unwrap()
}

/// Marks a workspace past due since `days` ago, as a failed payment does.
async fn past_due(app: &TestApp, who: &Account, days: i64) {
    let since = chrono::Utc::now() - chrono::Duration::days(days);
    let mut tx = app.db.tenant_tx_for(tenant(who)).await.unwrap();
    let t = tenant(who);
    stackpro_store::exec!(tx, sqlx::query("UPDATE tenants SET plan_status = 'past_due' WHERE id = $1").bind(t))
        .unwrap();
    stackpro_store::exec!(
        tx,
        sqlx::query("UPDATE billing_accounts SET past_due_since = $2 WHERE tenant_id = $1").bind(t).bind(since)
    )
    .unwrap();
    tx.commit().await.unwrap();
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_operator_sees_revenue_by_plan_past_due_workspaces_trial_conversions_and_usage_by_workspace(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| c.plans = None).await;
    make_operator(&app).await;
    let _ann = app.signup("ann").await; // still trialing
    let bob = app.signup("bob").await;
    let cy = app.signup("cy").await;
    let di = app.signup("di").await;
    let ed = app.signup("ed").await;
    app.billing.set_plan(tenant(&bob), "starter", "test").await.unwrap();
    app.billing.set_plan(tenant(&cy), "professional", "test").await.unwrap();
    app.billing.set_plan(tenant(&di), "professional", "test").await.unwrap();
    app.billing.set_plan(tenant(&ed), "free", "trial_ended").await.unwrap();
    past_due(&app, &di, 3).await;
    for (who, n) in [(&cy, 700), (&bob, 300)] {
        let e = NewEvent { meter: Meter::AiQueries, quantity: n, occurred_at: chrono::Utc::now(), key: "q".into() };
        app.billing.record_batch(tenant(who), &[e]).await.unwrap();
    }

    let token = operator_token(&app).await;
    let res = app.get("/api/v1/operator/billing", &token).await;
    assert_eq!(res.status(), 200);
    let o: Value = res.json().await.unwrap();
    assert_eq!(o["tenants"], 5);
    assert_eq!(o["mrr_cents"], 1900 + 4900 + 4900, "Starter, and Professional twice (past due still owes): {o:#}");
    let pro = o["plans"].as_array().unwrap().iter().find(|p| p["plan"] == "professional").unwrap();
    assert_eq!(
        (pro["active"].as_i64(), pro["past_due"].as_i64(), pro["mrr_cents"].as_i64()),
        (Some(1), Some(1), Some(9800))
    );
    let due = o["past_due"].as_array().unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0]["slug"].as_str(), due[0]["status"].as_str()), (Some(di.tenant_slug.as_str()), Some("past_due")));
    assert!(due[0]["restricted_at"].is_string());
    let trials = &o["trials"];
    assert_eq!(trials["trialing"], 1);
    assert_eq!(trials["converted"], json!({ "professional": 2, "starter": 1 }));
    assert_eq!(trials["lapsed"], 1);
    assert_eq!(trials["rate"], 0.75);

    let res = app.get("/api/v1/operator/usage?meter=ai_queries&limit=10", &token).await;
    assert_eq!(res.status(), 200);
    let u: Value = res.json().await.unwrap();
    let rows: Vec<(&str, i64, Option<i64>)> = u["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["slug"].as_str().unwrap(), r["used"].as_i64().unwrap(), r["included"].as_i64()))
        .collect();
    assert_eq!(rows, vec![(cy.tenant_slug.as_str(), 700, Some(3000)), (bob.tenant_slug.as_str(), 300, Some(500))]);

    let res = app.get("/api/v1/operator/usage?meter=nonsense", &token).await;
    assert_eq!(res.status(), 400, "an operator's bad input is still a clear problem");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_console_answers_404_to_owners_api_keys_and_strangers_and_its_sessions_open_nothing_else(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    make_operator(&app).await;
    let ann = app.signup("ann").await;
    let (key, _) = app.api_key(&ann, &["read", "write"]).await;
    let missing = app.get("/api/v1/no-such-thing", &ann.access).await;
    assert_eq!(missing.status(), 404);
    let missing: Value = missing.json().await.unwrap();

    for path in ["/api/v1/operator/billing", "/api/v1/operator/usage", "/api/v1/operator/me"] {
        for (who, credential) in [("owner", ann.access.as_str()), ("API key", key.as_str()), ("stranger", "spo_guess")]
        {
            let res = app.get(path, credential).await;
            assert_eq!(res.status(), 404, "{who} on {path}");
            let body: Value = res.json().await.unwrap();
            assert_eq!((&body["code"], &body["detail"]), (&missing["code"], &missing["detail"]), "{who} on {path}");
        }
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "no credentials on {path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            (&body["code"], &body["detail"]),
            (&missing["code"], &missing["detail"]),
            "no credentials on {path}"
        );
    }
    // Nor do other methods tell that something is there.
    for (method, path) in [
        (reqwest::Method::PUT, "/api/v1/operator/billing"),
        (reqwest::Method::POST, "/api/v1/operator/me"),
        (reqwest::Method::GET, "/api/v1/operator/session"),
    ] {
        let res = app.send(method.clone(), path, Some(&ann.access), None).await;
        assert_eq!(res.status(), 404, "{method} {path}");
        assert!(res.headers().get("allow").is_none(), "{method} {path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], missing["code"], "{method} {path}");
    }
    if matches!(backend, Backend::Postgres) {
        // The second wall: the role requests run as cannot read operators at all.
        for table in ["operators", "operator_sessions"] {
            let mut tx = app.db.tenant_tx_for(ann.tenant_id.parse().unwrap()).await.unwrap();
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let read: Result<i64, _> = stackpro_store::on_db!(tx, |c| sqlx::query_scalar(&sql).fetch_one(c).await);
            let err = read.expect_err(table).to_string();
            assert!(err.contains("permission denied"), "{table}: {err}");
        }
    }

    let res = operator_login(&app, "not the password").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "invalid_credentials");
    let res = app.post("/api/v1/auth/login", None, json!({ "email": OPERATOR, "password": OPERATOR_PASSWORD })).await;
    assert_eq!(res.status(), 401, "an operator is no member of any workspace");

    let token = operator_token(&app).await;
    assert_eq!(app.get("/api/v1/operator/me", &token).await.status(), 200);
    assert_eq!(app.get("/api/v1/me", &token).await.status(), 401, "a console session opens no workspace");
    assert_eq!(app.get("/api/v1/billing", &token).await.status(), 401);

    // Disabling ends the session at once; signing out ends it too.
    let email = stackpro_security::model::Email::parse(OPERATOR).unwrap();
    app.security.update_operator(&email, None, Some(true)).await.unwrap();
    assert_eq!(app.get("/api/v1/operator/me", &token).await.status(), 404);
    assert_eq!(operator_login(&app, OPERATOR_PASSWORD).await.status(), 401, "a disabled operator cannot sign in");
    app.security.update_operator(&email, None, Some(false)).await.unwrap();
    let token = operator_token(&app).await;
    // Signing out, with the scheme in lower case as some clients send it.
    let res = app
        .client
        .delete(app.url("/api/v1/operator/session"))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get("/api/v1/operator/me", &token).await.status(), 404, "the session ended");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn stackpro_operator_create_makes_an_operator_who_can_sign_in(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_stackpro"))
        .args(["operator", "create", OPERATOR, "--password-stdin"])
        .env("STACKPRO_DATA_DIR", app.data_dir.path())
        .env("STACKPRO_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    child.stdin.take().unwrap().write_all(format!("{OPERATOR_PASSWORD}\n").as_bytes()).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("/app/operator") && !text.contains(OPERATOR_PASSWORD), "{text}");
    let token = operator_token(&app).await;
    assert_eq!(app.get("/api/v1/operator/me", &token).await.status(), 200);
}
