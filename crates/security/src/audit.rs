//! The hash chain of a tenant's audit log.
//!
//! Entry `n` stores `hash_n = SHA-256(hash_{n-1} "\n" canonical(entry_n))`,
//! with 64 zeros before the first entry, and `audit_heads` keeps the newest
//! `(seq, hash)`. [`verify`] recomputes the chain: an edited entry breaks its
//! own hash, a removed or swapped one breaks the `seq` sequence or the link,
//! and removal from the end no longer matches the head.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use stackpro_core::ids::TenantId;
use utoipa::ToSchema;
use uuid::Uuid;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit entry as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct AuditRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// Id.
    pub id: Uuid,
    /// When (microsecond precision, as both databases keep it).
    pub at: DateTime<Utc>,
    /// Who acted: a user or API key id.
    pub actor_id: Option<Uuid>,
    /// The actor as a person reads it (an email, a key name).
    pub actor_label: Option<String>,
    /// What happened, e.g. `member.invited`.
    pub action: String,
    /// What it happened to.
    pub target: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// JSON details, exactly as hashed.
    pub details: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditRow {
    /// The bytes the hash covers: every field but the hashes, one per line.
    pub fn canonical(&self) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.tenant_id,
            self.seq,
            self.id,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor_id.map(|a| a.to_string()).unwrap_or_default(),
            opt(&self.actor_label),
            self.action,
            opt(&self.target),
            opt(&self.ip),
            self.details,
        )
    }

    /// The hash this entry must have after `prev_hash`.
    pub fn compute_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(b"\n");
        h.update(self.canonical().as_bytes());
        hex::encode(h.finalize())
    }
}

/// The result of checking a chain.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = AuditVerification)]
pub struct Verification {
    /// Whether the whole chain holds.
    pub ok: bool,
    /// Entries checked.
    pub checked: u64,
    /// The first entry that was changed, removed or reordered.
    pub first_bad_seq: Option<i64>,
    /// What is wrong with it.
    pub reason: Option<String>,
}

/// Checks entries (in `seq` order) against each other and the stored head.
pub fn verify(rows: &[AuditRow], head: Option<(i64, String)>) -> Verification {
    let bad = |checked: u64, seq: i64, reason: String| Verification {
        ok: false,
        checked,
        first_bad_seq: Some(seq),
        reason: Some(reason),
    };
    let mut prev = GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if row.seq != expected_seq {
            return bad(
                i as u64,
                expected_seq,
                format!("entry {expected_seq} is missing or out of order (found {} in its place)", row.seq),
            );
        }
        if row.prev_hash != prev {
            return bad(i as u64, row.seq, format!("entry {} does not link to entry {}", row.seq, row.seq - 1));
        }
        if row.compute_hash(&prev) != row.hash {
            return bad(i as u64, row.seq, format!("entry {} was changed after it was written", row.seq));
        }
        prev = row.hash.clone();
    }
    let n = rows.len() as i64;
    match head {
        Some((seq, hash)) if seq != n || hash != prev => {
            let first = (n + 1).min(seq.max(1));
            bad(rows.len() as u64, first, format!("the log ends at entry {n} but its head records entry {seq}"))
        }
        None if n > 0 => bad(rows.len() as u64, 1, "the log has entries but no head".into()),
        _ => Verification { ok: true, checked: rows.len() as u64, first_bad_seq: None, reason: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> (Vec<AuditRow>, (i64, String)) {
        let tenant = TenantId::new();
        let mut prev = GENESIS.to_owned();
        let mut rows = Vec::new();
        for seq in 1..=n {
            let mut row = AuditRow {
                tenant_id: tenant,
                seq,
                id: Uuid::now_v7(),
                at: Utc::now(),
                actor_id: None,
                actor_label: Some("alice@example.com".into()),
                action: "auth.login".into(),
                target: None,
                ip: Some("127.0.0.1".into()),
                details: format!("{{\"n\":{seq}}}"),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.compute_hash(&prev);
            prev = row.hash.clone();
            rows.push(row);
        }
        (rows, (n, prev))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (rows, head) = chain(5);
        let v = verify(&rows, Some(head));
        assert!(v.ok, "{v:?}");
        assert_eq!(v.checked, 5);
    }

    #[test]
    fn any_changed_field_names_that_entry() {
        for field in 0..4 {
            let (mut rows, head) = chain(5);
            match field {
                0 => rows[2].action = "auth.logout".into(),
                1 => rows[2].details = "{}".into(),
                2 => rows[2].ip = None,
                _ => rows[2].at += chrono::Duration::seconds(1),
            }
            assert_eq!(verify(&rows, Some(head)).first_bad_seq, Some(3));
        }
    }

    #[test]
    fn a_removed_entry_is_named() {
        let (mut rows, head) = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows, Some(head)).first_bad_seq, Some(2));
    }

    #[test]
    fn swapped_entries_are_caught_even_with_their_seqs_swapped_back() {
        let (mut rows, head) = chain(5);
        rows.swap(1, 2);
        rows[1].seq = 2;
        rows[2].seq = 3;
        assert_eq!(verify(&rows, Some(head)).first_bad_seq, Some(2));
    }

    #[test]
    fn removing_the_newest_entries_is_caught_by_the_head() {
        let (mut rows, head) = chain(5);
        rows.truncate(3);
        let v = verify(&rows, Some(head));
        assert!(!v.ok);
        assert_eq!(v.first_bad_seq, Some(4));
    }
}
