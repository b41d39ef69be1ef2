//! Rights follow people: a credential never holds more than the person
//! behind it holds now, and what a person sent leaves with them.

use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_admin_key_of_an_admin_demoted_to_client_acts_as_a_client_and_cannot_promote_them_back(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "admin").await;
    let (key, _) = app.api_key(&bob, &["admin"]).await;
    assert_eq!(app.get("/api/v1/api-keys", &key).await.status(), 200);

    assert_eq!(app.set_role(&ann.access, &bob, "client").await.status(), 200);

    let me: Value = app.get("/api/v1/me", &key).await.json().await.unwrap();
    assert_eq!(me["role"], "client");
    let res = app.set_role(&key, &bob, "admin").await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.problem().await.code, "forbidden");
    assert_eq!(app.get("/api/v1/api-keys", &key).await.status(), 403);
    let bob_now: Value = app.get(&format!("/api/v1/members/{}", bob.user_id), &ann.access).await.json().await.unwrap();
    assert_eq!(bob_now["role"], "client");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_key_made_with_a_key_belongs_to_its_creator_and_goes_when_they_are_removed(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "admin").await;
    let (first, _) = app.api_key(&bob, &["admin"]).await;
    let res = app.post("/api/v1/api-keys", Some(&first), json!({ "name": "made by a key", "scopes": ["admin"] })).await;
    assert_eq!(res.status(), 201);
    let second = res.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned();
    let me: Value = app.get("/api/v1/me", &second).await.json().await.unwrap();
    assert_eq!(me["user"]["id"].as_str(), Some(bob.user_id.as_str()), "the key acts for the person behind the key");

    assert_eq!(app.delete(&format!("/api/v1/members/{}", bob.user_id), &ann.access).await.status(), 204);

    for key in [&first, &second] {
        assert_eq!(app.get("/api/v1/me", key).await.status(), 401);
        let res = app.post("/api/v1/members", Some(key), json!({ "email": "eve@ann.test", "role": "admin" })).await;
        assert_eq!(res.status(), 401);
    }
    let keys: Value = app.get("/api/v1/api-keys", &ann.access).await.json().await.unwrap();
    let items = keys["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|k| k["revoked_at"].is_string()), "{items:?}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_invitation_from_an_admin_removed_since_is_withdrawn(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "admin").await;
    let inv = app.invite(&bob.access, "carol@ann.test", "admin").await;

    assert_eq!(app.delete(&format!("/api/v1/members/{}", bob.user_id), &ann.access).await.status(), 204);

    let res = app.try_accept(&inv, "carols password").await;
    assert_eq!(res.problem().await.code, "invite_invalid");
    let members: Value = app.get("/api/v1/members", &ann.access).await.json().await.unwrap();
    let emails: Vec<&str> = members["items"].as_array().unwrap().iter().map(|m| m["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["ann@ann.test"]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_invitation_grants_no_more_than_its_sender_holds_when_it_is_accepted(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "admin").await;
    let inv = app.invite(&bob.access, "carol@ann.test", "admin").await;

    assert_eq!(app.set_role(&ann.access, &bob, "member").await.status(), 200);
    let res = app.try_accept(&inv, "carols password").await;
    assert_eq!(res.problem().await.code, "invite_invalid");

    // The same link works again once its sender may give that role again.
    assert_eq!(app.set_role(&ann.access, &bob, "admin").await.status(), 200);
    let carol = app.accept(&inv, "carols password").await;
    let me: Value = app.get("/api/v1/me", &carol.access).await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn nobody_invites_with_more_rights_than_their_own_even_through_a_key(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "admin").await;
    let res = app.post("/api/v1/members", Some(&bob.access), json!({ "email": "o@ann.test", "role": "owner" })).await;
    assert_eq!(res.problem().await.code, "forbidden");

    let (key, _) = app.api_key(&bob, &["admin"]).await;
    assert_eq!(app.set_role(&ann.access, &bob, "member").await.status(), 200);
    let res = app.post("/api/v1/members", Some(&key), json!({ "email": "a@ann.test", "role": "admin" })).await;
    assert_eq!(res.problem().await.code, "forbidden");
    assert_eq!(count_rows(&app, "users").await, 2);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn raising_an_invitations_role_makes_the_raiser_stand_behind_it(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = app.member(&ann, "bob", "admin").await;
    let inv = app.invite(&bob.access, "carol@ann.test", "member").await;
    let carol_id = inv["member"]["id"].as_str().unwrap().to_owned();
    let res = app.patch(&format!("/api/v1/members/{carol_id}"), &ann.access, json!({ "role": "owner" })).await;
    assert_eq!(res.status(), 200);
    let carol = app.accept(&inv, "carols password").await;
    let me: Value = app.get("/api/v1/me", &carol.access).await.json().await.unwrap();
    assert_eq!(me["role"], "owner");
}
