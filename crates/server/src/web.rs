//! The web UI at `/app`: the built files of `web/dist`, embedded in release
//! binaries (so one file deploys) and read from the source tree in debug
//! builds, or served from `STACKPRO_WEB_DIR` when set. Every unknown
//! path under `/app` answered by `index.html` so client-side routes survive a
//! reload, except under `/app/assets/`: a missing asset is a 404, so a stale
//! tab after a deploy fails loudly instead of parsing HTML as JavaScript.
//! Hashed assets are cached for a year, `index.html` is revalidated, and both
//! are compressed. Without a build, `/app` explains how to make one.

use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::map_response;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::path::Path;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// The UI embedded at compile time (`make web` first); empty when it was not
/// built, and then `/app` explains how to build it.
#[derive(rust_embed::Embed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct Ui;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The routes serving the UI: from `web_dir` when given, else embedded.
pub fn router<S: Clone + Send + Sync + 'static>(web_dir: Option<&Path>) -> Router<S> {
    let root = Router::new().route("/", get(|| async { Redirect::temporary("/app/") }));
    let Some(web_dir) = web_dir else {
        if Ui::get("index.html").is_none() {
            tracing::warn!("web UI not built into this binary: /app explains how to build it");
            return root
                .route("/app", get(not_built))
                .route("/app/", get(not_built))
                .route("/app/{*rest}", get(not_built));
        }
        return root
            .route("/app", get(|| async { Redirect::permanent("/app/") }))
            .route("/app/", get(|| embedded(String::new())))
            .route("/app/{*path}", get(|path: axum::extract::Path<String>| embedded(path.0)))
            .layer(CompressionLayer::new());
    };
    let index = web_dir.join("index.html");
    if !index.exists() {
        tracing::warn!(web_dir = %web_dir.display(), "web UI not built: /app explains how to build it");
        return root.route("/app", get(not_built)).route("/app/", get(not_built)).route("/app/{*rest}", get(not_built));
    }
    let spa = ServeDir::new(web_dir).fallback(ServeFile::new(&index));
    let assets = ServeDir::new(web_dir.join("assets"));
    root.nest_service("/app/assets", assets)
        .route_layer(map_response(|res: Response| cache_for(res, IMMUTABLE)))
        .nest_service("/app", ServiceBuilder::new().map_response(revalidate).service(spa))
        .layer(CompressionLayer::new())
}

/// One file of the embedded UI, with the same rules as the directory: a
/// missing asset is a 404, any other unknown path is `index.html`.
async fn embedded(path: String) -> Response {
    let (file, name) = match Ui::get(&path) {
        Some(f) if !path.is_empty() => (f, path.as_str()),
        _ if path.starts_with("assets/") => return StatusCode::NOT_FOUND.into_response(),
        _ => match Ui::get("index.html") {
            Some(f) => (f, "index.html"),
            None => return not_built().await.into_response(),
        },
    };
    let policy = if name.starts_with("assets/") { IMMUTABLE } else { "no-cache" };
    let mut res = Response::new(axum::body::Body::from(file.data.into_owned()));
    let h = res.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", hex_of(&file.metadata.sha256_hash()))) {
        h.insert(header::ETAG, etag);
    }
    res
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `index.html` (and anything else outside `/app/assets`) is revalidated on
/// every visit, so a deploy is picked up at once.
fn revalidate<B>(mut res: axum::http::Response<B>) -> axum::http::Response<B> {
    if res.status().is_success() {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}

/// Sets `Cache-Control` on successful answers only: an error is never cached.
async fn cache_for(mut res: Response, policy: &'static str) -> Response {
    if res.status().is_success() {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    res
}

async fn not_built() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><meta charset=utf-8><title>StackPro</title>\
             <body style=\"font-family:system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem\">\
             <h1>The web UI is not built</h1><p>The API is running. Build the UI with \
             <code>make web</code> (or run <code>make run</code>, which builds it), or point \
             <code>STACKPRO_WEB_DIR</code> at a built <code>web/dist</code>.</p>",
        ),
    )
}
