//! Documents of the knowledge base: upload (sealed with the tenant's key and
//! queued for ingestion), re-upload, list, change, delete, and opening a
//! passage a citation points at. Every read asks the one permission rule.

use super::Assistant;
use crate::error::Error;
use crate::extract::{self, Kind};
use crate::model::{Document, DocumentId, DocumentPatch, Passage, PassageId, Status, MAX_DOCUMENT_BYTES};
use crate::store::{self, DocRow};
use serde_json::json;
use sha2::Digest;
use stackpro_core::access::{Reader, Visibility};
use stackpro_core::ids::UserId;
use stackpro_core::{Meter, Principal, TenantCtx};
use stackpro_store::jobs::{self, NewJob};
use stackpro_store::TenantTx;
use std::collections::HashMap;

/// An uploaded file.
#[derive(Debug)]
pub struct Upload {
    /// Its name.
    pub filename: String,
    /// Its bytes.
    pub bytes: bytes::Bytes,
}

/// What an upload asks for besides the file.
#[derive(Debug, Default)]
pub struct UploadOptions {
    /// Title; the file name without its extension by default.
    pub title: Option<String>,
    /// Who may read it; the team by default.
    pub visibility: Option<Visibility>,
    /// Client members it is shared with.
    pub shared_with: Vec<UserId>,
}

/// The ingestion job's kind.
pub const INGEST_JOB: &str = "assistant.ingest";

pub(crate) fn blob_key(id: DocumentId, version: i64) -> String {
    format!("kb/{id}/{version}")
}

pub(crate) fn aad(id: DocumentId, version: i64) -> String {
    format!("kb-document:{id}:{version}")
}

