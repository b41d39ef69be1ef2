//! The operator's commands.

use crate::app::App;
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use stackpro_core::config::{Config, LogFormat};
use stackpro_core::Clock;
use stackpro_security::model::{Email, Password, TenantName};
use stackpro_security::Signup;
use std::path::PathBuf;

/// StackPro: sites, assistant, collaboration and billing for small businesses.
#[derive(Parser, Debug)]
#[command(name = "stackpro", version, about)]
pub struct Cli {
    /// A TOML configuration file; `STACKPRO_*` variables override it.
    #[arg(long, global = true, env = "STACKPRO_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (migrating the database first).
    Serve {
        /// Seed a demo workspace and print its login (a fresh password each start).
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants.
    Tenant {
        /// What to do with tenants.
        #[command(subcommand)]
        action: TenantCmd,
    },
    /// Audit log tools.
    Audit {
        /// What to do with the audit log.
        #[command(subcommand)]
        action: AuditCmd,
    },
    /// Refused requests recorded as security events.
    Security {
        /// What to do with security events.
        #[command(subcommand)]
        action: SecurityCmd,
    },
    /// Platform operators: the people who may open the operator console.
    Operator {
        /// What to do.
        #[command(subcommand)]
        action: OperatorCmd,
    },
    /// Billing tools for operators.
    Billing {
        /// What to do.
        #[command(subcommand)]
        action: BillingCmd,
    },
    /// Key management.
    Keys {
        /// What to do with keys.
        #[command(subcommand)]
        action: KeysCmd,
    },
    /// Show background jobs.
    Jobs {
        /// Only jobs in this status: queued, running, succeeded, failed.
        #[arg(long)]
        status: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Configuration tools.
    Config {
        /// What to do with configuration.
        #[command(subcommand)]
        action: ConfigCmd,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// `stackpro operator …`
#[derive(Subcommand, Debug)]
pub enum OperatorCmd {
    /// Make an operator; prints a generated password unless one is given
    /// on standard input with --password-stdin.
    Create {
        /// Their sign-in email.
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an operator a new password (printed) and end their sessions.
    ResetPassword {
        /// Their email.
        email: String,
    },
    /// Stop an operator from signing in; ends their sessions at once.
    Disable {
        /// Their email.
        email: String,
    },
    /// Let a disabled operator sign in again.
    Enable {
        /// Their email.
        email: String,
    },
    /// List operators.
    List,
}

/// `stackpro billing …`
#[derive(Subcommand, Debug)]
pub enum BillingCmd {
    /// Post finished days' overage to Stripe now (the server does it daily);
    /// safe to run again, also after an interrupted run.
    SyncStripe,
    /// Run the billing tick now: trials end, scheduled downgrades apply,
    /// unpaid accounts are restricted, finished periods are invoiced.
    Tick,
    /// Put a workspace on a plan at once, without charge or proration
    /// checks (support cases; owners change plans in the app).
    SetPlan {
        /// Workspace slug or id.
        tenant: String,
        /// The plan's key (see `GET /api/v1/billing/plans`).
        plan: String,
    },
    /// Clear a workspace's overdue payment (settled outside Stripe, or
    /// written off): it is in good standing again at once.
    Settle {
        /// Workspace slug or id.
        tenant: String,
    },
}

/// `stackpro tenant …`
#[derive(Subcommand, Debug)]
pub enum TenantCmd {
    /// Create a tenant and its owner; prints a generated password unless one is given.
    Create {
        /// The workspace's name.
        #[arg(long)]
        name: String,
        /// The owner's email.
        #[arg(long)]
        email: String,
        /// The owner's password (read from STACKPRO_OWNER_PASSWORD to keep it out of shell history).
        #[arg(long, env = "STACKPRO_OWNER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List tenants.
    List,
    /// Delete a tenant, its rows, blobs and data key (irreversible).
    Delete {
        /// Which workspace.
        #[command(flatten)]
        which: Which,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
}

/// How a command names a workspace: its id or its slug, or either (refused
/// when the text is one workspace's id and another's slug).
#[derive(clap::Args, Debug, Clone)]
pub struct Which {
    /// The workspace's id or slug.
    #[arg(value_name = "ID_OR_SLUG", conflicts_with_all = ["id", "slug"])]
    pub tenant: Option<String>,
    /// The workspace's id.
    #[arg(long, conflicts_with = "slug")]
    pub id: Option<String>,
    /// The workspace's slug.
    #[arg(long)]
    pub slug: Option<String>,
}

/// `stackpro security …`
#[derive(Subcommand, Debug)]
pub enum SecurityCmd {
    /// Refused requests, newest first.
    Events {
        /// Only this workspace's (id or slug).
        #[arg(long)]
        tenant: Option<String>,
        /// Only this client IP's.
        #[arg(long)]
        ip: Option<String>,
        /// Only this kind (a problem code: unauthorized, forbidden, rate_limited, ...).
        #[arg(long)]
        kind: Option<String>,
        /// Only the last N minutes.
        #[arg(long)]
        since_minutes: Option<i64>,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// `stackpro audit …`
#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Verify a tenant's hash chain; exits 1 naming the first bad entry.
    Verify {
        /// The workspace's id or slug.
        #[arg(long, conflicts_with_all = ["id", "slug"])]
        tenant: Option<String>,
        /// The workspace's id.
        #[arg(long, conflicts_with = "slug")]
        id: Option<String>,
        /// The workspace's slug.
        #[arg(long)]
        slug: Option<String>,
    },
}

/// `stackpro keys …`
#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Generate a new master key and re-wrap every tenant data key with it.
    RotateMaster,
}

/// `stackpro config …`
#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Print every setting with its default and a comment.
    Example,
}

/// Sets up logging: `STACKPRO_LOG=json|pretty` picks the format, `RUST_LOG` the filter.
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    // The HTML parser warns for every odd tag of a page it sanitises: as
    // many lines as the page has tags, whatever RUST_LOG asks.
    let filter = match "html5ever=error".parse() {
        Ok(d) => filter.add_directive(d),
        Err(_) => filter,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).init(),
        LogFormat::Pretty => builder.compact().init(),
    }
}

/// Runs a command.
///
/// # Errors
/// Whatever the command fails with, for `main` to print.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Config { action: ConfigCmd::Example } => {
            print!("{}", stackpro_core::config::example_toml());
            return Ok(0);
        }
        Command::Openapi => {
            println!("{}", crate::app::openapi_json_text()?);
            return Ok(0);
        }
        _ => {}
    }
    let cfg = Config::load(cli.config.as_deref())?;
    init_tracing(cfg.log);
    let clock = Clock::system();
    match cli.command {
        Command::Serve { demo } => serve(cfg, clock, demo).await,
        Command::Migrate => {
            App::parts(&cfg, clock).await?;
            println!("migrations applied");
            Ok(0)
        }
        Command::Tenant { action } => tenant(cfg, clock, action).await,
        Command::Audit { action: AuditCmd::Verify { tenant, id, slug } } => {
            let parts = App::parts(&cfg, clock).await?;
            let t = resolve(&parts.security, &Which { tenant, id, slug }).await?;
            let v = parts.security.verify_audit_of(t.id).await?;
            if v.ok {
                println!("audit chain of {} ({}) is intact: {} entries verified", t.slug, t.id, v.checked);
                Ok(0)
            } else {
                println!(
                    "audit chain of {} ({}) is BROKEN at entry {}: {}",
                    t.slug,
                    t.id,
                    v.first_bad_seq.unwrap_or(0),
                    v.reason.unwrap_or_default()
                );
                Ok(1)
            }
        }
        Command::Operator { action } => operator(cfg, clock, action).await,
        Command::Billing { action } => {
            let parts = App::parts(&cfg, clock).await?;
            match action {
                BillingCmd::SyncStripe => {
                    anyhow::ensure!(
                        parts.billing.payments_configured(),
                        "Stripe is not configured (set STACKPRO_STRIPE_SECRET_KEY)"
                    );
                    let posted = parts.billing.sync_usage().await?;
                    println!("usage synchronised with Stripe: {posted} items posted");
                }
                BillingCmd::Tick => {
                    let report = parts.billing.tick().await?;
                    println!("billing tick: {report:?}");
                }
                BillingCmd::SetPlan { tenant, plan } => {
                    let t = resolve(&parts.security, &Which { tenant: Some(tenant), id: None, slug: None }).await?;
                    parts.billing.set_plan(t.id, &plan, "operator").await?;
                    println!("{} ({}) is on the {plan} plan", t.slug, t.id);
                }
                BillingCmd::Settle { tenant } => {
                    let t = resolve(&parts.security, &Which { tenant: Some(tenant), id: None, slug: None }).await?;
                    if parts.billing.settle(t.id).await? {
                        println!("{} ({}) is in good standing again", t.slug, t.id);
                    } else {
                        println!("{} ({}) had no overdue payment", t.slug, t.id);
                    }
                }
            }
            Ok(0)
        }
        Command::Keys { action: KeysCmd::RotateMaster } => {
            let parts = App::parts(&cfg, clock).await?;
            let n = parts.security.rotate_master_key().await?;
            println!("master key rotated; {n} tenant data keys re-wrapped (restart is not needed: replicas reload the key file)");
            Ok(0)
        }
        Command::Jobs { status, limit } => {
            let parts = App::parts(&cfg, clock).await?;
            let jobs = stackpro_store::jobs::list(&parts.db, status.as_deref(), limit).await?;
            println!("{:<38} {:<14} {:<10} {:>8} {:<25} last error", "id", "kind", "status", "attempts", "run at");
            for j in jobs {
                println!(
                    "{:<38} {:<14} {:<10} {:>4}/{:<3} {:<25} {}",
                    j.id.to_string(),
                    j.kind,
                    j.status,
                    j.attempts,
                    j.max_attempts,
                    j.run_at.to_rfc3339(),
                    j.last_error.unwrap_or_default()
                );
            }
            Ok(0)
        }
        Command::Security { action: SecurityCmd::Events { tenant, ip, kind, since_minutes, limit } } => {
            let parts = App::parts(&cfg, clock.clone()).await?;
            let tenant = match tenant {
                Some(t) => Some(resolve(&parts.security, &Which { tenant: Some(t), id: None, slug: None }).await?.id),
                None => None,
            };
            let filter = stackpro_security::events::EventFilter {
                tenant,
                ip,
                kind,
                since: since_minutes.map(|m| clock.now() - chrono::Duration::minutes(m)),
                limit: limit.clamp(1, 10_000),
            };
            let events = parts.security.query_security_events(&filter).await?;
            println!(
                "{:<32} {:<16} {:<22} {:<7} {:<30} {:<38} detail",
                "at", "ip", "kind", "method", "route", "tenant"
            );
            for e in events {
                println!(
                    "{:<32} {:<16} {:<22} {:<7} {:<30} {:<38} {}",
                    e.at.to_rfc3339(),
                    e.ip,
                    e.kind,
                    e.method,
                    e.route,
                    e.tenant_id.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
                    e.detail
                );
            }
            Ok(0)
        }
        Command::Config { .. } | Command::Openapi => Ok(0),
    }
}

async fn serve(cfg: Config, clock: Clock, demo: bool) -> anyhow::Result<i32> {
    let listener =
        tokio::net::TcpListener::bind(cfg.listen).await.with_context(|| format!("binding {}", cfg.listen))?;
    let app = App::build(cfg.clone(), clock).await?;
    let addr = listener.local_addr()?;
    if demo {
        let demo = crate::demo::seed(&app).await?;
        println!();
        println!("  StackPro is running: http://{addr}/app");
        println!("  Demo workspace login: {} / {}", demo.email, demo.password);
        if let Some(url) = demo.site_url {
            println!(
                "  Demo website: {url}  (curl -H 'Host: {}' http://{addr}/)",
                url.trim_start_matches("http://").trim_start_matches("https://").trim_end_matches('/')
            );
        }
        println!();
    }
    tracing::info!(listen = %addr, database = ?app.state.db.dialect(), "serving");
    let shutdown = async {
        shutdown_signal().await;
        // A second signal (Ctrl-C pressed again) skips the graceful wait.
        tokio::spawn(async {
            shutdown_signal().await;
            tracing::warn!("second signal: exiting at once");
            std::process::exit(130);
        });
    };
    app.serve(listener, shutdown).await?;
    tracing::info!("stopped");
    Ok(0)
}

/// Creates the demo workspace, or gives its owner a fresh password.
async fn operator(cfg: Config, clock: Clock, action: OperatorCmd) -> anyhow::Result<i32> {
    let parts = App::parts(&cfg, clock).await?;
    let sec = &parts.security;
    let generated = || stackpro_security::crypto::random_token("").chars().take(20).collect::<String>();
    match action {
        OperatorCmd::Create { email, password_stdin } => {
            let email = Email::parse(&email)?;
            let (password, shown) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (generated(), true)
            };
            let password = Password::parse_new(&password, &email, "/password")?;
            sec.create_operator(&email, &password).await?;
            println!("operator {} created; the console is at {}/app/operator", email.as_str(), cfg.public_url);
            if shown {
                println!("password: {}", password.expose());
            }
        }
        OperatorCmd::ResetPassword { email } => {
            let email = Email::parse(&email)?;
            let password = Password::parse_new(&generated(), &email, "/password")?;
            if !sec.update_operator(&email, Some(&password), None).await? {
                bail!("no operator {}", email.as_str());
            }
            println!("new password for {}: {}", email.as_str(), password.expose());
        }
        OperatorCmd::Disable { email } => {
            let email = Email::parse(&email)?;
            if !sec.update_operator(&email, None, Some(true)).await? {
                bail!("no operator {}", email.as_str());
            }
            println!("operator {} disabled; their sessions have ended", email.as_str());
        }
        OperatorCmd::Enable { email } => {
            let email = Email::parse(&email)?;
            if !sec.update_operator(&email, None, Some(false)).await? {
                bail!("no operator {}", email.as_str());
            }
            println!("operator {} may sign in again", email.as_str());
        }
        OperatorCmd::List => {
            println!("{:<40} {:<27} disabled", "email", "created");
            for o in sec.list_operators().await? {
                println!(
                    "{:<40} {:<27} {}",
                    o.email,
                    o.created_at.to_rfc3339(),
                    o.disabled_at.map(|d| d.to_rfc3339()).unwrap_or_else(|| "-".into())
                );
            }
        }
    }
    Ok(0)
}

