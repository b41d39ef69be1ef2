//! What a site's own host answers: its published pages from the cache
//! (with `ETag`/`304`, `Last-Modified`, gzip or brotli as accepted), its
//! sitemap, robots.txt and 404 page, the form endpoint with its challenge
//! and helper script, and images. The server calls [`Sites::serve_host`] for
//! every request whose Host the one lookup names as a site.

use crate::host::{Bundle, Doc};
use crate::model::SiteId;
use crate::service::Sites;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use stackpro_core::ApiError;
use std::net::IpAddr;
use std::sync::Arc;

const SITE_JS: &str = include_str!("site.js");
/// The largest form body read.
const FORM_BODY_LIMIT: usize = 64 * 1024;

/// Which body to send.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// The best encoding `Accept-Encoding` allows (brotli, then gzip), ignoring
/// those given `q=0`.
fn encoding(headers: &HeaderMap) -> Encoding {
    let Some(v) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let v = v.to_ascii_lowercase();
    // Named codings first; `*` stands only for those not named.
    let (mut br, mut gzip) = (None, None);
    let mut any = false;
    for part in v.split(',') {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
        });
        match name {
            "br" => br = Some(!refused),
            "gzip" | "x-gzip" => gzip = Some(!refused),
            "*" => any = !refused,
            _ => {}
        }
    }
    if br.unwrap_or(any) {
        Encoding::Br
    } else if gzip.unwrap_or(any) {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Whether `If-None-Match` names the document (any encoding's tag of it).
fn none_match(headers: &HeaderMap, etag: &str) -> Option<bool> {
    let v = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let base = etag.trim_end_matches('"');
    Some(v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| {
        t == "*"
            || t == etag
            || (t.starts_with(base) && t.ends_with('"') && matches!(&t[base.len()..], "-br\"" | "-gz\""))
    }))
}

fn with_suffix(etag: &str, enc: Encoding) -> String {
    match enc {
        Encoding::Br => format!("{}-br\"", etag.trim_end_matches('"')),
        Encoding::Gzip => format!("{}-gz\"", etag.trim_end_matches('"')),
        Encoding::Identity => etag.to_owned(),
    }
}

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A document, honouring conditional requests and the accepted encodings.
fn doc_response(doc: &Doc, status: StatusCode, req_headers: &HeaderMap, head_only: bool) -> Response {
    let enc = encoding(req_headers);
    let etag = with_suffix(&doc.etag, enc);
    let not_modified = status == StatusCode::OK
        && match none_match(req_headers, &doc.etag) {
            Some(m) => m,
            None => req_headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| chrono::DateTime::parse_from_rfc2822(&v.replace("GMT", "+0000")).ok())
                .is_some_and(|since| doc.modified.timestamp() <= since.timestamp()),
        };
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = match enc {
            Encoding::Br => doc.br.clone(),
            Encoding::Gzip => doc.gzip.clone(),
            Encoding::Identity => doc.identity.clone(),
        };
        let len = body.len();
        let mut r = if head_only { Response::new(Body::empty()) } else { Response::new(Body::from(body)) };
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(doc.content_type));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        match enc {
            Encoding::Br => {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            }
            Encoding::Gzip => {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            Encoding::Identity => {}
        }
        if let Some(csp) = &doc.csp {
            h.insert(header::CONTENT_SECURITY_POLICY, value(csp));
        }
        r
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, value(&etag));
    h.insert(header::LAST_MODIFIED, value(&doc.last_modified));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    // Always revalidated, so a publish shows at once; a 304 costs no body.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=0, must-revalidate"));
    site_headers(h);
    res
}

