//! The WebSocket gateway at `/api/v1/realtime`: one connection per browser
//! tab or program, speaking the JSON protocol of `docs/realtime.md`.
//!
//! A connection is authenticated by its `Authorization` header (programs,
//! API keys) or by an `auth` frame first (browsers, which cannot set
//! headers on a WebSocket), and again every minute with the latest token it
//! sent, so a revoked key or a signed-out person stops listening. Frames
//! are limited in size and rate; a connection whose queue of outgoing
//! events fills up (it reads too slowly) is closed with a reason rather
//! than buffered without bound.

use crate::hub::{ConnId, Outgoing, Registration};
use crate::model::{ChannelId, MessageId, NewMessage, Status};
use crate::service::{Realtime, Recovery};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRef, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use stackpro_core::tenancy::AuthState;
use stackpro_core::{ApiError, Code, TenantCtx};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The largest frame a client may send.
pub const MAX_FRAME: usize = 64 * 1024;
/// How often the server pings.
const HEARTBEAT: Duration = Duration::from_secs(25);
/// Silence after which a connection is considered gone.
const IDLE: Duration = Duration::from_secs(60);
/// How long a browser has to send its `auth` frame.
const AUTH_WAIT: Duration = Duration::from_secs(10);
/// How often the credentials are checked again.
const REAUTH: Duration = Duration::from_secs(60);
/// Frames a client may send per second.
const FRAMES_PER_SEC: u32 = 50;
/// How long one frame may wait for the client to take it.
const WRITE_WAIT: Duration = Duration::from_secs(10);
/// Channels one connection may listen to.
const MAX_SUBSCRIPTIONS: usize = 500;

/// Close codes (docs/realtime.md).
pub mod close {
    /// A frame over the size limit (RFC 6455's "message too big").
    pub const TOO_BIG: u16 = 1009;
    /// Missing, wrong or expired credentials.
    pub const UNAUTHORIZED: u16 = 4001;
    /// Too many frames.
    pub const RATE_LIMITED: u16 = 4008;
    /// The client read too slowly; reconnect and recover.
    pub const SLOW_CONSUMER: u16 = 4009;
    /// No frame (or pong) for a minute.
    pub const IDLE: u16 = 4010;
}

/// A frame from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum In {
    Auth {
        token: String,
    },
    Subscribe {
        channel: ChannelId,
        #[serde(default)]
        since: Option<i64>,
        #[serde(default)]
        id: Option<Value>,
    },
    Unsubscribe {
        channel: ChannelId,
        #[serde(default)]
        id: Option<Value>,
    },
    Publish {
        channel: ChannelId,
        body: String,
        #[serde(default)]
        thread_id: Option<MessageId>,
        #[serde(default)]
        id: Option<Value>,
    },
    Typing {
        channel: ChannelId,
    },
    Read {
        channel: ChannelId,
        seq: i64,
        #[serde(default)]
        id: Option<Value>,
    },
    Presence {
        status: Status,
    },
    Ping {
        #[serde(default)]
        id: Option<Value>,
    },
}

/// The gateway: upgrades to a WebSocket speaking the JSON protocol of
/// `docs/realtime.md`. Authenticated by the `Authorization` header, or by
/// `{"type":"auth","token":"..."}` as the first frame. Not in the OpenAPI
/// document, which cannot describe a WebSocket; a plain request is answered
/// `websocket_required`.
pub async fn connect<S>(
    State(state): State<S>,
    parts: Parts,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    Realtime: FromRef<S>,
    AuthState: FromRef<S>,
{
    let Ok(ws) = ws else {
        return ApiError::new(
            Code::WebsocketRequired,
            "This is the realtime WebSocket: connect with a WebSocket client (docs/realtime.md).",
        )
        .into_response();
    };
    let rt = Realtime::from_ref(&state);
    let auth = AuthState::from_ref(&state);
    // A header that fails is answered before the upgrade, as HTTP.
    let ctx = if parts.headers.contains_key(header::AUTHORIZATION) {
        match auth.authenticate(&parts).await {
            Ok(ctx) => Some((ctx, None)),
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    ws.max_message_size(MAX_FRAME).max_frame_size(MAX_FRAME).read_buffer_size(4096).write_buffer_size(0).on_upgrade(
        move |socket| async move {
            let header = parts.headers.get(header::AUTHORIZATION).cloned();
            run(rt, auth, socket, ctx.map(|(c, _): (TenantCtx, Option<()>)| (c, header))).await;
        },
    )
}

fn frame(v: &Value) -> Outgoing {
    Outgoing::Text(Utf8Bytes::from(v.to_string()))
}

fn error_frame(id: Option<&Value>, e: crate::error::Error) -> Outgoing {
    let api = ApiError::from(e);
    frame(&json!({ "type": "error", "id": id, "code": api.code().as_str(), "detail": api.detail() }))
}

/// Authenticates a bearer token or API key the way HTTP requests are.
async fn authenticate(auth: &AuthState, value: &HeaderValue) -> Result<TenantCtx, ApiError> {
    let mut req = axum::http::Request::new(());
    req.headers_mut().insert(header::AUTHORIZATION, value.clone());
    let (parts, ()) = req.into_parts();
    auth.authenticate(&parts).await
}

async fn closing(socket: &mut WebSocket, code: u16, reason: &str) {
    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(reason) }))).await;
}

