//! Search: this replica's index of a tenant is brought to the tenant's
//! knowledge-base generation (read in the query's own transaction, so a
//! change committed on any replica is seen by the next query everywhere),
//! then asked with the reader's rights.

use super::Assistant;
use crate::error::Error;
use crate::index::{vector_from_bytes, DocEntry, Stored, TenantIndex, Update};
use crate::model::{Hit, Mode, SearchRequest, SearchResults, MAX_QUESTION};
use crate::store::{self, ChunkRow};
use stackpro_core::access::Reader;
use stackpro_core::ids::TenantId;
use stackpro_core::TenantCtx;
use stackpro_security::crypto::{DataKey, Keyring};
use std::collections::HashMap;
use std::sync::Arc;

/// Opens a sealed passage: its heading and text.
///
/// # Errors
/// When it was altered or the key is wrong.
pub(crate) fn open_chunk(keys: &Keyring, key: &DataKey, c: &ChunkRow) -> Result<(Option<String>, String), Error> {
    let plain = keys.decrypt(key, &c.sealed, format!("kb-passage:{}", c.id).as_bytes())?;
    let v: serde_json::Value = serde_json::from_slice(&plain)
        .map_err(|e| Error::Store(stackpro_store::StoreError::Corrupt(format!("passage {}: {e}", c.id))))?;
    Ok((v["h"].as_str().map(str::to_owned), v["t"].as_str().unwrap_or_default().to_owned()))
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Store(stackpro_store::StoreError::Corrupt(e.to_string()))
}

/// A question or query, checked: 1 to 2000 characters, no control characters.
pub(crate) fn check_query(q: &str, field: &'static str) -> Result<String, Error> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > MAX_QUESTION {
        return Err(Error::Invalid(field, format!("Ask in 1 to {MAX_QUESTION} characters.")));
    }
    if q.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::Invalid(field, "The text holds control characters.".into()));
    }
    Ok(q.to_owned())
}

impl Assistant {
    /// The tenant's index on this replica, current with the database.
    pub(crate) async fn index_for(&self, tenant: TenantId) -> Result<Arc<TenantIndex>, Error> {
        let idx = self.0.indexes.get(tenant).map_err(internal)?;
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let generation = store::generation(&mut tx).await?;
        tx.commit().await?;
        if idx.generation() >= generation {
            return Ok(idx);
        }
        // One load per replica; the others wait without holding a connection.
        let gate = idx.clone();
        let _one = gate.refresh.lock().await;
        if idx.generation() >= generation {
            return Ok(idx);
        }
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let generation = store::generation(&mut tx).await?;
        let docs = store::documents(&mut tx).await?;
        let mut shares = store::shares(&mut tx).await?;
        let meta: HashMap<_, _> = docs
            .iter()
            .filter(|d| d.indexed > 0)
            .map(|d| (d.id, (d.title.clone(), d.visibility, shares.remove(&d.id).unwrap_or_default(), d.indexed)))
            .collect();
        let stale = idx.stale(&meta);
        let mut sealed = Vec::with_capacity(stale.len());
        for id in stale {
            sealed.push((id, store::chunks(&mut tx, id).await?));
        }
        let key = self.0.security.data_key(&mut tx).await?;
        tx.commit().await?;
        let security = self.0.security.clone();
        let model = self.embedder_model();
        let dim = self.0.config.embedder.as_ref().map(|e| e.dim());
        let idx2 = idx.clone();
        tokio::task::spawn_blocking(move || {
            let keys = security.keys();
            let mut loaded = HashMap::new();
            for (id, rows) in sealed {
                let Some((title, visibility, shared_with, indexed)) = meta.get(&id).cloned() else { continue };
                let mut passages = Vec::with_capacity(rows.len());
                let mut vectors = Vec::new();
                let mut all_vectors = model.is_some();
                for r in &rows {
                    let (heading, text) = open_chunk(keys, &key, r)?;
                    passages.push(Stored { id: r.id, page: r.page.and_then(|p| u32::try_from(p).ok()), heading, text });
                    match (&r.vector, &r.model, &model, dim) {
                        (Some(v), Some(m), Some(cur), Some(d)) if m == cur && all_vectors => {
                            let plain = keys.decrypt(&key, v, format!("kb-vector:{}", r.id).as_bytes())?;
                            let v = vector_from_bytes(&plain);
                            if v.len() == d {
                                vectors.extend(v);
                            } else {
                                all_vectors = false;
                            }
                        }
                        _ => all_vectors = false,
                    }
                }
                if !all_vectors {
                    vectors.clear();
                }
                loaded.insert(id, DocEntry { title, visibility, shared_with, indexed, passages, vectors });
            }
            idx2.apply(Update { generation, meta, loaded }).map_err(internal)
        })
        .await
        .map_err(internal)??;
        Ok(idx)
    }

    /// The passages best answering `query` that `reader` may read.
    pub(crate) async fn retrieve(
        &self,
        tenant: TenantId,
        reader: &Reader,
        query: &str,
        mode: Mode,
        limit: usize,
    ) -> Result<Vec<Hit>, Error> {
        let idx = self.index_for(tenant).await?;
        let qvec = match (&self.0.config.embedder, mode) {
            (Some(e), Mode::Hybrid | Mode::Vector) => match e.embed(&[query.to_owned()]).await {
                Ok(mut v) => v.pop(),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot embed a query: searching by keywords only");
                    None
                }
            },
            _ => None,
        };
        Ok(idx.search(reader, query, qvec.as_deref(), mode, limit))
    }

    /// Searches the knowledge base as the caller.
    ///
    /// # Errors
    /// `invalid_field` for an empty or long query.
    pub async fn search(&self, ctx: &TenantCtx, req: SearchRequest) -> Result<SearchResults, Error> {
        let query = check_query(&req.query, "/query")?;
        let limit = req.limit.unwrap_or(5);
        if !(1..=20).contains(&limit) {
            return Err(Error::Invalid("/limit", "Ask for 1 to 20 passages.".into()));
        }
        let limit = usize::try_from(limit).unwrap_or(5);
        let items = self.retrieve(ctx.tenant, &Reader::of(ctx), &query, req.mode, limit).await?;
        Ok(SearchResults { items, semantic: self.semantic() })
    }
}
