use crate::helpers::*;
use rstest::rstest;
use serde_json::Value;

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn health_readiness_and_metrics_answer(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h: Value = app.client.get(app.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(h["status"], "ok");
    let r: Value = app.client.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!((r["status"].as_str(), r["checks"]["database"]["status"].as_str()), (Some("ready"), Some("up")));
    assert!(r["checks"].get("redis").is_none(), "no Redis configured: {r}");
    app.signup("ann").await;
    let m = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        m.contains(r#"stackpro_http_requests_total{method="POST",route="/api/v1/auth/signup",status_class="2xx"} 1"#),
        "{m}"
    );
    assert!(m.contains("stackpro_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.db.close().await;
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.problem().await.code, "unavailable");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_with_a_summary_and_its_problems() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc: Value = app.client.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in [
        ("post", "/api/v1/auth/signup"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/password"),
        ("post", "/api/v1/auth/password-reset"),
        ("post", "/api/v1/auth/password-reset/confirm"),
        ("post", "/api/v1/invitations/accept"),
        ("get", "/api/v1/me"),
        ("get", "/api/v1/members"),
        ("post", "/api/v1/members"),
        ("patch", "/api/v1/members/{id}"),
        ("delete", "/api/v1/members/{id}"),
        ("get", "/api/v1/api-keys"),
        ("post", "/api/v1/api-keys"),
        ("delete", "/api/v1/api-keys/{id}"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/audit/verify"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/api/v1/errors"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is missing");
    }
    // The literals in the handlers' annotations say what the parsers check.
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("SignupRequest", "tenant_name"),
        ("CreateApiKey", "name"),
        ("InviteMember", "name"),
        ("AcceptInvitation", "name"),
    ] {
        let pattern = schemas[schema]["properties"][field]["pattern"].as_str();
        assert_eq!(pattern, Some(stackpro_core::text::PATTERN), "{schema}.{field}");
    }
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} lacks a summary");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("5XX"), "{method} {path} does not document server errors");
            if path.starts_with("/api/v1/") && path != "/api/v1/errors" {
                assert!(responses.contains_key("4XX"), "{method} {path} does not document its problems");
            }
        }
    }
}

#[tokio::test]
async fn every_problem_type_resolves_in_the_error_list() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let list: Value = app.client.get(app.url("/api/v1/errors")).send().await.unwrap().json().await.unwrap();
    let codes: Vec<&str> = list["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    for code in ["invalid_body", "unauthorized", "member_not_found", "rate_limited", "internal"] {
        assert!(codes.contains(&code), "{code}");
    }
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["x-request-id"].len(), 36);
    let mine = app.client.get(app.url("/healthz")).header("x-request-id", "trace-me-1").send().await.unwrap();
    assert_eq!(mine.headers()["x-request-id"], "trace-me-1");
    // Documents get the browsing-context headers too.
    let page = app.client.get(app.url("/app/")).send().await.unwrap();
    let h = page.headers();
    for (name, value) in
        [("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"), ("x-content-type-options", "nosniff")]
    {
        assert_eq!(h[name], value, "{name}");
    }
    assert!(h["content-security-policy"].to_str().unwrap().starts_with("default-src 'self'"));
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.cors_origins = "https://shop.example".into()).await;
    let ok = app.client.get(app.url("/healthz")).header("origin", "https://shop.example").send().await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://shop.example");
    let other = app.client.get(app.url("/healthz")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn the_config_example_lists_every_setting() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackpro")).args(["config", "example"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let raw = serde_json::to_value(stackpro_core::config::RawConfig::default()).unwrap();
    for key in raw.as_object().unwrap().keys() {
        assert!(text.contains(&format!("{key} =")), "`stackpro config example` lacks {key}");
    }
    for secret in ["s3_secret_access_key", "smtp_url", "metrics_token"] {
        assert!(text.contains(&format!("{secret} =")), "`stackpro config example` lacks {secret}");
    }
}

