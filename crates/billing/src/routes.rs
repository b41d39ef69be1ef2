//! HTTP handlers of billing: the overview, the catalogue, plan changes and
//! invoices. Each extracts, calls one service method and maps the result.

use crate::service::Billing;
use crate::views::*;
use axum::extract::{FromRef, State};
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, Json, OperatorCtx, Path, Problem, Query, TenantCtx};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this crate, for any router state that holds the service
/// and the authenticator.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Billing: FromRef<S>,
    AuthState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(plans))
        .routes(routes!(change_plan))
        .routes(routes!(invoices))
        .routes(routes!(invoice))
        .routes(routes!(usage))
        .routes(routes!(usage_csv))
        .routes(routes!(forecast))
        .routes(routes!(checkout))
        .routes(routes!(stripe_webhook))
        .routes(routes!(operator_overview))
        .routes(routes!(operator_usage))
}

/// Query of the usage history and its export.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Days back from today, today included: 1 to 400 (default 30).
    #[param(minimum = 1, maximum = 400)]
    pub days: Option<i64>,
}

impl HistoryQuery {
    /// The days asked for, `default` when absent.
    fn days(&self, default: i64) -> Result<i64, crate::Error> {
        let days = self.days.unwrap_or(default);
        if !(1..=400).contains(&days) {
            return Err(crate::Error::Invalid("/days", "days must be between 1 and 400".into()));
        }
        Ok(days)
    }
}

/// A plan key as the schema allows it, or `invalid_body` (the key is not
/// echoed: it may be anything).
fn plan_key(body: &ChangePlan) -> Result<&str, ApiError> {
    let key = body.plan.as_str();
    let well_formed = (1..=64).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !well_formed {
        return Err(ApiError::new(
            stackpro_core::error::Code::InvalidBody,
            "plan must be a plan's key: 1 to 64 lowercase letters, digits, '_' or '-'.",
        )
        .with_field("/plan"));
    }
    Ok(key)
}

/// Daily usage
///
/// Every meter's usage on each day of the range, for charts. Owners and
/// admins.
#[utoipa::path(get, path = "/api/v1/billing/usage", tag = "billing", security(("bearer" = [])), params(HistoryQuery),
    responses((status = 200, body = UsageHistory),
        (status = "4XX", description = "A problem: unauthorized, forbidden, invalid_query.", body = Problem, content_type = "application/problem+json")))]
async fn usage(
    State(billing): State<Billing>,
    ctx: TenantCtx,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<UsageHistory>, ApiError> {
    Ok(Json(billing.usage_history(&ctx, q.days(30)?).await?))
}

/// Export daily usage
///
/// The daily usage as CSV (`day,meter,unit,value`), for spreadsheets. Owners
/// and admins.
#[utoipa::path(get, path = "/api/v1/billing/usage.csv", tag = "billing", security(("bearer" = [])), params(HistoryQuery),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv"),
        (status = "4XX", description = "A problem: unauthorized, forbidden, invalid_query.", body = Problem, content_type = "application/problem+json")))]
async fn usage_csv(
    State(billing): State<Billing>,
    ctx: TenantCtx,
    Query(q): Query<HistoryQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let csv = billing.usage_csv(&ctx, q.days(90)?).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"usage.csv\""),
        ],
        csv,
    )
        .into_response())
}

/// Forecast
///
/// Where the period is heading: each meter projected to the period's end
/// with 80 % and 95 % ranges, the day a limit will be reached, the period's
/// cost at that usage, and a plan that would fit better. Owners and admins.
#[utoipa::path(get, path = "/api/v1/billing/forecast", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = Forecast),
        (status = "4XX", description = "A problem: unauthorized, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn forecast(State(billing): State<Billing>, ctx: TenantCtx) -> Result<Json<Forecast>, ApiError> {
    Ok(Json(billing.forecast(&ctx).await?))
}

/// The workspace's billing
///
/// Its plan and standing, the current period's usage per meter against the
/// plan, the alerts sent, and this period's invoice as it stands. Owners and
/// admins.
#[utoipa::path(get, path = "/api/v1/billing", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = Overview),
        (status = "4XX", description = "A problem: unauthorized, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn overview(State(billing): State<Billing>, ctx: TenantCtx) -> Result<Json<Overview>, ApiError> {
    Ok(Json(billing.overview(&ctx).await?))
}

/// The plans
///
/// The plans a workspace may choose, cheapest first, with what each allows.
#[utoipa::path(get, path = "/api/v1/billing/plans", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = PlanList),
        (status = "4XX", description = "A problem: unauthorized.", body = Problem, content_type = "application/problem+json")))]
async fn plans(State(billing): State<Billing>, _ctx: TenantCtx) -> Json<PlanList> {
    Json(billing.plans())
}

/// Change the plan
///
/// A higher plan applies at once, the period's invoice charging each plan for
/// the time it was used; a lower plan applies at the end of the period and is
/// refused while the workspace uses more than one of its hard limits allows.
/// Choosing the current plan again cancels a scheduled change. Owners only.
#[utoipa::path(post, path = "/api/v1/billing/plan", tag = "billing", request_body = ChangePlan, security(("bearer" = [])),
    responses((status = 200, body = PlanChangeView),
        (status = "4XX", description = "A problem: unauthorized, forbidden, plan_not_found, plan_unchanged, downgrade_refused (with `over_limits`: the meters over the smaller plan's hard limits), payment_method_required (Stripe is configured and the workspace has no card yet: use Checkout), invalid_body.", body = Problem, content_type = "application/problem+json")))]
