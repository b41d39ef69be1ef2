//! Ingestion, a background job per upload: open the sealed file, parse it in
//! the sandbox, cut it into passages, ask billing for the pages, embed the
//! passages with progress, then store them sealed and mark the document
//! ready, in one transaction that first checks no newer upload replaced the
//! version it read. A file that cannot be read fails its document with a
//! reason and stores nothing.

use super::Assistant;
use crate::chunk::{self, Chunk};
use crate::extract::Unreadable;
use crate::index::vector_to_bytes;
use crate::model::{DocumentError, DocumentId, PassageId, Status};
use crate::store::{self, ChunkRow};
use serde_json::json;
use stackpro_core::ids::TenantId;
use stackpro_core::metering::MeteringError;
use stackpro_core::Meter;
use stackpro_store::jobs::{Job, JobError, JobHandler};

/// Characters that count as one page of a format without pages.
pub const CHARS_PER_PAGE: usize = 3_000;
/// Passages embedded per progress step.
const BATCH: usize = 32;

/// The handler of [`super::documents::INGEST_JOB`].
#[derive(Clone, Debug)]
pub struct IngestJob(pub(crate) Assistant);

#[async_trait::async_trait]
impl JobHandler for IngestJob {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let tenant = job.tenant_id.ok_or_else(|| JobError::Fail("an ingestion job without a tenant".into()))?;
        let p: serde_json::Value =
            serde_json::from_str(&job.payload).map_err(|e| JobError::Fail(format!("payload: {e}")))?;
        let id: DocumentId = p["document"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| JobError::Fail("payload lacks the document".into()))?;
        let version = p["version"].as_i64().ok_or_else(|| JobError::Fail("payload lacks the version".into()))?;
        self.0.ingest(tenant, id, version).await
    }

    fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(30 * 60)
    }
}

impl Assistant {
    /// The job handler.
    pub fn ingest_job(&self) -> IngestJob {
        IngestJob(self.clone())
    }

    async fn progress(
        &self,
        tenant: TenantId,
        id: DocumentId,
        version: i64,
        status: Status,
        progress: i64,
        stage: &str,
    ) -> Result<bool, JobError> {
        let retry = |e: &dyn std::fmt::Display| JobError::Retry(e.to_string());
        let mut tx = self.0.db.tenant_tx_for(tenant).await.map_err(|e| retry(&e))?;
        let current = store::set_progress(&mut tx, id, version, status, progress, stage, self.now())
            .await
            .map_err(|e| retry(&e))?;
        tx.commit().await.map_err(|e| retry(&e))?;
        Ok(current)
    }

    async fn fail(&self, tenant: TenantId, id: DocumentId, version: i64, why: Unreadable) -> Result<(), JobError> {
        let retry = |e: &dyn std::fmt::Display| JobError::Retry(e.to_string());
        tracing::info!(document = %id, code = %why.code, "a document could not be read");
        let mut tx = self.0.db.tenant_tx_for(tenant).await.map_err(|e| retry(&e))?;
        let error = DocumentError { code: why.code, detail: why.detail };
        store::set_failed(&mut tx, id, version, &error, self.now()).await.map_err(|e| retry(&e))?;
        tx.commit().await.map_err(|e| retry(&e))?;
        Ok(())
    }

