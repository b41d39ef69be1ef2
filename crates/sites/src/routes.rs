//! HTTP handlers of sites: the dashboard's API under `/api/v1/sites`, and
//! the public paths every host answers (images and template pictures).
//! Each handler extracts, calls one service method and maps the result. A
//! site's own host is answered by [`crate::serve`], not here.

use crate::model::*;
use crate::service::Sites;
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, ClientIp, Json, Path, Problem, Query, TenantCtx};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The API routes of this crate, for any router state that holds the
/// service and the authenticator.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Sites: FromRef<S>,
    AuthState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(templates))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, delete_site))
        .routes(routes!(publish))
        .routes(routes!(unpublish))
        .routes(routes!(list_pages, add_page))
        .routes(routes!(get_page, save_page, delete_page))
        .routes(routes!(versions))
        .routes(routes!(version))
        .routes(routes!(restore))
        .routes(routes!(preview_link))
        .routes(routes!(open_preview))
        .routes(routes!(list_assets))
        .routes(routes!(upload_asset))
        .routes(routes!(delete_asset))
        .routes(routes!(submissions))
        .routes(routes!(submissions_csv))
}

/// The paths every host answers, outside the API: site images
/// (`/_assets/<site>/<file>`) and template pictures, so the editor on the
/// dashboard shows what the published site will.
pub fn public_router<S>() -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
    Sites: FromRef<S>,
{
    axum::Router::new()
        .route("/_assets/{*rest}", axum::routing::get(public_asset))
        .route("/_stackpro/t/{*rest}", axum::routing::get(public_template_image))
}

async fn public_asset(
    State(sites): State<Sites>,
    axum::extract::Path(rest): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    sites.asset_response(&rest, &headers).await
}