async fn run(rt: Realtime, auth: AuthState, mut socket: WebSocket, pre: Option<(TenantCtx, Option<HeaderValue>)>) {
    let (mut ctx, mut credential) = match pre {
        Some((ctx, Some(h))) => (ctx, h),
        _ => match first_auth(&auth, &mut socket).await {
            Some(found) => found,
            None => return,
        },
    };
    let hub = rt.hub().clone();
    // A program with a person's key acts with their rights but does not
    // make them present.
    let before = ctx.user().map(|u| (u, hub.status_here(ctx.tenant, u)));
    let Some(Registration { id, rx, slow, tx }) = hub.register(ctx.tenant, ctx.person, ctx.user().is_some()) else {
        let why = "too many connections for one person on this server";
        closing(&mut socket, close::RATE_LIMITED, why).await;
        return;
    };
    let user = ctx.user();
    let (sink, mut stream) = socket.split();
    let mut writer = tokio::spawn(write(sink, rx, slow));
    let _ = tx
        .send(frame(&json!({
            "type": "ready", "tenant": ctx.tenant, "user": ctx.person,
            "heartbeat_secs": HEARTBEAT.as_secs(), "max_frame": MAX_FRAME,
        })))
        .await;
    if let Some((u, before)) = before {
        let change = hub.connection_changed(ctx.tenant, u, before).await;
        rt.announce_presence(change).await;
    }
    let mut last_auth = Instant::now();
    let mut window = (Instant::now(), 0u32);
    let reason = loop {
        let next = tokio::select! {
            next = tokio::time::timeout(IDLE, stream.next()) => next,
            // The writer ended: the peer is gone or too slow.
            _ = &mut writer => break None,
        };
        let msg = match next {
            Err(_) => break Some((close::IDLE, "no frame for a minute")),
            Ok(None) => break None,
            Ok(Some(Err(e))) => {
                let inner = e.into_inner();
                let too_big = inner
                    .downcast_ref::<tungstenite::Error>()
                    .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
                break too_big.then_some((close::TOO_BIG, "a frame over 64 KiB"));
            }
            Ok(Some(Ok(m))) => m,
        };
        if window.0.elapsed() >= Duration::from_secs(1) {
            window = (Instant::now(), 0);
        }
        window.1 += 1;
        if window.1 > FRAMES_PER_SEC {
            break Some((close::RATE_LIMITED, "more than 50 frames a second"));
        }
        if last_auth.elapsed() >= REAUTH {
            match authenticate(&auth, &credential).await {
                Ok(fresh) if fresh.tenant == ctx.tenant && fresh.person == ctx.person => ctx = fresh,
                _ => break Some((close::UNAUTHORIZED, "the credentials no longer hold; sign in again")),
            }
            last_auth = Instant::now();
        }
        let text = match msg {
            WsMessage::Text(t) => t,
            WsMessage::Close(_) => break None,
            WsMessage::Binary(_) => {
                let _ = tx
                    .send(frame(&json!({ "type": "error", "code": "invalid_body", "detail": "Frames are JSON text." })))
                    .await;
                continue;
            }
            _ => continue,
        };
        let frame_in: In = match serde_json::from_str(text.as_str()) {
            Ok(f) => f,
            Err(e) => {
                let detail = format!("Not a frame of the protocol (docs/realtime.md): {e}");
                let _ = tx.send(frame(&json!({ "type": "error", "code": "invalid_body", "detail": detail }))).await;
                continue;
            }
        };
        match frame_in {
            In::Auth { token } => {
                let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) else {
                    break Some((close::UNAUTHORIZED, "unreadable token"));
                };
                match authenticate(&auth, &value).await {
                    Ok(fresh) if fresh.tenant == ctx.tenant && fresh.person == ctx.person => {
                        ctx = fresh;
                        credential = value;
                        last_auth = Instant::now();
                    }
                    _ => break Some((close::UNAUTHORIZED, "the new token does not hold for this connection")),
                }
            }
            In::Subscribe { channel, since, id: rid } => {
                subscribe(&rt, &ctx, id, &tx, channel, since, rid).await;
            }
            In::Unsubscribe { channel, id: rid } => {
                hub.leave(id, channel);
                let _ = tx.send(frame(&json!({ "type": "ack", "id": rid, "channel": channel }))).await;
            }
            In::Publish { channel, body, thread_id, id: rid } => {
                let out = match rt.post(&ctx, channel, NewMessage { body, thread_id }).await {
                    Ok(m) => frame(&json!({ "type": "ack", "id": rid, "message": m })),
                    Err(e) => error_frame(rid.as_ref(), e),
                };
                let _ = tx.send(out).await;
            }
            In::Typing { channel } => {
                // Only into a channel this connection still listens to (its
                // person may have been removed since subscribing).
                if hub.listens(id, channel) {
                    rt.typing(&ctx, channel).await;
                }
            }
            In::Read { channel, seq, id: rid } => {
                let out = match rt.mark_read(&ctx, channel, seq).await {
                    Ok(()) => frame(&json!({ "type": "ack", "id": rid, "channel": channel, "seq": seq })),
                    Err(e) => error_frame(rid.as_ref(), e),
                };
                let _ = tx.send(out).await;
            }
            In::Presence { status } => {
                let status = if status == Status::Offline { Status::Away } else { status };
                let change = hub.set_status(id, status).await;
                rt.announce_presence(change).await;
            }
            In::Ping { id: rid } => {
                let _ = tx.send(frame(&json!({ "type": "pong", "id": rid }))).await;
            }
        }
    };
    let before = user.map(|u| (u, hub.status_here(ctx.tenant, u)));
    hub.unregister(id);
    if let Some((u, before)) = before {
        let change = hub.connection_changed(ctx.tenant, u, before).await;
        rt.announce_presence(change).await;
    }
    // The writer ends when the hub's sender and ours are gone; a reason is
    // sent first, without waiting on a full queue (the writer then gives up
    // on its own deadline).
    if let Some((code, why)) = reason {
        let _ = tx.try_send(Outgoing::Close(code, why));
    }
    drop(tx);
    if !writer.is_finished() {
        let _ = tokio::time::timeout(WRITE_WAIT, &mut writer).await;
    }
    // The closing handshake: read what the client still sends until its
    // close (briefly), so the close frame is not lost to a reset.
    if reason.is_some() {
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(m)) = stream.next().await {
                if matches!(m, WsMessage::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// Waits for the `auth` frame of a browser.
async fn first_auth(auth: &AuthState, socket: &mut WebSocket) -> Option<(TenantCtx, HeaderValue)> {
    let first = tokio::time::timeout(AUTH_WAIT, socket.next()).await;
    let token = match first {
        Ok(Some(Ok(WsMessage::Text(t)))) => match serde_json::from_str::<In>(t.as_str()) {
            Ok(In::Auth { token }) => token,
            _ => {
                closing(socket, close::UNAUTHORIZED, "the first frame must be {\"type\":\"auth\",\"token\":...}").await;
                return None;
            }
        },
        Ok(Some(Err(_))) => {
            closing(socket, close::TOO_BIG, "the auth frame is over 64 KiB").await;
            return None;
        }
        Ok(_) => return None,
        Err(_) => {
            closing(socket, close::UNAUTHORIZED, "no auth frame within 10 s").await;
            return None;
        }
    };
    let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) else {
        closing(socket, close::UNAUTHORIZED, "unreadable token").await;
        return None;
    };
    match authenticate(auth, &value).await {
        Ok(ctx) => Some((ctx, value)),
        Err(e) => {
            let why = if e.code() == stackpro_core::Code::TokenExpired { "token_expired" } else { "unauthorized" };
            closing(socket, close::UNAUTHORIZED, why).await;
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn subscribe(
    rt: &Realtime,
    ctx: &TenantCtx,
    conn: ConnId,
    tx: &mpsc::Sender<Outgoing>,
    channel: ChannelId,
    since: Option<i64>,
    rid: Option<Value>,
) {
    if !rt.hub().listens(conn, channel) && rt.hub().subscriptions(conn) >= MAX_SUBSCRIPTIONS {
        let _ = tx
            .send(frame(&json!({ "type": "error", "id": rid, "code": "invalid_field",
                "detail": format!("A connection listens to at most {MAX_SUBSCRIPTIONS} channels.") })))
            .await;
        return;
    }
    // Listen first, then read what was missed: nothing falls between the
    // two (an event may come twice; clients apply events by number).
    let seq = match rt.check_readable(ctx, channel).await {
        Ok(seq) => seq,
        Err(e) => {
            let _ = tx.send(error_frame(rid.as_ref(), e)).await;
            return;
        }
    };
    rt.hub().join(conn, channel);
    if let Some(since) = since.filter(|s| *s < seq) {
        match rt.changes_since(ctx, channel, since.max(0)).await {
            Ok(Recovery::Changes(list)) => {
                for m in list {
                    let kind = if m.seq > since { "message" } else { "update" };
                    let v =
                        json!({ "type": kind, "channel": channel, "seq": m.changed_seq, "message": m, "replay": true });
                    let _ = tx.send(frame(&v)).await;
                }
            }
            Ok(Recovery::Reload) => {
                let v = json!({ "type": "reload", "channel": channel,
                    "detail": "More changed than a reconnect replays; load the channel again." });
                let _ = tx.send(frame(&v)).await;
            }
            Err(e) => {
                let _ = tx.send(error_frame(rid.as_ref(), e)).await;
                return;
            }
        }
    }
    let _ = tx.send(frame(&json!({ "type": "subscribed", "id": rid, "channel": channel, "seq": seq }))).await;
}

/// Writes queued events and heartbeats; closes a slow consumer.
async fn write(
    mut sink: futures::stream::SplitSink<WebSocket, WsMessage>,
    mut rx: mpsc::Receiver<Outgoing>,
    slow: Arc<tokio::sync::Notify>,
) {
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    loop {
        tokio::select! {
            next = rx.recv() => match next {
                Some(Outgoing::Text(t)) => {
                    // Whatever else is queued goes out in the same write.
                    let mut close = None;
                    let batch = async {
                        sink.feed(WsMessage::Text(t)).await?;
                        for _ in 0..64 {
                            match rx.try_recv() {
                                Ok(Outgoing::Text(t)) => sink.feed(WsMessage::Text(t)).await?,
                                Ok(Outgoing::Close(code, why)) => {
                                    close = Some((code, why));
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        sink.flush().await
                    };
                    // A client that does not take a frame within the
                    // deadline (its TCP window full) is gone for us.
                    let sent = tokio::time::timeout(WRITE_WAIT, batch).await;
                    if let (Ok(Ok(())), Some((code, why))) = (&sent, close) {
                        let frame = WsMessage::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(why) }));
                        let _ = tokio::time::timeout(WRITE_WAIT, sink.send(frame)).await;
                        return;
                    }
                    match sent {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return,
                        Err(_) => {
                            let reason = Utf8Bytes::from_static("slow consumer: a frame waited too long; reconnect with your last seq");
                            let frame = WsMessage::Close(Some(CloseFrame { code: close::SLOW_CONSUMER, reason }));
                            let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(frame)).await;
                            return;
                        }
                    }
                }
                Some(Outgoing::Close(code, why)) => {
                    let frame = WsMessage::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(why) }));
                    let _ = tokio::time::timeout(WRITE_WAIT, sink.send(frame)).await;
                    return;
                }
                None => {
                    let _ = tokio::time::timeout(WRITE_WAIT, sink.send(WsMessage::Close(None))).await;
                    return;
                }
            },
            () = slow.notified() => {
                let reason = Utf8Bytes::from_static("slow consumer: events were not read in time; reconnect with your last seq");
                let frame = WsMessage::Close(Some(CloseFrame { code: close::SLOW_CONSUMER, reason }));
                let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(frame)).await;
                return;
            }
            _ = beat.tick() => {
                match tokio::time::timeout(WRITE_WAIT, sink.send(WsMessage::Ping(Default::default()))).await {
                    Ok(Ok(())) => {}
                    _ => return,
                }
            }
        }
    }
}
