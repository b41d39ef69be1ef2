//! The hash chain of a tenant's audit log.
//!
//! Entry `n` stores `hash_n = HMAC-SHA256(K, hash_{n-1} "\n" canonical(entry_n))`,
//! with 64 zeros before the first entry, and `audit_heads` keeps the newest
//! `(seq, hash)`. [`verify`] recomputes the chain: an edited entry breaks its
//! own hash, a removed or swapped one breaks the `seq` sequence or the link,
//! and removal from the end no longer matches the head. `K` is a server secret
//! kept wrapped by the master key, so someone with only database access cannot
//! recompute hashes to cover an edit, nor forge a new head after cutting the
//! tail. Every workspace's log starts with its creation, so an empty log is
//! itself a sign of deletion.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::Sha256;
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

    /// The hash this entry must have after `prev_hash`, keyed with `key`.
    pub fn compute_hash(&self, key: &[u8; 32], prev_hash: &str) -> String {
        use hmac::Mac;
        let mut mac = keyed(key);
        mac.update(prev_hash.as_bytes());
        mac.update(b"\n");
        mac.update(self.canonical().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn keyed(key: &[u8; 32]) -> hmac::Hmac<Sha256> {
    use hmac::Mac;
    // HMAC takes keys of any length, so this cannot fail for 32 bytes.
    #[allow(clippy::expect_used)]
    <hmac::Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// The tag of a head: a MAC of the tenant, the newest seq and its hash.
pub fn head_tag(key: &[u8; 32], tenant: TenantId, seq: i64, hash: &str) -> String {
    use hmac::Mac;
    let mut mac = keyed(key);
    mac.update(format!("audit head\n{tenant}\n{seq}\n{hash}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The stored head of a chain.
#[derive(Clone, Debug, PartialEq)]
pub struct Head {
    /// The tenant.
    pub tenant: TenantId,
    /// The newest seq (0 before the first entry).
    pub seq: i64,
    /// The newest entry's hash.
    pub hash: String,
    /// [`head_tag`] of the above.
    pub tag: String,
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

/// The name of the chain key among the server secrets.
pub const CHAIN_KEY: &str = "audit_chain_key";

/// Checks entries (in `seq` order) against each other and the stored head.
pub fn verify(rows: &[AuditRow], head: Option<Head>, key: &[u8; 32]) -> Verification {
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
        if row.compute_hash(key, &prev) != row.hash {
            return bad(i as u64, row.seq, format!("entry {} was changed after it was written", row.seq));
        }
        prev = row.hash.clone();
    }
    let n = rows.len() as i64;
    match head {
        _ if n == 0 => bad(0, 1, "the log is empty, but every workspace's log starts with its creation".into()),
        None => bad(rows.len() as u64, 1, "the log has entries but no head".into()),
        Some(h) if h.seq != n || h.hash != prev => {
            let first = (n + 1).min(h.seq.max(1));
            bad(rows.len() as u64, first, format!("the log ends at entry {n} but its head records entry {}", h.seq))
        }
        Some(h) if head_tag(key, h.tenant, h.seq, &h.hash) != h.tag => {
            bad(rows.len() as u64, n + 1, format!("the head was rewritten: entries after {n} may have been removed"))
        }
        Some(_) => Verification { ok: true, checked: rows.len() as u64, first_bad_seq: None, reason: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [9; 32];

    #[test]
    fn an_entry_rehashed_without_the_key_is_caught() {
        let (mut rows, _) = chain(3);
        rows[2].action = "auth.logout".into();
        // An attacker recomputes the hash and the head with plain SHA-256 (or any other key).
        rows[2].hash = rows[2].compute_hash(&[0; 32], &rows[1].hash);
        let tenant = rows[2].tenant_id;
        let head =
            Head { tenant, seq: 3, hash: rows[2].hash.clone(), tag: head_tag(&[0; 32], tenant, 3, &rows[2].hash) };
        assert_eq!(verify(&rows, Some(head), &KEY).first_bad_seq, Some(3));
    }

    #[test]
    fn cutting_the_tail_and_copying_the_last_hash_into_the_head_is_caught() {
        let (mut rows, head) = chain(5);
        rows.truncate(3);
        let forged = Head { seq: 3, hash: rows[2].hash.clone(), ..head };
        let v = verify(&rows, Some(forged), &KEY);
        assert!(!v.ok);
        assert_eq!(v.first_bad_seq, Some(4));
    }

    #[test]
    fn an_empty_log_is_not_intact() {
        assert!(!verify(&[], None, &KEY).ok);
    }

    fn chain(n: i64) -> (Vec<AuditRow>, Head) {
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
            row.hash = row.compute_hash(&KEY, &prev);
            prev = row.hash.clone();
            rows.push(row);
        }
        let tag = head_tag(&KEY, tenant, n, &prev);
        (rows, Head { tenant, seq: n, hash: prev, tag })
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any one change to a stored chain (an edited field, a removed
            /// entry, two entries swapped, a shortened tail) is caught, and
            /// verify names an entry at or before the change.
            #[test]
            fn any_single_tampering_is_caught(n in 2i64..12, at in 0usize..12, kind in 0u8..5, text in "[a-z]{1,8}") {
                let (mut rows, head) = chain(n);
                let at = at % rows.len();
                let mut head = Some(head);
                match kind {
                    0 => rows[at].action.push_str(&text),
                    1 => rows[at].details = format!("{{\"x\":\"{text}\"}}"),
                    2 => { rows.remove(at); }
                    3 => { let other = (at + 1) % rows.len(); rows.swap(at, other); }
                    _ => {
                        rows.truncate(at.max(1));
                        let last = rows.last().unwrap();
                        head = Some(Head { seq: last.seq, hash: last.hash.clone(), ..head.unwrap() });
                    }
                }
                let v = verify(&rows, head, &KEY);
                prop_assert!(!v.ok, "kind {} at {} went unnoticed", kind, at);
            }
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (rows, head) = chain(5);
        let v = verify(&rows, Some(head), &KEY);
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
            assert_eq!(verify(&rows, Some(head), &KEY).first_bad_seq, Some(3));
        }
    }

    #[test]
    fn a_removed_entry_is_named() {
        let (mut rows, head) = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows, Some(head), &KEY).first_bad_seq, Some(2));
    }

    #[test]
    fn swapped_entries_are_caught_even_with_their_seqs_swapped_back() {
        let (mut rows, head) = chain(5);
        rows.swap(1, 2);
        rows[1].seq = 2;
        rows[2].seq = 3;
        assert_eq!(verify(&rows, Some(head), &KEY).first_bad_seq, Some(2));
    }

    #[test]
    fn removing_the_newest_entries_is_caught_by_the_head() {
        let (mut rows, head) = chain(5);
        rows.truncate(3);
        let v = verify(&rows, Some(head), &KEY);
        assert!(!v.ok);
        assert_eq!(v.first_bad_seq, Some(4));
    }
}