async fn public_template_image(axum::extract::Path(rest): axum::extract::Path<String>, headers: HeaderMap) -> Response {
    crate::serve::template_image(&rest, &headers)
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

fn with_etag<T: serde::Serialize>(etag: &str, body: T) -> Response {
    let mut r = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// Templates
///
/// The gallery of templates a site can start from, with a picture of each.
#[utoipa::path(get, path = "/api/v1/sites/templates", tag = "sites", security(("bearer" = [])),
    responses((status = 200, body = [Template]),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn templates(_ctx: TenantCtx) -> Json<Vec<Template>> {
    Json(crate::templates::gallery())
}

/// List sites
///
/// The workspace's sites, newest first (none for clients).
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites", security(("bearer" = [])),
    responses((status = 200, body = [Site]),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn list_sites(State(sites): State<Sites>, ctx: TenantCtx) -> Result<Json<Vec<Site>>, ApiError> {
    Ok(Json(sites.list(&ctx).await?))
}

/// Create a site
///
/// Makes a site from a template, its home page filled in with the
/// business's name, city, phone, email and services. It answers at
/// `<slug>.<base domain>` once published. Counts against the plan's sites.
/// Admins and owners.
#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = NewSite, security(("bearer" = [])),
    responses((status = 201, body = Site),
        (status = "4XX", description = "A problem: forbidden, template_not_found, slug_taken (also for names the platform keeps), plan_limit_reached, invalid_field, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn create_site(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Json(body): Json<NewSite>,
) -> Result<(axum::http::StatusCode, Json<Site>), ApiError> {
    Ok((axum::http::StatusCode::CREATED, Json(sites.create(&ctx, ip, body).await?)))
}

/// Get a site
///
/// One site.
#[utoipa::path(get, path = "/api/v1/sites/{site}", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 200, body = Site),
        (status = "4XX", description = "A problem: unauthorized, site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn get_site(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(site): Path<SiteId>,
) -> Result<Json<Site>, ApiError> {
    Ok(Json(sites.get(&ctx, site).await?))
}

/// Delete a site
///
/// Deletes the site with its pages, versions, images and form submissions;
/// it stops answering at once. Admins and owners.
#[utoipa::path(delete, path = "/api/v1/sites/{site}", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "A problem: forbidden, site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn delete_site(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(site): Path<SiteId>,
) -> Result<axum::http::StatusCode, ApiError> {
    sites.delete(&ctx, ip, site).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Publish a site
///
/// Renders every page as it is saved now to static HTML and serves it at
/// the site's address on every replica at once. Counts the pages against
/// the plan's pages_published. Admins and owners.
#[utoipa::path(post, path = "/api/v1/sites/{site}/publish", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 200, body = Published),
        (status = "4XX", description = "A problem: forbidden, site_not_found, plan_limit_reached, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn publish(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(site): Path<SiteId>,
) -> Result<Json<Published>, ApiError> {
    Ok(Json(sites.publish(&ctx, ip, site).await?))
}

/// Unpublish a site
///
/// Takes the site down on every replica at once; its pages stay editable.
/// Admins and owners.
#[utoipa::path(post, path = "/api/v1/sites/{site}/unpublish", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 200, body = Site),
        (status = "4XX", description = "A problem: forbidden, site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn unpublish(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    ClientIp(ip): ClientIp,
    Path(site): Path<SiteId>,
) -> Result<Json<Site>, ApiError> {
    Ok(Json(sites.unpublish(&ctx, ip, site).await?))
}

/// List pages
///
/// The site's pages, without their content.
#[utoipa::path(get, path = "/api/v1/sites/{site}/pages", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 200, body = [Page]),
        (status = "4XX", description = "A problem: site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn list_pages(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(site): Path<SiteId>,
) -> Result<Json<Vec<Page>>, ApiError> {
    Ok(Json(sites.pages(&ctx, site).await?))
}

/// Add a page
///
/// A new page in the look of the site's template. Members and above.
#[utoipa::path(post, path = "/api/v1/sites/{site}/pages", tag = "sites", request_body = NewPage, security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 201, body = PageContent),
        (status = "4XX", description = "A problem: forbidden, site_not_found, path_taken (also for paths the platform keeps), site_full, invalid_field, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn add_page(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(site): Path<SiteId>,
    Json(body): Json<NewPage>,
) -> Result<(axum::http::StatusCode, Response), ApiError> {
    let page = sites.add_page(&ctx, site, body).await?;
    Ok((axum::http::StatusCode::CREATED, with_etag(&page.page.etag.clone(), page)))
}

/// Get a page
///
/// A page with its GrapesJS project data. The `ETag` header names its
/// version: send it back as `If-Match` to save.
#[utoipa::path(get, path = "/api/v1/sites/{site}/pages/{page}", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("page" = uuid::Uuid, Path, description = "The page's id")),
    responses((status = 200, body = PageContent, headers(("ETag" = String, description = "The version's entity tag"))),
        (status = "4XX", description = "A problem: site_not_found, page_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn get_page(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, page)): Path<(SiteId, PageId)>,
) -> Result<Response, ApiError> {
    let p = sites.page(&ctx, site, page).await?;
    Ok(with_etag(&p.page.etag.clone(), p))
}

/// Save a page
///
/// Saves the page as a new version. `If-Match` must name the version the
/// edit started from; if someone saved since, nothing is written and the
/// answer is `version_conflict` with the current version in `current`.
/// Members and above.
#[utoipa::path(put, path = "/api/v1/sites/{site}/pages/{page}", tag = "sites", request_body = SavePage, security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("page" = uuid::Uuid, Path, description = "The page's id"),
        ("If-Match" = String, Header, description = "The ETag of the version edited")),
    responses((status = 200, body = PageContent, headers(("ETag" = String, description = "The new version's entity tag"))),
        (status = "4XX", description = "A problem: precondition_required (no If-Match), version_conflict (with `current_version` and `current`), forbidden, page_not_found, path_taken, home_page_fixed, invalid_field, invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn save_page(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, page)): Path<(SiteId, PageId)>,
    headers: HeaderMap,
    Json(body): Json<SavePage>,
) -> Result<Response, ApiError> {
    let p = sites.save(&ctx, site, page, if_match(&headers), body).await?;
    Ok(with_etag(&p.page.etag.clone(), p))
}

/// Delete a page
///
/// Deletes a page and its versions (not the home page). Members and above.
#[utoipa::path(delete, path = "/api/v1/sites/{site}/pages/{page}", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("page" = uuid::Uuid, Path, description = "The page's id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "A problem: forbidden, page_not_found, home_page_fixed, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn delete_page(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, page)): Path<(SiteId, PageId)>,
) -> Result<axum::http::StatusCode, ApiError> {
    sites.delete_page(&ctx, site, page).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Page versions
///
/// Every saved version of the page, newest first, with what changed in
/// each. A page keeps its last 100 versions.
#[utoipa::path(get, path = "/api/v1/sites/{site}/pages/{page}/versions", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("page" = uuid::Uuid, Path, description = "The page's id")),
    responses((status = 200, body = [Version]),
        (status = "4XX", description = "A problem: page_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn versions(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, page)): Path<(SiteId, PageId)>,
) -> Result<Json<Vec<Version>>, ApiError> {
    Ok(Json(sites.versions(&ctx, site, page).await?))
}

/// A page version
///
/// One version with its content.
#[utoipa::path(get, path = "/api/v1/sites/{site}/pages/{page}/versions/{version}", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("page" = uuid::Uuid, Path, description = "The page's id"),
        ("version" = i64, Path, description = "The version's number")),
    responses((status = 200, body = VersionContent),
        (status = "4XX", description = "A problem: page_not_found, version_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn version(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, page, version)): Path<(SiteId, PageId, i64)>,
) -> Result<Json<VersionContent>, ApiError> {
    Ok(Json(sites.version(&ctx, site, page, version).await?))
}

/// Restore a version
///
/// Makes an old version current again, as a new version (history is kept).
/// With `If-Match`, only if the page is still at that version. Members and
/// above.
#[utoipa::path(post, path = "/api/v1/sites/{site}/pages/{page}/versions/{version}/restore", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("page" = uuid::Uuid, Path, description = "The page's id"),
        ("version" = i64, Path, description = "The version to restore"),
        ("If-Match" = Option<String>, Header, description = "The ETag of the page's current version")),
    responses((status = 200, body = PageContent),
        (status = "4XX", description = "A problem: version_conflict, version_not_found, page_not_found, forbidden, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn restore(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, page, version)): Path<(SiteId, PageId, i64)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = sites.restore(&ctx, site, page, version, if_match(&headers)).await?;
    Ok(with_etag(&p.page.etag.clone(), p))
}

/// Make a preview link
///
/// A link to the page's draft, valid for 15 minutes, that opens only with
/// the session of a member of this workspace. Members and above.
#[utoipa::path(post, path = "/api/v1/sites/{site}/pages/{page}/preview", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("page" = uuid::Uuid, Path, description = "The page's id")),
    responses((status = 200, body = PreviewLink),
        (status = "4XX", description = "A problem: forbidden, page_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn preview_link(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, page)): Path<(SiteId, PageId)>,
) -> Result<Json<PreviewLink>, ApiError> {
    Ok(Json(sites.preview_link(&ctx, site, page).await?))
}

/// Open a preview link
///
/// The draft as it would be published, for a member of the workspace the
/// link was made in; anyone else gets `page_not_found`. It is served in a
/// sandbox (no script runs, and it has no access to the dashboard).
#[utoipa::path(get, path = "/api/v1/sites/preview/{token}", tag = "sites", security(("bearer" = [])),
    params(("token" = String, Path, description = "The link's token")),
    responses((status = 200, description = "The page", body = String, content_type = "text/html"),
        (status = "4XX", description = "A problem: page_not_found, preview_expired, unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn open_preview(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let page = sites.open_preview(&ctx, &token).await?;
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page.html).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("sandbox; {}", page.csp)) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(r)
}

/// List images
///
/// The site's images, each with every size and a ready `srcset`.
#[utoipa::path(get, path = "/api/v1/sites/{site}/assets", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 200, body = [Asset]),
        (status = "4XX", description = "A problem: site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn list_assets(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(site): Path<SiteId>,
) -> Result<Json<Vec<Asset>>, ApiError> {
    Ok(Json(sites.assets(&ctx, site).await?))
}

/// Query of an upload.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, for people (up to 200 characters).
    #[param(max_length = 200)]
    pub name: Option<String>,
}

/// Upload an image
///
/// The image's bytes as the body. Its type is judged by its content (JPEG,
/// PNG, WebP or GIF; at most 10 MB and 12,000 pixels a side); it is encoded
/// again without its metadata, in its own width (at most 2,400) and in
/// 1,600, 960 and 480 pixels when smaller. Counts against the plan's
/// storage. Members and above.
#[utoipa::path(post, path = "/api/v1/sites/{site}/assets", tag = "sites", security(("bearer" = [])),
    request_body(content = FileBytes, description = "The image file", content_type = "application/octet-stream"),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), UploadQuery),
    responses((status = 201, body = Asset),
        (status = "4XX", description = "A problem: asset_refused (415: not an image by its content), payload_too_large, plan_limit_reached, site_full, forbidden, site_not_found.", body = Problem, content_type = "application/problem+json")))]
async fn upload_asset(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(site): Path<SiteId>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Body,
) -> Result<(axum::http::StatusCode, Json<Asset>), ApiError> {
    // Images are larger than the API's default body limit: read up to theirs.
    let body = axum::body::to_bytes(body, MAX_ASSET_BYTES + 1).await.map_err(|_| {
        ApiError::new(
            stackpro_core::Code::PayloadTooLarge,
            format!("An image may be at most {} MB.", MAX_ASSET_BYTES / (1024 * 1024)),
        )
    })?;
    let asset = sites.upload(&ctx, site, q.name.as_deref().unwrap_or(""), body).await?;
    Ok((axum::http::StatusCode::CREATED, Json(asset)))
}

/// Delete an image
///
/// Deletes an image and its sizes. Pages that show it show nothing there
/// after their next publish. Members and above.
#[utoipa::path(delete, path = "/api/v1/sites/{site}/assets/{asset}", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id"), ("asset" = uuid::Uuid, Path, description = "The image's id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "A problem: forbidden, asset_not_found, site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn delete_asset(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path((site, asset)): Path<(SiteId, AssetId)>,
) -> Result<axum::http::StatusCode, ApiError> {
    sites.delete_asset(&ctx, site, asset).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Form submissions
///
/// What visitors sent through the site's forms, newest first (the last
/// 1,000), opened.
#[utoipa::path(get, path = "/api/v1/sites/{site}/submissions", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 200, body = [Submission]),
        (status = "4XX", description = "A problem: site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn submissions(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(site): Path<SiteId>,
) -> Result<Json<Vec<Submission>>, ApiError> {
    Ok(Json(sites.submissions(&ctx, site).await?))
}

/// Export form submissions
///
/// The submissions as CSV, one column per field.
#[utoipa::path(get, path = "/api/v1/sites/{site}/submissions.csv", tag = "sites", security(("bearer" = [])),
    params(("site" = uuid::Uuid, Path, description = "The site's id")),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv"),
        (status = "4XX", description = "A problem: site_not_found, invalid_path.", body = Problem, content_type = "application/problem+json")))]
async fn submissions_csv(
    State(sites): State<Sites>,
    ctx: TenantCtx,
    Path(site): Path<SiteId>,
) -> Result<Response, ApiError> {
    let csv = sites.submissions_csv(&ctx, site).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"submissions.csv\""),
        ],
        csv,
    )
        .into_response())
}
