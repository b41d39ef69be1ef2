//! Embeddings: text to unit vectors for semantic search, behind one
//! [`Embedder`] interface with three providers:
//! - [`Local`]: all-MiniLM-L6-v2 run in-process with candle from a model
//!   directory (`model.safetensors`, `config.json`, `tokenizer.json`); no API;
//! - [`OpenAi`]: any OpenAI-compatible `/v1/embeddings` (OpenAI, Ollama,
//!   vLLM, llama.cpp);
//! - [`Titan`]: Amazon Titan Text Embeddings through Bedrock, signed with SigV4.
//!
//! Without an embedder the assistant searches by keywords only, and says so.

use crate::aws::{AwsCredentials, SigV4};
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model or the provider failed.
    #[error("{0}")]
    Failed(String),
}

/// Turns texts into unit vectors of [`Embedder::dim`] numbers.
#[async_trait]
pub trait Embedder: Send + Sync + 'static {
    /// The model's name, stored with each vector: vectors of another model
    /// are not compared.
    fn model(&self) -> &str;
    /// The vectors' length.
    fn dim(&self) -> usize;
    /// One vector per text, each of length 1.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Scales a vector to length 1 (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

// ---- local: all-MiniLM-L6-v2 with candle ----

/// The sentence-transformers model all-MiniLM-L6-v2 (384 dimensions, mean
/// pooling, L2-normalised), run on the CPU; one batch at a time per replica.
pub struct Local {
    model: Arc<candle_transformers::models::bert::BertModel>,
    tokenizer: Arc<tokenizers::Tokenizer>,
    gate: tokio::sync::Semaphore,
    name: String,
}

/// Tokens per passage the model reads (its training length).
const MAX_TOKENS: usize = 256;

impl Local {
    /// Loads the model from `dir`.
    ///
    /// # Errors
    /// When a file is missing or unreadable.
    pub fn load(dir: &Path) -> Result<Local, EmbedError> {
        use candle_core::{DType, Device};
        let fail = |what: &str, e: &dyn std::fmt::Display| EmbedError::Failed(format!("{what}: {e}"));
        let config = std::fs::read_to_string(dir.join("config.json")).map_err(|e| fail("config.json", &e))?;
        let config: candle_transformers::models::bert::Config =
            serde_json::from_str(&config).map_err(|e| fail("config.json", &e))?;
        let weights = std::fs::read(dir.join("model.safetensors")).map_err(|e| fail("model.safetensors", &e))?;
        let vb = candle_nn::VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| fail("model.safetensors", &e))?;
        let model = candle_transformers::models::bert::BertModel::load(vb, &config).map_err(|e| fail("model", &e))?;
        let mut tokenizer =
            tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| fail("tokenizer.json", &e))?;
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| fail("tokenizer", &e))?;
        tokenizer.with_padding(Some(tokenizers::PaddingParams::default()));
        Ok(Local {
            model: Arc::new(model),
            tokenizer: Arc::new(tokenizer),
            gate: tokio::sync::Semaphore::new(1),
            name: "all-MiniLM-L6-v2".into(),
        })
    }

    fn run(
        model: &candle_transformers::models::bert::BertModel,
        tokenizer: &tokenizers::Tokenizer,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        use candle_core::{DType, Tensor};
        let fail = |e: &dyn std::fmt::Display| EmbedError::Failed(format!("embedding: {e}"));
        let enc = tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| fail(&e))?;
        let dev = &model.device;
        let ids: Vec<Tensor> =
            enc.iter().map(|e| Tensor::new(e.get_ids(), dev)).collect::<Result<_, _>>().map_err(|e| fail(&e))?;
        let mask: Vec<Tensor> = enc
            .iter()
            .map(|e| Tensor::new(e.get_attention_mask(), dev))
            .collect::<Result<_, _>>()
            .map_err(|e| fail(&e))?;
        let ids = Tensor::stack(&ids, 0).map_err(|e| fail(&e))?;
        let mask = Tensor::stack(&mask, 0).map_err(|e| fail(&e))?;
        let types = ids.zeros_like().map_err(|e| fail(&e))?;
        let out = model.forward(&ids, &types, Some(&mask)).map_err(|e| fail(&e))?;
        // Mean over the real tokens, not the padding.
        let m = mask.to_dtype(DType::F32).and_then(|m| m.unsqueeze(2)).map_err(|e| fail(&e))?;
        let summed = out.broadcast_mul(&m).and_then(|x| x.sum(1)).map_err(|e| fail(&e))?;
        let counts = m.sum(1).map_err(|e| fail(&e))?;
        let mean = summed.broadcast_div(&counts).map_err(|e| fail(&e))?;
        let mut rows: Vec<Vec<f32>> = mean.to_vec2().map_err(|e| fail(&e))?;
        rows.iter_mut().for_each(|r| normalize(r));
        Ok(rows)
    }
}

