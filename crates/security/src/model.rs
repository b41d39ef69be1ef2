//! Types that cannot hold bad values, and the records of identity.
//!
//! Input is parsed once at the edge (`Email::parse`, `Password::parse`, ...);
//! services take only these types and never check again.

use crate::error::Error;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use stackpro_core::ids::{ApiKeyId, TenantId, UserId};
use stackpro_core::{PlanRef, PlanStatus, Role, Slug};
use utoipa::ToSchema;

/// An email address, trimmed and lower-cased.
///
/// Only what people really use and every mail server takes: a dot-atom local
/// part of ASCII letters, digits and ``!#$%&'*+-/=?^_`{|}~`` (RFC 5322 atext,
/// no quoted strings, so no spaces, commas or angle brackets) and a domain of
/// at least two LDH labels. Anything outside ASCII is refused, which keeps out
/// every invisible character (zero-width spaces, bidi overrides) and every
/// look-alike letter (Cyrillic `а` for Latin `a`); an internationalised domain
/// is given in its `xn--` form. The result is also parsed by the mailer's own
/// RFC parser, so an accepted address is one the mailer will send to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

/// The longest address (RFC 5321 section 4.5.3.1.3).
pub const EMAIL_MAX: usize = 254;

impl Email {
    /// # Errors
    /// `invalid_email`.
    pub fn parse(raw: &str) -> Result<Email, Error> {
        let s = raw.trim().to_ascii_lowercase();
        let bad = || Error::InvalidEmail(raw.chars().take(80).filter(|c| !c.is_control()).collect());
        if s.len() > EMAIL_MAX || !s.is_ascii() {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if !is_dot_atom(local) || local.len() > 64 || !is_hostname(domain) {
            return Err(bad());
        }
        lettre::Address::new(local, domain).map_err(|_| bad())?;
        Ok(Email(s))
    }
    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// RFC 5322 dot-atom: atext runs separated by single dots.
fn is_dot_atom(s: &str) -> bool {
    const SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
    !s.is_empty()
        && s.split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(|b| b.is_ascii_alphanumeric() || SPECIALS.contains(&b)))
}

/// A DNS host name of two or more labels: letters, digits and inner hyphens,
/// 1 to 63 per label, a top-level label that is not all digits.
fn is_hostname(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    s.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// A password as typed: 10 to 1024 characters. The upper bound keeps argon2
/// from being fed megabytes.
pub struct Password(SecretString);

impl Password {
    /// Fewest characters.
    pub const MIN: usize = 10;
    /// Most characters.
    pub const MAX: usize = 1024;

    /// A password sent in the body field `/password`.
    ///
    /// # Errors
    /// `weak_password`.
    pub fn parse(raw: &str) -> Result<Password, Error> {
        Self::parse_at(raw, "/password")
    }
    /// A password sent in the body field `field` (a JSON pointer).
    ///
    /// # Errors
    /// `weak_password`, naming `field`.
    pub fn parse_at(raw: &str, field: &'static str) -> Result<Password, Error> {
        let n = raw.chars().count();
        if (Self::MIN..=Self::MAX).contains(&n) {
            Ok(Password(SecretString::from(raw.to_owned())))
        } else {
            Err(Error::WeakPassword(field))
        }
    }
    /// A new password, which must also differ from the account's email.
    ///
    /// # Errors
    /// `weak_password`, naming `field`.
    pub fn parse_new(raw: &str, email: &Email, field: &'static str) -> Result<Password, Error> {
        let p = Self::parse_at(raw, field)?;
        if raw.trim().eq_ignore_ascii_case(email.as_str()) {
            return Err(Error::PasswordIsEmail(field));
        }
        Ok(p)
    }
    /// The characters, for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A workspace's display name: 1 to 100 characters after trimming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    /// 1 to 100 characters after trimming, none of them forbidden in
    /// displayed text ([`stackpro_core::text`]).
    ///
    /// # Errors
    /// `invalid_tenant_name`.
    pub fn parse(raw: &str) -> Result<TenantName, Error> {
        let s = raw.trim();
        if (1..=100).contains(&s.chars().count()) && !s.chars().any(stackpro_core::text::is_forbidden) {
            Ok(TenantName(s.to_owned()))
        } else {
            Err(Error::InvalidTenantName)
        }
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// A subdomain-safe slug derived from the name (see [`Slug::derive`]).
    pub fn slug(&self) -> Slug {
        Slug::derive(&self.0)
    }
}

/// A short display name (a person's or a key's): 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// `field` names the input for the error. 1 to 100 characters after
    /// trimming, none of them forbidden in displayed text.
    ///
    /// # Errors
    /// `invalid_name`.
    pub fn parse(raw: &str, field: &'static str) -> Result<Name, Error> {
        let s = raw.trim();
        if (1..=100).contains(&s.chars().count()) && !s.chars().any(stackpro_core::text::is_forbidden) {
            Ok(Name(s.to_owned()))
        } else {
            Err(Error::InvalidName(field))
        }
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an API key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read everything the key's tenant holds.
    Read,
    /// Read and write, as a member.
    Write,
    /// Everything an admin may do.
    Admin,
}

impl Scope {
    /// Parses the wire name.
    ///
    /// # Errors
    /// `invalid_scope`.
    pub fn parse(raw: &str) -> Result<Scope, Error> {
        match raw {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            _ => Err(Error::InvalidScope),
        }
    }
}

/// A non-empty set of scopes, stored as `read,write`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// # Errors
    /// `invalid_scope` when empty.
    pub fn new(mut scopes: Vec<Scope>) -> Result<Scopes, Error> {
        scopes.sort_by_key(|s| *s as u8);
        scopes.dedup();
        if scopes.is_empty() {
            Err(Error::InvalidScope)
        } else {
            Ok(Scopes(scopes))
        }
    }
    /// Parses the stored form.
    pub fn from_stored(s: &str) -> Scopes {
        Scopes(s.split(',').filter_map(|p| Scope::parse(p).ok()).collect())
    }
    /// The stored form.
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Scope::Read => "read",
                Scope::Write => "write",
                Scope::Admin => "admin",
            })
            .collect::<Vec<_>>()
            .join(",")
    }
    /// The scopes.
    pub fn as_slice(&self) -> &[Scope] {
        &self.0
    }
    /// The role a key with these scopes acts with, and whether it may only read.
    pub fn role(&self) -> (Role, bool) {
        if self.0.contains(&Scope::Admin) {
            (Role::Admin, false)
        } else if self.0.contains(&Scope::Write) {
            (Role::Member, false)
        } else {
            (Role::Member, true)
        }
    }
}

