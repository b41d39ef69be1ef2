//! Prometheus metrics, one registry per application (no global state, so
//! several apps can run in one test process).
//!
//! Every label value comes from a closed set, so no client can grow the
//! exposition: methods from [`method_label`] (unknown ones are `OTHER`), routes
//! from the router's templates (unmatched paths share `unmatched`), statuses as
//! classes (`2xx` ... `5xx`), and security-event kinds from the code list.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The application's metrics, shared (cloned for every request).
#[derive(Clone)]
pub struct Metrics(std::sync::Arc<MetricSet>);

impl std::ops::Deref for Metrics {
    type Target = MetricSet;
    fn deref(&self) -> &MetricSet {
        &self.0
    }
}

/// What [`Metrics`] holds.
pub struct MetricSet {
    registry: Registry,
    /// Requests by method, matched route and status.
    pub requests: IntCounterVec,
    /// Latency by method and matched route.
    pub latency: HistogramVec,
    /// Requests refused for security reasons, by problem code.
    pub refusals: IntCounterVec,
    /// Connections open now.
    pub connections: IntGauge,
    /// Security events dropped because the recorder's queue was full.
    pub events_dropped: IntGauge,
    /// Argon2 password verifications since start (brought up to date when
    /// `/metrics` is read).
    pub password_verifications: IntCounter,
}

/// The method as a label: one of the methods the API answers, else `OTHER`.
pub fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The status as a label: its class.
pub fn status_label(s: axum::http::StatusCode) -> &'static str {
    match s.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    /// Registers the HTTP metrics.
    ///
    /// # Errors
    /// Only if two metrics share a name, which is a programming error.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("stackpro".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered, by method, route template and status class"),
            &["method", "route", "status_class"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer HTTP requests")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["method", "route"],
        )?;
        let refusals = IntCounterVec::new(
            Opts::new("security_refusals_total", "Requests refused for security reasons, by problem code"),
            &["code"],
        )?;
        let connections = IntGauge::new("http_connections", "HTTP connections open")?;
        let events_dropped =
            IntGauge::new("security_events_dropped", "Security events dropped because their queue was full")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(refusals.clone()))?;
        registry.register(Box::new(connections.clone()))?;
        let password_verifications =
            IntCounter::new("password_verifications_total", "Argon2 password verifications since start")?;
        registry.register(Box::new(events_dropped.clone()))?;
        registry.register(Box::new(password_verifications.clone()))?;
        Ok(Metrics(std::sync::Arc::new(MetricSet {
            registry,
            requests,
            latency,
            refusals,
            connections,
            events_dropped,
            password_verifications,
        })))
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
