//! What operators type: slugs that can never be taken for ids, commands that
//! say which workspace they act on and refuse an ambiguous one, and
//! deletions that reach running servers.

use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_workspace_named_like_an_id_or_a_platform_host_gets_a_slug_that_is_neither(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let victim = app.signup("victim").await;
    let compact = victim.tenant_id.replace('-', "");
    for (name, email) in [(victim.tenant_id.as_str(), "m1@evil.test"), (compact.as_str(), "m2@evil.test")] {
        let res = app
            .post("/api/v1/auth/signup", None, json!({ "email": email, "password": PASSWORD, "tenant_name": name }))
            .await;
        assert_eq!(res.status(), 201);
        let slug = res.json::<Value>().await.unwrap()["tenant"]["slug"].as_str().unwrap().to_owned();
        assert!(uuid::Uuid::try_parse(&slug).is_err(), "{slug} reads as an id");
        assert_eq!(slug, format!("ws-{name}"));
    }
    for host in ["www", "Admin", "API", "app", "mail"] {
        let email = format!("owner@{}.test", host.to_lowercase());
        let res = app
            .post("/api/v1/auth/signup", None, json!({ "email": email, "password": PASSWORD, "tenant_name": host }))
            .await;
        let slug = res.json::<Value>().await.unwrap()["tenant"]["slug"].as_str().unwrap().to_owned();
        assert_eq!(slug, format!("ws-{}", host.to_lowercase()));
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_cli_refuses_a_workspace_argument_that_is_one_ones_id_and_anothers_slug(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let victim = app.signup("victim").await;
    let mallory = app.signup("mallory").await;
    // A slug shaped like the victim's id, as an older version could give one.
    let mut tx = app.db.system_tx().await.unwrap();
    let (slug, id): (&str, uuid::Uuid) = (&victim.tenant_id, mallory.tenant_id.parse().unwrap());
    stackpro_store::exec!(tx, sqlx::query("UPDATE tenants SET slug = $1 WHERE id = $2").bind(slug).bind(id)).unwrap();
    tx.commit().await.unwrap();

    for args in
        [vec!["tenant", "delete", &victim.tenant_id, "--yes"], vec!["audit", "verify", "--tenant", &victim.tenant_id]]
    {
        let out = app.cli(&args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("ambiguous") && stderr.contains("--slug"), "{stderr}");
    }
    assert_eq!(count_rows(&app, "tenants").await, 2, "nothing was deleted");

    let out = app.cli(&["tenant", "delete", "--slug", &victim.tenant_id, "--yes"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("id {}", mallory.tenant_id)), "the CLI names what it resolved: {stderr}");
    assert_eq!(app.get("/api/v1/me", &victim.access).await.status(), 200, "the victim's workspace is untouched");
    assert_eq!(count_rows(&app, "tenants").await, 1);
    let out = app.cli(&["audit", "verify", "--id", &victim.tenant_id]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_workspace_deleted_with_the_cli_stops_working_on_a_running_server_within_two_seconds(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let (key, _) = app.api_key(&ann, &["admin"]).await;
    // Both credentials are cached by the running server now.
    assert_eq!(app.get("/api/v1/me", &ann.access).await.status(), 200);
    assert_eq!(app.get("/api/v1/me", &key).await.status(), 200);

    let out = app.cli(&["tenant", "delete", "--id", &ann.tenant_id, "--yes"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deleted = std::time::Instant::now();
    let mut status = 0;
    while deleted.elapsed() < std::time::Duration::from_millis(2500) {
        status = app.get("/api/v1/me", &ann.access).await.status().as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 401, "still served {:?} after the deletion", deleted.elapsed());
    assert_eq!(app.get("/api/v1/me", &key).await.status(), 401);
    let res = app.post("/api/v1/api-keys", Some(&ann.access), json!({ "name": "late", "scopes": ["read"] })).await;
    assert_eq!(res.status(), 401);
}
