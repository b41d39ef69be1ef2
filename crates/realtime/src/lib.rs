//! Realtime: the WebSocket gateway at `/api/v1/realtime`, channels, presence and
//! typing, files with comment threads and versions, and notifications (in-app,
//! email, web push, SMS).
//!
//! Not built yet: this crate marks its place in the workspace. Fan-out across
//! replicas will go through `store::Bus`.
