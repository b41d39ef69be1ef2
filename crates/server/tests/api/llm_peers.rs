//! Local servers that speak the language-model providers' real wire
//! formats, so the production clients are what the tests exercise:
//! OpenAI chat completions (bearer key, SSE chunks, `[DONE]`), Anthropic
//! Messages (`x-api-key`, `anthropic-version`, typed SSE events), and
//! Bedrock ConverseStream (a SigV4 signature checked here from the AWS
//! specification, AWS event-stream frames with their CRCs). Each records
//! the requests it accepted and answers a wrong key with the provider's
//! own error body.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub const KEY: &str = "sk-test-0123456789";
pub const AWS_KEY_ID: &str = "AKIDEXAMPLE";
pub const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const BEDROCK_MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// The answer every peer streams, in three pieces.
pub const PIECES: [&str; 3] = ["Deliveries to Marlowe ", "leave every Thursday ", "at 6 am [1]."];

#[derive(Clone, Default)]
pub struct Peer {
    /// The JSON bodies of accepted requests.
    pub requests: Arc<Mutex<Vec<Value>>>,
    /// Headers of accepted requests.
    pub headers: Arc<Mutex<Vec<HeaderMap>>>,
}

impl Peer {
    pub fn last(&self) -> Value {
        self.requests.lock().unwrap().last().cloned().unwrap_or(Value::Null)
    }
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// Starts all three peers on one loopback port; the base URL and the record.
pub async fn start() -> (String, Peer) {
    let peer = Peer::default();
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(openai))
        .route("/v1/messages", axum::routing::post(anthropic))
        .route("/model/{model}/converse-stream", axum::routing::post(bedrock))
        .with_state(peer.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), peer)
}

fn sse(events: Vec<(Option<&str>, String)>) -> Response {
    let mut body = String::new();
    for (name, data) in events {
        if let Some(n) = name {
            body.push_str(&format!("event: {n}\n"));
        }
        body.push_str(&format!("data: {data}\n\n"));
    }
    ([("content-type", "text/event-stream"), ("cache-control", "no-cache")], body).into_response()
}

async fn openai(State(peer): State<Peer>, headers: HeaderMap, body: Bytes) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}")) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({ "error": { "message": "Incorrect API key provided: sk-wrong.", "type": "invalid_request_error",
                "param": null, "code": "invalid_api_key" } }),
            ),
        )
            .into_response();
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!(req["stream"], true, "the client must ask for a stream");
    assert_eq!(req["messages"][0]["role"], "system");
    peer.requests.lock().unwrap().push(req);
    peer.headers.lock().unwrap().push(headers);
    let chunk = |delta: Value| {
        json!({ "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "gpt-test",
                "choices": [{ "index": 0, "delta": delta, "finish_reason": null }] })
        .to_string()
    };
    let mut events = vec![(None, chunk(json!({ "role": "assistant", "content": "" })))];
    events.extend(PIECES.iter().map(|p| (None, chunk(json!({ "content": p })))));
    events.push((
        None,
        json!({ "id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
                "usage": { "prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132 } })
        .to_string(),
    ));
    events.push((None, "[DONE]".into()));
    sse(events)
}

async fn anthropic(State(peer): State<Peer>, headers: HeaderMap, body: Bytes) -> Response {
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(KEY) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({ "type": "error", "error": { "type": "authentication_error", "message": "invalid x-api-key" } }),
            ),
        )
            .into_response();
    }
    if headers.get("anthropic-version").and_then(|v| v.to_str().ok()) != Some("2023-06-01") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "type": "error", "error": { "type": "invalid_request_error",
                "message": "anthropic-version: header is required" } })),
        )
            .into_response();
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert!(req["system"].is_string() && req["max_tokens"].is_u64() && req["stream"] == true);
    peer.requests.lock().unwrap().push(req);
    peer.headers.lock().unwrap().push(headers);
    let mut events = vec![
        (
            Some("message_start"),
            json!({ "type": "message_start", "message": { "id": "msg_1", "type": "message",
            "role": "assistant", "content": [], "model": "claude-test", "stop_reason": null,
            "usage": { "input_tokens": 150, "output_tokens": 1 } } })
            .to_string(),
        ),
        (
            Some("content_block_start"),
            json!({ "type": "content_block_start", "index": 0,
            "content_block": { "type": "text", "text": "" } })
            .to_string(),
        ),
        (Some("ping"), json!({ "type": "ping" }).to_string()),
    ];
    events.extend(PIECES.iter().map(|p| {
        (
            Some("content_block_delta"),
            json!({ "type": "content_block_delta", "index": 0,
            "delta": { "type": "text_delta", "text": p } })
            .to_string(),
        )
    }));
    events.push((Some("content_block_stop"), json!({ "type": "content_block_stop", "index": 0 }).to_string()));
    events.push((
        Some("message_delta"),
        json!({ "type": "message_delta",
        "delta": { "stop_reason": "end_turn", "stop_sequence": null }, "usage": { "output_tokens": 14 } })
        .to_string(),
    ));
    events.push((Some("message_stop"), json!({ "type": "message_stop" }).to_string()));
    sse(events)
}

