//! SQL for the assistant, written once for both dialects. Every function
//! takes the tenant's `TenantTx`.

use crate::error::Error;
use crate::extract::Kind;
use crate::model::{ConversationId, DocumentError, DocumentId, MessageId, PassageId, Status};
use chrono::{DateTime, Utc};
use stackpro_core::access::Visibility;
use stackpro_core::ids::UserId;
use stackpro_store::{exec, on_db, TenantTx};
use std::collections::HashMap;

// ---- documents --------------------------------------------------------------

/// A document row.
#[derive(Clone, Debug)]
pub struct DocRow {
    /// Id.
    pub id: DocumentId,
    /// Title.
    pub title: String,
    /// Uploaded name.
    pub filename: String,
    /// Kind.
    pub kind: Kind,
    /// Size.
    pub bytes: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Who may read it.
    pub visibility: Visibility,
    /// Ingestion state.
    pub status: Status,
    /// 0–100.
    pub progress: i64,
    /// In words.
    pub stage: String,
    /// Why it failed.
    pub error: Option<DocumentError>,
    /// Pages.
    pub pages: Option<i64>,
    /// Passages stored.
    pub chunks: i64,
    /// The upload's version.
    pub version: i64,
    /// The version whose passages are stored.
    pub indexed: i64,
    /// Blob key of the sealed file.
    pub blob_key: String,
    /// Uploader.
    pub created_by: Option<UserId>,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

const DOC_COLS: &str = "id, title, filename, kind, bytes, sha256, visibility, status, progress, stage, error_code, \
                        error_detail, pages, chunks, version, indexed, blob_key, created_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct DocRaw {
    id: DocumentId,
    title: String,
    filename: String,
    kind: String,
    bytes: i64,
    sha256: String,
    visibility: String,
    status: String,
    progress: i64,
    stage: String,
    error_code: Option<String>,
    error_detail: Option<String>,
    pages: Option<i64>,
    chunks: i64,
    version: i64,
    indexed: i64,
    blob_key: String,
    created_by: Option<UserId>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<DocRaw> for DocRow {
    fn from(r: DocRaw) -> DocRow {
        DocRow {
            id: r.id,
            title: r.title,
            filename: r.filename,
            kind: Kind::parse(&r.kind).unwrap_or(Kind::Txt),
            bytes: r.bytes,
            sha256: r.sha256,
            // An unknown stored name reads as the narrowest visibility.
            visibility: Visibility::parse(&r.visibility).unwrap_or(Visibility::Admins),
            status: Status::parse(&r.status),
            progress: r.progress,
            stage: r.stage,
            error: r.error_code.map(|code| DocumentError { code, detail: r.error_detail.unwrap_or_default() }),
            pages: r.pages,
            chunks: r.chunks,
            version: r.version,
            indexed: r.indexed,
            blob_key: r.blob_key,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Inserts a new document.
///
/// # Errors
/// The database's error.
pub async fn insert_document(tx: &mut TenantTx, d: &DocRow) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO kb_documents (tenant_id, id, title, filename, kind, bytes, sha256, visibility, \
                       status, progress, stage, version, indexed, blob_key, created_by, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(d.id)
            .bind(&d.title)
            .bind(&d.filename)
            .bind(d.kind.as_str())
            .bind(d.bytes)
            .bind(&d.sha256)
            .bind(d.visibility.as_str())
            .bind(d.status.as_str())
            .bind(d.progress)
            .bind(&d.stage)
            .bind(d.version)
            .bind(d.indexed)
            .bind(&d.blob_key)
            .bind(d.created_by)
            .bind(d.created_at)
    )?;
    Ok(())
}

/// The tenant's documents, newest first.
///
/// # Errors
/// The database's error.
pub async fn documents(tx: &mut TenantTx) -> Result<Vec<DocRow>, Error> {
    let sql = format!("SELECT {DOC_COLS} FROM kb_documents WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC");
    let tenant = tx.tenant_id();
    let rows: Vec<DocRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?;
    Ok(rows.into_iter().map(DocRow::from).collect())
}

/// One document; `lock` holds its row until the transaction ends.
///
/// # Errors
/// The database's error.
pub async fn document(tx: &mut TenantTx, id: DocumentId, lock: bool) -> Result<Option<DocRow>, Error> {
    let lock = if lock && tx.dialect() == stackpro_store::Dialect::Postgres { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {DOC_COLS} FROM kb_documents WHERE tenant_id = $1 AND id = $2{lock}");
    let tenant = tx.tenant_id();
    let row: Option<DocRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?;
    Ok(row.map(DocRow::from))
}

/// A new upload of a document: new file, new version, queued.
///
/// # Errors
/// The database's error.
#[allow(clippy::too_many_arguments)]
pub async fn replace_file(
    tx: &mut TenantTx,
    id: DocumentId,
    filename: &str,
    kind: Kind,
    bytes: i64,
    sha256: &str,
    blob_key: &str,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    const SQL: &str = "UPDATE kb_documents SET filename = $3, kind = $4, bytes = $5, sha256 = $6, blob_key = $7, \
                       version = version + 1, status = 'queued', progress = 0, stage = 'Waiting for a worker', \
                       error_code = NULL, error_detail = NULL, updated_at = $8 \
                       WHERE tenant_id = $1 AND id = $2 RETURNING version";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL)
        .bind(tenant)
        .bind(id)
        .bind(filename)
        .bind(kind.as_str())
        .bind(bytes)
        .bind(sha256)
        .bind(blob_key)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

/// Title and visibility.
///
/// # Errors
/// The database's error.
pub async fn update_meta(
    tx: &mut TenantTx,
    id: DocumentId,
    title: &str,
    visibility: Visibility,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str =
        "UPDATE kb_documents SET title = $3, visibility = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(title).bind(visibility.as_str()).bind(now))?;
    Ok(())
}

/// Progress of the ingestion of `version`; nothing when a newer upload
/// replaced it. Returns whether the row was that version.
///
/// # Errors
/// The database's error.
pub async fn set_progress(
    tx: &mut TenantTx,
    id: DocumentId,
    version: i64,
    status: Status,
    progress: i64,
    stage: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    const SQL: &str = "UPDATE kb_documents SET status = $4, progress = $5, stage = $6, updated_at = $7 \
                       WHERE tenant_id = $1 AND id = $2 AND version = $3";
    let tenant = tx.tenant_id();
    let n = exec!(
        tx,
        sqlx::query(SQL).bind(tenant).bind(id).bind(version).bind(status.as_str()).bind(progress).bind(stage).bind(now)
    )?;
    Ok(n == 1)
}

/// Marks `version` failed with its reason.
///
/// # Errors
/// The database's error.
pub async fn set_failed(
    tx: &mut TenantTx,
    id: DocumentId,
    version: i64,
    error: &DocumentError,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    const SQL: &str = "UPDATE kb_documents SET status = 'failed', progress = 100, stage = 'Could not be read', \
                       error_code = $4, error_detail = $5, updated_at = $6 \
                       WHERE tenant_id = $1 AND id = $2 AND version = $3";
    let tenant = tx.tenant_id();
    let n = exec!(
        tx,
        sqlx::query(SQL).bind(tenant).bind(id).bind(version).bind(&error.code).bind(&error.detail).bind(now)
    )?;
    Ok(n == 1)
}

/// Marks `version` ready with `chunks` passages stored.
///
/// # Errors
/// The database's error.
pub async fn set_ready(
    tx: &mut TenantTx,
    id: DocumentId,
    version: i64,
    pages: Option<i64>,
    chunks: i64,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    const SQL: &str = "UPDATE kb_documents SET status = 'ready', progress = 100, stage = 'Ready', pages = $4, \
                       chunks = $5, indexed = $3, updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND version = $3";
    let tenant = tx.tenant_id();
    let n = exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(version).bind(pages).bind(chunks).bind(now))?;
    Ok(n == 1)
}

/// Deletes a document (its shares and passages go with it).
///
/// # Errors
/// The database's error.
pub async fn delete_document(tx: &mut TenantTx, id: DocumentId) -> Result<bool, Error> {
    const SQL: &str = "DELETE FROM kb_documents WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id))? == 1)
}

/// The client members each document is shared with.
///
/// # Errors
/// The database's error.
pub async fn shares(tx: &mut TenantTx) -> Result<HashMap<DocumentId, Vec<UserId>>, Error> {
    const SQL: &str = "SELECT document_id, user_id FROM kb_document_shares WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    let rows: Vec<(DocumentId, UserId)> = on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).fetch_all(c).await)?;
    let mut out: HashMap<DocumentId, Vec<UserId>> = HashMap::new();
    for (d, u) in rows {
        out.entry(d).or_default().push(u);
    }
    Ok(out)
}

/// Replaces the list of client members a document is shared with.
///
/// # Errors
/// The database's error.
pub async fn set_shares(tx: &mut TenantTx, id: DocumentId, users: &[UserId]) -> Result<(), Error> {
    const DEL: &str = "DELETE FROM kb_document_shares WHERE tenant_id = $1 AND document_id = $2";
    const INS: &str = "INSERT INTO kb_document_shares (tenant_id, document_id, user_id) VALUES ($1, $2, $3)";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(DEL).bind(tenant).bind(id))?;
    for u in users {
        exec!(tx, sqlx::query(INS).bind(tenant).bind(id).bind(*u))?;
    }
    Ok(())
}

/// Which of `users` are client members of the tenant.
///
/// # Errors
/// The database's error.
pub async fn client_members(tx: &mut TenantTx) -> Result<Vec<UserId>, Error> {
    const SQL: &str = "SELECT id FROM users WHERE tenant_id = $1 AND role = 'client'";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_all(c).await)?)
}