async fn change_plan(
    State(billing): State<Billing>,
    ctx: TenantCtx,
    Json(body): Json<ChangePlan>,
) -> Result<Json<PlanChangeView>, ApiError> {
    Ok(Json(billing.change_plan(&ctx, plan_key(&body)?).await?))
}

/// List invoices
///
/// The workspace's issued invoices, newest first. Owners and admins.
#[utoipa::path(get, path = "/api/v1/billing/invoices", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = InvoiceList),
        (status = "4XX", description = "A problem: unauthorized, forbidden.", body = Problem, content_type = "application/problem+json")))]
async fn invoices(State(billing): State<Billing>, ctx: TenantCtx) -> Result<Json<InvoiceList>, ApiError> {
    Ok(Json(billing.invoices(&ctx).await?))
}

/// Get an invoice
///
/// One issued invoice with its lines, as printed. Owners and admins.
#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}", tag = "billing", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The invoice's id")),
    responses((status = 200, body = InvoiceView),
        (status = "4XX", description = "A problem: unauthorized, forbidden, invoice_not_found.", body = Problem, content_type = "application/problem+json")))]
async fn invoice(
    State(billing): State<Billing>,
    ctx: TenantCtx,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<InvoiceView>, ApiError> {
    Ok(Json(billing.invoice(&ctx, id).await?))
}

/// Pay by card
///
/// A Stripe Checkout page where the owner enters a card and subscribes to
/// the plan; the answer's `url` is where to send the browser. Owners only,
/// and only where Stripe is configured.
#[utoipa::path(post, path = "/api/v1/billing/checkout", tag = "billing", request_body = ChangePlan, security(("bearer" = [])),
    responses((status = 200, body = crate::service::payments::CheckoutView),
        (status = "4XX", description = "A problem: unauthorized, forbidden, plan_not_found, payments_not_configured, invalid_body.", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "A problem: payments_failed (Stripe refused), unavailable (Stripe unreachable).", body = Problem, content_type = "application/problem+json")))]
async fn checkout(
    State(billing): State<Billing>,
    ctx: TenantCtx,
    Json(body): Json<ChangePlan>,
) -> Result<Json<crate::service::payments::CheckoutView>, ApiError> {
    Ok(Json(billing.checkout(&ctx, plan_key(&body)?).await?))
}

/// Stripe's webhook
///
/// Where Stripe posts its events (configure this URL in Stripe's dashboard
/// with the events `invoice.paid`, `invoice.voided`, `invoice.payment_failed`
/// and `customer.subscription.*`). No bearer token: the `Stripe-Signature`
/// header, checked against the configured signing secrets, is the
/// authentication. An event is applied once however often it is delivered.
#[utoipa::path(post, path = "/api/v1/billing/stripe/webhook", tag = "billing",
    request_body(content = String, description = "The event, exactly as Stripe sent it", content_type = "application/json"),
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature of the body")),
    responses((status = 200, body = crate::service::payments::WebhookOutcome),
        (status = "4XX", description = "A problem: webhook_signature_invalid, payments_not_configured.", body = Problem, content_type = "application/problem+json")))]
async fn stripe_webhook(
    State(billing): State<Billing>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<crate::service::payments::WebhookOutcome>, ApiError> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    Ok(Json(billing.webhook(&body, signature).await?))
}

/// Query of the operator overview.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// The window of trial conversions, in days: 1 to 365 (default 90).
    #[param(minimum = 1, maximum = 365)]
    pub days: Option<i64>,
}

/// Revenue and plans
///
/// Monthly recurring revenue per plan, workspaces by plan and standing,
/// past-due workspaces, trial conversions, and what the last finished
/// period invoiced. Operators only: anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/operator/billing", tag = "operator", security(("operator" = [])), params(OverviewQuery),
    responses((status = 200, body = crate::service::operator::PlatformOverview),
        (status = "4XX", description = "A problem: route_not_found for anyone but an operator, invalid_query.", body = Problem, content_type = "application/problem+json")))]
async fn operator_overview(
    _op: OperatorCtx,
    State(billing): State<Billing>,
    Query(q): Query<OverviewQuery>,
) -> Result<Json<crate::service::operator::PlatformOverview>, ApiError> {
    let days = q.days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(crate::Error::Invalid("/days", "days must be between 1 and 365".into()).into());
    }
    Ok(Json(billing.platform_overview(days).await?))
}

/// Query of usage by workspace.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsageByTenantQuery {
    /// The meter (default `api_requests`).
    pub meter: Option<stackpro_core::Meter>,
    /// How many workspaces: 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Usage by workspace
///
/// This period's heaviest users of a meter, with their plan's allowance.
/// Operators only: anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/operator/usage", tag = "operator", security(("operator" = [])), params(UsageByTenantQuery),
    responses((status = 200, body = crate::service::operator::UsageByTenant),
        (status = "4XX", description = "A problem: route_not_found for anyone but an operator, invalid_query.", body = Problem, content_type = "application/problem+json")))]
async fn operator_usage(
    _op: OperatorCtx,
    State(billing): State<Billing>,
    Query(q): Query<UsageByTenantQuery>,
) -> Result<Json<crate::service::operator::UsageByTenant>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(crate::Error::Invalid("/limit", "limit must be between 1 and 500".into()).into());
    }
    let meter = q.meter.unwrap_or(stackpro_core::Meter::ApiRequests);
    Ok(Json(billing.usage_by_tenant(meter, limit).await?))
}