#[async_trait]
impl Embedder for Local {
    fn model(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        384
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.gate.acquire().await.map_err(|e| EmbedError::Failed(e.to_string()))?;
        let (model, tokenizer, texts) = (self.model.clone(), self.tokenizer.clone(), texts.to_vec());
        tokio::task::spawn_blocking(move || {
            // Batches of 16 keep the padding (to the longest) small.
            let mut out = Vec::with_capacity(texts.len());
            for batch in texts.chunks(16) {
                out.extend(Local::run(&model, &tokenizer, batch)?);
            }
            Ok(out)
        })
        .await
        .map_err(|e| EmbedError::Failed(e.to_string()))?
    }
}

/// The local model, loaded on first use (a server that never embeds never
/// pays the 90 MB read), from a directory checked to hold its files.
pub struct LazyLocal {
    dir: std::path::PathBuf,
    cell: tokio::sync::OnceCell<Result<Local, String>>,
}

impl LazyLocal {
    /// `None` when `dir` lacks the model's files.
    pub fn new(dir: &Path) -> Option<LazyLocal> {
        let complete = ["model.safetensors", "config.json", "tokenizer.json"].iter().all(|f| dir.join(f).is_file());
        complete.then(|| LazyLocal { dir: dir.to_owned(), cell: tokio::sync::OnceCell::new() })
    }

    async fn model(&self) -> Result<&Local, EmbedError> {
        let dir = self.dir.clone();
        let loaded = self
            .cell
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || Local::load(&dir).map_err(|e| e.to_string()))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()))
            })
            .await;
        loaded.as_ref().map_err(|e| EmbedError::Failed(e.clone()))
    }
}

#[async_trait]
impl Embedder for LazyLocal {
    fn model(&self) -> &str {
        "all-MiniLM-L6-v2"
    }
    fn dim(&self) -> usize {
        384
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.model().await?.embed(texts).await
    }
}

// ---- OpenAI-compatible ----

/// An OpenAI-compatible embeddings endpoint: `POST {base}/embeddings`.
pub struct OpenAi {
    http: reqwest::Client,
    base: String,
    key: Option<secrecy::SecretString>,
    model: String,
    dim: usize,
}

impl OpenAi {
    /// `base` is the API root, e.g. `https://api.openai.com/v1` or
    /// `http://127.0.0.1:11434/v1` (Ollama); `dim` the model's vector length.
    pub fn new(
        http: reqwest::Client,
        base: &str,
        key: Option<secrecy::SecretString>,
        model: &str,
        dim: usize,
    ) -> OpenAi {
        OpenAi { http, base: base.trim_end_matches('/').to_owned(), key, model: model.to_owned(), dim }
    }
}

#[derive(serde::Deserialize)]
struct OpenAiEmbeddings {
    data: Vec<OpenAiEmbedding>,
}
#[derive(serde::Deserialize)]
struct OpenAiEmbedding {
    index: usize,
    embedding: Vec<f32>,
}

