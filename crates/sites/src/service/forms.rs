//! Form submissions from published sites. A form posts to the platform
//! with or without JavaScript. Spam is held back three ways, each before
//! anything is stored: a rate per address and site and a cap per site, a
//! honeypot field people never see, and for visitors with JavaScript a
//! proof-of-work challenge signed by the server (the ALTCHA scheme: find the
//! number whose SHA-256 with the salt is the challenge). The challenge is
//! written here rather than taken from a crate: it is three hashes, and the
//! Rust ports of ALTCHA are young community crates. Accepted submissions are
//! sealed with the tenant's key and announced on the bus.

use super::Sites;
use crate::error::Error;
use crate::model::{FormSubmitted, HostSite, SiteId, Submission, SubmissionId, FORM_TOPIC};
use crate::store;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::Mac;
use rand::Rng;
use sha2::{Digest, Sha256};
use stackpro_core::TenantCtx;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// Submissions one address may send to one site per window.
pub const PER_ADDRESS: i64 = 5;
/// Submissions one site takes per window, from everyone.
pub const PER_SITE: i64 = 100;
/// The window of both limits.
pub const WINDOW: Duration = Duration::from_secs(600);
/// The largest number a challenge hides: about 0.3 s of hashing on a phone.
const POW_MAX: u64 = 50_000;
/// How long a challenge may be answered.
const POW_TTL_SECS: i64 = 600;

/// A proof-of-work challenge, as `/_stackpro/pow` answers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Challenge {
    /// Always `SHA-256`.
    pub algorithm: String,
    /// Hex SHA-256 of `salt` followed by the secret number.
    pub challenge: String,
    /// The largest number to try.
    pub maxnumber: u64,
    /// Random salt with its expiry (`<hex>?expires=<unix seconds>`).
    pub salt: String,
    /// The server's signature of the challenge.
    pub signature: String,
}

/// An answer to a challenge, sent back base64-encoded JSON in `_pow`.
#[derive(Clone, Debug, serde::Deserialize)]
struct Solution {
    algorithm: String,
    challenge: String,
    number: u64,
    salt: String,
    signature: String,
}

fn sha_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

