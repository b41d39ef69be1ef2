//! Blob storage: a local directory in the embedded default, any S3-compatible
//! store when scaled out, both through the `object_store` crate. Every key is
//! placed under its tenant's prefix, so deleting a tenant removes its blobs
//! with one prefix walk.

use crate::error::StoreError;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload};
use secrecy::ExposeSecret;
use stackpro_core::config::BlobConfig;
use stackpro_core::ids::TenantId;
use std::sync::Arc;

/// A tenant-partitioned blob store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl BlobStore {
    /// Opens the configured store, creating a local directory when missing.
    ///
    /// # Errors
    /// When the directory cannot be created or the S3 settings are incomplete.
    pub fn open(cfg: &BlobConfig) -> Result<BlobStore, StoreError> {
        let inner: Arc<dyn ObjectStore> = match cfg {
            BlobConfig::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Blob(object_store::Error::Generic { store: "local", source: Box::new(e) })
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(dir)?)
            }
            BlobConfig::S3 { bucket, endpoint, region, access_key_id, secret_access_key } => {
                // Deadlines: 5 s to connect and 30 s per request (the
                // library's defaults), and retries of a failing store end
                // after 10 s instead of the default 3 minutes.
                let retry = object_store::RetryConfig {
                    max_retries: 3,
                    retry_timeout: std::time::Duration::from_secs(10),
                    ..Default::default()
                };
                let mut b = AmazonS3Builder::new().with_bucket_name(bucket).with_region(region).with_retry(retry);
                if let Some(ep) = endpoint {
                    b = b
                        .with_endpoint(ep)
                        .with_allow_http(ep.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(id) = access_key_id {
                    b = b.with_access_key_id(id);
                }
                if let Some(secret) = secret_access_key {
                    b = b.with_secret_access_key(secret.expose_secret());
                }
                Arc::new(b.build()?)
            }
        };
        Ok(BlobStore { inner })
    }

    fn path(tenant: TenantId, key: &str) -> ObjPath {
        ObjPath::from(format!("tenants/{tenant}/{key}"))
    }

    /// Stores `bytes` under the tenant's `key`, replacing any previous value.
    ///
    /// # Errors
    /// The store's error.
    pub async fn put(&self, tenant: TenantId, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.inner.put(&Self::path(tenant, key), PutPayload::from(bytes)).await?;
        Ok(())
    }

    /// Reads the tenant's `key`, or `None` when it does not exist.
    ///
    /// # Errors
    /// The store's error, other than not-found.
    pub async fn get(&self, tenant: TenantId, key: &str) -> Result<Option<Bytes>, StoreError> {
        match self.inner.get(&Self::path(tenant, key)).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the tenant's `key`; deleting a missing key is not an error.
    ///
    /// # Errors
    /// The store's error.
    pub async fn delete(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        match self.inner.delete(&Self::path(tenant, key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every blob of a tenant; returns how many were removed.
    ///
    /// # Errors
    /// The store's error.
    pub async fn delete_tenant(&self, tenant: TenantId) -> Result<usize, StoreError> {
        let prefix = ObjPath::from(format!("tenants/{tenant}"));
        let metas: Vec<_> = self.inner.list(Some(&prefix)).try_collect().await?;
        for meta in &metas {
            match self.inner.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(metas.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tenants_blobs_are_gone_after_delete_tenant_and_others_remain() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&BlobConfig::Local(dir.path().to_owned())).unwrap();
        let (a, b) = (TenantId::new(), TenantId::new());
        store.put(a, "docs/one.txt", Bytes::from_static(b"1")).await.unwrap();
        store.put(a, "docs/two.txt", Bytes::from_static(b"2")).await.unwrap();
        store.put(b, "docs/one.txt", Bytes::from_static(b"b")).await.unwrap();
        assert_eq!(store.delete_tenant(a).await.unwrap(), 2);
        assert_eq!(store.get(a, "docs/one.txt").await.unwrap(), None);
        assert_eq!(store.get(b, "docs/one.txt").await.unwrap().as_deref(), Some(&b"b"[..]));
    }
}