#[async_trait]
impl Embedder for OpenAi {
    fn model(&self) -> &str {
        &self.model
    }
    fn dim(&self) -> usize {
        self.dim
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(64) {
            let mut req = self
                .http
                .post(format!("{}/embeddings", self.base))
                .json(&serde_json::json!({ "model": self.model, "input": batch }));
            if let Some(key) = &self.key {
                req = req.bearer_auth(secrecy::ExposeSecret::expose_secret(key));
            }
            let resp = req.send().await.map_err(|e| EmbedError::Failed(format!("embeddings: {e}")))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| EmbedError::Failed(format!("embeddings: {e}")))?;
            if !status.is_success() {
                return Err(EmbedError::Failed(format!(
                    "embeddings answered {status}: {}",
                    crate::llm::provider_error(&body)
                )));
            }
            let mut parsed: OpenAiEmbeddings = serde_json::from_slice(&body)
                .map_err(|e| EmbedError::Failed(format!("embeddings answered unreadable JSON: {e}")))?;
            if parsed.data.len() != batch.len() {
                return Err(EmbedError::Failed("embeddings answered the wrong number of vectors".into()));
            }
            parsed.data.sort_by_key(|d| d.index);
            for mut d in parsed.data {
                if d.embedding.len() != self.dim {
                    return Err(EmbedError::Failed(format!(
                        "embeddings answered {} dimensions, {} configured",
                        d.embedding.len(),
                        self.dim
                    )));
                }
                normalize(&mut d.embedding);
                out.push(d.embedding);
            }
        }
        Ok(out)
    }
}

// ---- Amazon Titan through Bedrock ----

/// Amazon Titan Text Embeddings (v2) through Bedrock's `InvokeModel`.
pub struct Titan {
    http: reqwest::Client,
    endpoint: String,
    model: String,
    dim: usize,
    signer: SigV4,
}

impl Titan {
    /// `endpoint` is `https://bedrock-runtime.<region>.amazonaws.com` unless
    /// overridden; `dim` is 256, 512 or 1024.
    pub fn new(
        http: reqwest::Client,
        endpoint: &str,
        region: &str,
        credentials: AwsCredentials,
        model: &str,
        dim: usize,
    ) -> Titan {
        Titan {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            dim,
            signer: SigV4::new(region, "bedrock", credentials),
        }
    }
}

#[async_trait]
impl Embedder for Titan {
    fn model(&self) -> &str {
        &self.model
    }
    fn dim(&self) -> usize {
        self.dim
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            embedding: Vec<f32>,
        }
        let mut out = Vec::with_capacity(texts.len());
        for text in texts {
            let url = format!("{}/model/{}/invoke", self.endpoint, crate::aws::path_segment(&self.model));
            let body = serde_json::to_vec(
                &serde_json::json!({ "inputText": text, "dimensions": self.dim, "normalize": true }),
            )
            .map_err(|e| EmbedError::Failed(e.to_string()))?;
            let req = self
                .signer
                .request(&self.http, &url, body, "application/json")
                .map_err(|e| EmbedError::Failed(format!("bedrock: {e}")))?;
            let resp = self.http.execute(req).await.map_err(|e| EmbedError::Failed(format!("bedrock: {e}")))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| EmbedError::Failed(format!("bedrock: {e}")))?;
            if !status.is_success() {
                return Err(EmbedError::Failed(format!(
                    "bedrock answered {status}: {}",
                    crate::llm::provider_error(&body)
                )));
            }
            let mut a: Answer = serde_json::from_slice(&body)
                .map_err(|e| EmbedError::Failed(format!("bedrock answered unreadable JSON: {e}")))?;
            if a.embedding.len() != self.dim {
                return Err(EmbedError::Failed(format!(
                    "bedrock answered {} dimensions, {} configured",
                    a.embedding.len(),
                    self.dim
                )));
            }
            normalize(&mut a.embedding);
            out.push(a.embedding);
        }
        Ok(out)
    }
}
