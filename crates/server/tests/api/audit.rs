use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};
use stackpro_store::exec;

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_audit_log_pages_newest_first_and_its_chain_verifies(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    for i in 0..4 {
        app.post("/api/v1/members", Some(&ann.access), json!({ "email": format!("m{i}@ann.test"), "role": "member" }))
            .await;
    }
    let page: Value = app.get("/api/v1/audit?limit=3", &ann.access).await.json().await.unwrap();
    let seqs: Vec<i64> = page["items"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [6, 5, 4]);
    assert_eq!(page["items"][0]["action"], "member.invited");
    assert_eq!(page["items"][0]["actor_label"], "ann@ann.test");
    assert_eq!(page["items"][0]["ip"], "127.0.0.1");
    assert_eq!(page["items"][0]["details"]["email"], "m3@ann.test");
    let next: Value = app
        .get(&format!("/api/v1/audit?limit=3&before={}", page["next_before"]), &ann.access)
        .await
        .json()
        .await
        .unwrap();
    let seqs: Vec<i64> = next["items"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [3, 2, 1]);
    assert!(next["next_before"].is_null());

    let v: Value = app.get("/api/v1/audit/verify", &ann.access).await.json().await.unwrap();
    assert_eq!(v, json!({ "ok": true, "checked": 6, "first_bad_seq": null, "reason": null }));
    let out = app.cli(&["audit", "verify", "--tenant", &ann.tenant_slug]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact: 6 entries"));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn editing_one_audit_row_in_the_database_makes_verify_fail_and_name_it(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    app.post("/api/v1/members", Some(&ann.access), json!({ "email": "bob@ann.test", "role": "member" })).await;
    app.post("/api/v1/members", Some(&ann.access), json!({ "email": "eve@ann.test", "role": "member" })).await;

    // An attacker with database access rewrites who was invited in entry 3.
    let mut tx = app.db.system_tx().await.unwrap();
    let sql = "UPDATE audit_log SET details = '{\"email\":\"mallory@ann.test\",\"role\":\"member\"}' WHERE seq = 3";
    assert_eq!(exec!(tx, sqlx::query(sql)).unwrap(), 1);
    tx.commit().await.unwrap();

    let v: Value = app.get("/api/v1/audit/verify", &ann.access).await.json().await.unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad_seq"], 3);
    let out = app.cli(&["audit", "verify", "--tenant", &ann.tenant_id]).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("BROKEN at entry 3"), "{stdout}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn deleting_the_newest_audit_rows_is_detected(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    app.post("/api/v1/members", Some(&ann.access), json!({ "email": "bob@ann.test", "role": "member" })).await;
    let mut tx = app.db.system_tx().await.unwrap();
    exec!(tx, sqlx::query("DELETE FROM audit_log WHERE seq = 3")).unwrap();
    tx.commit().await.unwrap();
    let v: Value = app.get("/api/v1/audit/verify", &ann.access).await.json().await.unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad_seq"], 3);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn concurrent_actions_keep_the_chain_gapless(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let (secret, _) = app.api_key(&ann, &["admin"]).await;
    let futs = (0..12).map(|i| {
        let app = &app;
        let secret = secret.clone();
        async move {
            app.post("/api/v1/members", Some(&secret), json!({ "email": format!("c{i}@ann.test"), "role": "member" }))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(futs).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let v: Value = app.get("/api/v1/audit/verify", &ann.access).await.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["checked"], 3 + 12);
}

/// Someone with database access (but not the master key) cuts the newest
/// entry and rewrites the head to match the last survivor, or wipes the log:
/// both are caught, because the head carries a keyed tag.
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn cutting_the_log_and_rewriting_its_head_is_detected(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    app.post("/api/v1/members", Some(&ann.access), json!({ "email": "bob@ann.test", "role": "member" })).await;
    let mut tx = app.db.system_tx().await.unwrap();
    exec!(tx, sqlx::query("DELETE FROM audit_log WHERE seq = 3")).unwrap();
    let sql = "UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)";
    exec!(tx, sqlx::query(sql)).unwrap();
    tx.commit().await.unwrap();
    let v: Value = app.get("/api/v1/audit/verify", &ann.access).await.json().await.unwrap();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_bad_seq"], 3);

    let mut tx = app.db.system_tx().await.unwrap();
    exec!(tx, sqlx::query("DELETE FROM audit_log")).unwrap();
    exec!(tx, sqlx::query("DELETE FROM audit_heads")).unwrap();
    tx.commit().await.unwrap();
    let v: Value = app.get("/api/v1/audit/verify", &ann.access).await.json().await.unwrap();
    assert_eq!(v["ok"], false, "an empty log is not an intact one");
}
