//! Language-model providers behind one streaming [`Llm`] interface:
//! OpenAI-compatible chat completions, Anthropic Messages, and Bedrock
//! Converse (SigV4, AWS event-stream frames). Each speaks its provider's
//! real wire format: paths, headers, streaming events and error bodies.

use crate::aws::{AwsCredentials, SigV4};
use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::StreamExt;
use serde_json::{json, Value};

/// Who said a turn of the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaker {
    /// The person asking.
    User,
    /// The assistant.
    Assistant,
}

impl Speaker {
    fn as_str(self) -> &'static str {
        match self {
            Speaker::User => "user",
            Speaker::Assistant => "assistant",
        }
    }
}

/// What the model is asked: fixed instructions, then the turns (the last
/// one the user's, carrying the quoted passages).
#[derive(Clone, Debug)]
pub struct Prompt {
    /// The system instructions; never holds document text.
    pub system: String,
    /// The conversation, oldest first.
    pub turns: Vec<(Speaker, String)>,
    /// The most tokens to generate.
    pub max_tokens: u32,
}

/// A piece of a streamed answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LlmEvent {
    /// More text.
    Text(String),
    /// Tokens used, when the provider says.
    Usage {
        /// Prompt tokens.
        input: u64,
        /// Generated tokens.
        output: u64,
    },
}

/// A provider failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LlmError(pub String);

/// A streamed answer.
pub type LlmStream = BoxStream<'static, Result<LlmEvent, LlmError>>;

/// A language model that streams its answer.
#[async_trait]
pub trait Llm: Send + Sync + 'static {
    /// `provider model`, for people.
    fn describe(&self) -> String;
    /// Starts an answer.
    async fn stream(&self, prompt: &Prompt) -> Result<LlmStream, LlmError>;
}

/// The message of a provider's error body (OpenAI and Anthropic:
/// `{"error": {"message"}}`; AWS: `{"message"}`), cut short.
pub fn provider_error(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let msg = v["error"]["message"]
        .as_str()
        .or_else(|| v["message"].as_str())
        .or_else(|| v["Message"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned());
    msg.chars().take(300).collect()
}

/// The most bytes a provider's answer stream may send: far more than any
/// answer of `max_tokens`, and a bound on what a hostile endpoint can make
/// this server buffer.
pub const MAX_STREAM_BYTES: usize = 2 << 20;
/// The most bytes of an error body read.
const MAX_ERROR_BYTES: usize = 4 << 10;

async fn check(mut resp: reqwest::Response, who: &str) -> Result<reqwest::Response, LlmError> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BYTES {
            body.truncate(MAX_ERROR_BYTES);
            break;
        }
    }
    Err(LlmError(format!("{who} answered {status}: {}", provider_error(&body))))
}

/// The response's bytes, ending with an error past [`MAX_STREAM_BYTES`].
fn bounded(resp: reqwest::Response) -> BoxStream<'static, Result<bytes::Bytes, LlmError>> {
    let mut seen = 0usize;
    resp.bytes_stream()
        .map(move |chunk| {
            let chunk = chunk.map_err(|e| LlmError(format!("stream: {e}")))?;
            seen += chunk.len();
            if seen > MAX_STREAM_BYTES {
                return Err(LlmError("the provider sent more than an answer can hold".into()));
            }
            Ok(chunk)
        })
        .boxed()
}

fn sse(resp: reqwest::Response) -> BoxStream<'static, Result<eventsource_stream::Event, LlmError>> {
    use eventsource_stream::Eventsource;
    // A stream that errs (too long) stops the parser: its buffer is bounded too.
    bounded(resp)
        .scan(false, |failed, r| {
            let stop = *failed;
            *failed |= r.is_err();
            futures::future::ready((!stop).then_some(r))
        })
        .map(|r| r.map_err(|e| std::io::Error::other(e.0)))
        .eventsource()
        .map(|e| e.map_err(|e| LlmError(format!("stream: {e}"))))
        .boxed()
}

// ---- OpenAI-compatible chat completions ----

/// `POST {base}/chat/completions` with `stream: true` (OpenAI, Ollama,
/// vLLM, llama.cpp, LM Studio…).
pub struct OpenAiChat {
    /// HTTP client.
    pub http: reqwest::Client,
    /// API root, e.g. `https://api.openai.com/v1`.
    pub base: String,
    /// Bearer key, if the server wants one.
    pub key: Option<secrecy::SecretString>,
    /// Model name.
    pub model: String,
}