// ---- Bedrock: SigV4 as the AWS documentation defines it -----------------

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// RFC 3986 encoding of everything but unreserved characters.
fn uri_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether the request carries a valid SigV4 signature of `AWS_SECRET` for
/// region us-east-1 and service bedrock (canonical URI encoded twice, as for
/// every service but S3).
fn sigv4_valid(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or("no Authorization")?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or("not AWS4-HMAC-SHA256")?;
    let mut credential = "";
    let mut signed = "";
    let mut signature = "";
    for part in rest.split(", ") {
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = v;
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = v;
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = v;
        }
    }
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5
        || scope[0] != AWS_KEY_ID
        || scope[2] != "us-east-1"
        || scope[3] != "bedrock"
        || scope[4] != "aws4_request"
    {
        return Err(format!("bad credential scope {credential}"));
    }
    let amz_date = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).ok_or("no x-amz-date")?;
    let canonical_uri: String = uri.path().split('/').map(uri_encode).collect::<Vec<_>>().join("/");
    let canonical_headers: String = signed
        .split(';')
        .map(|h| format!("{h}:{}\n", headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or("").trim()))
        .collect();
    if !signed.split(';').any(|h| h == "host") || !signed.split(';').any(|h| h == "x-amz-date") {
        return Err("host and x-amz-date must be signed".into());
    }
    let payload = sha256_hex(body);
    if let Some(h) = headers.get("x-amz-content-sha256") {
        if h.to_str().ok() != Some(payload.as_str()) {
            return Err("x-amz-content-sha256 does not match the body".into());
        }
    }
    let canonical = format!("POST\n{canonical_uri}\n\n{canonical_headers}\n{signed}\n{payload}");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}/us-east-1/bedrock/aws4_request\n{}",
        scope[1],
        sha256_hex(canonical.as_bytes())
    );
    let k = hmac(format!("AWS4{AWS_SECRET}").as_bytes(), scope[1].as_bytes());
    let k = hmac(&k, b"us-east-1");
    let k = hmac(&k, b"bedrock");
    let k = hmac(&k, b"aws4_request");
    let expected = hex::encode(hmac(&k, to_sign.as_bytes()));
    if expected != signature {
        return Err(format!("signature mismatch; canonical request was:\n{canonical}"));
    }
    Ok(())
}

/// One AWS event-stream frame: prelude (total length, headers length,
/// prelude CRC), string headers, payload, message CRC.
fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name.as_bytes());
        h.push(7); // string
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value.as_bytes());
    }
    let total = 12 + h.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn event(kind: &str, payload: Value) -> Vec<u8> {
    frame(
        &[(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")],
        payload.to_string().as_bytes(),
    )
}

async fn bedrock(State(peer): State<Peer>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = sigv4_valid(&uri, &headers, &body) {
        return (
            StatusCode::FORBIDDEN,
            [("x-amzn-errortype", "InvalidSignatureException")],
            axum::Json(json!({ "message": format!("The request signature we calculated does not match the signature you provided. {why}") })),
        )
            .into_response();
    }
    let expected_path = format!("/model/{}/converse-stream", uri_encode(BEDROCK_MODEL));
    assert_eq!(uri.path(), expected_path, "the model id is one escaped path segment");
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert!(req["system"][0]["text"].is_string() && req["messages"][0]["content"][0]["text"].is_string());
    peer.requests.lock().unwrap().push(req);
    peer.headers.lock().unwrap().push(headers);
    let mut out = event("messageStart", json!({ "role": "assistant" }));
    for p in PIECES {
        out.extend(event("contentBlockDelta", json!({ "contentBlockIndex": 0, "delta": { "text": p } })));
    }
    out.extend(event("contentBlockStop", json!({ "contentBlockIndex": 0 })));
    out.extend(event("messageStop", json!({ "stopReason": "end_turn" })));
    out.extend(event(
        "metadata",
        json!({ "usage": { "inputTokens": 140, "outputTokens": 13, "totalTokens": 153 }, "metrics": { "latencyMs": 20 } }),
    ));
    ([("content-type", "application/vnd.amazon.eventstream")], out).into_response()
}
