use crate::helpers::*;
use reqwest::Method;
use rstest::rstest;
use serde_json::json;

/// Every kind of bad input is a 4xx problem with a stable code, and writes nothing.
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn bad_input_is_a_4xx_problem_and_changes_nothing(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let before =
        (count_rows(&app, "tenants").await, count_rows(&app, "users").await, count_rows(&app, "audit_log").await);
    let signup = app.url("/api/v1/auth/signup");
    let raw = |body: &'static str, ct: &'static str| {
        let c = app.client.clone();
        let url = signup.clone();
        async move { c.post(url).header("content-type", ct).body(body).send().await.unwrap() }
    };

    let p = raw("{not json", "application/json").await.problem().await;
    assert_eq!((p.status, p.code.as_str()), (400, "invalid_body"));
    let p = raw(r#"{"email": 5, "password": "x", "tenant_name": "t"}"#, "application/json").await.problem().await;
    assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (400, "invalid_body", Some("/email")));
    let p = raw(r#"{"email": "a@b.test"}"#, "application/json").await.problem().await;
    assert_eq!(p.code, "invalid_body");
    let p = raw(r#"{"email": "a@b.test", "password": "long enough!", "tenant_name": "x"}"#, "text/plain")
        .await
        .problem()
        .await;
    assert_eq!((p.status, p.code.as_str()), (415, "unsupported_media_type"));

    let huge = format!(
        r#"{{"email": "a@b.test", "password": "long enough!", "tenant_name": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let res = app.client.post(&signup).header("content-type", "application/json").body(huge).send().await.unwrap();
    let p = res.problem().await;
    assert_eq!((p.status, p.code.as_str()), (413, "payload_too_large"));

    for (body, code, field) in [
        (json!({ "email": "not-an-email", "password": PASSWORD, "tenant_name": "X" }), "invalid_email", "/email"),
        (json!({ "email": "a@b.test", "password": "short", "tenant_name": "X" }), "weak_password", "/password"),
        (
            json!({ "email": "a@b.test", "password": PASSWORD, "tenant_name": "   " }),
            "invalid_tenant_name",
            "/tenant_name",
        ),
    ] {
        let p = app.post("/api/v1/auth/signup", None, body).await.problem().await;
        assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (422, code, Some(field)));
    }

    let p = app.get("/api/v1/members/not-a-uuid", &ann.access).await.problem().await;
    assert_eq!((p.status, p.code.as_str()), (400, "invalid_path"));
    let p = app.get("/api/v1/audit?limit=many", &ann.access).await.problem().await;
    assert_eq!((p.status, p.code.as_str()), (400, "invalid_query"));
    let p = app
        .post("/api/v1/members", Some(&ann.access), json!({ "email": "z@ann.test", "role": "emperor" }))
        .await
        .problem()
        .await;
    assert_eq!((p.status, p.code.as_str(), p.field.as_deref()), (422, "invalid_role", Some("/role")));
    let p = app.send(Method::PUT, "/api/v1/me", Some(&ann.access), None).await.problem().await;
    assert_eq!((p.status, p.code.as_str()), (405, "method_not_allowed"));
    let p = app.get("/api/v1/nothing-here", &ann.access).await.problem().await;
    assert_eq!((p.status, p.code.as_str()), (404, "route_not_found"));

    let after =
        (count_rows(&app, "tenants").await, count_rows(&app, "users").await, count_rows(&app, "audit_log").await);
    assert_eq!(before, after);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_problem_body_has_type_title_status_code_detail_and_request_id(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.login("nobody@x.test", "whatever it is").await;
    let header_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "type": "/api/v1/errors#invalid_credentials",
            "title": "Unauthorized",
            "status": 401,
            "code": "invalid_credentials",
            "detail": "The email or password is wrong. If this email belongs to several workspaces, name the one to sign in to.",
            "request_id": header_id,
        })
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_nul_character_in_any_text_field_is_refused_and_changes_nothing(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let bodies = [
        ("/api/v1/auth/login", json!({ "email": "ann@ann.test", "password": PASSWORD, "tenant": "ann\u{0}shop" })),
        ("/api/v1/auth/password-reset", json!({ "email": "ann@ann.test", "tenant": "x\u{0}" })),
        ("/api/v1/auth/signup", json!({ "email": "b@b.test", "password": PASSWORD, "tenant_name": "B\u{0}" })),
        ("/api/v1/auth/refresh", json!({ "refresh_token": "spr_\u{0}" })),
    ];
    for (path, body) in bodies {
        let res = app.post(path, None, body).await;
        assert_eq!(res.status(), 400, "{path}");
        assert_eq!(res.problem().await.code, "invalid_body", "{path}");
    }
    let res = app
        .post(
            "/api/v1/members",
            Some(&ann.access),
            json!({ "email": "c@ann.test", "role": "member", "name": "C\u{0}" }),
        )
        .await;
    assert_eq!(res.problem().await.code, "invalid_body");
    let res = app.get("/api/v1/audit?limit=%00", &ann.access).await;
    assert_eq!(res.problem().await.code, "invalid_query");
    assert_eq!(count_rows(&app, "tenants").await, 1);
    assert_eq!(count_rows(&app, "users").await, 1);
    let resets = stackpro_store::jobs::list(&app.db, None, 50).await.unwrap();
    assert!(resets.iter().all(|j| j.kind != stackpro_security::service::RESET_JOB), "{resets:?}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn names_with_reordering_or_invisible_characters_are_refused(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for name in ["Acme\u{202E}gnp.exe", "Ac\u{200B}me", "\u{2066}Acme", "Acme\u{FFFE}"] {
        let res = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": "x@x.test", "password": PASSWORD, "tenant_name": name }),
            )
            .await;
        assert_eq!(res.problem().await.code, "invalid_tenant_name", "{name:?}");
    }
    let ann = app.signup("ann").await;
    let res =
        app.post("/api/v1/api-keys", Some(&ann.access), json!({ "name": "ci\u{202E}", "scopes": ["read"] })).await;
    assert_eq!(res.problem().await.code, "invalid_name");
    assert_eq!(count_rows(&app, "tenants").await, 1);
}