#[async_trait]
impl Llm for OpenAiChat {
    fn describe(&self) -> String {
        format!("openai {}", self.model)
    }
    async fn stream(&self, prompt: &Prompt) -> Result<LlmStream, LlmError> {
        let mut messages = vec![json!({ "role": "system", "content": prompt.system })];
        messages.extend(prompt.turns.iter().map(|(s, t)| json!({ "role": s.as_str(), "content": t })));
        let mut req = self.http.post(format!("{}/chat/completions", self.base.trim_end_matches('/'))).json(&json!({
            "model": self.model,
            "messages": messages,
            "stream": true,
            "stream_options": { "include_usage": true },
            "max_tokens": prompt.max_tokens,
        }));
        if let Some(key) = &self.key {
            req = req.bearer_auth(secrecy::ExposeSecret::expose_secret(key));
        }
        let resp = check(req.send().await.map_err(|e| LlmError(format!("openai: {e}")))?, "openai").await?;
        let events = sse(resp)
            .take_while(|e| futures::future::ready(!matches!(e, Ok(ev) if ev.data.trim() == "[DONE]")))
            .flat_map(|e| {
                let out: Vec<Result<LlmEvent, LlmError>> = match e {
                    Err(e) => vec![Err(e)],
                    Ok(ev) => match serde_json::from_str::<Value>(&ev.data) {
                        Err(e) => vec![Err(LlmError(format!("openai sent unreadable JSON: {e}")))],
                        Ok(v) if v.get("error").is_some() => {
                            vec![Err(LlmError(format!("openai: {}", provider_error(ev.data.as_bytes()))))]
                        }
                        Ok(v) => {
                            let mut out = Vec::new();
                            if let Some(t) = v["choices"][0]["delta"]["content"].as_str() {
                                if !t.is_empty() {
                                    out.push(Ok(LlmEvent::Text(t.to_owned())));
                                }
                            }
                            if let (Some(i), Some(o)) =
                                (v["usage"]["prompt_tokens"].as_u64(), v["usage"]["completion_tokens"].as_u64())
                            {
                                out.push(Ok(LlmEvent::Usage { input: i, output: o }));
                            }
                            out
                        }
                    },
                };
                futures::stream::iter(out)
            });
        Ok(events.boxed())
    }
}

// ---- Anthropic Messages ----

/// `POST {base}/v1/messages` with `stream: true`, `x-api-key` and
/// `anthropic-version: 2023-06-01`.
pub struct Anthropic {
    /// HTTP client.
    pub http: reqwest::Client,
    /// API root, `https://api.anthropic.com`.
    pub base: String,
    /// The API key.
    pub key: secrecy::SecretString,
    /// Model name.
    pub model: String,
}

#[async_trait]
impl Llm for Anthropic {
    fn describe(&self) -> String {
        format!("anthropic {}", self.model)
    }
    async fn stream(&self, prompt: &Prompt) -> Result<LlmStream, LlmError> {
        let messages: Vec<Value> =
            prompt.turns.iter().map(|(s, t)| json!({ "role": s.as_str(), "content": t })).collect();
        let req = self
            .http
            .post(format!("{}/v1/messages", self.base.trim_end_matches('/')))
            .header("x-api-key", secrecy::ExposeSecret::expose_secret(&self.key))
            .header("anthropic-version", "2023-06-01")
            .json(&json!({
                "model": self.model,
                "max_tokens": prompt.max_tokens,
                "system": prompt.system,
                "messages": messages,
                "stream": true,
            }));
        let resp = check(req.send().await.map_err(|e| LlmError(format!("anthropic: {e}")))?, "anthropic").await?;
        let mut input = 0u64;
        let events = sse(resp)
            .take_while(|e| futures::future::ready(!matches!(e, Ok(ev) if ev.event == "message_stop")))
            .flat_map(move |e| {
                let out: Vec<Result<LlmEvent, LlmError>> = match e {
                    Err(e) => vec![Err(e)],
                    Ok(ev) => match serde_json::from_str::<Value>(&ev.data) {
                        Err(e) => vec![Err(LlmError(format!("anthropic sent unreadable JSON: {e}")))],
                        Ok(v) => match v["type"].as_str().unwrap_or(ev.event.as_str()) {
                            "message_start" => {
                                input = v["message"]["usage"]["input_tokens"].as_u64().unwrap_or(0);
                                vec![]
                            }
                            "content_block_delta" => match v["delta"]["text"].as_str() {
                                Some(t) if !t.is_empty() => vec![Ok(LlmEvent::Text(t.to_owned()))],
                                _ => vec![],
                            },
                            "message_delta" => match v["usage"]["output_tokens"].as_u64() {
                                Some(o) => vec![Ok(LlmEvent::Usage { input, output: o })],
                                None => vec![],
                            },
                            "error" => {
                                vec![Err(LlmError(format!("anthropic: {}", provider_error(ev.data.as_bytes()))))]
                            }
                            _ => vec![],
                        },
                    },
                };
                futures::stream::iter(out)
            });
        Ok(events.boxed())
    }
}

