//! Refused requests are recorded for operators and for the workspace's
//! admins, per tenant where one is known and per client address always.

use crate::helpers::*;
use rstest::rstest;
use serde_json::Value;

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn refused_requests_are_recorded_per_tenant_and_per_address(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "client").await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/members", &bob.access).await.status(), 403);
    }
    // No credentials at all: counted in the metrics, not recorded.
    assert_eq!(app.client.get(app.url("/api/v1/me")).send().await.unwrap().status(), 401);
    assert_eq!(app.login(&ann.email, "not the password").await.status(), 401);
    assert_eq!(app.get("/api/v1/me", "not-a-token").await.status(), 401);

    // The writer stores events in the background.
    let mut items = Vec::new();
    for _ in 0..50 {
        let page: Value = app.get("/api/v1/security-events", &ann.access).await.json().await.unwrap();
        items = page["items"].as_array().unwrap().clone();
        if items.first().is_some_and(|e| e["count"] == 5) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(items.len(), 1, "only the refusal that named this workspace, repeated, in one row: {items:?}");
    let e = &items[0];
    assert_eq!((e["kind"].as_str(), e["route"].as_str()), (Some("forbidden"), Some("/api/v1/members")));
    assert_eq!(e["count"], 5);
    assert_eq!(e["principal"].as_str(), Some(bob.user_id.as_str()));
    assert_eq!(e["ip"], "127.0.0.1");

    // The anonymous refusals are the operator's, by address.
    let kinds = ["invalid_credentials", "unauthorized", "forbidden"];
    let mut text = String::new();
    for _ in 0..50 {
        let out = app.cli(&["security", "events", "--ip", "127.0.0.1"]).await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        text = String::from_utf8_lossy(&out.stdout).into_owned();
        if kinds.iter().all(|k| text.contains(k)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for kind in kinds {
        assert!(text.contains(kind), "{kind} missing from\n{text}");
    }
    let unauthorized = text.lines().filter(|l| l.contains(" unauthorized ")).count();
    assert_eq!(unauthorized, 1, "only the request that sent a credential:\n{text}");
    assert_eq!(app.get("/api/v1/security-events", &bob.access).await.status(), 403);
}