/// A workspace.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Tenant {
    /// Id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Subdomain-safe unique slug.
    pub slug: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The plan's key in the catalogue (`trial`, `starter`, ...).
    pub plan: String,
    /// The account's standing.
    #[sqlx(try_from = "String")]
    pub plan_status: PlanStatus,
}

impl Tenant {
    /// The plan as requests carry it.
    pub fn plan_ref(&self) -> PlanRef {
        PlanRef { key: self.plan.clone(), status: self.plan_status }
    }
}

/// A member of a workspace as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub id: UserId,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Argon2id PHC string; `None` until an invitation is accepted.
    pub password_hash: Option<String>,
    /// Role name.
    pub role: String,
    /// `active` or `invited`.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Access tokens issued before this are refused.
    pub tokens_valid_after: Option<DateTime<Utc>>,
    /// For an invitation, the member who sent it.
    pub invited_by: Option<UserId>,
}

impl UserRow {
    /// The role; an unknown stored name degrades to the least powerful.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Client)
    }
    /// Whether the member has accepted and may sign in.
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// A person, as others see them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<&UserRow> for User {
    fn from(r: &UserRow) -> Self {
        User { id: r.id, email: r.email.clone(), name: r.name.clone(), created_at: r.created_at }
    }
}

/// Whether a member has joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Signed in at least once, or created the workspace.
    Active,
    /// Invited, has not accepted yet.
    Invited,
}

/// A member of the workspace. `id` is the member's user id (`Me.user.id`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Member {
    /// The member's user id.
    pub id: UserId,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Role.
    pub role: Role,
    /// Joined or invited.
    pub status: MemberStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<&UserRow> for Member {
    fn from(r: &UserRow) -> Self {
        Member {
            id: r.id,
            email: r.email.clone(),
            name: r.name.clone(),
            role: r.role(),
            status: if r.is_active() { MemberStatus::Active } else { MemberStatus::Invited },
            created_at: r.created_at,
            last_login_at: r.last_login_at,
        }
    }
}

