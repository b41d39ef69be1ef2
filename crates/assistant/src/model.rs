//! The types of the assistant: what the API takes and answers.

use crate::extract::Kind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stackpro_core::access::Visibility;
use stackpro_core::define_id;
use stackpro_core::ids::UserId;
use utoipa::ToSchema;

define_id!(
    /// A document of the knowledge base.
    DocumentId
);
define_id!(
    /// A passage (chunk) of a document.
    PassageId
);
define_id!(
    /// A conversation with the assistant.
    ConversationId
);
define_id!(
    /// A message of a conversation.
    MessageId
);

/// The largest document upload, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 25 * 1024 * 1024;
/// The longest question, in characters.
pub const MAX_QUESTION: usize = 2_000;

/// Where a document is in its ingestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a worker.
    Queued,
    /// Its text is being read.
    Parsing,
    /// Its passages are being embedded and indexed.
    Embedding,
    /// Searchable.
    Ready,
    /// Could not be read; `error` says why.
    Failed,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Parsing => "parsing",
            Status::Embedding => "embedding",
            Status::Ready => "ready",
            Status::Failed => "failed",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Status {
        match s {
            "queued" => Status::Queued,
            "parsing" => Status::Parsing,
            "embedding" => Status::Embedding,
            "ready" => Status::Ready,
            _ => Status::Failed,
        }
    }
}

/// Why a document could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocumentError {
    /// Stable: `unsupported_type`, `encrypted_pdf`, `no_text_layer`,
    /// `corrupt_file`, `not_text`, `too_large`, `too_many_pages`,
    /// `worker_killed`, `empty`, `limit_reached`, `embedding_failed`.
    pub code: String,
    /// For people.
    pub detail: String,
}

/// A document of the knowledge base.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Document {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: DocumentId,
    /// Title (the file name without its extension unless given).
    pub title: String,
    /// The uploaded file's name.
    pub filename: String,
    /// Its kind, read from its bytes.
    pub kind: Kind,
    /// Its size.
    pub bytes: i64,
    /// Who may read it.
    pub visibility: Visibility,
    /// The client members it is shared with (for `clients`).
    #[schema(value_type = Vec<String>)]
    pub shared_with: Vec<UserId>,
    /// Where its ingestion is.
    pub status: Status,
    /// 0–100.
    pub progress: i64,
    /// What is happening, in words.
    pub stage: String,
    /// Why it failed.
    pub error: Option<DocumentError>,
    /// Its pages, where the format has pages.
    pub pages: Option<i64>,
    /// Its passages.
    pub chunks: i64,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Changes to a document's title or who may read it.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    /// New title (1–200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// Client members to share with (replaces the list).
    #[schema(value_type = Option<Vec<String>>, max_items = 100)]
    pub shared_with: Option<Vec<UserId>>,
}

/// A passage of a document.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Passage {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: PassageId,
    /// Its document.
    #[schema(value_type = String, format = Uuid)]
    pub document_id: DocumentId,
    /// Its document's title.
    pub document_title: String,
    /// The page it is on.
    pub page: Option<u32>,
    /// The headings above it.
    pub heading: Option<String>,
    /// Its text.
    pub text: String,
}

/// How to search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Keywords and meaning, fused.
    #[default]
    Hybrid,
    /// BM25 over words only.
    Keyword,
    /// Vectors only.
    Vector,
}

/// A search.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// The query (1–2000 characters).
    #[schema(min_length = 1, max_length = 2000)]
    pub query: String,
    /// How many passages (1–20, 5 by default).
    #[schema(minimum = 1, maximum = 20)]
    pub limit: Option<usize>,
    /// How to search.
    #[serde(default)]
    pub mode: Mode,
}

/// A passage found.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Hit {
    /// The passage.
    pub passage: Passage,
    /// The fused score (higher is better).
    pub score: f64,
    /// Its rank by keywords, from 1.
    pub keyword_rank: Option<usize>,
    /// Its rank by meaning, from 1.
    pub vector_rank: Option<usize>,
    /// Its cosine similarity to the query (-1 to 1), when searched by meaning.
    pub similarity: Option<f64>,
}

/// Passages found.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// Best first.
    pub items: Vec<Hit>,
    /// Whether meaning was searched (an embedder is configured).
    pub semantic: bool,
}

/// A question to the assistant.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The question (1–2000 characters).
    #[schema(min_length = 1, max_length = 2000)]
    pub message: String,
    /// The conversation it continues; a new one when absent.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub conversation_id: Option<ConversationId>,
}

/// A source of an answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Citation {
    /// Its number in the answer (`[1]`).
    pub n: usize,
    /// The passage.
    #[schema(value_type = String, format = Uuid)]
    pub passage_id: PassageId,
    /// Its document.
    #[schema(value_type = String, format = Uuid)]
    pub document_id: DocumentId,
    /// The document's title.
    pub document_title: String,
    /// The page.
    pub page: Option<u32>,
    /// The headings above the passage.
    pub heading: Option<String>,
    /// The words quoted.
    pub quote: String,
}