/// Every member of the tenant.
///
/// # Errors
/// The database's error.
pub async fn members(tx: &mut TenantTx) -> Result<Vec<UserId>, Error> {
    const SQL: &str = "SELECT id FROM users WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_all(c).await)?)
}

// ---- passages ---------------------------------------------------------------

/// A stored passage, still sealed.
#[derive(Clone, Debug)]
pub struct ChunkRow {
    /// Id.
    pub id: PassageId,
    /// Its document.
    pub document_id: DocumentId,
    /// Its place.
    pub ord: i64,
    /// Its page.
    pub page: Option<i64>,
    /// Heading and text, sealed.
    pub sealed: Vec<u8>,
    /// The vector, sealed, when embedded.
    pub vector: Option<Vec<u8>>,
    /// The embedding model.
    pub model: Option<String>,
}

/// Replaces a document's passages.
///
/// # Errors
/// The database's error.
pub async fn replace_chunks(tx: &mut TenantTx, id: DocumentId, chunks: &[ChunkRow]) -> Result<(), Error> {
    const DEL: &str = "DELETE FROM kb_chunks WHERE tenant_id = $1 AND document_id = $2";
    const INS: &str = "INSERT INTO kb_chunks (tenant_id, id, document_id, ord, page, sealed, vector, model) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(DEL).bind(tenant).bind(id))?;
    for c in chunks {
        exec!(
            tx,
            sqlx::query(INS)
                .bind(tenant)
                .bind(c.id)
                .bind(id)
                .bind(c.ord)
                .bind(c.page)
                .bind(&c.sealed)
                .bind(&c.vector)
                .bind(&c.model)
        )?;
    }
    Ok(())
}