// ---- Bedrock Converse ----

/// Bedrock's `ConverseStream`: `POST {endpoint}/model/{id}/converse-stream`,
/// SigV4-signed, answered in AWS event-stream frames.
pub struct BedrockConverse {
    /// HTTP client.
    pub http: reqwest::Client,
    /// `https://bedrock-runtime.<region>.amazonaws.com` unless overridden.
    pub endpoint: String,
    /// Model id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`.
    pub model: String,
    /// The signer.
    pub signer: SigV4,
}

impl BedrockConverse {
    /// A client for `model` in `region`.
    pub fn new(
        http: reqwest::Client,
        endpoint: &str,
        region: &str,
        credentials: AwsCredentials,
        model: &str,
    ) -> BedrockConverse {
        BedrockConverse {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            signer: SigV4::new(region, "bedrock", credentials),
        }
    }
}

#[async_trait]
impl Llm for BedrockConverse {
    fn describe(&self) -> String {
        format!("bedrock {}", self.model)
    }
    async fn stream(&self, prompt: &Prompt) -> Result<LlmStream, LlmError> {
        use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
        let messages: Vec<Value> =
            prompt.turns.iter().map(|(s, t)| json!({ "role": s.as_str(), "content": [{ "text": t }] })).collect();
        let body = serde_json::to_vec(&json!({
            "messages": messages,
            "system": [{ "text": prompt.system }],
            "inferenceConfig": { "maxTokens": prompt.max_tokens },
        }))
        .map_err(|e| LlmError(e.to_string()))?;
        let url = format!("{}/model/{}/converse-stream", self.endpoint, crate::aws::path_segment(&self.model));
        let req = self.signer.request(&self.http, &url, body, "application/json").map_err(LlmError)?;
        let resp =
            check(self.http.execute(req).await.map_err(|e| LlmError(format!("bedrock: {e}")))?, "bedrock").await?;
        let mut bytes = bounded(resp);
        let stream = async_stream(move |tx| async move {
            let mut buf = bytes::BytesMut::new();
            let mut decoder = MessageFrameDecoder::new();
            loop {
                match decoder.decode_frame(&mut buf) {
                    Ok(DecodedFrame::Complete(msg)) => {
                        for ev in converse_event(&msg) {
                            let stop = ev.is_err();
                            if tx.send(ev).await.is_err() || stop {
                                return;
                            }
                        }
                        continue;
                    }
                    Ok(DecodedFrame::Incomplete) => {}
                    Err(e) => {
                        let _ = tx.send(Err(LlmError(format!("bedrock sent a bad frame: {e}")))).await;
                        return;
                    }
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        let _ = tx.send(Err(LlmError(format!("bedrock: {}", e.0)))).await;
                        return;
                    }
                    None => return,
                }
            }
        });
        Ok(stream)
    }
}

fn header<'a>(msg: &'a aws_smithy_types::event_stream::Message, name: &str) -> Option<&'a str> {
    msg.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str())
}

fn converse_event(msg: &aws_smithy_types::event_stream::Message) -> Vec<Result<LlmEvent, LlmError>> {
    let v: Value = serde_json::from_slice(msg.payload()).unwrap_or(Value::Null);
    if header(msg, ":message-type") == Some("exception") {
        let kind = header(msg, ":exception-type").unwrap_or("exception");
        return vec![Err(LlmError(format!("bedrock {kind}: {}", provider_error(msg.payload()))))];
    }
    match header(msg, ":event-type") {
        Some("contentBlockDelta") => match v["delta"]["text"].as_str() {
            Some(t) if !t.is_empty() => vec![Ok(LlmEvent::Text(t.to_owned()))],
            _ => vec![],
        },
        Some("metadata") => match (v["usage"]["inputTokens"].as_u64(), v["usage"]["outputTokens"].as_u64()) {
            (Some(i), Some(o)) => vec![Ok(LlmEvent::Usage { input: i, output: o })],
            _ => vec![],
        },
        _ => vec![],
    }
}

/// A stream fed by a task through a small channel.
fn async_stream<F, Fut>(f: F) -> LlmStream
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<LlmEvent, LlmError>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx).boxed()
}
