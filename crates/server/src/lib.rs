//! Server: the `stackpro` binary. It composes every crate's router into one
//! axum application behind one middleware stack (request ids, tracing, problem
//! rendering, security headers, CORS, deadlines, body limits, metrics,
//! security events), serves it with its own connection loop ([`serve`]:
//! limits, timeouts, draining shutdown), serves the web UI at `/app`, runs the
//! job worker, and offers the operator's commands (`serve`, `migrate`,
//! `tenant`, `audit verify`, `keys rotate-master`, `jobs`, `security events`).
//!
//! Start with [`app::App::build`]: it turns a `Config` into a running
//! application, in exactly the same way for `stackpro serve` and for the tests.

pub mod app;
pub mod cli;
pub mod demo;
pub mod http;
pub mod metrics;
pub mod serve;
pub mod web;

pub use app::App;