fn site_headers(h: &mut HeaderMap) {
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
    site_headers(r.headers_mut());
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A page path as asked: `/about/` and `/about/index.html` are `/about`.
fn normalise(path: &str) -> &str {
    let p = path.strip_suffix("index.html").unwrap_or(path);
    let p = if p.len() > 1 { p.trim_end_matches('/') } else { p };
    if p.is_empty() {
        "/"
    } else {
        p
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

impl Sites {
    /// Answers a request made to a site's host; `bundle` is what the Host
    /// lookup found (`None`: no site has this subdomain).
    pub async fn serve_host(&self, bundle: Option<Arc<Bundle>>, req: Request, ip: IpAddr) -> Response {
        let Some(bundle) = bundle else {
            return plain(StatusCode::NOT_FOUND, "No site is published at this address.\n");
        };
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let head_only = method == Method::HEAD;
        if path == "/_stackpro/site.js" && (method == Method::GET || head_only) {
            let mut r = ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SITE_JS).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            site_headers(r.headers_mut());
            return r;
        }
        if let Some(rest) = path.strip_prefix("/_assets/") {
            return self.asset_response(rest, req.headers()).await;
        }
        if let Some(rest) = path.strip_prefix("/_stackpro/t/") {
            return template_image(rest, req.headers());
        }
        if !bundle.site.published {
            return plain(StatusCode::NOT_FOUND, "No site is published at this address.\n");
        }
        if path == "/_stackpro/pow" && method == Method::GET {
            let mut r = axum::Json(self.challenge()).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            site_headers(r.headers_mut());
            return r;
        }
        if let Some(form) = path.strip_prefix("/_stackpro/forms/") {
            if method != Method::POST {
                return plain(StatusCode::METHOD_NOT_ALLOWED, "Send the form with POST.\n");
            }
            let form = form.to_owned();
            return self.form_post(&bundle, &form, req, ip).await;
        }
        if method != Method::GET && !head_only {
            let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "This site answers GET and HEAD.\n");
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        let headers = req.headers();
        let doc = match path.as_str() {
            "/sitemap.xml" => bundle.sitemap.as_ref(),
            "/robots.txt" => bundle.robots.as_ref(),
            p => bundle.pages.get(normalise(p)),
        };
        match (doc, &bundle.not_found) {
            (Some(d), _) => doc_response(d, StatusCode::OK, headers, head_only),
            (None, Some(nf)) => doc_response(nf, StatusCode::NOT_FOUND, headers, head_only),
            (None, None) => plain(StatusCode::NOT_FOUND, "Page not found.\n"),
        }
    }

    async fn form_post(&self, bundle: &Bundle, form: &str, req: Request, ip: IpAddr) -> Response {
        let json = wants_json(req.headers());
        let read = axum::body::to_bytes(req.into_body(), FORM_BODY_LIMIT);
        let body = match tokio::time::timeout(std::time::Duration::from_secs(15), read).await {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                return self.form_answer(bundle, json, Err(crate::Error::FormRejected("The message is too long.")))
            }
            Err(_) => {
                let late = crate::Error::FormRejected("The message was not received in time; send it again.");
                return self.form_answer(bundle, json, Err(late));
            }
        };
        let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let result = self.submit(&bundle.site, ip, form, fields).await;
        self.form_answer(bundle, json, result.map(|_| ()))
    }

    fn form_answer(&self, bundle: &Bundle, json: bool, result: Result<(), crate::Error>) -> Response {
        const THANKS: &str = "Thank you: your message was sent. We will reply soon.";
        let mut res = match (result, json) {
            (Ok(()), true) => axum::Json(serde_json::json!({ "status": "sent", "message": THANKS })).into_response(),
            (Err(e), true) => ApiError::from(e).into_response(),
            (r, false) => {
                let (status, heading, text) = match &r {
                    Ok(()) => (StatusCode::OK, "Message sent", THANKS.to_owned()),
                    Err(e) => (stackpro_core::ErrorCode::code(e).status(), "Message not sent", e.to_string()),
                };
                let origin = self.0.config.origin(&bundle.site.slug);
                let page = crate::render::notice(
                    &crate::service::publish::head(heading, "", &format!("{origin}/"), None, true, &bundle.site.slug),
                    heading,
                    &text,
                    ("/", "Back to the site"),
                );
                let mut page_res =
                    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page.html).into_response();
                page_res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value(&page.csp));
                if let Err(crate::Error::RateLimited(secs) | crate::Error::SiteBusy(secs)) = &r {
                    res_retry(&mut page_res, *secs);
                }
                page_res
            }
        };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        site_headers(res.headers_mut());
        res
    }

    /// An image of a site, on any host: immutable, named by its content.
    pub async fn asset_response(&self, rest: &str, headers: &HeaderMap) -> Response {
        let not_found = || plain(StatusCode::NOT_FOUND, "No such image.\n");
        let Some((site, file)) = rest.split_once('/') else { return not_found() };
        let Ok(site) = site.parse::<uuid::Uuid>().map(SiteId) else { return not_found() };
        let content_type = match file.rsplit_once('.') {
            Some((stem, "jpg")) if valid_stem(stem) => "image/jpeg",
            Some((stem, "png")) if valid_stem(stem) => "image/png",
            _ => return not_found(),
        };
        let etag = format!("\"{file}\"");
        if none_match(headers, &etag) == Some(true) {
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            r.headers_mut().insert(header::ETAG, value(&etag));
            return r;
        }
        let tenant = match self.0.hosting.tenant_of(site).await {
            Ok(Some(t)) => t,
            Ok(None) => return not_found(),
            Err(e) => return ApiError::from(e).into_response(),
        };
        match self.0.blobs.get(tenant, &crate::service::assets::blob_key(site, file)).await {
            Ok(Some(bytes)) => {
                let mut r = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
                let h = r.headers_mut();
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
                h.insert(header::ETAG, value(&etag));
                h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
                site_headers(h);
                r
            }
            Ok(None) => not_found(),
            Err(e) => ApiError::from(crate::Error::Store(e)).into_response(),
        }
    }
}

