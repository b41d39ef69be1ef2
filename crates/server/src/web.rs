//! The web UI at `/app`: the built files of `web/dist`, with every unknown
//! path under `/app` answered by `index.html` so client-side routes survive a
//! reload. Without a build, `/app` explains how to make one.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

/// The routes serving the UI.
pub fn router<S: Clone + Send + Sync + 'static>(web_dir: &Path) -> Router<S> {
    let index = web_dir.join("index.html");
    let root = Router::new().route("/", get(|| async { Redirect::temporary("/app/") }));
    if !index.exists() {
        tracing::warn!(web_dir = %web_dir.display(), "web UI not built: /app explains how to build it");
        return root.route("/app", get(not_built)).route("/app/", get(not_built)).route("/app/{*rest}", get(not_built));
    }
    let serve = ServeDir::new(web_dir).fallback(ServeFile::new(&index));
    root.nest_service("/app", serve)
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
