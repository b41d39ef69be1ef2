//! The types of realtime: what the API takes and answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stackpro_core::access::Visibility;
use stackpro_core::define_id;
use stackpro_core::ids::UserId;
use utoipa::ToSchema;

define_id!(
    /// A channel of a workspace.
    ChannelId
);
define_id!(
    /// A message in a channel.
    MessageId
);

/// What kind of channel, and so who may read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// The whole team reads it (not clients); anyone of the team may join.
    Team,
    /// Only its members read it.
    Private,
    /// Two people; only they read it.
    Direct,
    /// The team and the client members it is shared with.
    Clients,
}

impl ChannelKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Team => "team",
            ChannelKind::Private => "private",
            ChannelKind::Direct => "direct",
            ChannelKind::Clients => "clients",
        }
    }
    /// Parses the stored name; an unknown one reads as the narrowest.
    pub fn parse(s: &str) -> ChannelKind {
        match s {
            "team" => ChannelKind::Team,
            "clients" => ChannelKind::Clients,
            "direct" => ChannelKind::Direct,
            _ => ChannelKind::Private,
        }
    }
    /// The content visibility this kind stands for in the one permission
    /// rule ([`stackpro_core::access`]); the channel's members are the
    /// people it is shared with by name.
    pub fn visibility(self) -> Visibility {
        match self {
            ChannelKind::Team => Visibility::Team,
            ChannelKind::Clients => Visibility::Clients,
            ChannelKind::Private | ChannelKind::Direct => Visibility::Named,
        }
    }
}

/// A channel as its reader sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Channel {
    /// Id.
    pub id: ChannelId,
    /// Kind.
    pub kind: ChannelKind,
    /// Name (for a direct message: the other person's name or email).
    pub name: String,
    /// What it is for.
    pub topic: String,
    /// Its members (team channels: who joined).
    pub members: Vec<UserId>,
    /// Its members' names (or emails), in the order of `members`: what the
    /// channel shows, also to clients, who may not list the workspace.
    pub member_names: Vec<String>,
    /// Whether the reader is a member.
    pub joined: bool,
    /// The number of its latest change.
    pub last_seq: i64,
    /// The number of the last message the reader has read.
    pub last_read_seq: i64,
    /// Messages from others after the reader's last read one.
    pub unread: i64,
    /// Messages after the reader's last read one that mention them.
    pub mentions: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The kinds of channel made by name (direct messages are opened with
/// `POST /api/v1/realtime/direct`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewChannelKind {
    /// The whole team reads it.
    Team,
    /// Only its members read it.
    Private,
    /// The team and the client members in it.
    Clients,
}

impl From<NewChannelKind> for ChannelKind {
    fn from(k: NewChannelKind) -> ChannelKind {
        match k {
            NewChannelKind::Team => ChannelKind::Team,
            NewChannelKind::Private => ChannelKind::Private,
            NewChannelKind::Clients => ChannelKind::Clients,
        }
    }
}

/// A new channel.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    /// `team`, `private` or `clients`.
    pub kind: NewChannelKind,
    /// 1 to 80 characters, unique in the workspace.
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    pub name: String,
    /// Up to 250 characters.
    #[schema(
        max_length = 250,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$"
    )]
    #[serde(default)]
    pub topic: Option<String>,
    /// Members besides the creator (private: who reads it; clients: the
    /// client members it is shared with, and any of the team).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub members: Vec<UserId>,
}

/// Who to add to or remove from a channel.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersChange {
    /// Members to add.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub add: Vec<UserId>,
    /// Members to remove.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub remove: Vec<UserId>,
}

/// A direct-message channel with one person.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDirect {
    /// The other person.
    pub user: UserId,
}

/// How many people reacted with one emoji.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// Who.
    pub users: Vec<UserId>,
}

/// A message of a channel (named `ChatMessage` in the API document: the
/// assistant has its own `Message`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = ChatMessage)]
pub struct Message {
    /// Id.
    pub id: MessageId,
    /// Its channel.
    pub channel_id: ChannelId,
    /// The channel's number for this message: messages are ordered by it.
    pub seq: i64,
    /// The number of its latest change (edit, deletion, reaction, reply).
    pub changed_seq: i64,
    /// Who wrote it.
    pub author: Option<UserId>,
    /// The first message of the thread it answers.
    pub thread_id: Option<MessageId>,
    /// Answers in its thread.
    pub replies: i64,
    /// The text (empty once deleted).
    pub body: String,
    /// The people it mentions.
    pub mentions: Vec<UserId>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// A new message.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// 1 to 8,000 characters. `@<member id>` or `@<email>` mentions a member.
    #[schema(
        min_length = 1,
        max_length = 8000,
        pattern = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub body: String,
    /// Answer in the thread of this message.
    #[serde(default)]
    pub thread_id: Option<MessageId>,
}

/// A changed message text.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEdit {
    /// 1 to 8,000 characters.
    #[schema(
        min_length = 1,
        max_length = 8000,
        pattern = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
    )]
    pub body: String,
}

/// A reaction to add or take back.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionChange {
    /// One emoji (1 to 16 characters, no spaces, something visible).
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = r"^[^\s\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\s\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub emoji: String,
}

/// How far the reader has read.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadMark {
    /// The number of the last message read.
    #[schema(minimum = 0)]
    #[serde(deserialize_with = "stackpro_core::extract::whole_number")]
    pub seq: i64,
}

/// Someone's presence (named `PresenceStatus` in the API document: the
/// assistant has its own `Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PresenceStatus)]
pub enum Status {
    /// Connected and active.
    Online,
    /// Connected, idle.
    Away,
    /// Not connected.
    Offline,
}

impl Status {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Away => "away",
            Status::Offline => "offline",
        }
    }
    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "online" => Some(Status::Online),
            "away" => Some(Status::Away),
            "offline" => Some(Status::Offline),
            _ => None,
        }
    }
}

/// One member's presence.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Presence {
    /// Who.
    pub user: UserId,
    /// Online, away or offline.
    pub status: Status,
}