    /// Ingests `version` of a document; nothing when a newer upload replaced
    /// it or it was deleted.
    ///
    /// # Errors
    /// `Retry` when storage fails (the job runs again).
    pub async fn ingest(&self, tenant: TenantId, id: DocumentId, version: i64) -> Result<(), JobError> {
        let retry = |e: &dyn std::fmt::Display| JobError::Retry(e.to_string());
        let mut tx = self.0.db.tenant_tx_for(tenant).await.map_err(|e| retry(&e))?;
        let Some(row) = store::document(&mut tx, id, false).await.map_err(|e| retry(&e))? else {
            return Ok(());
        };
        // A newer upload replaced it, or this version is already stored (a
        // retried job whose first run committed).
        if row.version != version || row.indexed == version {
            return Ok(());
        }
        let plan = store::plan(&mut tx).await.map_err(|e| retry(&e))?;
        tx.commit().await.map_err(|e| retry(&e))?;
        if !self.progress(tenant, id, version, Status::Parsing, 5, "Reading the file").await? {
            return Ok(());
        }
        let Some(sealed) = self.0.blobs.get(tenant, &row.blob_key).await.map_err(|e| retry(&e))? else {
            return self
                .fail(
                    tenant,
                    id,
                    version,
                    Unreadable::new("corrupt_file", "The stored file is missing; upload it again."),
                )
                .await;
        };
        let mut tx = self.0.db.tenant_tx_for(tenant).await.map_err(|e| retry(&e))?;
        let plain = self
            .0
            .security
            .decrypt(&mut tx, &sealed, &super::documents::aad(id, version))
            .await
            .map_err(|e| retry(&e))?;
        tx.commit().await.map_err(|e| retry(&e))?;
        let extracted = match self.0.config.sandbox.parse(row.kind, plain.into()).await {
            Ok(x) => x,
            Err(why) => return self.fail(tenant, id, version, why).await,
        };
        let chunks = chunk::chunk(&extracted.blocks);
        if chunks.is_empty() {
            return self.fail(tenant, id, version, Unreadable::new("empty", "This document holds no text.")).await;
        }
        let chars: usize = chunks.iter().map(|c| c.text.len()).sum();
        // Pages as the file counts them, but never fewer than its text fills:
        // a one-page file cannot carry a book for the price of a page.
        let by_text = chars.div_ceil(CHARS_PER_PAGE).max(1) as i64;
        let pages = extracted.pages.map_or(by_text, |p| i64::from(p.max(1)).max(by_text));
        // Billing decides before the expensive part.
        let reservation = match self.0.metering.reserve(tenant, &plan, Meter::IngestedPages, pages).await {
            Ok(r) => r,
            Err(MeteringError::Limit(l)) => {
                return self.fail(tenant, id, version, Unreadable::new("limit_reached", l.to_string())).await
            }
            Err(MeteringError::Failed(e)) => return Err(JobError::Retry(e)),
        };
        let pages_word = if extracted.pages.is_some() { "pages" } else { "page-equivalents" };
        let stage = format!("Read {pages} {pages_word}; indexing {} passages", chunks.len());
        if !self.progress(tenant, id, version, Status::Embedding, 20, &stage).await? {
            return Ok(());
        }
        let (vectors, model, note) = self.embed_all(tenant, id, version, &chunks).await?;
        let mut tx = self.0.db.tenant_tx_for(tenant).await.map_err(|e| retry(&e))?;
        let Some(now_row) = store::document(&mut tx, id, true).await.map_err(|e| retry(&e))? else {
            return Ok(());
        };
        if now_row.version != version {
            return Ok(());
        }
        let key = self.0.security.data_key(&mut tx).await.map_err(|e| retry(&e))?;
        let keys = self.0.security.keys();
        let mut rows = Vec::with_capacity(chunks.len());
        for (i, c) in chunks.iter().enumerate() {
            let pid = PassageId::new();
            let body = serde_json::to_vec(&json!({ "h": c.heading, "t": c.text })).map_err(|e| retry(&e))?;
            let sealed = keys.encrypt(&key, &body, format!("kb-passage:{pid}").as_bytes()).map_err(|e| retry(&e))?;
            let vector = match vectors.get(i) {
                Some(v) => Some(
                    keys.encrypt(&key, &vector_to_bytes(v), format!("kb-vector:{pid}").as_bytes())
                        .map_err(|e| retry(&e))?,
                ),
                None => None,
            };
            rows.push(ChunkRow {
                id: pid,
                document_id: id,
                ord: i64::from(c.ord),
                page: c.page.map(i64::from),
                sealed,
                vector,
                model: vector_model(&vectors, &model),
            });
        }
        store::replace_chunks(&mut tx, id, &rows).await.map_err(|e| retry(&e))?;
        store::set_ready(&mut tx, id, version, extracted.pages.map(i64::from), rows.len() as i64, self.now())
            .await
            .map_err(|e| retry(&e))?;
        if let Some(note) = note {
            store::set_progress(&mut tx, id, version, Status::Ready, 100, &note, self.now())
                .await
                .map_err(|e| retry(&e))?;
        }
        self.0
            .metering
            .record(&mut tx, tenant, &plan, Meter::IngestedPages, pages, &format!("ingest:{id}:{version}"))
            .await
            .map_err(|e| retry(&e))?;
        Self::changed(&mut tx).await.map_err(|e| retry(&e))?;
        tx.commit().await.map_err(|e| retry(&e))?;
        reservation.keep();
        tracing::info!(document = %id, pages, passages = rows.len(), "document ingested");
        Ok(())
    }

    /// Embeds every passage in batches, reporting progress; with no
    /// embedder, or when it fails, the passages are stored for keyword
    /// search only and the stage says so.
    async fn embed_all(
        &self,
        tenant: TenantId,
        id: DocumentId,
        version: i64,
        chunks: &[Chunk],
    ) -> Result<(Vec<Vec<f32>>, String, Option<String>), JobError> {
        let Some(embedder) = &self.0.config.embedder else {
            return Ok((Vec::new(), String::new(), Some("Ready (keyword search only: no embedding model)".into())));
        };
        let mut out = Vec::with_capacity(chunks.len());
        let total = chunks.len();
        for (n, batch) in chunks.chunks(BATCH).enumerate() {
            let texts: Vec<String> = batch.iter().map(Chunk::indexed_text).collect();
            match embedder.embed(&texts).await {
                Ok(v) if v.len() == texts.len() => out.extend(v),
                Ok(_) | Err(_) => {
                    tracing::warn!(document = %id, "embedding failed: the document is searchable by keywords only");
                    return Ok((
                        Vec::new(),
                        String::new(),
                        Some("Ready (keyword search only: embedding failed)".into()),
                    ));
                }
            }
            let done = ((n + 1) * BATCH).min(total);
            let pct = 20 + (done * 75 / total.max(1)) as i64;
            let stage = format!("Indexing passage {done} of {total}");
            if !self.progress(tenant, id, version, Status::Embedding, pct, &stage).await? {
                return Err(JobError::Fail("superseded".into()));
            }
        }
        Ok((out, embedder.model().to_owned(), None))
    }
}

fn vector_model(vectors: &[Vec<f32>], model: &str) -> Option<String> {
    if vectors.is_empty() {
        None
    } else {
        Some(model.to_owned())
    }
}
