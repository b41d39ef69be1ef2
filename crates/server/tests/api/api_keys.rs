use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_api_key_works_until_it_is_revoked_and_its_secret_is_shown_once(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let (secret, id) = app.api_key(&ann, &["read", "write"]).await;
    assert!(secret.starts_with("sp_"));

    let me: Value = app.get("/api/v1/me", &secret).await.json().await.unwrap();
    assert_eq!(me["via"], "api_key");
    assert_eq!(me["tenant"]["id"].as_str(), Some(ann.tenant_id.as_str()));
    // X-Api-Key works too.
    let res = app.client.get(app.url("/api/v1/me")).header("x-api-key", &secret).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let list = app.get("/api/v1/api-keys", &ann.access).await.text().await.unwrap();
    assert!(!list.contains(&secret), "the secret must never be listed");
    let key: Value = app.get(&format!("/api/v1/api-keys/{id}"), &ann.access).await.json().await.unwrap();
    assert_eq!(key["prefix"].as_str().unwrap(), &secret[..10]);
    assert!(key["last_used_at"].is_string());

    assert_eq!(app.delete(&format!("/api/v1/api-keys/{id}"), &ann.access).await.status(), 204);
    let res = app.get("/api/v1/me", &secret).await;
    assert_eq!(res.status(), 401);
    let key: Value = app.get(&format!("/api/v1/api-keys/{id}"), &ann.access).await.json().await.unwrap();
    assert!(key["revoked_at"].is_string());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_read_scoped_key_reads_but_cannot_write(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let (secret, _) = app.api_key(&ann, &["read"]).await;
    assert_eq!(app.get("/api/v1/members", &secret).await.status(), 200);
    let res = app.post("/api/v1/members", Some(&secret), json!({ "email": "x@ann.test", "role": "member" })).await;
    assert_eq!(res.problem().await.code, "forbidden");
    assert_eq!(count_rows(&app, "users").await, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn unknown_scopes_and_empty_names_are_422_naming_the_field(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let res = app.post("/api/v1/api-keys", Some(&ann.access), json!({ "name": "ci", "scopes": ["root"] })).await;
    assert_eq!(res.status(), 422);
    let p = res.problem().await;
    assert_eq!((p.code.as_str(), p.field.as_deref()), ("invalid_scope", Some("/scopes")));
    let res = app.post("/api/v1/api-keys", Some(&ann.access), json!({ "name": " ", "scopes": ["read"] })).await;
    let p = res.problem().await;
    assert_eq!((p.code.as_str(), p.field.as_deref()), ("invalid_name", Some("/name")));
    assert_eq!(count_rows(&app, "api_keys").await, 0);
}