async fn tenant(cfg: Config, clock: Clock, action: TenantCmd) -> anyhow::Result<i32> {
    let parts = App::parts(&cfg, clock).await?;
    let sec = &parts.security;
    match action {
        TenantCmd::Create { name, email, password } => {
            let generated = password.is_none();
            let password =
                password.unwrap_or_else(|| stackpro_security::crypto::random_token("").chars().take(20).collect());
            let email = Email::parse(&email)?;
            let s = Signup {
                password: Password::parse_new(&password, &email, "/password")?,
                tenant_name: TenantName::parse(&name)?,
                email,
            };
            let (tx, tenant, owner) = sec.create_tenant(&s, None).await?;
            tx.commit().await?;
            println!("created tenant {} ({}) with owner {}", tenant.slug, tenant.id, owner.email);
            if generated {
                println!("owner password: {password}");
            }
        }
        TenantCmd::List => {
            println!("{:<38} {:<30} {:<25} name", "id", "slug", "created");
            for t in sec.list_tenants().await? {
                println!("{:<38} {:<30} {:<25} {}", t.id.to_string(), t.slug, t.created_at.to_rfc3339(), t.name);
            }
        }
        TenantCmd::Delete { which, yes } => {
            let t = resolve(sec, &which).await?;
            if !yes {
                bail!(
                    "deleting {} ({}) destroys all its data and its key for good: add --yes to confirm",
                    t.slug,
                    t.id
                );
            }
            sec.delete_tenant(t.id).await?;
            let blobs = parts.blobs.delete_tenant(t.id).await?;
            println!("deleted tenant {} ({}): rows, {blobs} blobs and its data key are gone", t.slug, t.id);
        }
    }
    Ok(0)
}