/// How an answer was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// Written by a language model from the passages.
    Llm,
    /// The best passages quoted, with no language model.
    Extractive,
}

/// A conversation in a list.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationSummary {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: ConversationId,
    /// Its first question, cut short.
    pub title: String,
    /// Last message.
    pub updated_at: DateTime<Utc>,
}

/// A message of a conversation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: MessageId,
    /// `user` or `assistant`.
    pub role: String,
    /// Its text.
    pub text: String,
    /// Its sources.
    pub citations: Vec<Citation>,
    /// How an answer was made.
    pub mode: Option<AnswerMode>,
    /// Sent.
    pub created_at: DateTime<Utc>,
}

/// A conversation with its messages.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: ConversationId,
    /// Its first question, cut short.
    pub title: String,
    /// Oldest first.
    pub messages: Vec<Message>,
}

/// The assistant's tone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// Warm and plain.
    #[default]
    Friendly,
    /// Formal.
    Professional,
    /// Short.
    Concise,
}

/// What the assistant does when its documents do not answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenUnsure {
    /// Say it does not know.
    SaySo,
    /// Say so and offer the human contact.
    #[default]
    OfferHuman,
}

/// The website widget.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetSettings {
    /// Whether published sites carry the widget.
    pub enabled: bool,
    /// Its first words (up to 200 characters).
    #[schema(max_length = 200)]
    pub greeting: String,
    /// Its colour, `#rrggbb`.
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    pub accent: String,
    /// `right` or `left`.
    pub position: WidgetPosition,
}

/// Where the widget sits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WidgetPosition {
    /// Bottom right.
    #[default]
    Right,
    /// Bottom left.
    Left,
}

impl Default for WidgetSettings {
    fn default() -> WidgetSettings {
        WidgetSettings {
            enabled: false,
            greeting: "Hi! Ask me anything about us.".into(),
            accent: "#2563eb".into(),
            position: WidgetPosition::Right,
        }
    }
}

/// A language-model provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// None of the workspace's own: the platform's, if configured, else
    /// extractive answers.
    #[default]
    None,
    /// OpenAI-compatible chat completions.
    Openai,
    /// Anthropic Messages.
    Anthropic,
    /// Amazon Bedrock Converse.
    Bedrock,
}

/// The workspace's own language model.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmSettings {
    /// Which provider.
    pub provider: Provider,
    /// The API root (OpenAI-compatible; optional for the others).
    #[schema(max_length = 500)]
    pub base_url: Option<String>,
    /// The model.
    #[schema(max_length = 200)]
    pub model: Option<String>,
    /// The AWS region (Bedrock).
    #[schema(max_length = 50)]
    pub region: Option<String>,
    /// Whether a key is stored (read only).
    #[serde(default)]
    #[schema(read_only)]
    pub has_key: bool,
    /// Whether Bedrock's secret access key is stored (read only).
    #[serde(default)]
    #[schema(read_only)]
    pub has_secret: bool,
    /// The API key (Bedrock: the access key id); write only: left out keeps
    /// the stored one, `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(write_only, max_length = 500)]
    pub api_key: Option<String>,
    /// Bedrock's secret access key; write only, as `api_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(write_only, max_length = 500)]
    pub secret_key: Option<String>,
}

/// The assistant's settings.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Its name (1–60 characters).
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// Who it is, in a sentence or two (up to 500 characters).
    #[schema(max_length = 500)]
    pub persona: String,
    /// How it speaks.
    pub tone: Tone,
    /// The business's trade (up to 80 characters).
    #[schema(max_length = 80)]
    pub industry: String,
    /// What it does when unsure.
    pub when_unsure: WhenUnsure,
    /// How to reach a person (up to 200 characters).
    #[schema(max_length = 200)]
    pub human_contact: String,
    /// The website widget.
    pub widget: WidgetSettings,
    /// The workspace's own language model.
    pub llm: LlmSettings,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            name: "Assistant".into(),
            persona: String::new(),
            tone: Tone::Friendly,
            industry: String::new(),
            when_unsure: WhenUnsure::OfferHuman,
            human_contact: String::new(),
            widget: WidgetSettings::default(),
            llm: LlmSettings::default(),
        }
    }
}

/// What the assistant can do on this installation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AssistantStatus {
    /// Whether passages are searched by meaning.
    pub semantic: bool,
    /// The embedding model, when one is configured.
    pub embedder: Option<String>,
    /// The language model answering this workspace; `null`: extractive answers.
    pub llm: Option<String>,
    /// Whether the plan lets the workspace connect its own language model.
    pub own_llm_allowed: bool,
    /// How parser workers are confined (`null` until one has run).
    pub sandbox: Option<crate::sandbox::Confinement>,
}