/// A document's passages, in order.
///
/// # Errors
/// The database's error.
pub async fn chunks(tx: &mut TenantTx, id: DocumentId) -> Result<Vec<ChunkRow>, Error> {
    const SQL: &str = "SELECT id, document_id, ord, page, sealed, vector, model FROM kb_chunks \
                       WHERE tenant_id = $1 AND document_id = $2 ORDER BY ord";
    let tenant = tx.tenant_id();
    let rows: Vec<ChunkTuple> = on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(id).fetch_all(c).await)?;
    Ok(rows.into_iter().map(chunk_row).collect())
}

/// One passage.
///
/// # Errors
/// The database's error.
pub async fn chunk(tx: &mut TenantTx, id: PassageId) -> Result<Option<ChunkRow>, Error> {
    const SQL: &str =
        "SELECT id, document_id, ord, page, sealed, vector, model FROM kb_chunks WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    let row: Option<ChunkTuple> = on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(id).fetch_optional(c).await)?;
    Ok(row.map(chunk_row))
}

type ChunkTuple = (PassageId, DocumentId, i64, Option<i64>, Vec<u8>, Option<Vec<u8>>, Option<String>);

fn chunk_row(t: ChunkTuple) -> ChunkRow {
    ChunkRow { id: t.0, document_id: t.1, ord: t.2, page: t.3, sealed: t.4, vector: t.5, model: t.6 }
}

// ---- the knowledge base's generation ---------------------------------------

/// Bumps the tenant's knowledge-base generation; returns the new one.
///
/// # Errors
/// The database's error.
pub async fn bump_generation(tx: &mut TenantTx) -> Result<i64, Error> {
    const SQL: &str = "INSERT INTO kb_state (tenant_id, generation) VALUES ($1, 1) \
                       ON CONFLICT (tenant_id) DO UPDATE SET generation = kb_state.generation + 1 \
                       RETURNING generation";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_one(c).await)?)
}

/// The tenant's knowledge-base generation (0 before any document).
///
/// # Errors
/// The database's error.
pub async fn generation(tx: &mut TenantTx) -> Result<i64, Error> {
    const SQL: &str = "SELECT generation FROM kb_state WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    let g: Option<i64> = on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).fetch_optional(c).await)?;
    Ok(g.unwrap_or(0))
}

// ---- settings ---------------------------------------------------------------

/// The settings JSON and the sealed provider secret.
///
/// # Errors
/// The database's error.
pub async fn settings(tx: &mut TenantTx) -> Result<Option<(String, Option<Vec<u8>>)>, Error> {
    const SQL: &str = "SELECT settings, llm_secret FROM assistant_settings WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).fetch_optional(c).await)?)
}

/// Stores the settings and the sealed secret.
///
/// # Errors
/// The database's error.
pub async fn put_settings(
    tx: &mut TenantTx,
    settings: &str,
    secret: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO assistant_settings (tenant_id, settings, llm_secret, updated_at) \
                       VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE \
                       SET settings = $2, llm_secret = $3, updated_at = $4";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(settings).bind(secret).bind(now))?;
    Ok(())
}