/// An API key as stored (the secret only as its hash).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiKeyRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub id: ApiKeyId,
    /// Name.
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// Stored scopes.
    pub scopes: String,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An API key, without its secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApiKey {
    /// Id.
    pub id: ApiKeyId,
    /// Name.
    pub name: String,
    /// The first characters of the secret.
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ApiKeyRow> for ApiKey {
    fn from(r: &ApiKeyRow) -> Self {
        ApiKey {
            id: r.id,
            name: r.name.clone(),
            prefix: r.prefix.clone(),
            scopes: Scopes::from_stored(&r.scopes).as_slice().to_vec(),
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_workspace_name_gives_a_subdomain_safe_slug(name in "\\PC{1,100}") {
            if let Ok(n) = TenantName::parse(&name) {
                let slug = n.slug();
                prop_assert!(Slug::parse(slug.as_str()).is_ok(), "{slug}");
                prop_assert!(!slug.as_str().contains("--"), "{slug}");
            }
        }

        #[test]
        fn an_accepted_email_is_normalised_and_parses_to_itself(raw in "\\PC{0,80}") {
            if let Ok(e) = Email::parse(&raw) {
                prop_assert_eq!(e.as_str(), e.as_str().trim().to_lowercase());
                prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
            }
        }
    }

    #[test]
    fn emails_are_normalised_and_bad_ones_refused() {
        assert_eq!(Email::parse("  Alice@Example.COM ").unwrap().as_str(), "alice@example.com");
        for bad in ["", "alice", "@x.io", "a@b", "a b@x.io", "a@@x.io", "a@x..io", "a@.x.io", "a.@x.io", "a@x.123"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        for good in ["o'brien+tag@mail.example.co.uk", "x@xn--mnchen-3ya.de", "a!#$%&*/=?^_`{|}~-@x.io"] {
            assert!(Email::parse(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn invisible_look_alike_and_list_characters_in_an_email_are_refused() {
        for bad in [
            "ann\u{200b}@example.com", // zero-width space
            "ann@exam\u{200d}ple.com", // zero-width joiner
            "\u{202e}moc.elpmaxe@nna", // right-to-left override
            "ann\u{2066}@example.com", // left-to-right isolate
            "\u{feff}ann@example.com", // byte-order mark
            "ann@ex\u{0430}mple.com",  // Cyrillic a
            "\u{0430}nn@example.com",  // Cyrillic a
            "ann,bob@example.com",     // a list, not an address
            "ann@example.com,bob@example.com",
            "\"ann\"@example.com", // quoted local part
            "Ann <ann@example.com>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn passwords_between_ten_and_1024_characters_are_accepted() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("exactly10!").is_ok());
        assert!(Password::parse(&"x".repeat(1025)).is_err());
        let email = Email::parse("alice@example.com").unwrap();
        assert!(Password::parse_new("alice@example.com", &email, "/password").is_err());
    }

    #[test]
    fn a_slug_is_subdomain_safe() {
        assert_eq!(TenantName::parse("Café Müller & Sons!").unwrap().slug().as_str(), "caf-m-ller-sons");
        assert_eq!(TenantName::parse("ab").unwrap().slug().as_str(), "ws-ab");
        assert_eq!(TenantName::parse("!!!").unwrap().slug().as_str(), "workspace");
        let long = TenantName::parse(&"a".repeat(100)).unwrap().slug();
        assert!(long.as_str().len() <= 40);
    }

    #[test]
    fn scopes_map_to_a_role() {
        assert_eq!(Scopes::new(vec![Scope::Read]).unwrap().role(), (Role::Member, true));
        assert_eq!(Scopes::new(vec![Scope::Write, Scope::Read]).unwrap().role(), (Role::Member, false));
        assert_eq!(Scopes::new(vec![Scope::Admin]).unwrap().role(), (Role::Admin, false));
        assert!(Scopes::new(vec![]).is_err());
        let s = Scopes::new(vec![Scope::Write, Scope::Read, Scope::Read]).unwrap();
        assert_eq!(Scopes::from_stored(&s.to_stored()), s);
    }
}

/// A signed-in session: the tokens and who they are for.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Session {
    /// A short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// A long-lived, single-use token for `POST /api/v1/auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The workspace.
    pub tenant: Tenant,
    /// The person.
    pub user: User,
    /// Their role in the workspace.
    pub role: Role,
}

/// How the caller authenticated.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthVia {
    /// An access token.
    Token,
    /// An API key.
    ApiKey,
}

/// The caller.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Me {
    /// The person, or for an API key the person who created it (if still a member).
    pub user: Option<User>,
    /// The workspace.
    pub tenant: Tenant,
    /// The role the caller acts with.
    pub role: Role,
    /// Token or API key.
    pub via: AuthVia,
    /// Whether the caller may only read (a read-scoped API key).
    pub read_only: bool,
}

/// An invitation just sent.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Invitation {
    /// The invited member.
    pub member: Member,
    /// The link to accept; share it yourself when email is not configured.
    pub invite_url: String,
    /// Whether an email was queued through SMTP (otherwise it is written to the log).
    pub email_sent: bool,
}

/// A new API key with its secret, shown this once.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key.
    pub api_key: ApiKey,
    /// The secret for `Authorization: Bearer`; it cannot be shown again.
    pub secret: String,
}

/// One audit entry as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Id.
    pub id: uuid::Uuid,
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened, e.g. `member.invited`.
    pub action: String,
    /// Who acted (user or API key id).
    pub actor_id: Option<uuid::Uuid>,
    /// Who acted, readable.
    pub actor_label: Option<String>,
    /// What it happened to.
    pub target: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Details: a JSON object whose keys depend on the action.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub details: serde_json::Value,
}

impl From<&crate::audit::AuditRow> for AuditEntry {
    fn from(r: &crate::audit::AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            seq: r.seq,
            at: r.at,
            action: r.action.clone(),
            actor_id: r.actor_id,
            actor_label: r.actor_label.clone(),
            target: r.target.clone(),
            ip: r.ip.clone(),
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Entries.
    pub items: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; `null` at the start of the log.
    pub next_before: Option<i64>,
}