impl Sites {
    /// A fresh proof-of-work challenge.
    pub fn challenge(&self) -> Challenge {
        let mut rng = rand::thread_rng();
        let expires = self.now().timestamp() + POW_TTL_SECS;
        let salt = format!("{}?expires={expires}", hex::encode(rng.gen::<[u8; 12]>()));
        let number = rng.gen_range(0..=POW_MAX);
        let challenge = sha_hex(&format!("{salt}{number}"));
        let mut mac = self.mac("pow");
        mac.update(challenge.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        Challenge { algorithm: "SHA-256".into(), challenge, maxnumber: POW_MAX, salt, signature }
    }

    /// Checks a solution: well formed, signed by us, not expired, solved,
    /// and not used before (a solution works once).
    async fn verify_pow(&self, site: SiteId, raw: &str) -> Result<(), Error> {
        let bad = || Error::FormRejected("The anti-spam check failed; reload the page and send again.");
        let json = STANDARD.decode(raw.trim()).map_err(|_| bad())?;
        let s: Solution = serde_json::from_slice(&json).map_err(|_| bad())?;
        if s.algorithm != "SHA-256" || s.number > POW_MAX || s.salt.len() > 100 || s.challenge.len() != 64 {
            return Err(bad());
        }
        let mut mac = self.mac("pow");
        mac.update(s.challenge.as_bytes());
        let expected = hex::encode(mac.finalize().into_bytes());
        if !bool::from(expected.as_bytes().ct_eq(s.signature.as_bytes())) {
            return Err(bad());
        }
        let expires = s.salt.rsplit_once("?expires=").and_then(|(_, e)| e.parse::<i64>().ok()).ok_or_else(bad)?;
        if expires < self.now().timestamp() {
            return Err(Error::FormRejected("The anti-spam check expired; send the form again."));
        }
        if sha_hex(&format!("{}{}", s.salt, s.number)) != s.challenge {
            return Err(bad());
        }
        let used = self
            .0
            .counters
            .incr(&format!("sites:pow:{site}:{}", s.challenge), 1, Duration::from_secs(POW_TTL_SECS as u64 + 60))
            .await?;
        if used.value > 1 {
            return Err(bad());
        }
        Ok(())
    }

    /// Takes a submission sent to a published site: fields as posted.
    /// Nothing is stored when a check refuses it.
    ///
    /// # Errors
    /// `rate_limited`, `form_rejected`.
    pub async fn submit(
        &self,
        host: &HostSite,
        ip: IpAddr,
        form: &str,
        posted: Vec<(String, String)>,
    ) -> Result<SubmissionId, Error> {
        // Every attempt from an address counts against it (refused ones too),
        // so one address cannot try the checks below for ever.
        let per_ip = self.0.counters.incr(&format!("sites:form:{}:{ip}", host.site), 1, WINDOW).await?;
        if per_ip.value > PER_ADDRESS {
            return Err(Error::RateLimited(per_ip.resets_in.as_secs().max(1)));
        }
        if form.is_empty()
            || form.len() > 64
            || !form.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::FormRejected("There is no such form on this site."));
        }
        let mut fields = BTreeMap::new();
        let mut page = "/".to_owned();
        let mut pow = None;
        let mut total = 0usize;
        for (k, v) in posted {
            total += k.len() + v.len();
            if total > 32 * 1024 || fields.len() >= 30 {
                return Err(Error::FormRejected("The message is too long."));
            }
            match k.as_str() {
                "_hp" if !v.is_empty() => {
                    return Err(Error::FormRejected("The message looks like spam and was not sent."))
                }
                "_hp" => {}
                "_pow" => pow = Some(v),
                "_page" => page = crate::model::page_path(&v).unwrap_or_else(|_| "/".into()),
                _ => {
                    let ok_name = !k.is_empty()
                        && k.len() <= 64
                        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                    if !ok_name || v.chars().count() > 5000 || v.contains('\0') {
                        return Err(Error::FormRejected("A field of the form is malformed or too long."));
                    }
                    if !v.trim().is_empty() {
                        fields.insert(k, v.trim().to_owned());
                    }
                }
            }
        }
        if fields.is_empty() {
            return Err(Error::FormRejected("The form was empty."));
        }
        if let Some(p) = pow {
            self.verify_pow(host.site, &p).await?;
        }
        // The site's cap counts only what passed every check, so refused
        // spam cannot shut the form for everyone else.
        let per_site = self.0.counters.incr(&format!("sites:form:{}", host.site), 1, WINDOW).await?;
        if per_site.value > PER_SITE {
            return Err(Error::SiteBusy(per_site.resets_in.as_secs().max(1)));
        }
        let id = SubmissionId::new();
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(host.tenant).await?;
        let plain = serde_json::to_vec(&fields).unwrap_or_default();
        let sealed = self.0.security.encrypt(&mut tx, &plain, &format!("form:{id}")).await?;
        store::insert_submission(&mut tx, id, host.site, form, &page, &sealed, now).await?;
        tx.commit().await?;
        let event = FormSubmitted { tenant: host.tenant, site: host.site, submission: id, form: form.to_owned() };
        if let Ok(bytes) = serde_json::to_vec(&event) {
            if let Err(e) = self.0.bus.publish(FORM_TOPIC, bytes.into()).await {
                tracing::warn!(error = %e, "cannot announce a form submission on the bus");
            }
        }
        Ok(id)
    }

    /// A site's submissions, newest first, opened.
    ///
    /// # Errors
    /// `site_not_found`, `forbidden`.
    pub async fn submissions(&self, ctx: &TenantCtx, site: SiteId) -> Result<Vec<Submission>, Error> {
        Self::may_read(ctx).map_err(|_| Error::SiteNotFound(site.to_string()))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let rows = store::submissions(&mut tx, site, 1000).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, form, page, sealed, created_at) in rows {
            let plain = self.0.security.decrypt(&mut tx, &sealed, &format!("form:{id}")).await?;
            let fields = serde_json::from_slice(&plain).unwrap_or_default();
            out.push(Submission { id, form, page, fields, created_at });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The submissions as CSV: one column per field name seen.
    ///
    /// # Errors
    /// As [`Sites::submissions`].
    pub async fn submissions_csv(&self, ctx: &TenantCtx, site: SiteId) -> Result<String, Error> {
        let list = self.submissions(ctx, site).await?;
        let mut names: Vec<&str> = Vec::new();
        for s in &list {
            for k in s.fields.keys() {
                if !names.contains(&k.as_str()) {
                    names.push(k);
                }
            }
        }
        let mut out = String::from("received_at,form,page");
        for n in &names {
            out.push(',');
            out.push_str(&csv_cell(n));
        }
        out.push('\n');
        for s in &list {
            out.push_str(&format!("{},{},{}", s.created_at.to_rfc3339(), csv_cell(&s.form), csv_cell(&s.page)));
            for n in &names {
                out.push(',');
                out.push_str(&csv_cell(s.fields.get(*n).map(String::as_str).unwrap_or("")));
            }
            out.push('\n');
        }
        Ok(out)
    }
}

/// A CSV cell, quoted when needed; a cell a spreadsheet would run as a
/// formula is prefixed with a quote mark (OWASP's CSV injection advice).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
