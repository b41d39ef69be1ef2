//! Assistant: each tenant's AI assistant. It owns the knowledge base
//! (documents sealed with the tenant's key, parsed in a sandboxed worker
//! process, cut into passages that keep their page and headings), the
//! embedders (a local all-MiniLM-L6-v2, OpenAI-compatible, Bedrock Titan),
//! each replica's hybrid index (BM25 + vectors, fused), chat with streamed
//! answers and citations, the language-model providers (OpenAI-compatible,
//! Anthropic, Bedrock Converse), and the assistant's settings.
//!
//! Start with [`service::Assistant`]; [`routes`] is its HTTP face. Who may
//! read a document is decided by the one rule in [`stackpro_core::access`];
//! usage (`ai_queries`, `ai_tokens`, `ingested_pages`, `storage_bytes`)
//! goes through billing's `Metering`.
#![warn(missing_docs)]

pub mod aws;
pub mod chunk;
pub mod embed;
pub mod error;
pub mod extract;
pub mod index;
pub mod llm;
pub mod model;
pub mod routes;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod widget;

pub use error::Error;
pub use service::{Assistant, AssistantConfig, PlatformLlm};
