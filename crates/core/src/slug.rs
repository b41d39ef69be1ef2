//! Slugs: the short names that become subdomains (`<slug>.<base domain>`)
//! and that operators type into commands.
//!
//! Two rules make them safe beyond their alphabet. A slug never looks like an
//! id (a UUID, hyphenated or not), so a command that takes "an id or a slug"
//! can never be aimed at another workspace by a cleverly named one. And a
//! reserved list keeps the names the platform itself needs as subdomains
//! (`www`, `api`, `mail`, ...) out of tenants' hands.

/// Names the platform keeps for itself: they are or will be its own hosts.
pub const RESERVED: &[&str] = &[
    "about",
    "abuse",
    "account",
    "accounts",
    "acme",
    "admin",
    "administrator",
    "api",
    "app",
    "apps",
    "assets",
    "auth",
    "autoconfig",
    "autodiscover",
    "billing",
    "blog",
    "cdn",
    "dashboard",
    "dev",
    "dns",
    "docs",
    "email",
    "ftp",
    "help",
    "imap",
    "internal",
    "localhost",
    "login",
    "mail",
    "metrics",
    "mx",
    "ns",
    "ns1",
    "ns2",
    "oauth",
    "operator",
    "pop",
    "pop3",
    "postmaster",
    "root",
    "secure",
    "security",
    "shop",
    "smtp",
    "sso",
    "stackpro",
    "staging",
    "static",
    "status",
    "support",
    "system",
    "test",
    "webmail",
    "www",
];

/// The longest slug: the longest DNS label.
pub const MAX_LEN: usize = 63;
/// The shortest slug.
pub const MIN_LEN: usize = 3;
/// What a slug may look like, as a JSON-schema (ECMA-262) pattern.
pub const PATTERN: &str = "^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$";

/// Why a string is not a slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// Wrong length or characters.
    #[error("use 3 to 63 of a-z, 0-9 and -, not starting or ending with -")]
    Shape,
    /// Shaped like a UUID.
    #[error("a slug must not look like an id")]
    LooksLikeId,
    /// On the reserved list.
    #[error("this name is reserved for the platform")]
    Reserved,
}

/// A checked slug: 3 to 63 of `a-z 0-9 -`, not starting or ending with `-`,
/// not shaped like a UUID, not reserved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Checks a slug as given (no lower-casing or trimming: a slug is typed
    /// exactly).
    ///
    /// # Errors
    /// Which rule it breaks.
    pub fn parse(raw: &str) -> Result<Slug, SlugError> {
        let shape_ok = (MIN_LEN..=MAX_LEN).contains(&raw.len())
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !shape_ok {
            return Err(SlugError::Shape);
        }
        if looks_like_id(raw) {
            return Err(SlugError::LooksLikeId);
        }
        // `xn--` labels are internationalised names in punycode: one could
        // pass for another workspace's name in a browser's address bar.
        if RESERVED.contains(&raw) || raw.starts_with("xn--") {
            return Err(SlugError::Reserved);
        }
        Ok(Slug(raw.to_owned()))
    }

    /// Makes a valid slug from free text (a workspace's name): lower-cased
    /// ASCII letters and digits, runs of anything else as one `-`, at most 40
    /// characters, `workspace` when nothing is left, and `ws-` in front of
    /// what would be too short, shaped like an id, or reserved.
    pub fn derive(text: &str) -> Slug {
        let mut out = String::new();
        for c in text.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            if out.len() >= 40 {
                break;
            }
        }
        let out = match out.trim_matches('-') {
            "" => "workspace",
            out => out,
        };
        let candidate = if out.len() < MIN_LEN || looks_like_id(out) || RESERVED.contains(&out) {
            format!("ws-{out}")
        } else {
            out.to_owned()
        };
        // `ws-` plus 1 to 40 characters of a-z 0-9 - (not ending in -) is
        // always a valid slug.
        Slug(candidate)
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether text would be read as a UUID in any of the forms UUID parsers
/// take (hyphenated, 32 hex digits, braced, `urn:uuid:`).
pub fn looks_like_id(raw: &str) -> bool {
    uuid::Uuid::try_parse(raw).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_in_any_form_is_not_a_slug_and_a_name_shaped_like_one_is_prefixed() {
        let id = uuid::Uuid::now_v7();
        for form in [id.hyphenated().to_string(), id.simple().to_string()] {
            assert_eq!(Slug::parse(&form), Err(SlugError::LooksLikeId), "{form}");
            let derived = Slug::derive(&form);
            assert!(!looks_like_id(derived.as_str()), "{derived}");
            assert!(Slug::parse(derived.as_str()).is_ok(), "{derived}");
        }
    }

    #[test]
    fn reserved_names_are_refused_and_derived_names_avoid_them() {
        for name in ["www", "admin", "api", "app", "mail"] {
            assert_eq!(Slug::parse(name), Err(SlugError::Reserved));
            assert_eq!(Slug::derive(name).as_str(), format!("ws-{name}"));
        }
        assert_eq!(Slug::derive("Café Müller & Sons!").as_str(), "caf-m-ller-sons");
        assert_eq!(Slug::derive("ab").as_str(), "ws-ab");
        assert_eq!(Slug::derive("!!!").as_str(), "workspace");
    }

    #[test]
    fn the_shape_is_checked_exactly() {
        for bad in ["", "ab", "-abc", "abc-", "ABC", "a b c", "abc\0", &"a".repeat(64)] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Shape), "{bad:?}");
        }
        assert!(Slug::parse("acme-bakery").is_ok());
        assert!(Slug::parse(&"a".repeat(63)).is_ok());
    }
}
