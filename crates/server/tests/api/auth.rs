use crate::helpers::*;
use reqwest::Method;
use rstest::rstest;
use serde_json::{json, Value};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn signing_up_creates_a_workspace_whose_owner_is_signed_in(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "email": "Ann@Bakery.test", "password": PASSWORD, "tenant_name": "Ann's Bakery" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["token_type"], "Bearer");
    assert_eq!(s["expires_in"], 900);
    assert_eq!(s["tenant"]["name"], "Ann's Bakery");
    assert_eq!(s["tenant"]["slug"], "ann-s-bakery");
    assert_eq!(s["user"]["email"], "ann@bakery.test");
    assert_eq!(s["role"], "owner");
    let me: Value = app.get("/api/v1/me", s["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(me["user"]["id"], s["user"]["id"]);
    assert_eq!(me["tenant"]["id"], s["tenant"]["id"]);
    assert_eq!(me["role"], "owner");
    assert_eq!(me["via"], "token");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn two_workspaces_with_the_same_name_get_different_slugs(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut slugs = Vec::new();
    for email in ["a@x.test", "b@x.test"] {
        let res = app
            .post("/api/v1/auth/signup", None, json!({ "email": email, "password": PASSWORD, "tenant_name": "Same" }))
            .await;
        assert_eq!(res.status(), 201);
        let s: Value = res.json().await.unwrap();
        slugs.push(s["tenant"]["slug"].as_str().unwrap().to_owned());
    }
    assert_eq!(slugs[0], "same");
    assert_ne!(slugs[0], slugs[1]);
    assert!(slugs[1].starts_with("same-"));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_right_password_signs_in_and_a_wrong_one_is_refused_and_audited(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let ok = app.login(&ann.email, PASSWORD).await;
    assert_eq!(ok.status(), 200);
    let s: Value = ok.json().await.unwrap();
    assert_eq!(s["tenant"]["id"].as_str(), Some(ann.tenant_id.as_str()));

    let bad = app.login(&ann.email, "wrong password!").await;
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.problem().await.code, "invalid_credentials");
    let unknown = app.login("nobody@nowhere.test", PASSWORD).await;
    assert_eq!(unknown.problem().await.code, "invalid_credentials");

    let audit: Value = app.get("/api/v1/audit", &ann.access).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions[..3], ["auth.login_failed", "auth.login", "auth.signup"]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_whole_family(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let first = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": ann.refresh })).await;
    assert_eq!(first.status(), 200);
    let rotated: Value = first.json().await.unwrap();
    let newer = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(newer, ann.refresh);
    assert_eq!(app.get("/api/v1/me", rotated["access_token"].as_str().unwrap()).await.status(), 200);

    // The old token again: theft assumed, the family dies.
    let reuse = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": ann.refresh })).await;
    assert_eq!(reuse.status(), 401);
    assert_eq!(reuse.problem().await.code, "refresh_token_invalid");
    let after = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": newer })).await;
    assert_eq!(after.problem().await.code, "refresh_token_invalid");
    // The family's access tokens end too.
    assert_eq!(app.get("/api/v1/me", &ann.access).await.status(), 401);

    let fresh: Value = app.login(&ann.email, PASSWORD).await.json().await.unwrap();
    let audit: Value = app.get("/api/v1/audit", fresh["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(audit["items"][1]["action"], "auth.refresh_reused");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn logging_out_ends_the_session_access_and_refresh_token(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let res = app.post("/api/v1/auth/logout", None, json!({ "refresh_token": ann.refresh })).await;
    assert_eq!(res.status(), 204);
    // The session's access token ends with it.
    assert_eq!(app.get("/api/v1/me", &ann.access).await.status(), 401);
    let res = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": ann.refresh })).await;
    assert_eq!(res.problem().await.code, "refresh_token_invalid");
    // Signing out twice is not an error.
    let res = app.post("/api/v1/auth/logout", None, json!({ "refresh_token": ann.refresh })).await;
    assert_eq!(res.status(), 204);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let wrong = app
        .post(
            "/api/v1/auth/password",
            Some(&ann.access),
            json!({ "current_password": "nope nope nope", "new_password": "a brand new secret" }),
        )
        .await;
    let p = wrong.problem().await;
    assert_eq!(
        (p.status, p.code.as_str(), p.field.as_deref()),
        (403, "current_password_wrong", Some("/current_password"))
    );
    let weak = app
        .post(
            "/api/v1/auth/password",
            Some(&ann.access),
            json!({ "current_password": PASSWORD, "new_password": "short" }),
        )
        .await;
    let p = weak.problem().await;
    assert_eq!((p.code.as_str(), p.field.as_deref()), ("weak_password", Some("/new_password")));

    let ok = app
        .post(
            "/api/v1/auth/password",
            Some(&ann.access),
            json!({ "current_password": PASSWORD, "new_password": "a brand new secret" }),
        )
        .await;
    assert_eq!(ok.status(), 204);
    assert_eq!(app.login(&ann.email, PASSWORD).await.status(), 401);
    assert_eq!(app.login(&ann.email, "a brand new secret").await.status(), 200);
    let old_session = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": ann.refresh })).await;
    assert_eq!(old_session.problem().await.code, "refresh_token_invalid");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_password_reset_mail_holds_a_one_time_link_that_sets_a_new_password(#[case] backend: Backend) {
    let smtp = Smtpd::start();
    let port = smtp.port;
    let app = TestApp::spawn_with(backend, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into())).await;
    let ann = app.signup("ann").await;
    let res = app.post("/api/v1/auth/password-reset", None, json!({ "email": ann.email })).await;
    assert_eq!(res.status(), 202);
    // Unknown addresses get the same answer and no mail.
    let res = app.post("/api/v1/auth/password-reset", None, json!({ "email": "ghost@nowhere.test" })).await;
    assert_eq!(res.status(), 202);
    // One lookup per request, whatever the email; one mail. (The server's own
    // worker may run them first: drain, then wait for the mail.)
    app.drain_jobs().await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: ann@ann.test"), "{}", mails[0]);
    let body = decode_quoted_printable(&mails[0]);
    let token = body.split("reset-password?token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();

    let res = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "new_password": "reset and renewed" }),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.login(&ann.email, "reset and renewed").await.status(), 200);
    let again = app
        .post("/api/v1/auth/password-reset/confirm", None, json!({ "token": token, "new_password": "another new one" }))
        .await;
    assert_eq!(again.problem().await.code, "reset_token_invalid");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn too_many_sign_in_attempts_are_answered_429_with_retry_after(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.auth_rate_per_ip = 100;
        c.auth_rate_per_account = 3;
    })
    .await;
    let ann = app.signup("ann").await;
    for _ in 0..3 {
        assert_eq!(app.login(&ann.email, "wrong password!").await.status(), 401);
    }
    let res = app.login(&ann.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    assert_eq!(res.problem().await.code, "rate_limited");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn sign_ups_from_one_address_are_limited(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.signup_rate_per_ip = 2).await;
    app.signup("one").await;
    app.signup("two").await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "email": "three@x.test", "password": PASSWORD, "tenant_name": "Three" }),
        )
        .await;
    assert_eq!(res.problem().await.code, "rate_limited");
    assert_eq!(count_rows(&app, "tenants").await, 2);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_bad_or_missing_token_is_401_unauthorized(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let none = app.send(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(none.status(), 401);
    assert_eq!(none.problem().await.code, "unauthorized");
    for bad in ["garbage", "a.b.c", "sp_not_a_real_key"] {
        let res = app.get("/api/v1/me", bad).await;
        assert_eq!(res.status(), 401, "{bad}");
        assert_eq!(res.problem().await.code, "unauthorized");
    }
}

/// Undoes the quoted-printable transfer encoding lettre picks for long lines
/// (RFC 2045 section 6.7): soft line breaks and `=XX` escapes.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// aiosmtpd with its Mailbox handler on a free loopback port.
pub struct Smtpd {
    pub port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Smtpd {
    pub fn start() -> Smtpd {
        let python = std::env::var("STACKPRO_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd: run `make test`, which installs it, or set STACKPRO_TEST_PYTHON");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Smtpd { port, dir, child };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port} (is aiosmtpd installed for {python}?)");
    }

    /// Waits (up to 5 s) until `n` mails arrived, then returns all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            if self.mails().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.mails()
    }

    pub fn mails(&self) -> Vec<String> {
        let new = self.dir.path().join("maildir/new");
        let mut out: Vec<String> = std::fs::read_dir(new)
            .map(|d| d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect())
            .unwrap_or_default();
        out.sort();
        out
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn successful_sign_ins_do_not_count_toward_the_address_limit(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.auth_rate_per_ip = 3).await;
    let ann = app.signup("ann").await;
    for _ in 0..6 {
        assert_eq!(app.login(&ann.email, PASSWORD).await.status(), 200);
    }
    for _ in 0..3 {
        assert_eq!(app.login(&ann.email, "wrong password!").await.status(), 401);
    }
    assert_eq!(app.login(&ann.email, PASSWORD).await.status(), 429);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn signing_up_counts_as_the_owners_first_sign_in(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let me: Value = app.get(&format!("/api/v1/members/{}", ann.user_id), &ann.access).await.json().await.unwrap();
    assert!(me["last_login_at"].is_string(), "{me}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_no_more_tries_than_the_limit(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.auth_rate_per_account = 5).await;
    let ann = app.signup("ann").await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        let email = ann.email.clone();
        async move { app.login(&email, &format!("wrong guess {i:02}")).await.status().as_u16() }
    });
    let mut statuses = futures::future::join_all(guesses).await;
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15, "{statuses:?}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_password_change_ends_access_tokens_issued_before_it(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    // A token stolen earlier, issued at least a second before the change.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let stolen = ann.access.clone();
    let res = app
        .post(
            "/api/v1/auth/password",
            Some(&ann.access),
            json!({ "current_password": PASSWORD, "new_password": "a brand new secret" }),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get("/api/v1/me", &stolen).await.status(), 401);
    let fresh: Value = app.login(&ann.email, "a brand new secret").await.json().await.unwrap();
    assert_eq!(app.get("/api/v1/me", fresh["access_token"].as_str().unwrap()).await.status(), 200);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_reset_request_stores_no_email_address_in_the_clear(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.post("/api/v1/auth/password-reset", None, json!({ "email": "someone.private@example.test" })).await;
    assert_eq!(res.status(), 202);
    let jobs: Vec<_> = stackpro_store::jobs::list(&app.db, None, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == stackpro_security::service::RESET_JOB)
        .collect();
    assert_eq!(jobs.len(), 1);
    assert!(!jobs[0].payload.contains("someone.private"), "{}", jobs[0].payload);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_access_token_issued_in_the_same_second_before_a_password_change_is_refused(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let mut password = PASSWORD.to_owned();
    // Start just after a second begins, so the sign-in and the change fall
    // in the same second (checked below: a second apart proves nothing).
    for attempt in 0.. {
        assert!(attempt < 5, "could not sign in and change the password within one second");
        let now = chrono::Utc::now();
        tokio::time::sleep(std::time::Duration::from_micros(1_000_000 - now.timestamp_subsec_micros() as u64 + 5_000))
            .await;
        let session: Value = app.login(&ann.email, &password).await.json().await.unwrap();
        let token = session["access_token"].as_str().unwrap().to_owned();
        let issued = chrono::Utc::now().timestamp();
        let new = format!("new password {attempt}");
        let res = app
            .post("/api/v1/auth/password", Some(&token), json!({ "current_password": password, "new_password": new }))
            .await;
        assert_eq!(res.status(), 204);
        password = new;
        if chrono::Utc::now().timestamp() != issued {
            continue;
        }
        let res = app.get("/api/v1/me", &token).await;
        assert_eq!(res.status(), 401, "a token from before the change, same second");
        break;
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn signing_in_verifies_exactly_one_password_whatever_the_number_of_accounts(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut slugs = Vec::new();
    for shop in ["first", "second", "third"] {
        let res = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": "sam@shared.test", "password": PASSWORD, "tenant_name": format!("{shop} shop") }),
            )
            .await;
        slugs.push(Account::from_session(res.json().await.unwrap()).tenant_slug);
    }
    let verifications = "stackpro_password_verifications";
    for (email, password, status) in [
        ("sam@shared.test", "a wrong password", 401),
        ("nobody@shared.test", "a wrong password", 401),
        ("sam@shared.test", PASSWORD, 200),
    ] {
        let before = app.metric(verifications).await;
        assert_eq!(app.login(email, password).await.status(), status, "{email}");
        assert_eq!(app.metric(verifications).await - before, 1.0, "{email} with {password:?}");
    }
    // Without a workspace: the oldest; with one: that one.
    let login_to = |tenant: Option<&str>| {
        let body = match tenant {
            Some(t) => json!({ "email": "sam@shared.test", "password": PASSWORD, "tenant": t }),
            None => json!({ "email": "sam@shared.test", "password": PASSWORD }),
        };
        let app = &app;
        async move {
            let s: Value = app.post("/api/v1/auth/login", None, body).await.json().await.unwrap();
            s["tenant"]["slug"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(login_to(None).await, slugs[0]);
    assert_eq!(login_to(Some(&slugs[2])).await, slugs[2]);
    assert_eq!(login_to(None).await, slugs[0], "a later sign-in elsewhere does not move the default");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_account_made_later_with_someone_elses_email_neither_locks_them_out_nor_sees_their_attempts(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let victim = app.signup("vic").await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "email": victim.email, "password": "the squatter's password", "tenant_name": "Squat" }),
        )
        .await;
    let squatter = Account::from_session(res.json().await.unwrap());
    assert_eq!(app.login(&squatter.email, "the squatter's password").await.status(), 401, "the default is the oldest");

    let s: Value = app.login(&victim.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(s["tenant"]["id"].as_str(), Some(victim.tenant_id.as_str()));
    assert_eq!(app.login(&victim.email, "the victim mistypes").await.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let log: Value = app.get("/api/v1/audit?limit=200", &squatter.access).await.json().await.unwrap();
    let failed = log["items"].as_array().unwrap().iter().filter(|e| e["action"] == "auth.login_failed").count();
    assert_eq!(failed, 0, "the squatter must not see the victim's attempts (nor their address)");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_email_with_invisible_look_alike_or_list_characters_is_refused(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    for email in ["eve\u{200b}@evil.test", "\u{202e}tset.live@eve", "eve@\u{0435}vil.test"] {
        let res = app
            .post("/api/v1/auth/signup", None, json!({ "email": email, "password": PASSWORD, "tenant_name": "Eve" }))
            .await;
        assert_eq!(res.status(), 422, "{email:?}");
        assert_eq!(res.problem().await.field.as_deref(), Some("/email"));
    }
    for email in ["bob,eve@ann.test", "bob@ann.test,eve@evil.test", "Bob <bob@ann.test>", "bob\u{2066}@ann.test"] {
        let res = app.post("/api/v1/members", Some(&ann.access), json!({ "email": email, "role": "member" })).await;
        assert_eq!(res.problem().await.code, "invalid_email", "{email:?}");
    }
    assert_eq!(count_rows(&app, "users").await, 1);
    assert_eq!(count_rows(&app, "tenants").await, 1);
}