/// Finds the workspace a command names, says which one it found (on
/// stderr), and refuses what it cannot resolve unambiguously: text that is
/// one workspace's id and another's slug must be given as `--id` or `--slug`.
async fn resolve(sec: &stackpro_security::Security, which: &Which) -> anyhow::Result<stackpro_security::model::Tenant> {
    use stackpro_core::ids::TenantId;
    let by_id = |raw: &str| {
        raw.parse::<TenantId>().map_err(|_| anyhow::anyhow!("--id: {raw:?} is not a workspace id (a UUID)"))
    };
    let found = match (&which.tenant, &which.id, &which.slug) {
        (None, Some(id), None) => sec.tenant_by_id(by_id(id)?).await?,
        (None, None, Some(slug)) => sec.tenant_by_slug(slug).await?,
        (Some(either), None, None) => {
            let as_id = match either.parse::<TenantId>() {
                Ok(id) => sec.tenant_by_id(id).await?,
                Err(_) => None,
            };
            let as_slug = sec.tenant_by_slug(either).await?;
            match (as_id, as_slug) {
                (Some(a), Some(b)) if a.id != b.id => bail!(
                    "{either:?} is ambiguous: the id of workspace {} ({:?}), the slug of workspace {} ({:?}); use --id or --slug",
                    a.id,
                    a.name,
                    b.id,
                    b.name
                ),
                (Some(t), _) | (None, Some(t)) => Some(t),
                (None, None) => None,
            }
        }
        _ => bail!("name one workspace: its id or slug, --id ID or --slug SLUG"),
    };
    let what = which.tenant.as_ref().or(which.id.as_ref()).or(which.slug.as_ref()).cloned().unwrap_or_default();
    let t = found.ok_or_else(|| anyhow::anyhow!("no workspace {what:?}"))?;
    eprintln!("workspace {} (id {}), named {:?}, created {}", t.slug, t.id, t.name, t.created_at.to_rfc3339());
    Ok(t)
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
