use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};
use stackpro_core::ids::TenantId;

/// Tenant B's credentials on tenant A's objects: every answer is the same 404
/// as for an object that does not exist, and nothing changes.
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn another_tenants_members_keys_and_audit_entries_are_404(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let inv: Value = app
        .post("/api/v1/members", Some(&alice.access), json!({ "email": "carol@alice.test", "role": "member" }))
        .await
        .json()
        .await
        .unwrap();
    let member_id = inv["member"]["id"].as_str().unwrap().to_owned();
    let (_, key_id) = app.api_key(&alice, &["read"]).await;
    let audit: Value = app.get("/api/v1/audit", &alice.access).await.json().await.unwrap();
    let entry_id = audit["items"][0]["id"].as_str().unwrap().to_owned();
    let (bob_key, _) = app.api_key(&bob, &["admin"]).await;

    for cred in [&bob.access, &bob_key] {
        let checks = [
            (app.get(&format!("/api/v1/members/{member_id}"), cred).await, "member_not_found"),
            (
                app.patch(&format!("/api/v1/members/{member_id}"), cred, json!({ "role": "admin" })).await,
                "member_not_found",
            ),
            (app.delete(&format!("/api/v1/members/{member_id}"), cred).await, "member_not_found"),
            (app.get(&format!("/api/v1/members/{}", alice.user_id), cred).await, "member_not_found"),
            (app.get(&format!("/api/v1/api-keys/{key_id}"), cred).await, "api_key_not_found"),
            (app.delete(&format!("/api/v1/api-keys/{key_id}"), cred).await, "api_key_not_found"),
            (app.get(&format!("/api/v1/audit/entries/{entry_id}"), cred).await, "audit_entry_not_found"),
        ];
        for (res, code) in checks {
            assert_eq!(res.status(), 404);
            assert_eq!(res.problem().await.code, code);
        }
        // Lists show only the caller's own tenant.
        let members: Value = app.get("/api/v1/members", cred).await.json().await.unwrap();
        assert!(members["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["email"].as_str().unwrap().ends_with("@bob.test")));
        let audit: Value = app.get("/api/v1/audit", cred).await.json().await.unwrap();
        assert!(!audit.to_string().contains("alice"));
    }
    // A missing id answers exactly the same.
    let missing = app.get(&format!("/api/v1/members/{}", uuid::Uuid::now_v7()), &bob.access).await;
    assert_eq!(missing.problem().await.code, "member_not_found");
    // Alice's objects are untouched.
    let m: Value = app.get(&format!("/api/v1/members/{member_id}"), &alice.access).await.json().await.unwrap();
    assert_eq!(m["role"], "member");
    let k: Value = app.get(&format!("/api/v1/api-keys/{key_id}"), &alice.access).await.json().await.unwrap();
    assert!(k["revoked_at"].is_null());
}

/// The second wall: on PostgreSQL a tenant transaction runs as the restricted
/// role, so even a query without a tenant filter sees only its tenant's rows,
/// and one without the tenant setting sees none.
#[tokio::test]
async fn row_level_security_hides_other_tenants_even_from_unfiltered_queries() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let alice = app.signup("alice").await;
    app.signup("bob").await;
    let alice_id: TenantId = alice.tenant_id.parse().unwrap();

    let mut tx = app.db.tenant_tx_for(alice_id).await.unwrap();
    let tables = ["tenants", "users", "audit_log", "refresh_tokens", "tenant_keys", "audit_heads"];
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = stackpro_store::on_db!(tx, |c| sqlx::query_scalar(&sql).fetch_one(c).await).unwrap();
        let all = count_rows(&app, table).await;
        assert!(n > 0 && n < all, "{table}: alice's transaction sees {n} of {all} rows");
    }
    drop(tx);

    // As the restricted role but with no tenant set: nothing at all.
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    let mut conn = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE stackpro_app").execute(&mut *conn).await.unwrap();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut *conn).await.unwrap();
        assert_eq!(n, 0, "{table} is visible without app.tenant_id");
    }
    // And it cannot write into another tenant either.
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(&alice.tenant_id)
        .execute(&mut *conn)
        .await
        .unwrap();
    let foreign = uuid::Uuid::now_v7();
    let insert = sqlx::query("INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, 'x')")
        .bind(foreign)
        .execute(&mut *conn)
        .await;
    assert!(insert.is_err(), "the policy must refuse rows of another tenant");
}

/// The server needs neither a superuser nor BYPASSRLS: it migrates and runs
/// as a role that owns the tables (and may create roles), and that owner
/// itself sees no tenant rows, since the policies are FORCEd.
#[tokio::test]
async fn the_server_runs_on_postgres_as_an_owner_that_is_neither_superuser_nor_bypassrls() {
    let admin = sqlx::PgPool::connect(&pg_admin_url()).await.unwrap();
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let (role, db) = (format!("sp_owner_{}", &suffix[20..]), format!("sp_t_{suffix}"));
    sqlx::query(&format!("CREATE ROLE {role} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS")).execute(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {db} OWNER {role}")).execute(&admin).await.unwrap();
    let url = pg_url(&db).replacen("postgres@", &format!("{role}@"), 1);
    {
        let app = TestApp::spawn_at(url.clone()).await;
        let ann = app.signup("ann").await;
        assert_eq!(app.login(&ann.email, PASSWORD).await.status(), 200);
        let (key, _) = app.api_key(&ann, &["read"]).await;
        assert_eq!(app.get("/api/v1/members", &key).await.status(), 200);
        let refreshed = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": ann.refresh })).await;
        assert_eq!(refreshed.status(), 200);
        app.post("/api/v1/members", Some(&ann.access), json!({ "email": "bob@ann.test", "role": "member" })).await;
        // The email job is claimed across tenants as stackpro_system (by this
        // drain or by the server's own worker, whichever comes first).
        app.drain_jobs().await;
        let mut sent = 0;
        for _ in 0..100 {
            sent = stackpro_store::jobs::list(&app.db, Some("succeeded"), 10).await.unwrap().len();
            if sent == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(sent, 1, "the invitation email job ran");
        let v: Value = app.get("/api/v1/audit/verify", &ann.access).await.json().await.unwrap();
        assert_eq!(v["ok"], true);

        let owner = sqlx::PgPool::connect(&url).await.unwrap();
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&owner).await.unwrap();
        assert_eq!(seen, 0, "the owning role must not see tenant rows");
        owner.close().await;
        app.db.close().await;
    }
    sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)")).execute(&admin).await.unwrap();
    sqlx::query(&format!("DROP ROLE {role}")).execute(&admin).await.unwrap();
}
