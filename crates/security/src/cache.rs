//! A short-lived cache of who a credential belongs to, so an authenticated
//! request costs no database round trip.
//!
//! Entries live at most [`TTL`]. Every change that can take rights away (role
//! change, removal, key revocation, sign-out, tenant deletion) records what to
//! forget in its own transaction, forgets it on this replica right after the
//! commit and publishes the same on the Bus. What holds:
//! - on this replica, the change takes effect at once;
//! - on the others, within milliseconds through the bus, and within about a
//!   second whatever happens to the bus (Redis down, a message lost, the
//!   change made by the CLI in another process), because every replica reads
//!   the recorded invalidations each second;
//! - if the database cannot be read either, entries still expire after
//!   [`TTL`], and a dropped bus subscription clears the whole cache.
//!
//! A loader that read the database before an invalidation must not store
//! what it read: a generation counter, bumped by every invalidation, is
//! compared before inserting.

use crate::model::{ApiKeyRow, Tenant, UserRow};
use serde::{Deserialize, Serialize};
use stackpro_core::ids::{ApiKeyId, TenantId, UserId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long an entry may be served without a database read.
pub const TTL: Duration = Duration::from_secs(30);
/// Beyond this many entries the cache sheds expired ones, then all.
const MAX_ENTRIES: usize = 100_000;
/// The Bus topic invalidations travel on.
pub const TOPIC: &str = "security.auth-cache";

/// A member and their tenant, as last read.
#[derive(Clone, Debug)]
pub struct CachedUser {
    /// The member.
    pub user: UserRow,
    /// Their tenant.
    pub tenant: Tenant,
}

type Users = HashMap<(TenantId, UserId), (Instant, Arc<CachedUser>)>;
type Keys = HashMap<Vec<u8>, (Instant, ApiKeyRow)>;

/// What to forget.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Forget {
    /// One member.
    User(TenantId, UserId),
    /// One API key.
    ApiKey(TenantId, ApiKeyId),
    /// Everything of a tenant.
    Tenant(TenantId),
    /// A signed-out session: its access tokens are refused from now on.
    Session(TenantId, uuid::Uuid),
}

impl Forget {
    /// The tenant it concerns.
    pub fn tenant(&self) -> TenantId {
        match self {
            Forget::User(t, _) | Forget::ApiKey(t, _) | Forget::Tenant(t) | Forget::Session(t, _) => *t,
        }
    }
}

/// The cache. One per process, shared by every request.
#[derive(Debug, Default)]
pub struct AuthCache {
    generation: AtomicU64,
    users: RwLock<Users>,
    keys: RwLock<Keys>,
    /// Signed-out sessions, kept as long as one of their access tokens could live.
    ended: RwLock<HashMap<uuid::Uuid, Instant>>,
}

impl AuthCache {
    /// The generation to pass back to an insert after a database read.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A fresh entry for a member.
    pub fn user(&self, tenant: TenantId, user: UserId) -> Option<Arc<CachedUser>> {
        let map = self.users.read().unwrap_or_else(|p| p.into_inner());
        map.get(&(tenant, user)).filter(|(at, _)| at.elapsed() < TTL).map(|(_, c)| c.clone())
    }

    /// Stores a member read at `generation`, unless something was forgotten since.
    pub fn put_user(&self, generation: u64, entry: Arc<CachedUser>) {
        let mut map = self.users.write().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        shed(&mut map);
        map.insert((entry.user.tenant_id, entry.user.id), (Instant::now(), entry));
    }

    /// A fresh entry for an API key, by the hash of its secret.
    pub fn api_key(&self, hash: &[u8]) -> Option<ApiKeyRow> {
        let map = self.keys.read().unwrap_or_else(|p| p.into_inner());
        map.get(hash).filter(|(at, _)| at.elapsed() < TTL).map(|(_, k)| k.clone())
    }

    /// Stores an API key read at `generation`, unless something was forgotten since.
    pub fn put_api_key(&self, generation: u64, hash: Vec<u8>, key: ApiKeyRow) {
        let mut map = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        shed(&mut map);
        map.insert(hash, (Instant::now(), key));
    }