fn res_retry(r: &mut Response, secs: u64) {
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
}

fn valid_stem(stem: &str) -> bool {
    match stem.split_once('-') {
        Some((hash, width)) => {
            hash.len() == 20
                && hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                && (1..=5).contains(&width.len())
                && width.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// A template's picture, on any host.
pub fn template_image(rest: &str, headers: &HeaderMap) -> Response {
    let Some((key, file)) = rest.split_once('/') else {
        return plain(StatusCode::NOT_FOUND, "No such picture.\n");
    };
    let Some(svg) = crate::templates::image(key, file) else {
        return plain(StatusCode::NOT_FOUND, "No such picture.\n");
    };
    let etag = format!("\"{}\"", &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(svg.as_bytes()))[..32]);
    if none_match(headers, &etag) == Some(true) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, value(&etag));
        return r;
    }
    let mut r = ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    h.insert(header::ETAG, value(&etag));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    site_headers(h);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn brotli_is_preferred_then_gzip_and_q_zero_refuses() {
        assert_eq!(encoding(&headers(&[("accept-encoding", "gzip, deflate, br")])), Encoding::Br);
        assert_eq!(encoding(&headers(&[("accept-encoding", "gzip")])), Encoding::Gzip);
        assert_eq!(encoding(&headers(&[("accept-encoding", "br;q=0, gzip;q=0.5")])), Encoding::Gzip);
        assert_eq!(encoding(&headers(&[])), Encoding::Identity);
        assert_eq!(encoding(&headers(&[("accept-encoding", "identity")])), Encoding::Identity);
        assert_eq!(encoding(&headers(&[("accept-encoding", "*, br;q=0")])), Encoding::Gzip);
        assert_eq!(encoding(&headers(&[("accept-encoding", "*")])), Encoding::Br);
        assert_eq!(encoding(&headers(&[("accept-encoding", "BR;Q=0, GZIP")])), Encoding::Gzip);
    }

    #[test]
    fn if_none_match_matches_every_encoding_of_the_same_content() {
        let e = "\"abc\"";
        assert_eq!(none_match(&headers(&[("if-none-match", "\"abc-br\"")]), e), Some(true));
        assert_eq!(none_match(&headers(&[("if-none-match", "W/\"abc-gz\"")]), e), Some(true));
        assert_eq!(none_match(&headers(&[("if-none-match", "\"abc\"")]), e), Some(true));
        assert_eq!(none_match(&headers(&[("if-none-match", "\"abd\"")]), e), Some(false));
        assert_eq!(none_match(&headers(&[("if-none-match", "\"abc-xx\"")]), e), Some(false));
        assert_eq!(none_match(&headers(&[]), e), None);
    }

    #[test]
    fn paths_with_trailing_slashes_or_index_html_are_the_page() {
        assert_eq!(normalise("/"), "/");
        assert_eq!(normalise("/index.html"), "/");
        assert_eq!(normalise("/about/"), "/about");
        assert_eq!(normalise("/about/index.html"), "/about");
        assert_eq!(normalise("/about"), "/about");
    }
}
