//! Two replicas on one PostgreSQL database and one Redis: what one replica
//! changes, the other honours at once.

use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_member_removed_on_one_replica_loses_access_on_the_other() {
    let redis = redis_url().await;
    let r = redis.clone();
    let a = TestApp::spawn_with(Backend::Postgres, move |c| c.redis_url = Some(r)).await;
    let b = a.replica(|c| c.redis_url = Some(redis)).await;
    let ann = a.signup("ann").await;
    let inv: Value = a
        .post("/api/v1/members", Some(&ann.access), json!({ "email": "bob@ann.test", "role": "admin" }))
        .await
        .json()
        .await
        .unwrap();
    let token = inv["invite_url"].as_str().unwrap().split("token=").nth(1).unwrap().to_owned();
    let bob: Value = b
        .post("/api/v1/invitations/accept", None, json!({ "token": token, "password": "bobs password!" }))
        .await
        .json()
        .await
        .unwrap();
    let bob = Account::from_session(bob);
    // Replica b has bob's rights cached now.
    assert_eq!(b.get("/api/v1/members", &bob.access).await.status(), 200);
    assert_eq!(a.delete(&format!("/api/v1/members/{}", bob.user_id), &ann.access).await.status(), 204);
    // The invalidation travels through Redis; allow it a moment, far below the cache TTL.
    let mut status = 0;
    for _ in 0..50 {
        status = b.get("/api/v1/members", &bob.access).await.status().as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 401);
}

#[tokio::test]
async fn rate_limits_are_shared_by_replicas_through_redis() {
    let redis = redis_url().await;
    let r = redis.clone();
    let a = TestApp::spawn_with(Backend::Postgres, move |c| {
        c.redis_url = Some(r);
        c.auth_rate_per_account = 4;
    })
    .await;
    let b = a
        .replica(|c| {
            c.redis_url = Some(redis);
            c.auth_rate_per_account = 4;
        })
        .await;
    let ann = a.signup("ann").await;
    for app in [&a, &b, &a, &b] {
        assert_eq!(app.login(&ann.email, "wrong password!").await.status(), 401);
    }
    let res = b.login(&ann.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.problem().await.code, "rate_limited");
}

#[tokio::test]
async fn a_token_issued_by_one_replica_is_accepted_by_the_other() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.replica(|_| {}).await;
    let ann = a.signup("ann").await;
    let me: Value = b.get("/api/v1/me", &ann.access).await.json().await.unwrap();
    assert_eq!(me["user"]["email"], "ann@ann.test");
    let refreshed = b.post("/api/v1/auth/refresh", None, json!({ "refresh_token": ann.refresh })).await;
    assert_eq!(refreshed.status(), 200);
}

#[tokio::test]
async fn a_session_signed_out_on_one_replica_is_refused_by_another_and_by_one_started_later() {
    let redis = redis_url().await;
    let r = redis.clone();
    let a = TestApp::spawn_with(Backend::Postgres, move |c| c.redis_url = Some(r)).await;
    let r = redis.clone();
    let b = a.replica(move |c| c.redis_url = Some(r)).await;
    let ann = a.signup("ann").await;
    assert_eq!(b.get("/api/v1/me", &ann.access).await.status(), 200);
    assert_eq!(a.post("/api/v1/auth/logout", None, json!({ "refresh_token": ann.refresh })).await.status(), 204);
    let mut status = 0;
    for _ in 0..50 {
        status = b.get("/api/v1/me", &ann.access).await.status().as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 401);
    let c = a.replica(move |c| c.redis_url = Some(redis)).await;
    assert_eq!(c.get("/api/v1/me", &ann.access).await.status(), 401);
}

/// Two replicas with no bus between them (each has its own in-process bus):
/// every message is lost, and only what the database carries arrives.
#[rstest::rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_replica_that_never_hears_the_bus_still_refuses_a_signed_out_session_a_removed_member_and_a_revoked_key(
    #[case] backend: Backend,
) {
    let a = TestApp::spawn(backend).await;
    let b = a.replica(|_| {}).await;
    let ann = a.signup("ann").await;
    let bob = a.member(&ann, "bob", "admin").await;
    let (key, key_id) = a.api_key(&ann, &["read"]).await;
    for credential in [&ann.access, &bob.access, &key] {
        assert_eq!(b.get("/api/v1/me", credential).await.status(), 200, "cached on b");
    }
    assert_eq!(a.post("/api/v1/auth/logout", None, json!({ "refresh_token": ann.refresh })).await.status(), 204);
    let second = a.login(&ann.email, PASSWORD).await.json::<Value>().await.unwrap();
    let owner = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(a.delete(&format!("/api/v1/members/{}", bob.user_id), &owner).await.status(), 204);
    assert_eq!(a.delete(&format!("/api/v1/api-keys/{key_id}"), &owner).await.status(), 204);
    let changed = std::time::Instant::now();
    for credential in [&ann.access, &bob.access, &key] {
        let mut status = 0;
        while changed.elapsed() < std::time::Duration::from_secs(3) {
            status = b.get("/api/v1/me", credential).await.status().as_u16();
            if status == 401 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, 401, "still accepted by b {:?} after the change", changed.elapsed());
    }
    assert!(changed.elapsed() < std::time::Duration::from_millis(2500), "{:?}", changed.elapsed());
}
