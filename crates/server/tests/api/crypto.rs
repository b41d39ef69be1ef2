use crate::helpers::*;
use rstest::rstest;
use serde_json::json;
use stackpro_core::ids::TenantId;
use std::str::from_utf8;

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn deleting_a_tenant_destroys_its_key_rows_and_blobs_and_spares_others(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let (a, b): (TenantId, TenantId) = (alice.tenant_id.parse().unwrap(), bob.tenant_id.parse().unwrap());

    let mut tx = app.db.tenant_tx_for(a).await.unwrap();
    let sealed = app.security.encrypt(&mut tx, b"alice's secret recipe", "doc:1").await.unwrap();
    tx.commit().await.unwrap();
    assert!(!sealed.windows(6).any(|w| w == b"secret"), "ciphertext must not contain the plaintext");
    app.blobs.put(a, "docs/recipe", sealed.clone().into()).await.unwrap();
    app.blobs.put(b, "docs/other", b"bob".to_vec().into()).await.unwrap();

    let out = app.cli(&["tenant", "delete", &alice.tenant_slug]).await;
    assert_eq!(out.status.code(), Some(2), "deletion needs --yes");
    let out = app.cli(&["tenant", "delete", &alice.tenant_slug, "--yes"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let mut tx = app.db.tenant_tx_for(a).await.unwrap();
    let err = app.security.decrypt(&mut tx, &sealed, "doc:1").await.unwrap_err();
    assert!(err.to_string().contains("data key"), "{err}");
    drop(tx);
    assert_eq!(app.blobs.get(a, "docs/recipe").await.unwrap(), None);
    assert_eq!(app.blobs.get(b, "docs/other").await.unwrap().as_deref().map(|b| from_utf8(b).unwrap()), Some("bob"));
    assert_eq!(count_rows(&app, "tenants").await, 1);
    assert_eq!(count_rows(&app, "tenant_keys").await, 1);
    assert_eq!(count_rows(&app, "users").await, 1);
    assert_eq!(app.login(&alice.email, PASSWORD).await.status(), 401);
    assert_eq!(app.get("/api/v1/me", &bob.access).await.status(), 200);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn rotating_the_master_key_rewraps_data_keys_and_keeps_data_readable(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.signup("alice").await;
    let a: TenantId = alice.tenant_id.parse().unwrap();
    let mut tx = app.db.tenant_tx_for(a).await.unwrap();
    let sealed = app.security.encrypt(&mut tx, b"kept across rotation", "doc:2").await.unwrap();
    tx.commit().await.unwrap();
    let key_before = std::fs::read(app.data_dir.path().join("master.key")).unwrap();

    let out = app.cli(&["keys", "rotate-master"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 tenant data keys re-wrapped"));
    assert_ne!(std::fs::read(app.data_dir.path().join("master.key")).unwrap(), key_before);
    assert!(!app.data_dir.path().join("master.key.previous").exists());

    // The running server reloads the key file when it meets the new key id.
    let mut tx = app.db.tenant_tx_for(a).await.unwrap();
    assert_eq!(app.security.decrypt(&mut tx, &sealed, "doc:2").await.unwrap(), b"kept across rotation");
    drop(tx);
    let audit: serde_json::Value = app.get("/api/v1/audit", &alice.access).await.json().await.unwrap();
    assert_eq!(audit["items"][0]["action"], "keys.master_rotated");
    let v: serde_json::Value = app.get("/api/v1/audit/verify", &alice.access).await.json().await.unwrap();
    assert_eq!(v["ok"], json!(true));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn ciphertext_of_one_tenant_does_not_open_with_another_tenants_key(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = (app.signup("alice").await, app.signup("bob").await);
    let mut tx = app.db.tenant_tx_for(alice.tenant_id.parse().unwrap()).await.unwrap();
    let sealed = app.security.encrypt(&mut tx, b"only alice", "doc:3").await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.db.tenant_tx_for(bob.tenant_id.parse().unwrap()).await.unwrap();
    assert!(app.security.decrypt(&mut tx, &sealed, "doc:3").await.is_err());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_rotation_interrupted_after_writing_the_new_key_is_finished_by_running_it_again(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.signup("alice").await;
    let a: TenantId = alice.tenant_id.parse().unwrap();
    let mut tx = app.db.tenant_tx_for(a).await.unwrap();
    let sealed = app.security.encrypt(&mut tx, b"survives a crash", "doc:4").await.unwrap();
    tx.commit().await.unwrap();

    // The crash: the old key moved aside and a new one written, nothing re-wrapped.
    let key = app.data_dir.path().join("master.key");
    std::fs::copy(&key, app.data_dir.path().join("master.key.previous")).unwrap();
    std::fs::write(&key, "q2dJ4UOQrmsHN3jbJ1nQ3GTM4YmYWBaLR7oRFdMLlbc").unwrap();

    let out = app.cli(&["keys", "rotate-master"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!app.data_dir.path().join("master.key.previous").exists());
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "q2dJ4UOQrmsHN3jbJ1nQ3GTM4YmYWBaLR7oRFdMLlbc");
    let mut tx = app.db.tenant_tx_for(a).await.unwrap();
    assert_eq!(app.security.decrypt(&mut tx, &sealed, "doc:4").await.unwrap(), b"survives a crash");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_tenant_created_by_a_running_server_after_rotation_uses_the_new_key(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.signup("alice").await;
    let out = app.cli(&["keys", "rotate-master"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bob = app.signup("bob").await;
    let mut tx = app.db.system_read().await.unwrap();
    let ids: Vec<String> =
        stackpro_store::on_db!(tx, |c| sqlx::query_scalar("SELECT DISTINCT kek_id FROM tenant_keys")
            .fetch_all(c)
            .await)
        .unwrap();
    drop(tx);
    assert_eq!(ids.len(), 1, "every data key is wrapped by the one current key: {ids:?}");
    let mut tx = app.db.tenant_tx_for(bob.tenant_id.parse().unwrap()).await.unwrap();
    let sealed = app.security.encrypt(&mut tx, b"new tenant", "doc:5").await.unwrap();
    assert_eq!(app.security.decrypt(&mut tx, &sealed, "doc:5").await.unwrap(), b"new tenant");
}
