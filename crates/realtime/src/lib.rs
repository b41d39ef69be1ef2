//! Realtime: the WebSocket gateway at `/api/v1/realtime`, channels (team,
//! private, direct, shared with clients), messages sealed with the
//! workspace's key (threads, edits, reactions, read marks, mentions), and
//! presence and typing, on one replica or many.
//!
//! Who may read a channel is the one permission rule of
//! [`stackpro_core::access`]; `messages` are counted through billing's
//! [`stackpro_core::metering::Metering`]. Events reach this replica's
//! connections through the [`hub::Hub`] and the other replicas' through
//! `store::Bus` (Redis). The protocol is in `docs/realtime.md`.
//!
//! Not built yet (issue 14): files with versions and comments,
//! notifications, the hand-off from the assistant, the UI.

pub mod error;
pub mod gateway;
pub mod hub;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;

pub use error::Error;
pub use hub::Hub;
pub use service::Realtime;
