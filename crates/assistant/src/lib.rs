//! Assistant: per-tenant document ingestion (PDF, DOCX, TXT, Markdown, HTML),
//! chunking, embeddings, the hybrid keyword + vector index and chat with
//! citations, offline by default and better with an LLM provider.
//!
//! Not built yet: this crate marks its place in the workspace. It will depend on
//! `core`, `store` and `security` only, and meter usage through a `core` trait.
