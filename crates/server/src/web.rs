//! The web UI at `/app`: the built files of `web/dist`, with every unknown
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

/// The routes serving the UI.
pub fn router<S: Clone + Send + Sync + 'static>(web_dir: &Path) -> Router<S> {
    let index = web_dir.join("index.html");
    let root = Router::new().route("/", get(|| async { Redirect::temporary("/app/") }));
    if !index.exists() {
        tracing::warn!(web_dir = %web_dir.display(), "web UI not built: /app explains how to build it");
        return root.route("/app", get(not_built)).route("/app/", get(not_built)).route("/app/{*rest}", get(not_built));
    }
    let spa = ServeDir::new(web_dir).fallback(ServeFile::new(&index));
    let assets = ServeDir::new(web_dir.join("assets"));
    root.nest_service("/app/assets", assets)
        .route_layer(map_response(|res: Response| cache_for(res, "public, max-age=31536000, immutable")))
        .nest_service("/app", ServiceBuilder::new().map_response(revalidate).service(spa))
        .layer(CompressionLayer::new())
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
