//! A small Stripe client over reqwest, and the webhook signature check.
//!
//! Why not `async-stripe`: StackPro uses about ten endpoints, and the crate
//! costs three to four minutes of a 2-core release build and 2 GB of memory
//! for hundreds (BILLING.md has the measurements); its 0.x line lacks billing
//! meters and its 1.0 line lacks usage records. A client of our own is a page
//! of code that is easy to read and to test against a local peer.
//!
//! Every write carries an `Idempotency-Key` derived from what it does (the
//! same operation retried is the same key), the API version is pinned, every
//! call has a deadline, and failures that may pass (network, 429, 5xx) are
//! retried with backoff under the same key. Stripe's answers are read as
//! JSON values: only the fields used are looked at.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;
use std::time::Duration;

/// The API version every request pins.
pub const API_VERSION: &str = "2024-06-20";
/// How old a webhook's timestamp may be (Stripe's own default).
pub const TOLERANCE_SECS: i64 = 300;

/// A failed Stripe call.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error.
    #[error("Stripe answered {status}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// Stripe's message.
        message: String,
    },
    /// Stripe could not be reached, or answered something unreadable.
    #[error("Stripe could not be reached: {0}")]
    Network(String),
}

/// Whether `id` has the shape of Stripe's ids (`sub_…`, `cus_…`, `evt_…`):
/// letters, digits and `_`, at most 255. Anything else never goes into a
/// path of ours, nor into the database.
pub fn is_id(id: &str) -> bool {
    (1..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A path with a Stripe id in it, refused if the id is not one.
fn path_of(prefix: &str, id: &str) -> Result<String, StripeError> {
    if !is_id(id) {
        return Err(StripeError::Api { status: 400, message: "not a Stripe id".into() });
    }
    Ok(format!("{prefix}/{id}"))
}

impl StripeError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StripeError::Api { status, .. } => *status == 429 || *status >= 500,
            StripeError::Network(_) => true,
        }
    }
}

/// A client for one Stripe account.
#[derive(Clone)]
pub struct Stripe {
    http: reqwest::Client,
    base: String,
    key: SecretString,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").field("base", &self.base).finish()
    }
}

/// Form fields, as Stripe takes them (`items[0][plan]=…`).
pub type Form = Vec<(String, String)>;

fn field(k: &str, v: impl ToString) -> (String, String) {
    (k.to_owned(), v.to_string())
}