impl Assistant {
    /// The document as the API shows it.
    fn view(row: DocRow, shares: &HashMap<DocumentId, Vec<UserId>>) -> Document {
        Document {
            id: row.id,
            title: row.title,
            filename: row.filename,
            kind: row.kind,
            bytes: row.bytes,
            visibility: row.visibility,
            shared_with: shares.get(&row.id).cloned().unwrap_or_default(),
            status: row.status,
            progress: row.progress,
            stage: row.stage,
            error: row.error,
            pages: row.pages,
            chunks: row.chunks,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }

    /// The row of a document the caller may read, or `document_not_found`.
    async fn readable(
        tx: &mut TenantTx,
        reader: &Reader,
        id: DocumentId,
        lock: bool,
    ) -> Result<(DocRow, Vec<UserId>), Error> {
        let row = store::document(tx, id, lock).await?.ok_or_else(|| Error::DocumentNotFound(id.to_string()))?;
        let shares = store::shares(tx).await?.remove(&id).unwrap_or_default();
        if !reader.may_read(row.visibility, &shares) {
            return Err(Error::DocumentNotFound(id.to_string()));
        }
        Ok((row, shares))
    }

    fn check_file(upload: &Upload) -> Result<Kind, Error> {
        if upload.bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::TooLarge(format!(
                "This file is {:.1} MB; documents may be up to {} MB.",
                upload.bytes.len() as f64 / 1_048_576.0,
                MAX_DOCUMENT_BYTES >> 20
            )));
        }
        extract::sniff(&upload.bytes, &upload.filename).map_err(|e| Error::Refused(e.detail))
    }

    /// The file's own name (a path's last part); "document" when none.
    fn check_filename(name: &str) -> Result<String, Error> {
        if name.chars().count() > 255 || name.chars().any(char::is_control) {
            return Err(Error::Invalid("/name", "Give the file a name of 1 to 255 printable characters.".into()));
        }
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
        Ok(if base.is_empty() { "document".to_owned() } else { base.to_owned() })
    }

    fn check_title(title: &str) -> Result<String, Error> {
        let t = extract::collapse(title);
        if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
            return Err(Error::Invalid("/title", "A title has 1 to 200 printable characters.".into()));
        }
        Ok(t)
    }

    /// Checks that `users` are members of the workspace: client members
    /// for a document shared with clients, anyone for a `named` one.
    async fn check_shares(tx: &mut TenantTx, users: &[UserId], visibility: Visibility) -> Result<Vec<UserId>, Error> {
        if users.len() > 100 {
            return Err(Error::Invalid("/shared_with", "Share with at most 100 people.".into()));
        }
        let clients = store::client_members(tx).await?;
        let members = store::members(tx).await?;
        let mut out = Vec::new();
        for u in users {
            if !members.contains(u) {
                return Err(Error::MemberNotFound(u.to_string()));
            }
            if visibility != Visibility::Named && !clients.contains(u) {
                return Err(Error::Invalid(
                    "/shared_with",
                    format!("{u} is not a client member of this workspace; share with client members only."),
                ));
            }
            if !out.contains(u) {
                out.push(*u);
            }
        }
        Ok(out)
    }

    /// Stores an uploaded document, sealed, and queues its ingestion.
    ///
    /// # Errors
    /// `document_refused` for a file of another kind, `payload_too_large`,
    /// `plan_limit_reached` when storage is full, `invalid_field`.
    pub async fn upload(
        &self,
        ctx: &TenantCtx,
        ip: Option<std::net::IpAddr>,
        upload: Upload,
        opts: UploadOptions,
    ) -> Result<Document, Error> {
        Self::may_edit(ctx)?;
        let filename = Self::check_filename(&upload.filename)?;
        let kind = Self::check_file(&upload)?;
        let title = match &opts.title {
            Some(t) => Self::check_title(t)?,
            None => Self::check_title(filename.rsplit_once('.').map_or(filename.as_str(), |(stem, _)| stem))
                .unwrap_or_else(|_| "Untitled".into()),
        };
        let visibility = opts.visibility.unwrap_or(Visibility::Team);
        // Members add documents for the team and its clients; what the
        // website's visitors read, and what only admins read, admins decide.
        if matches!(visibility, Visibility::Admins | Visibility::Public)
            && !ctx.role.at_least(stackpro_core::Role::Admin)
        {
            return Err(Error::Forbidden("Only admins may add admins-only or public documents."));
        }
        let id = DocumentId::new();
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let shared = Self::check_shares(&mut tx, &opts.shared_with, visibility).await?;
        let sealed = self.0.security.encrypt(&mut tx, &upload.bytes, &aad(id, 1)).await?;
        let row = DocRow {
            id,
            title,
            filename,
            kind,
            bytes: upload.bytes.len() as i64,
            sha256: hex::encode(sha2::Sha256::digest(&upload.bytes)),
            visibility,
            status: Status::Queued,
            progress: 0,
            stage: "Waiting for a worker".into(),
            error: None,
            pages: None,
            chunks: 0,
            version: 1,
            indexed: 0,
            blob_key: blob_key(id, 1),
            created_by: match ctx.principal {
                Principal::User(u) => Some(u),
                Principal::ApiKey(_) => None,
            },
            created_at: now,
            updated_at: now,
        };
        store::insert_document(&mut tx, &row).await?;
        store::set_shares(&mut tx, id, &shared).await?;
        let bytes = stackpro_store::usage::stored_bytes(&mut tx).await?;
        self.0.metering.set_level(&mut tx, ctx.tenant, Meter::StorageBytes, bytes, &format!("kb-upload:{id}")).await?;
        jobs::enqueue(&mut tx, NewJob::new(INGEST_JOB, json!({ "document": id, "version": 1 }), now), now).await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, ip),
                "document.uploaded",
                Some(id.to_string()),
                json!({ "title": row.title, "kind": kind.as_str(), "bytes": row.bytes, "visibility": visibility }),
            )
            .await?;
        // The blob first: a crash before the commit leaves an orphan file,
        // never a row without its file.
        self.0.blobs.put(ctx.tenant, &row.blob_key, sealed.into()).await?;
        tx.commit().await?;
        let mut shares = HashMap::new();
        shares.insert(id, shared);
        Ok(Self::view(row, &shares))
    }

    /// Replaces a document's file: a new version is ingested while the old
    /// passages stay searchable, and replaced when it is ready.
    ///
    /// # Errors
    /// As [`Assistant::upload`], and `document_not_found`.
    pub async fn reupload(
        &self,
        ctx: &TenantCtx,
        ip: Option<std::net::IpAddr>,
        id: DocumentId,
        upload: Upload,
    ) -> Result<Document, Error> {
        Self::may_edit(ctx)?;
        let filename = Self::check_filename(&upload.filename)?;
        let kind = Self::check_file(&upload)?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (old, _) = Self::readable(&mut tx, &Reader::of(ctx), id, true).await?;
        let version = old.version + 1;
        let key = blob_key(id, version);
        let sealed = self.0.security.encrypt(&mut tx, &upload.bytes, &aad(id, version)).await?;
        let sha = hex::encode(sha2::Sha256::digest(&upload.bytes));
        let v = store::replace_file(&mut tx, id, &filename, kind, upload.bytes.len() as i64, &sha, &key, now).await?;
        let bytes = stackpro_store::usage::stored_bytes(&mut tx).await?;
        self.0
            .metering
            .set_level(&mut tx, ctx.tenant, Meter::StorageBytes, bytes, &format!("kb-upload:{id}:{v}"))
            .await?;
        jobs::enqueue(&mut tx, NewJob::new(INGEST_JOB, json!({ "document": id, "version": v }), now), now).await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, ip),
                "document.replaced",
                Some(id.to_string()),
                json!({ "version": v, "kind": kind.as_str(), "bytes": upload.bytes.len() }),
            )
            .await?;
        self.0.blobs.put(ctx.tenant, &key, sealed.into()).await?;
        tx.commit().await?;
        if let Err(e) = self.0.blobs.delete(ctx.tenant, &old.blob_key).await {
            tracing::warn!(error = %e, "cannot delete a replaced document's file");
        }
        self.document(ctx, id).await
    }

    /// The documents the caller may read, newest first.
    ///
    /// # Errors
    /// The database's error.
    pub async fn documents(&self, ctx: &TenantCtx) -> Result<Vec<Document>, Error> {
        let reader = Reader::of(ctx);
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let rows = store::documents(&mut tx).await?;
        let shares = store::shares(&mut tx).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .filter(|r| reader.may_read(r.visibility, shares.get(&r.id).map_or(&[][..], Vec::as_slice)))
            .map(|r| Self::view(r, &shares))
            .collect())
    }

    /// One document the caller may read.
    ///
    /// # Errors
    /// `document_not_found`.
    pub async fn document(&self, ctx: &TenantCtx, id: DocumentId) -> Result<Document, Error> {
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let (row, shares) = Self::readable(&mut tx, &Reader::of(ctx), id, false).await?;
        tx.commit().await?;
        let mut map = HashMap::new();
        map.insert(id, shares);
        Ok(Self::view(row, &map))
    }

    /// Changes a document's title or who may read it.
    ///
    /// # Errors
    /// `document_not_found`, `invalid_field`, `forbidden`.
    pub async fn patch(
        &self,
        ctx: &TenantCtx,
        ip: Option<std::net::IpAddr>,
        id: DocumentId,
        patch: DocumentPatch,
    ) -> Result<Document, Error> {
        Self::may_edit(ctx)?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (row, shares) = Self::readable(&mut tx, &Reader::of(ctx), id, true).await?;
        let title = match &patch.title {
            Some(t) => Self::check_title(t)?,
            None => row.title.clone(),
        };
        let visibility = patch.visibility.unwrap_or(row.visibility);
        let shared = match &patch.shared_with {
            Some(users) => Self::check_shares(&mut tx, users, visibility).await?,
            None => shares.clone(),
        };
        // Members may narrow who reads a document, never widen it: opening
        // it to more people (or making it admins-only) is for admins.
        let wider = visibility.reach() > row.visibility.reach()
            || (matches!(visibility, Visibility::Clients | Visibility::Named)
                && shared.iter().any(|u| !shares.contains(u)));
        let admins_only = (visibility == Visibility::Admins) != (row.visibility == Visibility::Admins);
        if (wider || admins_only) && !ctx.role.at_least(stackpro_core::Role::Admin) {
            return Err(Error::Forbidden(
                "Only admins may open a document to more people, or make it admins-only; members may narrow it.",
            ));
        }
        store::update_meta(&mut tx, id, &title, visibility, now).await?;
        store::set_shares(&mut tx, id, &shared).await?;
        Self::changed(&mut tx).await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, ip),
                "document.changed",
                Some(id.to_string()),
                json!({ "title": title, "visibility": visibility, "shared_with": shared }),
            )
            .await?;
        tx.commit().await?;
        self.document(ctx, id).await
    }

    /// Deletes a document with every passage and vector.
    ///
    /// # Errors
    /// `document_not_found`, `forbidden`.
    pub async fn delete(&self, ctx: &TenantCtx, ip: Option<std::net::IpAddr>, id: DocumentId) -> Result<(), Error> {
        Self::may_edit(ctx)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (row, _) = Self::readable(&mut tx, &Reader::of(ctx), id, true).await?;
        store::delete_document(&mut tx, id).await?;
        Self::changed(&mut tx).await?;
        let bytes = stackpro_store::usage::stored_bytes(&mut tx).await?;
        self.0.metering.set_level(&mut tx, ctx.tenant, Meter::StorageBytes, bytes, &format!("kb-delete:{id}")).await?;
        self.0
            .security
            .audit(
                &mut tx,
                &Self::actor(ctx, ip),
                "document.deleted",
                Some(id.to_string()),
                json!({ "title": row.title }),
            )
            .await?;
        tx.commit().await?;
        if let Err(e) = self.0.blobs.delete(ctx.tenant, &row.blob_key).await {
            tracing::warn!(error = %e, "cannot delete a deleted document's file");
        }
        Ok(())
    }

    /// A passage the caller may read (a citation's source).
    ///
    /// # Errors
    /// `passage_not_found`.
    pub async fn passage(&self, ctx: &TenantCtx, id: PassageId) -> Result<Passage, Error> {
        let reader = Reader::of(ctx);
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let not_found = || Error::PassageNotFound(id.to_string());
        let chunk = store::chunk(&mut tx, id).await?.ok_or_else(not_found)?;
        let (row, _) = Self::readable(&mut tx, &reader, chunk.document_id, false).await.map_err(|_| not_found())?;
        let key = self.0.security.data_key(&mut tx).await?;
        tx.commit().await?;
        let (heading, text) = super::search::open_chunk(self.0.security.keys(), &key, &chunk)?;
        Ok(Passage {
            id,
            document_id: row.id,
            document_title: row.title,
            page: chunk.page.and_then(|p| u32::try_from(p).ok()),
            heading,
            text,
        })
    }
}
