//! Extractors whose rejections are problems. Import these, never axum's own:
//! a bad body, path or query must answer problem+json like every other error.
//!
//! They also refuse the NUL character anywhere in a body, path or query: no
//! text field has a use for it, PostgreSQL cannot store it in `text`, and
//! refusing it here, once, means no store function meets it.

use crate::error::{ApiError, Code};
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::net::IpAddr;

/// A JSON body. On failure the problem names the field at fault as a JSON
/// pointer (`/email`), found with `serde_path_to_error`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "Send the body with `Content-Type: application/json`.",
            ));
        }
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|r| match r {
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                ApiError::new(Code::PayloadTooLarge, "The request body is larger than allowed.")
            }
            // The body stalled past its read timeout (or the client left).
            BytesRejection::FailedToBufferBody(_) => {
                ApiError::new(Code::RequestTimeout, "The request body was not received in time.")
            }
            other => ApiError::new(Code::InvalidBody, other.body_text()),
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses JSON bytes into `T`, naming the field at fault on failure.
///
/// # Errors
/// `invalid_body` with the JSON pointer of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if has_nul_escape(bytes) {
        return Err(ApiError::new(Code::InvalidBody, "Text in the body must not contain the NUL character (\\u0000)."));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let pointer = json_pointer(e.path());
        let inner = e.into_inner();
        let detail = if inner.is_syntax() || inner.is_eof() {
            format!("The body is not valid JSON: {inner}.")
        } else {
            format!("The body does not have the expected shape: {inner}.")
        };
        let err = ApiError::new(Code::InvalidBody, detail);
        if pointer.is_empty() {
            err
        } else {
            err.with_field(pointer)
        }
    })
}

/// Whether JSON text holds a `\u0000` escape. A raw NUL byte is not valid
/// JSON and fails parsing anyway. Every backslash starts an escape of at
/// least two characters, so skipping two after each keeps an escaped
/// backslash (`\\u0000`, the six characters) from being mistaken for one.
fn has_nul_escape(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1..i + 6) == Some(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Whether a raw (still percent-encoded) path or query holds an encoded NUL.
fn has_encoded_nul(raw: &str) -> bool {
    raw.contains("%00")
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    out
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A typed path parameter; a malformed one is `invalid_path`.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if has_encoded_nul(parts.uri.path()) {
            return Err(ApiError::new(Code::InvalidPath, "The path must not contain the NUL character (%00)."));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|r: PathRejection| ApiError::new(Code::InvalidPath, r.body_text()))
    }
}

/// A typed query string; a malformed one is `invalid_query`.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if parts.uri.query().is_some_and(has_encoded_nul) {
            return Err(ApiError::new(Code::InvalidQuery, "The query must not contain the NUL character (%00)."));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|r: QueryRejection| ApiError::new(Code::InvalidQuery, r.body_text()))
    }
}

/// The client's IP address, as decided once per request by the server's
/// middleware (the socket peer, or a trusted proxy's `X-Forwarded-For`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(parts.extensions.get::<ClientIp>().copied().unwrap_or(ClientIp(IpAddr::from([127, 0, 0, 1]))))
    }
}

/// The bytes of an uploaded file, for the OpenAPI document.
pub struct FileBytes;

impl utoipa::PartialSchema for FileBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}
impl utoipa::ToSchema for FileBytes {}

/// A whole number from a JSON body, also when written `20.0` (JSON Schema's
/// `integer` allows it, so a schema-valid request may send it). Use with
/// `#[serde(deserialize_with = "stackpro_core::extract::whole_number")]`.
///
/// # Errors
/// When the number has a fraction or does not fit.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error as _;
    use serde::Deserialize as _;
    let n = serde_json::Number::deserialize(d)?;
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Ok(i),
        (None, Some(f)) if f.fract() == 0.0 && (-9.0e15..=9.0e15).contains(&f) => Ok(f as i64),
        _ => Err(D::Error::custom("expected a whole number")),
    }
}

/// [`whole_number`] for an optional field (with `#[serde(default)]`).
///
/// # Errors
/// When the number has a fraction or does not fit.
pub fn optional_whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize as _;
    #[derive(serde::Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] i64);
    Ok(Option::<Whole>::deserialize(d)?.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        tags: Vec<u8>,
    }

    #[test]
    fn a_wrong_type_names_the_field_as_a_json_pointer() {
        let err = parse_json::<Body>(br#"{"email": 5, "tags": []}"#).unwrap_err();
        assert_eq!(err.problem(None).field.as_deref(), Some("/email"));
        let err = parse_json::<Body>(br#"{"email": "a", "tags": [1, "x"]}"#).unwrap_err();
        assert_eq!(err.problem(None).field.as_deref(), Some("/tags/1"));
    }

    #[test]
    fn a_nul_character_anywhere_in_the_body_is_refused_but_an_escaped_backslash_is_not() {
        let err = parse_json::<Body>(br#"{"email": "a\u0000b", "tags": []}"#).unwrap_err();
        assert_eq!(err.code(), Code::InvalidBody);
        let ok = parse_json::<Body>(br#"{"email": "a\\u0000b", "tags": []}"#).unwrap();
        assert_eq!(ok.email, "a\\u0000b");
        assert!(parse_json::<Body>(br#"{"email": "a\u00001", "tags": []}"#).is_err());
    }

    #[test]
    fn malformed_json_is_invalid_body() {
        let err = parse_json::<Body>(b"{not json").unwrap_err();
        assert_eq!(err.code(), Code::InvalidBody);
    }
}
