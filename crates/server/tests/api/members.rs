use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};

async fn invite(app: &TestApp, by: &Account, email: &str, role: &str) -> Value {
    app.invite(&by.access, email, role).await
}

async fn accept(app: &TestApp, invitation: &Value, password: &str) -> Account {
    app.accept(invitation, password).await
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_invited_member_accepts_and_signs_in_with_the_invited_role(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let inv = invite(&app, &ann, "bob@ann.test", "member").await;
    assert_eq!(inv["member"]["status"], "invited");
    assert_eq!(inv["email_sent"], false);
    assert!(inv["invite_url"].as_str().unwrap().starts_with(&format!("{}/app/accept-invite?token=", app.base)));

    let list: Value = app.get("/api/v1/members", &ann.access).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    let bob = accept(&app, &inv, "bobs password!").await;
    assert_eq!(bob.tenant_id, ann.tenant_id);
    let me: Value = app.get("/api/v1/me", &bob.access).await.json().await.unwrap();
    assert_eq!(me["role"], "member");
    assert_eq!(me["user"]["name"], "Bob");
    assert_eq!(app.login("bob@ann.test", "bobs password!").await.status(), 200);

    let member: Value = app.get(&format!("/api/v1/members/{}", bob.user_id), &ann.access).await.json().await.unwrap();
    assert_eq!(member["status"], "active");
    // The link works once.
    let token = inv["invite_url"].as_str().unwrap().split("token=").nth(1).unwrap();
    let again =
        app.post("/api/v1/invitations/accept", None, json!({ "token": token, "password": "another password" })).await;
    assert_eq!(again.problem().await.code, "invite_invalid");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn inviting_an_existing_member_is_409_email_taken_on_email(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let res = app.post("/api/v1/members", Some(&ann.access), json!({ "email": "ANN@ann.test", "role": "admin" })).await;
    assert_eq!(res.status(), 409);
    let p = res.problem().await;
    assert_eq!(p.code, "email_taken");
    assert_eq!(p.field.as_deref(), Some("/email"));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_member_cannot_invite_or_change_roles(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = accept(&app, &invite(&app, &ann, "bob@ann.test", "member").await, "bobs password!").await;
    let res = app.post("/api/v1/members", Some(&bob.access), json!({ "email": "eve@ann.test", "role": "admin" })).await;
    assert_eq!(res.problem().await.code, "forbidden");
    let res = app.patch(&format!("/api/v1/members/{}", bob.user_id), &bob.access, json!({ "role": "owner" })).await;
    assert_eq!(res.status(), 403);
    assert_eq!(count_rows(&app, "users").await, 2);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_last_owner_can_be_neither_demoted_nor_removed(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let path = format!("/api/v1/members/{}", ann.user_id);
    let res = app.patch(&path, &ann.access, json!({ "role": "admin" })).await;
    assert_eq!(res.problem().await.code, "last_owner");
    let res = app.delete(&path, &ann.access).await;
    assert_eq!(res.problem().await.code, "last_owner");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_removed_member_loses_access_at_once(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = accept(&app, &invite(&app, &ann, "bob@ann.test", "admin").await, "bobs password!").await;
    assert_eq!(app.get("/api/v1/me", &bob.access).await.status(), 200);
    let res = app.patch(&format!("/api/v1/members/{}", bob.user_id), &ann.access, json!({ "role": "client" })).await;
    assert_eq!(res.status(), 200);
    let me: Value = app.get("/api/v1/me", &bob.access).await.json().await.unwrap();
    assert_eq!(me["role"], "client");
    assert_eq!(app.delete(&format!("/api/v1/members/{}", bob.user_id), &ann.access).await.status(), 204);
    assert_eq!(app.get("/api/v1/me", &bob.access).await.status(), 401);
    let audit: Value = app.get("/api/v1/audit", &ann.access).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions[..4], ["member.removed", "member.role_changed", "member.joined", "member.invited"]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn removing_an_admin_revokes_the_api_keys_they_created(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bob = accept(&app, &invite(&app, &ann, "bob@ann.test", "admin").await, "bobs password!").await;
    let (bobs_key, _) = app.api_key(&bob, &["admin"]).await;
    let (anns_key, _) = app.api_key(&ann, &["read"]).await;
    assert_eq!(app.get("/api/v1/members", &bobs_key).await.status(), 200);
    assert_eq!(app.delete(&format!("/api/v1/members/{}", bob.user_id), &ann.access).await.status(), 204);
    assert_eq!(app.get("/api/v1/members", &bobs_key).await.status(), 401);
    assert_eq!(app.get("/api/v1/members", &anns_key).await.status(), 200);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_invitation_is_mailed_with_a_link_that_lets_the_invitee_join(#[case] backend: Backend) {
    let smtp = crate::auth::Smtpd::start();
    let port = smtp.port;
    let app = TestApp::spawn_with(backend, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into())).await;
    let ann = app.signup("ann").await;
    let inv = invite(&app, &ann, "bob@ann.test", "member").await;
    assert_eq!(inv["email_sent"], true);
    app.drain_jobs().await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    let body = crate::auth::decode_quoted_printable(&mails[0]);
    assert!(body.contains("To: bob@ann.test") && body.contains("Subject: You are invited to ann shop"), "{body}");
    let token = body.split("accept-invite?token=").nth(1).unwrap().split_whitespace().next().unwrap();
    let res =
        app.post("/api/v1/invitations/accept", None, json!({ "token": token, "password": "bobs password!" })).await;
    assert_eq!(res.status(), 200);
}