    /// Whether a session was signed out.
    pub fn session_ended(&self, sid: uuid::Uuid) -> bool {
        self.ended.read().unwrap_or_else(|p| p.into_inner()).contains_key(&sid)
    }

    /// Records signed-out sessions, dropping records older than `keep`
    /// (the access-token lifetime: after it, their tokens expire anyway).
    pub fn end_sessions(&self, sids: impl IntoIterator<Item = uuid::Uuid>, keep: Duration) {
        let mut ended = self.ended.write().unwrap_or_else(|p| p.into_inner());
        ended.retain(|_, at| at.elapsed() < keep);
        for sid in sids {
            ended.insert(sid, Instant::now());
        }
    }

    /// Forgets everything (after missed invalidations).
    pub fn forget_all(&self) {
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        users.clear();
        keys.clear();
    }

    /// Records a key's use in its cached entry, keeping the entry's age.
    pub fn touch_api_key(&self, hash: &[u8], at: chrono::DateTime<chrono::Utc>) {
        let mut map = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if let Some((_, key)) = map.get_mut(hash) {
            key.last_used_at = Some(at);
        }
    }

    /// Forgets entries on this replica.
    pub fn forget(&self, what: &Forget) {
        // Bump first, under the write locks, so a loader that read before this
        // point cannot insert after it.
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        match what {
            Forget::User(t, u) => {
                users.remove(&(*t, *u));
            }
            Forget::ApiKey(_, id) => keys.retain(|_, (_, k)| k.id != *id),
            Forget::Tenant(t) => {
                users.retain(|(tenant, _), _| tenant != t);
                keys.retain(|_, (_, k)| k.tenant_id != *t);
            }
            // Recorded by `end_sessions`, which knows how long to keep it.
            Forget::Session(..) => {}
        }
    }
}

fn shed<K: Eq + std::hash::Hash, V>(map: &mut HashMap<K, (Instant, V)>) {
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, (at, _)| at.elapsed() < TTL);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn entry(tenant: TenantId) -> CachedUser {
        let user = UserRow {
            tenant_id: tenant,
            id: UserId::new(),
            email: "a@b.test".into(),
            name: None,
            password_hash: None,
            role: "owner".into(),
            status: "active".into(),
            created_at: Utc::now(),
            last_login_at: None,
            tokens_valid_after: None,
            invited_by: None,
        };
        CachedUser {
            user,
            tenant: Tenant {
                id: tenant,
                name: "t".into(),
                slug: "t".into(),
                created_at: Utc::now(),
                plan: "trial".into(),
                plan_status: stackpro_core::PlanStatus::Trialing,
            },
        }
    }

    #[test]
    fn a_forgotten_member_is_not_served_and_a_stale_read_is_not_stored() {
        let cache = AuthCache::default();
        let t = TenantId::new();
        let e = entry(t);
        let (tid, uid) = (e.user.tenant_id, e.user.id);
        let before = cache.generation();
        cache.put_user(before, Arc::new(e.clone()));
        assert!(cache.user(tid, uid).is_some());
        cache.forget(&Forget::User(tid, uid));
        assert!(cache.user(tid, uid).is_none());
        // A loader that read before the invalidation must not re-insert.
        cache.put_user(before, Arc::new(e));
        assert!(cache.user(tid, uid).is_none());
    }

    #[test]
    fn forgetting_a_tenant_forgets_all_its_members() {
        let cache = AuthCache::default();
        let t = TenantId::new();
        let (a, b) = (entry(t), entry(t));
        let other = entry(TenantId::new());
        for e in [&a, &b, &other] {
            cache.put_user(cache.generation(), Arc::new(e.clone()));
        }
        cache.forget(&Forget::Tenant(t));
        assert!(cache.user(t, a.user.id).is_none() && cache.user(t, b.user.id).is_none());
        assert!(cache.user(other.user.tenant_id, other.user.id).is_some());
    }
}