impl Stripe {
    /// A client of `base` (`https://api.stripe.com`, or a local peer in tests)
    /// with a secret key.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &str, key: SecretString) -> Result<Stripe, StripeError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| StripeError::Network(e.to_string()))?;
        Ok(Stripe { http, base: base.trim_end_matches('/').to_owned(), key })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &Form,
        key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let mut delay = Duration::from_millis(250);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(self.key.expose_secret())
                .header("Stripe-Version", API_VERSION);
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            if method == reqwest::Method::GET {
                req = req.query(form);
            } else {
                req = req.form(form);
            }
            let outcome = match req.send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    if status < 300 {
                        return Ok(body);
                    }
                    let message = body["error"]["message"].as_str().unwrap_or("no message").to_owned();
                    StripeError::Api { status, message }
                }
                Err(e) => StripeError::Network(e.to_string()),
            };
            if !outcome.is_retryable() || attempt >= 3 {
                return Err(outcome);
            }
            tokio::time::sleep(delay).await;
            delay *= 4;
        }
    }

    fn id(v: &Value) -> Result<String, StripeError> {
        v["id"].as_str().map(str::to_owned).ok_or_else(|| StripeError::Network("an answer without an id".into()))
    }

    /// Creates the customer of a workspace.
    ///
    /// # Errors
    /// Stripe's error.
    pub async fn create_customer(&self, tenant: &str, name: &str, email: &str) -> Result<String, StripeError> {
        let form = vec![field("name", name), field("email", email), field("metadata[tenant_id]", tenant)];
        Self::id(&self.call(reqwest::Method::POST, "/v1/customers", &form, Some(&format!("customer-{tenant}"))).await?)
    }

    /// Creates the product and monthly plan of one of our plans at a price.
    ///
    /// # Errors
    /// Stripe's error.
    pub async fn create_plan(&self, key: &str, name: &str, cents: i64, currency: &str) -> Result<String, StripeError> {
        let product_form = vec![field("name", format!("StackPro {name}")), field("metadata[plan]", key)];
        let product = self
            .call(reqwest::Method::POST, "/v1/products", &product_form, Some(&format!("product-{key}-{cents}")))
            .await?;
        let form = vec![
            field("product", Self::id(&product)?),
            field("currency", currency),
            field("interval", "month"),
            field("amount", cents),
            field("nickname", name),
            field("metadata[plan]", key),
        ];
        Self::id(&self.call(reqwest::Method::POST, "/v1/plans", &form, Some(&format!("plan-{key}-{cents}"))).await?)
    }

    /// The subscription's only item.
    fn item_of(sub: &Value) -> Result<String, StripeError> {
        sub["items"]["data"][0]["id"]
            .as_str()
            .filter(|i| !i.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| StripeError::Network("a subscription without an item".into()))
    }

    /// A subscription as Stripe has it now: its status, its item and the
    /// item's plan; `None` when Stripe does not know it.
    ///
    /// # Errors
    /// Stripe's error.
    pub async fn subscription(&self, id: &str) -> Result<Option<SubscriptionNow>, StripeError> {
        let sub = match self.call(reqwest::Method::GET, &path_of("/v1/subscriptions", id)?, &vec![], None).await {
            Ok(sub) => sub,
            Err(StripeError::Api { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(SubscriptionNow {
            id: Self::id(&sub)?,
            customer: sub["customer"].as_str().unwrap_or_default().to_owned(),
            status: sub["status"].as_str().unwrap_or_default().to_owned(),
            item: Self::item_of(&sub).ok(),
            plan: sub["items"]["data"][0]["plan"]["id"].as_str().map(str::to_owned),
        }))
    }

    /// Moves a subscription's item to another plan.
    ///
    /// # Errors
    /// Stripe's error.
    pub async fn change_plan(&self, subscription: &str, item: &str, plan: &str, key: &str) -> Result<(), StripeError> {
        let form = vec![field("items[0][id]", item), field("items[0][plan]", plan)];
        self.call(reqwest::Method::POST, &path_of("/v1/subscriptions", subscription)?, &form, Some(key)).await?;
        Ok(())
    }

    /// Ends a subscription at once.
    ///
    /// # Errors
    /// Stripe's error.
    pub async fn cancel_subscription(&self, subscription: &str) -> Result<(), StripeError> {
        match self.call(reqwest::Method::DELETE, &path_of("/v1/subscriptions", subscription)?, &vec![], None).await {
            Ok(_) | Err(StripeError::Api { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Adds an amount to the customer's next invoice, tagged with `sync_key`
    /// so that a retry after a crash can find it ([`Stripe::find_invoice_item`]).
    ///
    /// # Errors
    /// Stripe's error.
    pub async fn create_invoice_item(
        &self,
        customer: &str,
        cents: i64,
        currency: &str,
        description: &str,
        sync_key: &str,
    ) -> Result<String, StripeError> {
        let form = vec![
            field("customer", customer),
            field("amount", cents),
            field("currency", currency),
            field("description", description),
            field("metadata[sync_key]", sync_key),
        ];
        Self::id(&self.call(reqwest::Method::POST, "/v1/invoiceitems", &form, Some(sync_key)).await?)
    }

    /// The pending invoice item of a customer tagged with `sync_key`, if any.
    ///
    /// # Errors
    /// Stripe's error.
    pub async fn find_invoice_item(&self, customer: &str, sync_key: &str) -> Result<Option<String>, StripeError> {
        let mut after: Option<String> = None;
        // Newest first, page by page (a customer has a few items a day).
        for _ in 0..50 {
            let mut form = vec![field("customer", customer), field("limit", 100)];
            if let Some(a) = &after {
                form.push(field("starting_after", a));
            }
            let list = self.call(reqwest::Method::GET, "/v1/invoiceitems", &form, None).await?;
            let items = list["data"].as_array().cloned().unwrap_or_default();
            if let Some(found) = items.iter().find(|ii| ii["metadata"]["sync_key"].as_str() == Some(sync_key)) {
                return Ok(found["id"].as_str().map(str::to_owned));
            }
            match (list["has_more"].as_bool(), items.last().and_then(|ii| ii["id"].as_str())) {
                (Some(true), Some(last)) => after = Some(last.to_owned()),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// A Checkout session that collects a card and starts the subscription;
    /// returns the page's URL.
    ///
    /// # Errors
    /// Stripe's error.
    #[allow(clippy::too_many_arguments)]
    pub async fn checkout(
        &self,
        customer: &str,
        plan: &str,
        anchor: i64,
        success_url: &str,
        cancel_url: &str,
        key: &str,
    ) -> Result<String, StripeError> {
        let form = vec![
            field("mode", "subscription"),
            field("customer", customer),
            field("line_items[0][price]", plan),
            field("line_items[0][quantity]", 1),
            field("subscription_data[billing_cycle_anchor]", anchor),
            field("success_url", success_url),
            field("cancel_url", cancel_url),
        ];
        let session = self.call(reqwest::Method::POST, "/v1/checkout/sessions", &form, Some(key)).await?;
        session["url"].as_str().map(str::to_owned).ok_or_else(|| StripeError::Network("a session without a url".into()))
    }
}

/// A subscription as Stripe has it now.
#[derive(Clone, Debug)]
pub struct SubscriptionNow {
    /// Its id.
    pub id: String,
    /// Its customer.
    pub customer: String,
    /// `active`, `past_due`, `canceled`, ...
    pub status: String,
    /// Its item.
    pub item: Option<String>,
    /// The item's plan.
    pub plan: Option<String>,
}

impl SubscriptionNow {
    /// Whether it still bills.
    pub fn is_live(&self) -> bool {
        !matches!(self.status.as_str(), "canceled" | "incomplete_expired")
    }
}

/// Why a webhook's signature is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature`, or one without `t=` or `v1=`.
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    /// The timestamp is outside the tolerance.
    #[error("the signature's timestamp is too old or in the future")]
    Stale,
    /// No `v1` signature matches a configured secret.
    #[error("no signature matches")]
    Mismatch,
}

/// The longest `Stripe-Signature` header taken, and the most `v1`
/// signatures in it (Stripe sends one per active secret: two during a
/// rotation).
const MAX_HEADER: usize = 1024;
const MAX_SIGNATURES: usize = 8;

/// Checks a webhook the way Stripe's libraries do: the header is
/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several `v1`
/// during a secret rotation), the timestamp within `tolerance` of `now`, and
/// one `v1` equal, compared in constant time, to the HMAC under one of the
/// `secrets` (the whole `whsec_…` string is the key). The body is hashed
/// once per secret however many signatures the header carries, and an
/// oversized header is refused unread, so the check costs an attacker's
/// request no more than a real one.
///
/// # Errors
/// Which check failed.
pub fn verify(
    payload: &[u8],
    header: &str,
    secrets: &[SecretString],
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    if header.len() > MAX_HEADER {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures: Vec<[u8; 32]> = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                // Only a 32-byte digest can match; anything else is noise.
                if let Some(sig) = hex::decode(v).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() || signatures.len() > MAX_SIGNATURES {
        return Err(SignatureError::Malformed);
    }
    if now.checked_sub(t).is_none_or(|age| age.abs() > tolerance) {
        return Err(SignatureError::Stale);
    }
    let signed = format!("{t}.");
    for secret in secrets {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else { continue };
        mac.update(signed.as_bytes());
        mac.update(payload);
        let expected = mac.finalize().into_bytes();
        for sig in &signatures {
            // Constant-time: `ct_eq` on the digests.
            if bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_slice(), sig.as_slice())) {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_holds_for_its_body_and_secret_within_the_tolerance_only() {
        let secret = "whsec_test_secret";
        let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
        let secrets = [SecretString::from(secret.to_owned())];
        let t = 1_700_000_000;
        let good = format!("t={t},v1={}", sign(secret, t, body));
        assert_eq!(verify(body, &good, &secrets, t + 10, TOLERANCE_SECS), Ok(()));
        assert_eq!(verify(b"{}", &good, &secrets, t, TOLERANCE_SECS), Err(SignatureError::Mismatch));
        assert_eq!(verify(body, &good, &secrets, t + 301, TOLERANCE_SECS), Err(SignatureError::Stale));
        assert_eq!(verify(body, "v1=abc", &secrets, t, TOLERANCE_SECS), Err(SignatureError::Malformed));
        let other = [SecretString::from("whsec_other".to_owned())];
        assert_eq!(verify(body, &good, &other, t, TOLERANCE_SECS), Err(SignatureError::Mismatch));
        // During a rotation the header carries a signature per secret.
        let rotating = format!("t={t},v1={},v1={}", sign("whsec_old", t, body), sign(secret, t, body));
        assert_eq!(verify(body, &rotating, &secrets, t, TOLERANCE_SECS), Ok(()));
        // A header stuffed with signatures is refused before any hashing.
        let stuffed = format!("t={t}{}", ",v1=".repeat(300));
        assert_eq!(verify(body, &stuffed, &secrets, t, TOLERANCE_SECS), Err(SignatureError::Malformed));
        let many = format!("t={t}{},v1={}", format!(",v1={}", "00".repeat(32)).repeat(9), sign(secret, t, body));
        assert_eq!(verify(body, &many, &secrets, t, TOLERANCE_SECS), Err(SignatureError::Malformed));
        // A timestamp at the edge of i64 does not overflow.
        assert_eq!(
            verify(body, &format!("t={},v1={}", i64::MIN, sign(secret, t, body)), &secrets, t, TOLERANCE_SECS),
            Err(SignatureError::Stale)
        );
    }
}