// ---- conversations ----------------------------------------------------------

/// Who a conversation belongs to: a member, or a website visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A signed-in person.
    User(UserId),
    /// A widget visitor's session id.
    Visitor(String),
}

/// Starts a conversation.
///
/// # Errors
/// The database's error.
pub async fn insert_conversation(
    tx: &mut TenantTx,
    id: ConversationId,
    owner: &Owner,
    title: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO conversations (tenant_id, id, user_id, visitor, title, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $6)";
    let tenant = tx.tenant_id();
    let (user, visitor) = match owner {
        Owner::User(u) => (Some(*u), None),
        Owner::Visitor(v) => (None, Some(v.as_str())),
    };
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(user).bind(visitor).bind(title).bind(now))?;
    Ok(())
}

/// Whether the conversation is the owner's; touches it.
///
/// # Errors
/// The database's error.
pub async fn touch_conversation(
    tx: &mut TenantTx,
    id: ConversationId,
    owner: &Owner,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let tenant = tx.tenant_id();
    let n = match owner {
        Owner::User(u) => {
            const SQL: &str =
                "UPDATE conversations SET updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND user_id = $3";
            exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(*u).bind(now))?
        }
        Owner::Visitor(v) => {
            const SQL: &str =
                "UPDATE conversations SET updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND visitor = $3";
            exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(v.as_str()).bind(now))?
        }
    };
    Ok(n == 1)
}

/// A member's conversations, newest first: (id, sealed title, updated).
///
/// # Errors
/// The database's error.
pub async fn conversations(
    tx: &mut TenantTx,
    user: UserId,
) -> Result<Vec<(ConversationId, Vec<u8>, DateTime<Utc>)>, Error> {
    const SQL: &str = "SELECT id, title, updated_at FROM conversations WHERE tenant_id = $1 AND user_id = $2 \
                       ORDER BY updated_at DESC LIMIT 200";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(user).fetch_all(c).await)?)
}

/// A member's conversation's sealed title.
///
/// # Errors
/// The database's error.
pub async fn conversation(tx: &mut TenantTx, id: ConversationId, user: UserId) -> Result<Option<Vec<u8>>, Error> {
    const SQL: &str = "SELECT title FROM conversations WHERE tenant_id = $1 AND id = $2 AND user_id = $3";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(id).bind(user).fetch_optional(c).await)?)
}

/// Deletes a member's conversation.
///
/// # Errors
/// The database's error.
pub async fn delete_conversation(tx: &mut TenantTx, id: ConversationId, user: UserId) -> Result<bool, Error> {
    const SQL: &str = "DELETE FROM conversations WHERE tenant_id = $1 AND id = $2 AND user_id = $3";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(user))? == 1)
}

/// Appends a sealed message.
///
/// # Errors
/// The database's error.
#[allow(clippy::too_many_arguments)]
pub async fn insert_message(
    tx: &mut TenantTx,
    id: MessageId,
    conversation: ConversationId,
    role: &str,
    sealed: &[u8],
    mode: Option<&str>,
    tokens: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO conversation_messages (tenant_id, id, conversation_id, role, sealed, mode, \
                       tokens, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(id)
            .bind(conversation)
            .bind(role)
            .bind(sealed)
            .bind(mode)
            .bind(tokens)
            .bind(now)
    )?;
    Ok(())
}

/// A stored message: id, role, sealed body, mode, created.
pub type MessageRow = (MessageId, String, Vec<u8>, Option<String>, DateTime<Utc>);

/// A conversation's messages, oldest first, the last `limit`.
///
/// # Errors
/// The database's error.
pub async fn messages(tx: &mut TenantTx, conversation: ConversationId, limit: i64) -> Result<Vec<MessageRow>, Error> {
    const SQL: &str = "SELECT id, role, sealed, mode, created_at FROM conversation_messages \
                       WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3";
    let tenant = tx.tenant_id();
    let mut rows: Vec<MessageRow> =
        on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(conversation).bind(limit).fetch_all(c).await)?;
    rows.reverse();
    Ok(rows)
}

/// The tenant's plan, for work no request carries (jobs, the widget).
///
/// # Errors
/// The database's error.
pub async fn plan(tx: &mut TenantTx) -> Result<stackpro_core::metering::PlanRef, Error> {
    const SQL: &str = "SELECT plan, plan_status FROM tenants WHERE id = $1";
    let tenant = tx.tenant_id();
    let (key, status): (String, String) = on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).fetch_one(c).await)?;
    Ok(stackpro_core::metering::PlanRef { key, status: stackpro_core::PlanStatus::parse(&status) })
}
