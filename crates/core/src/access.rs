//! The one rule for who may read a piece of content: a document, a file or a
//! channel. Every door asks [`Reader::may_read`]: the assistant's retrieval
//! (a member's chat, a client's chat, the public widget), document lists and
//! downloads, and later file downloads, channel history and search. Nothing
//! is readable through one door and hidden behind another.
//!
//! | visibility | owners, admins | members | clients | site visitors |
//! |---|---|---|---|---|
//! | `admins`  | yes | no  | no | no |
//! | `team`    | yes | yes | no | no |
//! | `clients` | yes | yes | only the named ones | no |
//! | `public`  | yes | yes | yes | yes |
//! | `named`   | only the named ones | only the named ones | only the named ones | no |
//!
//! `named` is for what belongs to the people in it and nobody else: a
//! private channel, a direct message, a file shared with a few people.

use crate::ids::UserId;
use crate::tenancy::{Role, TenantCtx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who may read a piece of content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone of the workspace except its clients.
    Team,
    /// Owners and admins only.
    Admins,
    /// The team and the clients it is shared with by name.
    Clients,
    /// Everyone, including the visitors of the workspace's website.
    Public,
    /// Only the people it is shared with by name, whatever their role.
    Named,
}

impl Visibility {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Team => "team",
            Visibility::Admins => "admins",
            Visibility::Clients => "clients",
            Visibility::Public => "public",
            Visibility::Named => "named",
        }
    }
    /// How far it reaches: named, admins < team < clients < public.
    pub fn reach(self) -> u8 {
        match self {
            Visibility::Named | Visibility::Admins => 0,
            Visibility::Team => 1,
            Visibility::Clients => 2,
            Visibility::Public => 3,
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "team" => Some(Visibility::Team),
            "admins" => Some(Visibility::Admins),
            "clients" => Some(Visibility::Clients),
            "public" => Some(Visibility::Public),
            "named" => Some(Visibility::Named),
            _ => None,
        }
    }
}

/// Someone asking to read: a member of the workspace (a person or a program
/// with an API key), or an anonymous visitor of its website.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// A member or API key of the workspace, with its role; `user` is the
    /// person, so that content shared with a client by name reaches them.
    Member {
        /// The effective role.
        role: Role,
        /// The person, when a person is asking.
        user: Option<UserId>,
    },
    /// A visitor of the workspace's website.
    Visitor,
}

impl Reader {
    /// The reader a request's context stands for: its role, and the
    /// person whose rights it exercises (an API key acts for its creator).
    pub fn of(ctx: &TenantCtx) -> Reader {
        Reader::Member { role: ctx.role, user: ctx.person }
    }

    /// The rule: whether this reader may read content of `visibility`
    /// shared by name with `shared_with`.
    pub fn may_read(&self, visibility: Visibility, shared_with: &[UserId]) -> bool {
        match (*self, visibility) {
            (_, Visibility::Public) => true,
            (Reader::Visitor, _) => false,
            (Reader::Member { user, .. }, Visibility::Named) => user.is_some_and(|u| shared_with.contains(&u)),
            (Reader::Member { role, .. }, Visibility::Admins) => role.at_least(Role::Admin),
            (Reader::Member { role, .. }, Visibility::Team) => role.at_least(Role::Member),
            (Reader::Member { role, user }, Visibility::Clients) => {
                role.at_least(Role::Member) || user.is_some_and(|u| shared_with.contains(&u))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, user: Option<UserId>) -> Reader {
        Reader::Member { role, user }
    }

    #[test]
    fn the_table_of_the_module_doc_holds() {
        let named = UserId::new();
        let other = UserId::new();
        let shared = [named];
        let cases = [
            (member(Role::Owner, None), [true, true, true, true, false]),
            (member(Role::Owner, Some(named)), [true, true, true, true, true]),
            (member(Role::Admin, Some(other)), [true, true, true, true, false]),
            (member(Role::Member, Some(other)), [true, false, true, true, false]),
            (member(Role::Member, Some(named)), [true, false, true, true, true]),
            (member(Role::Client, Some(named)), [false, false, true, true, true]),
            (member(Role::Client, Some(other)), [false, false, false, true, false]),
            (member(Role::Client, None), [false, false, false, true, false]),
            (Reader::Visitor, [false, false, false, true, false]),
        ];
        let vis = [Visibility::Team, Visibility::Admins, Visibility::Clients, Visibility::Public, Visibility::Named];
        for (reader, expected) in cases {
            for (v, want) in vis.iter().zip(expected) {
                assert_eq!(reader.may_read(*v, &shared), want, "{reader:?} reading {v:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for v in [Visibility::Team, Visibility::Admins, Visibility::Clients, Visibility::Public, Visibility::Named] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
        assert_eq!(Visibility::parse("everyone"), None);
    }
}