#[tokio::test]
async fn the_ui_is_served_with_a_spa_fallback_but_a_missing_asset_is_404() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dist.path().join("assets")).unwrap();
    std::fs::write(dist.path().join("index.html"), "<!doctype html><div id=root></div>").unwrap();
    std::fs::write(dist.path().join("assets/app-1234.js"), "console.log(1)".repeat(100)).unwrap();
    let web = dist.path().to_owned();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| c.web_dir = Some(web)).await;

    let page = app.client.get(app.url("/app/team")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.text().await.unwrap().contains("id=root"));
    let js = app.client.get(app.url("/app/assets/app-1234.js")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(js.headers()["content-encoding"], "gzip");
    let missing = app.client.get(app.url("/app/assets/gone-5678.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(
        !missing.headers().contains_key("cache-control")
            || missing.headers()["cache-control"] != "public, max-age=31536000, immutable"
    );
}

/// The UI ships inside the binary (`make test` builds `web/dist` before the
/// Rust tests; debug builds read it from the source tree, release builds
/// carry it).
#[tokio::test]
async fn the_built_ui_is_embedded_in_the_binary() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.web_dir = None).await;
    let page = app.client.get(app.url("/app/")).send().await.unwrap();
    assert_eq!(page.status(), 200, "is web/dist built? (make web)");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<div id=\"root\">"), "{html}");
    let deep = app.client.get(app.url("/app/team")).send().await.unwrap().text().await.unwrap();
    assert_eq!(deep, html, "client-side routes get index.html");
    let script = html.split("src=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(script.starts_with("/app/assets/"), "{script}");
    let js = app.client.get(app.url(&script)).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(js.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let missing = app.client.get(app.url("/app/assets/gone-0000.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn metrics_answer_only_the_configured_token_when_one_is_set() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.metrics_token = Some("scrape-me-7".to_owned().into())).await;
    let none = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("scrape-me-8").send().await.unwrap();
    assert_eq!(wrong.problem().await.code, "unauthorized");
    let right = app.client.get(app.url("/metrics")).bearer_auth("scrape-me-7").send().await.unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn metric_labels_stay_bounded_whatever_methods_and_paths_clients_invent() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let invent = |round: usize| {
        let app = &app;
        async move {
            for i in 0..150 {
                let method = reqwest::Method::from_bytes(format!("M{round}X{i}").as_bytes()).unwrap();
                app.client.request(method, app.url(&format!("/api/v1/nothing-{round}-{i}"))).send().await.unwrap();
                app.client.get(app.url(&format!("/scan/{round}/{i}"))).send().await.unwrap();
            }
        }
    };
    invent(1).await;
    let series = |text: String| text.lines().filter(|l| !l.starts_with('#')).count();
    // The first scrape adds the series of GET /metrics itself.
    app.client.get(app.url("/metrics")).send().await.unwrap();
    let first = series(app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap());
    invent(2).await;
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(series(text.clone()), first, "new methods or paths made new series");
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    assert!(!text.contains("M1X1") && !text.contains("nothing-1"), "{text}");
    assert!(text.len() < 64 * 1024, "{} bytes", text.len());
}

#[tokio::test]
async fn health_and_metrics_are_never_cached_and_an_https_public_url_brings_hsts() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.public_url = Some("https://app.example.test".into())).await;
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/errors"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000", "{path}");
    }
    let plain = TestApp::spawn(Backend::Sqlite).await;
    let res = plain.client.get(plain.url("/healthz")).send().await.unwrap();
    assert!(!res.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn a_client_request_id_is_echoed_only_when_it_is_a_plain_token() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let kept = app.client.get(app.url("/healthz")).header("x-request-id", "trace-me-1.b_2").send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-me-1.b_2");
    for bad in ["<script>alert(1)</script>", "a b", "x".repeat(65).as_str(), "line\tbreak"] {
        let res = app.client.get(app.url("/healthz")).header("x-request-id", bad).send().await.unwrap();
        let echoed = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(echoed, bad);
        assert!(uuid::Uuid::try_parse(&echoed).is_ok(), "{echoed}");
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn readiness_reports_each_dependency(#[case] backend: Backend) {
    let redis = redis_url().await;
    let app = TestApp::spawn_with(backend, move |c| c.redis_url = Some(redis)).await;
    let r: Value = app.client.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["status"], "ready");
    assert_eq!(r["checks"]["database"]["status"], "up");
    assert_eq!(r["checks"]["redis"]["status"], "up");
}
