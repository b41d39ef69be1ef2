//! Billing against a local Stripe (localstripe, `stripe_peer.py`), through the
//! real server: Checkout starts the subscription and plan changes move it,
//! webhooks are verified with Stripe's own Python library as the reference
//! signer and applied once, a declined renewal makes the workspace past due,
//! and the usage sync killed half-way posts nothing twice.

use crate::helpers::*;
use rstest::rstest;
use serde_json::{json, Value};
use stackpro_billing::service::usage::NewEvent;
use stackpro_core::Meter;
use std::time::Duration;

const SECRET_KEY: &str = "sk_test_stackpro";
const WEBHOOK_SECRET: &str = "whsec_stackpro_test";

fn python() -> String {
    std::env::var("STACKPRO_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// localstripe on a port of its own, killed when dropped.
struct StripePeer {
    base: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl StripePeer {
    async fn start() -> StripePeer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/stripe_peer.py");
        let child = tokio::process::Command::new(python())
            .args([script, &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("localstripe: run `make test`, which installs it beside STACKPRO_TEST_PYTHON");
        let peer = StripePeer { base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new(), _child: child };
        for _ in 0..300 {
            if peer.http.get(format!("{}/v1/customers", peer.base)).send().await.is_ok() {
                return peer;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("localstripe did not start on {port}");
    }

    async fn call(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        let req = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(SECRET_KEY);
        let req = if method == reqwest::Method::GET { req.query(form) } else { req.form(form) };
        req.send().await.unwrap().json().await.unwrap_or(Value::Null)
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        self.call(reqwest::Method::GET, path, query).await
    }

    /// Sends Stripe's events to the server, signed with the test secret.
    async fn send_webhooks_to(&self, app: &TestApp) {
        let url = app.url("/api/v1/billing/stripe/webhook");
        let res = self
            .http
            .post(format!("{}/_config/webhooks/stackpro", self.base))
            .form(&[("url", url.as_str()), ("secret", WEBHOOK_SECRET)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    /// Pays on the Checkout page: a good card, and the subscription starts.
    async fn complete_checkout(&self, url: &str) -> Value {
        let session = url.rsplit('/').next().unwrap();
        let res =
            self.http.post(format!("{}/_config/test/checkout/{session}/complete", self.base)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// Makes the next `POST path` after `after` ones hang once done.
    async fn stall(&self, path: &str, after: usize) {
        let res = self
            .http
            .post(format!("{}/_config/test/stall", self.base))
            .form(&[("path", path), ("after", &after.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn unstall(&self) {
        self.http.delete(format!("{}/_config/test/stall", self.base)).send().await.unwrap();
    }

    async fn invoice_items(&self, customer: &str) -> Vec<Value> {
        self.get("/v1/invoiceitems", &[("customer", customer), ("limit", "100")]).await["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

fn with_stripe(peer: &StripePeer) -> impl FnOnce(&mut stackpro_core::config::RawConfig) {
    let base = peer.base.clone();
    move |c| {
        c.plans = None;
        c.stripe_secret_key = Some(SECRET_KEY.to_owned().into());
        c.stripe_webhook_secret = Some(WEBHOOK_SECRET.to_owned().into());
        c.stripe_api_base = base;
    }
}

async fn overview(app: &TestApp, who: &Account) -> Value {
    let res = app.get("/api/v1/billing", &who.access).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Waits up to ten seconds for the overview to satisfy `done`.
async fn overview_when(app: &TestApp, who: &Account, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = overview(app, who).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("waited 10 s for {what}; the overview is {last:#}");
}

/// Starts Checkout for `plan` and pays it at the peer; returns the
/// overview once Stripe's webhook has moved the plan.
async fn subscribe(app: &TestApp, peer: &StripePeer, who: &Account, plan: &str) -> Value {
    let res = app.post("/api/v1/billing/checkout", Some(&who.access), json!({ "plan": plan })).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let url = res.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/c/pay/cs_test_", peer.base)), "{url}");
    peer.complete_checkout(&url).await;
    overview_when(app, who, "the subscription's webhook", |o| o["plan"]["key"] == plan).await
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn an_upgrade_through_checkout_creates_the_subscription_and_a_later_upgrade_moves_it(#[case] backend: Backend) {
    let peer = StripePeer::start().await;
    let app = TestApp::spawn_with(backend, with_stripe(&peer)).await;
    peer.send_webhooks_to(&app).await;
    let ann = app.signup("ann").await;

    // The first paid plan needs a card: the API says where to go.
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "professional" })).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "payment_method_required");
    assert_eq!(overview(&app, &ann).await["plan"]["key"], "trial", "a refused change changes nothing");
    // Checkout refuses a plan the seats in use exceed, as the plan page does.
    for who in ["b", "c", "d"] {
        app.invite(&ann.access, &format!("{who}@ann.test"), "member").await;
    }
    let res = app.post("/api/v1/billing/checkout", Some(&ann.access), json!({ "plan": "starter" })).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["over_limits"][0], json!({ "meter": "seats", "current": 4, "limit": 3 }), "{body}");

    let o = subscribe(&app, &peer, &ann, "professional").await;
    let stripe = &o["stripe"];
    assert_eq!((stripe["subscribed_plan"].as_str(), stripe["in_sync"].as_bool()), (Some("professional"), Some(true)));
    let sub_id = stripe["subscription"].as_str().unwrap().to_owned();
    let sub = peer.get(&format!("/v1/subscriptions/{sub_id}"), &[]).await;
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["customer"], stripe["customer"]);
    let plan = &sub["items"]["data"][0]["plan"];
    assert_eq!((plan["metadata"]["plan"].as_str(), plan["amount"].as_i64()), (Some("professional"), Some(4900)));

    // A second Checkout would make a second subscription.
    let res = app.post("/api/v1/billing/checkout", Some(&ann.access), json!({ "plan": "enterprise" })).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "subscription_exists");

    // With a card on file, an upgrade applies at once and moves the subscription.
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "enterprise" })).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let o =
        overview_when(&app, &ann, "the subscription to move", |o| o["stripe"]["subscribed_plan"] == "enterprise").await;
    assert_eq!(o["stripe"]["subscription"].as_str(), Some(sub_id.as_str()), "the same subscription, moved");
    let sub = peer.get(&format!("/v1/subscriptions/{sub_id}"), &[]).await;
    assert_eq!(sub["items"]["data"][0]["plan"]["metadata"]["plan"], "enterprise");
    assert_eq!(sub["items"]["data"][0]["plan"]["amount"], 19900);

    let customers = peer.get("/v1/customers", &[("limit", "100")]).await;
    let ours =
        customers["data"].as_array().unwrap().iter().filter(|c| c["metadata"]["tenant_id"] == ann.tenant_id).count();
    assert_eq!(ours, 1, "one Stripe customer per workspace");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_failed_renewal_makes_the_workspace_past_due_with_an_email_and_the_paid_invoice_clears_it(
    #[case] backend: Backend,
) {
    let smtpd = crate::auth::Smtpd::start();
    let port = smtpd.port;
    let peer = StripePeer::start().await;
    let tweak = with_stripe(&peer);
    let app = TestApp::spawn_with(backend, move |c| {
        tweak(c);
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    peer.send_webhooks_to(&app).await;
    let ann = app.signup("ann").await;
    let o = subscribe(&app, &peer, &ann, "starter").await;
    let customer = o["stripe"]["customer"].as_str().unwrap().to_owned();
    app.drain_jobs().await;
    let before = smtpd.mails().len();

    // Stripe tells of a renewal it could not charge: the invoice as the
    // peer has it, in an event signed by Stripe's own library (localstripe
    // sends no `invoice.payment_failed` for invoices it fails to charge).
    let invoices = peer.get("/v1/invoices", &[("customer", &customer)]).await;
    let mut invoice = invoices["data"][0].clone();
    assert_eq!(invoice["customer"], customer.as_str());
    invoice["status"] = json!("open");
    invoice["paid"] = json!(false);
    invoice["attempt_count"] = json!(1);
    let failed = event("evt_renewal_failed", "invoice.payment_failed", invoice.clone());
    let now = chrono::Utc::now().timestamp();
    let (status, body) = deliver(&app, &failed, Some(&stripe_signature(&failed, WEBHOOK_SECRET, now))).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("applied")), "{body}");

    let o = overview(&app, &ann).await;
    assert_eq!(o["status"], "past_due");
    assert!(o["past_due_since"].is_string() && o["restricted_at"].is_string(), "{o:#}");
    assert_eq!(o["effective_plan"], "starter", "the plan holds during the grace period");
    // No dearer plan while a payment is overdue; the standing survives.
    let res = app.post("/api/v1/billing/plan", Some(&ann.access), json!({ "plan": "professional" })).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "payment_overdue");
    assert_eq!(overview(&app, &ann).await["status"], "past_due");
    // A signed event with an id Stripe never sends is refused, not stored.
    let odd = event("evt_\u{0}x", "invoice.paid", json!({ "id": "in_9", "object": "invoice", "customer": "cus_x" }));
    let (status, body) = deliver(&app, &odd, Some(&stripe_signature(&odd, WEBHOOK_SECRET, now))).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("webhook_signature_invalid")), "{body}");
    app.drain_jobs().await;
    let mails = smtpd.wait_for(before + 1).await;
    assert!(mails[before..].iter().any(|m| m.contains("Payment failed")), "{:#?}", &mails[before..]);

    // Cancelled in Stripe while overdue: free, still overdue, and Checkout
    // will not start a new paid plan until the invoice is settled.
    let sub = o["stripe"]["subscription"].as_str().unwrap().to_owned();
    peer.call(reqwest::Method::DELETE, &format!("/v1/subscriptions/{sub}"), &[]).await;
    let ended = event(
        "evt_sub_ended",
        "customer.subscription.deleted",
        json!({ "id": sub, "object": "subscription", "customer": customer }),
    );
    assert_eq!(deliver(&app, &ended, Some(&stripe_signature(&ended, WEBHOOK_SECRET, now))).await.0, 200);
    let o = overview(&app, &ann).await;
    assert_eq!((o["plan"]["key"].as_str(), o["status"].as_str()), (Some("free"), Some("past_due")), "{o:#}");
    let res = app.post("/api/v1/billing/checkout", Some(&ann.access), json!({ "plan": "enterprise" })).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "payment_overdue");

    // The card updated, Stripe collects and says so.
    invoice["status"] = json!("paid");
    invoice["paid"] = json!(true);
    let paid = event("evt_renewal_paid", "invoice.paid", invoice);
    let (status, _) = deliver(&app, &paid, Some(&stripe_signature(&paid, WEBHOOK_SECRET, now))).await;
    assert_eq!(status, 200);
    let o = overview(&app, &ann).await;
    assert_eq!(o["status"], "active");
    assert!(o["past_due_since"].is_null(), "{o:#}");
}

/// `Stripe-Signature` for `payload`, made by Stripe's Python library.
fn stripe_signature(payload: &str, secret: &str, timestamp: i64) -> String {
    use std::io::Write;
    let code = "import stripe, sys; \
                print(stripe.WebhookSignature.generate_signature_header(sys.stdin.read(), sys.argv[1], int(sys.argv[2])))";
    let mut child = std::process::Command::new(python())
        .args(["-c", code, secret, &timestamp.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the stripe package: run `make test`, which installs it beside STACKPRO_TEST_PYTHON");
    child.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn deliver(app: &TestApp, payload: &str, signature: Option<&str>) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/billing/stripe/webhook"))
        .header("content-type", "application/json")
        .body(payload.to_owned());
    if let Some(s) = signature {
        req = req.header("Stripe-Signature", s);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

fn event(id: &str, kind: &str, object: Value) -> String {
    json!({ "id": id, "object": "event", "api_version": "2024-06-20", "created": chrono::Utc::now().timestamp(),
            "type": kind, "data": { "object": object } })
    .to_string()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn webhooks_signed_by_stripes_library_are_applied_once_and_tampered_stale_or_unsigned_ones_change_nothing(
    #[case] backend: Backend,
) {
    let peer = StripePeer::start().await;
    let app = TestApp::spawn_with(backend, with_stripe(&peer)).await;
    let ann = app.signup("ann").await;
    // Checkout makes the customer and the Stripe plans; it is not paid here.
    let res = app.post("/api/v1/billing/checkout", Some(&ann.access), json!({ "plan": "professional" })).await;
    assert_eq!(res.status(), 200);
    let checkout = res.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned();
    let customer = overview(&app, &ann).await["stripe"]["customer"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().timestamp();
    let failed = event(
        "evt_failed_1",
        "invoice.payment_failed",
        json!({ "id": "in_1", "object": "invoice", "customer": customer }),
    );

    let refused = [
        ("unsigned", None),
        ("tampered", Some(stripe_signature(&failed.replace("in_1", "in_2"), WEBHOOK_SECRET, now))),
        ("stale", Some(stripe_signature(&failed, WEBHOOK_SECRET, now - 301))),
        ("from the future", Some(stripe_signature(&failed, WEBHOOK_SECRET, now + 400))),
        ("another secret", Some(stripe_signature(&failed, "whsec_someone_else", now))),
        ("garbage", Some("t=abc,v1=zz".to_owned())),
    ];
    for (what, signature) in refused {
        let (status, body) = deliver(&app, &failed, signature.as_deref()).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("webhook_signature_invalid")), "{what}: {body}");
    }
    assert_eq!(overview(&app, &ann).await["status"], "trialing", "refused events changed nothing");

    // Subscription events are read back from Stripe: what counts is the
    // subscription as it is when the event arrives. Paying at Checkout starts
    // one (this test's peer sends no events: the test signs them).
    let sub = peer.complete_checkout(&checkout).await["subscription"].as_str().unwrap().to_owned();
    let bob = app.signup("bob").await;
    let res = app.post("/api/v1/billing/checkout", Some(&bob.access), json!({ "plan": "enterprise" })).await;
    assert_eq!(res.status(), 200, "Stripe's Enterprise plan now exists");
    let sub_event =
        |id: &str, kind: &str| event(id, kind, json!({ "id": sub, "object": "subscription", "customer": customer }));
    let signed = |e: &String| stripe_signature(e, WEBHOOK_SECRET, now);
    let started = sub_event("evt_sub_created", "customer.subscription.created");
    assert_eq!(deliver(&app, &started, Some(&signed(&started))).await.0, 200);
    let o = overview(&app, &ann).await;
    assert_eq!(
        (o["plan"]["key"].as_str(), o["stripe"]["subscription"].as_str()),
        (Some("professional"), Some(sub.as_str()))
    );
    assert_eq!(o["status"], "active");

    let (status, body) = deliver(&app, &failed, Some(&signed(&failed))).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(overview(&app, &ann).await["status"], "past_due");
    let (status, body) = deliver(&app, &failed, Some(&signed(&failed))).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("duplicate")), "a replay is acknowledged, not applied");

    // Another invoice paid does not clear the failed one; that one paid does.
    let other = event("evt_paid_0", "invoice.paid", json!({ "id": "in_0", "object": "invoice", "customer": customer }));
    assert_eq!(deliver(&app, &other, Some(&signed(&other))).await.0, 200);
    assert_eq!(overview(&app, &ann).await["status"], "past_due", "in_1 is still unpaid");
    // During a secret rotation Stripe signs with both; one known is enough.
    let paid = event("evt_paid_1", "invoice.paid", json!({ "id": "in_1", "object": "invoice", "customer": customer }));
    let old = stripe_signature(&paid, "whsec_retired", now);
    let new = stripe_signature(&paid, WEBHOOK_SECRET, now);
    let both = format!("{old},{}", new.split(',').nth(1).unwrap());
    let (status, body) = deliver(&app, &paid, Some(&both)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("applied")), "{body}");
    let o = overview(&app, &ann).await;
    assert_eq!((o["status"].as_str(), o["past_due_since"].as_str()), (Some("active"), None), "{o:#}");

    // Moved to Enterprise in Stripe's dashboard: adopted.
    let enterprise = peer.get("/v1/plans", &[("limit", "100")]).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["metadata"]["plan"] == "enterprise")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let item =
        peer.get(&format!("/v1/subscriptions/{sub}"), &[]).await["items"]["data"][0]["id"].as_str().unwrap().to_owned();
    peer.call(
        reqwest::Method::POST,
        &format!("/v1/subscriptions/{sub}"),
        &[("items[0][id]", &item), ("items[0][plan]", &enterprise)],
    )
    .await;
    let moved = sub_event("evt_sub_moved", "customer.subscription.updated");
    assert_eq!(deliver(&app, &moved, Some(&signed(&moved))).await.0, 200);
    assert_eq!(overview(&app, &ann).await["plan"]["key"], "enterprise");
    // An older event delivered late changes nothing: Stripe says Enterprise.
    let late = sub_event("evt_sub_late", "customer.subscription.updated");
    assert_eq!(deliver(&app, &late, Some(&signed(&late))).await.0, 200);
    assert_eq!(overview(&app, &ann).await["plan"]["key"], "enterprise");

    // Cancelled in Stripe: the workspace drops to free, nothing deleted.
    peer.call(reqwest::Method::DELETE, &format!("/v1/subscriptions/{sub}"), &[]).await;
    let ended = sub_event("evt_sub_deleted", "customer.subscription.deleted");
    assert_eq!(deliver(&app, &ended, Some(&signed(&ended))).await.0, 200);
    let o = overview(&app, &ann).await;
    assert_eq!((o["plan"]["key"].as_str(), o["stripe"]["subscription"].as_str()), (Some("free"), None));

    let log: Value = app.get("/api/v1/audit?limit=200", &ann.access).await.json().await.unwrap();
    let applied: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "billing.stripe_event")
        .map(|e| e["details"]["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut unique = applied.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(applied.len(), unique.len(), "each event applied once: {applied:?}");
    assert!(
        applied.contains(&"evt_failed_1".to_owned()) && applied.contains(&"evt_sub_deleted".to_owned()),
        "{applied:?}"
    );
}

/// `stackpro billing sync-stripe` against the test's database and peer.
fn sync_command(app: &TestApp, peer: &StripePeer) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_stackpro"));
    cmd.args(["billing", "sync-stripe"])
        .env("STACKPRO_DATA_DIR", app.data_dir.path())
        .env("STACKPRO_DATABASE_URL", &app.database_url)
        .env("STACKPRO_STRIPE_SECRET_KEY", SECRET_KEY)
        .env("STACKPRO_STRIPE_API_BASE", &peer.base)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

async fn sync_once(app: &TestApp, peer: &StripePeer) -> String {
    let out = sync_command(app, peer).output().await.unwrap();
    assert!(out.status.success(), "sync-stripe failed");
    String::from_utf8(out.stdout).unwrap()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn the_usage_sync_killed_half_way_and_run_again_posts_each_overage_once(#[case] backend: Backend) {
    let peer = StripePeer::start().await;
    let app = TestApp::spawn_with(backend, with_stripe(&peer)).await;
    peer.send_webhooks_to(&app).await;
    let ann = app.signup("ann").await;
    // Last month, before it gave Stripe a card, the workspace was on Starter
    // and went 100 AI questions over: invoiced here, never charged through
    // Stripe.
    let tenant: stackpro_core::ids::TenantId = ann.tenant_id.parse().unwrap();
    let this_month = chrono::Datelike::with_day(&chrono::Utc::now().date_naive(), 1).unwrap();
    let last_month = (this_month - chrono::Duration::days(10)).and_hms_opt(12, 0, 0).unwrap().and_utc();
    app.billing.set_plan_since(tenant, "starter", "test", last_month - chrono::Duration::days(5)).await.unwrap();
    let before =
        NewEvent { meter: Meter::AiQueries, quantity: 600, occurred_at: last_month, key: "e-last-month".into() };
    app.billing.record_batch(tenant, &[before]).await.unwrap();
    let o = subscribe(&app, &peer, &ann, "professional").await;
    let customer = o["stripe"]["customer"].as_str().unwrap().to_owned();
    app.drain_jobs().await;

    // Over Professional's soft limits: 100 AI queries at 2 ¢, 10 emails at
    // 0.1 ¢ (rounded to 1 ¢), 10 SMS at 5 ¢.
    let now = chrono::Utc::now();
    let events = [(Meter::AiQueries, 3_100, 200), (Meter::Emails, 20_010, 1), (Meter::Sms, 210, 50)];
    let batch: Vec<NewEvent> = events
        .iter()
        .map(|(m, q, _)| NewEvent { meter: *m, quantity: *q, occurred_at: now, key: format!("e-{}", m.as_str()) })
        .collect();
    app.billing.record_batch(ann.tenant_id.parse().unwrap(), &batch).await.unwrap();

    // The second item is made at Stripe, and the process killed before it
    // hears so: the worst moment.
    peer.stall("/v1/invoiceitems", 1).await;
    let mut child = sync_command(&app, &peer).spawn().unwrap();
    for _ in 0..200 {
        if peer.invoice_items(&customer).await.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(peer.invoice_items(&customer).await.len(), 2);
    child.kill().await.unwrap();
    peer.unstall().await;
    let o = overview(&app, &ann).await;
    assert_eq!(
        (o["stripe"]["usage_items_posted"].as_i64(), o["stripe"]["usage_items_pending"].as_i64()),
        (Some(1), Some(1))
    );

    let out = sync_once(&app, &peer).await;
    assert!(out.contains("1 items posted"), "only the third is new: {out}");
    let out = sync_once(&app, &peer).await;
    assert!(out.contains("0 items posted"), "run again, nothing: {out}");

    let items = peer.invoice_items(&customer).await;
    let mut amounts: Vec<i64> = items.iter().map(|i| i["amount"].as_i64().unwrap()).collect();
    amounts.sort_unstable();
    let mut expected: Vec<i64> = events.iter().map(|e| e.2).collect();
    expected.sort_unstable();
    assert_eq!(amounts, expected, "each overage once: {items:#?}");
    let mut keys: Vec<&str> = items.iter().map(|i| i["metadata"]["sync_key"].as_str().unwrap()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 3);
    let o = overview(&app, &ann).await;
    assert_eq!(
        (o["stripe"]["usage_items_posted"].as_i64(), o["stripe"]["usage_items_pending"].as_i64()),
        (Some(3), Some(0))
    );
    let synced = o["stripe"]["usage_synced_on"].as_str().unwrap().to_owned();
    let today = chrono::Utc::now().date_naive();
    assert!([today, now.date_naive()].iter().any(|d| d.to_string() == synced), "{synced}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn without_stripe_checkout_and_webhooks_say_payments_are_not_configured(#[case] backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    let res = app.post("/api/v1/billing/checkout", Some(&ann.access), json!({ "plan": "professional" })).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "payments_not_configured");
    let (status, body) = deliver(&app, "{}", Some("t=1,v1=00")).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("payments_not_configured")));
    let o = overview(&app, &ann).await;
    assert_eq!((o["payments_configured"].as_bool(), o["stripe"].is_null()), (Some(false), true));
}
