//! Realtime through the real server: the WebSocket protocol end to end with
//! a real client (docs/realtime.md), recovery after a dropped connection,
//! who may read which channel (and another tenant's ids answering like
//! unknown ones), messages with threads, edits, reactions, mentions and
//! read marks, frame limits, and two replicas sharing messages and
//! presence through Redis.

use crate::helpers::*;
use futures::{SinkExt, StreamExt};
use rstest::rstest;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Ws;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A test client of the gateway.
struct Client {
    ws: Socket,
}

impl Client {
    /// Connects and authenticates with an `auth` frame, as a browser does.
    async fn connect(app: &TestApp, token: &str) -> Client {
        let url = app.url("/api/v1/realtime").replacen("http", "ws", 1);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut c = Client { ws };
        c.send(json!({ "type": "auth", "token": token })).await;
        let ready = c.next().await;
        assert_eq!(ready["type"], "ready", "the first frame is ready");
        assert!(ready["heartbeat_secs"].as_u64().unwrap() > 0);
        c
    }

    /// Connects with an `Authorization` header, as a program does.
    async fn connect_with_header(app: &TestApp, token: &str) -> Client {
        let url = app.url("/api/v1/realtime").replacen("http", "ws", 1);
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        let mut c = Client { ws };
        assert_eq!(c.next().await["type"], "ready", "the first frame is ready");
        c
    }

    async fn send(&mut self, v: Value) {
        self.ws.send(Ws::Text(v.to_string().into())).await.unwrap();
    }

    /// The next JSON frame, within 5 s.
    async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("no frame within 5 s")
                .expect("the connection closed")
                .expect("a WebSocket error");
            match msg {
                Ws::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Ws::Close(f) => panic!("closed: {f:?}"),
                _ => continue,
            }
        }
    }

    /// The next frame of `kind`, skipping others.
    async fn next_of(&mut self, kind: &str) -> Value {
        for _ in 0..200 {
            let v = self.next().await;
            if v["type"] == kind {
                return v;
            }
        }
        panic!("no {kind} frame");
    }

    /// Whether any frame of `kind` arrives within `d`.
    async fn hears_within(&mut self, kind: &str, d: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(Some(Ok(Ws::Text(t)))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    if v["type"] == kind {
                        return true;
                    }
                }
                Ok(Some(Ok(_))) => continue,
                Ok(_) => return false,
            }
        }
    }

    async fn subscribe(&mut self, channel: &str, since: Option<i64>) -> Vec<Value> {
        self.send(json!({ "type": "subscribe", "channel": channel, "since": since, "id": "sub" })).await;
        self.until_any(&["subscribed", "error"]).await
    }

    async fn until_any(&mut self, kinds: &[&str]) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let v = self.next().await;
            let done = kinds.iter().any(|k| v["type"] == *k);
            out.push(v);
            if done {
                return out;
            }
        }
    }

    /// The close frame's code, within 5 s.
    async fn closed_with(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => panic!("not closed within 5 s"),
                Ok(Some(Ok(Ws::Close(f)))) => return f.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
                Ok(_) => return None,
            }
        }
    }
}

async fn channel(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post("/api/v1/realtime/channels", Some(token), body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn post(app: &TestApp, token: &str, channel: &str, body: Value) -> Value {
    let res = app.post(&format!("/api/v1/realtime/channels/{channel}/messages"), Some(token), body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn two_people_chat_through_the_gateway_with_typing_read_receipts_and_presence(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.signup("rtone").await;
    let bob = app.member(&owner, "bob", "member").await;
    let general = channel(&app, &owner.access, json!({ "kind": "team", "name": "general" })).await;
    let ch = general["id"].as_str().unwrap();

    let mut a = Client::connect_with_header(&app, &owner.access).await;
    let mut b = Client::connect(&app, &bob.access).await;
    let frames = a.subscribe(ch, None).await;
    assert_eq!(frames.last().unwrap()["type"], "subscribed", "{frames:?}");
    assert_eq!(b.subscribe(ch, None).await.last().unwrap()["type"], "subscribed");

    // Both are online, seen by REST.
    let p: Value = app.get("/api/v1/realtime/presence", &owner.access).await.json().await.unwrap();
    let online: Vec<&str> = p["items"].as_array().unwrap().iter().map(|x| x["user"].as_str().unwrap()).collect();
    assert!(online.contains(&owner.user_id.as_str()) && online.contains(&bob.user_id.as_str()), "{p}");

    // A publishes; A gets the acknowledgement, B the message, in real time.
    a.send(json!({ "type": "publish", "channel": ch, "body": "Fresh bread at 7?", "id": 1 })).await;
    let ack = a.next_of("ack").await;
    assert_eq!(ack["id"], 1);
    assert_eq!(ack["message"]["body"], "Fresh bread at 7?");
    let got = b.next_of("message").await;
    assert_eq!(got["message"]["body"], "Fresh bread at 7?");
    assert_eq!(got["message"]["author"], owner.user_id.as_str());
    let seq = got["seq"].as_i64().unwrap();
    assert_eq!(seq, ack["message"]["seq"].as_i64().unwrap());

    // Typing and read receipts reach the other side.
    b.send(json!({ "type": "typing", "channel": ch })).await;
    let t = a.next_of("typing").await;
    assert_eq!(t["user"], bob.user_id.as_str());
    b.send(json!({ "type": "read", "channel": ch, "seq": seq, "id": "r" })).await;
    let r = a.next_of("read").await;
    assert_eq!((r["user"].as_str(), r["seq"].as_i64()), (Some(bob.user_id.as_str()), Some(seq)));

    // Unread counts: B has read everything, A wrote it.
    let list: Value = app.get("/api/v1/realtime/channels", &bob.access).await.json().await.unwrap();
    assert_eq!(list["items"][0]["unread"], 0, "{list}");

    // Away and back, seen by the other.
    b.send(json!({ "type": "presence", "status": "away" })).await;
    let pr = a.next_of("presence").await;
    assert_eq!((pr["user"].as_str(), pr["status"].as_str()), (Some(bob.user_id.as_str()), Some("away")));

    // Heartbeat, and a frame of no protocol answered without closing.
    a.send(json!({ "type": "ping", "id": 7 })).await;
    assert_eq!(a.next_of("pong").await["id"], 7);
    a.send(json!({ "type": "shout" })).await;
    let e = a.next_of("error").await;
    assert_eq!(e["code"], "invalid_body");
    a.send(json!({ "type": "ping" })).await;
    a.next_of("pong").await;

    // B leaves: A is told B is offline.
    b.ws.close(None).await.unwrap();
    let pr = a.next_of("presence").await;
    assert_eq!((pr["user"].as_str(), pr["status"].as_str()), (Some(bob.user_id.as_str()), Some("offline")));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_client_that_reconnects_with_its_last_seq_gets_everything_it_missed(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.signup("rtrec").await;
    let bob = app.member(&owner, "bob", "member").await;
    let ch = channel(&app, &owner.access, json!({ "kind": "team", "name": "orders" })).await;
    let ch = ch["id"].as_str().unwrap();
    let first = post(&app, &owner.access, ch, json!({ "body": "first" })).await;

    let mut b = Client::connect(&app, &bob.access).await;
    b.subscribe(ch, None).await;
    let m = post(&app, &owner.access, ch, json!({ "body": "second" })).await;
    let seen = b.next_of("message").await["seq"].as_i64().unwrap();
    assert_eq!(seen, m["seq"].as_i64().unwrap());
    // The connection drops.
    drop(b);

    // Meanwhile: three messages, an edit of an old one, a reaction.
    for body in ["third", "fourth", "fifth"] {
        post(&app, &owner.access, ch, json!({ "body": body })).await;
    }
    let path = format!("/api/v1/realtime/channels/{ch}/messages/{}", first["id"].as_str().unwrap());
    assert_eq!(app.patch(&path, &owner.access, json!({ "body": "first, edited" })).await.status(), 200);
    let res = app.post(&format!("{path}/reactions"), Some(&owner.access), json!({ "emoji": "👍" })).await;
    assert_eq!(res.status(), 200);

    let mut b = Client::connect(&app, &bob.access).await;
    let frames = b.subscribe(ch, Some(seen)).await;
    let last = frames.last().unwrap();
    assert_eq!(last["type"], "subscribed", "{frames:?}");
    let bodies: Vec<&str> =
        frames.iter().filter(|f| f["type"] == "message").map(|f| f["message"]["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["third", "fourth", "fifth"], "{frames:?}");
    let updates: Vec<&Value> = frames.iter().filter(|f| f["type"] == "update").collect();
    assert_eq!(updates.len(), 1, "the edit and the reaction come as the message's latest state: {frames:?}");
    assert_eq!(updates[0]["message"]["body"], "first, edited");
    assert_eq!(updates[0]["message"]["reactions"][0]["emoji"], "👍");
    // Nothing missed is left out: the replay ends at the channel's number.
    let top = frames.iter().filter_map(|f| f["seq"].as_i64()).max().unwrap();
    assert_eq!(top, last["seq"].as_i64().unwrap());
    // Live again after the replay.
    post(&app, &owner.access, ch, json!({ "body": "sixth" })).await;
    assert_eq!(b.next_of("message").await["message"]["body"], "sixth");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn clients_read_only_channels_shared_with_them_and_other_tenants_ids_answer_like_unknown_ones(
    #[case] backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let owner = app.signup("rtperm").await;
    let member = app.member(&owner, "mia", "member").await;
    let client = app.member(&owner, "carl", "client").await;
    let other_client = app.member(&owner, "cora", "client").await;
    let team = channel(&app, &owner.access, json!({ "kind": "team", "name": "team" })).await;
    let private = channel(&app, &owner.access, json!({ "kind": "private", "name": "owners" })).await;
    let shared =
        channel(&app, &owner.access, json!({ "kind": "clients", "name": "carl-project", "members": [client.user_id] }))
            .await;
    let (team, private, shared) =
        (team["id"].as_str().unwrap(), private["id"].as_str().unwrap(), shared["id"].as_str().unwrap());
    post(&app, &owner.access, team, json!({ "body": "team only" })).await;
    post(&app, &owner.access, private, json!({ "body": "owners only" })).await;
    post(&app, &owner.access, shared, json!({ "body": "for Carl" })).await;

    // The list each sees.
    let names = |v: Value| -> Vec<String> {
        let mut n: Vec<String> =
            v["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
        n.sort();
        n
    };
    let list = |t: String| {
        let app = &app;
        async move { app.get("/api/v1/realtime/channels", &t).await.json::<Value>().await.unwrap() }
    };
    let theirs = list(client.access.clone()).await;
    assert_eq!(names(theirs.clone()), ["carl-project"]);
    // The client may not list the workspace, but the channel names its people.
    assert_eq!(theirs["items"][0]["member_names"], json!([owner.email, "Bob"]), "{theirs}");
    assert!(names(list(other_client.access.clone()).await).is_empty());
    assert_eq!(names(list(member.access.clone()).await), ["carl-project", "team"]);

    // Direct reads: a client, and a member outside the private channel, get 404.
    for (token, ch) in
        [(&client.access, team), (&client.access, private), (&member.access, private), (&other_client.access, shared)]
    {
        let res = app.get(&format!("/api/v1/realtime/channels/{ch}/messages"), token).await;
        assert_eq!(res.status(), 404);
        let p: Problem = res.json().await.unwrap();
        assert_eq!(p.code, "channel_not_found");
    }
    let res = app.get(&format!("/api/v1/realtime/channels/{shared}/messages"), &client.access).await;
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["items"][0]["body"], "for Carl");
    // The client answers in its channel; clients create none.
    post(&app, &client.access, shared, json!({ "body": "thanks" })).await;
    let res =
        app.post("/api/v1/realtime/channels", Some(&client.access), json!({ "kind": "team", "name": "mine" })).await;
    assert_eq!(res.status(), 403);

    // Through the gateway: the same rule.
    let mut c = Client::connect(&app, &client.access).await;
    let frames = c.subscribe(team, None).await;
    assert_eq!(frames.last().unwrap()["code"], "channel_not_found");
    c.send(json!({ "type": "publish", "channel": private, "body": "let me in", "id": 2 })).await;
    assert_eq!(c.next_of("error").await["code"], "channel_not_found");
    assert_eq!(c.subscribe(shared, None).await.last().unwrap()["type"], "subscribed");

    // Another workspace's owner: the channel is as unknown as a made-up id.
    let stranger = app.signup("rtstranger").await;
    let theirs = app.get(&format!("/api/v1/realtime/channels/{shared}"), &stranger.access).await;
    let unknown = app.get(&format!("/api/v1/realtime/channels/{}", uuid_v7()), &stranger.access).await;
    assert_eq!((theirs.status(), unknown.status()), (reqwest::StatusCode::NOT_FOUND, reqwest::StatusCode::NOT_FOUND));
    let (a, b): (Value, Value) = (theirs.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(a["code"], b["code"]);
    let mut s = Client::connect(&app, &stranger.access).await;
    assert_eq!(s.subscribe(shared, None).await.last().unwrap()["code"], "channel_not_found");
    let res = app
        .post(&format!("/api/v1/realtime/channels/{shared}/messages"), Some(&stranger.access), json!({ "body": "hi" }))
        .await;
    assert_eq!(res.status(), 404);

    // Removed from the shared channel, the client stops hearing from it at once.
    let res = app
        .post(
            &format!("/api/v1/realtime/channels/{shared}/members"),
            Some(&owner.access),
            json!({ "remove": [client.user_id] }),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(c.next_of("removed").await["channel"], shared);
    post(&app, &owner.access, shared, json!({ "body": "after Carl left" })).await;
    assert!(!c.hears_within("message", Duration::from_millis(500)).await);
    // Nor can the removed client still type into it.
    let mut o = Client::connect(&app, &owner.access).await;
    o.subscribe(shared, None).await;
    c.send(json!({ "type": "typing", "channel": shared })).await;
    assert!(!o.hears_within("typing", Duration::from_millis(500)).await, "typing from someone removed");
}

fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn threads_edits_deletions_reactions_mentions_and_direct_messages(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.signup("rtmsg").await;
    let bob = app.member(&owner, "bob", "member").await;
    let ch = channel(&app, &owner.access, json!({ "kind": "team", "name": "kitchen" })).await;
    let ch = ch["id"].as_str().unwrap();
    // Bob joins by reading it.
    let res = app.post(&format!("/api/v1/realtime/channels/{ch}/read"), Some(&bob.access), json!({ "seq": 0 })).await;
    assert_eq!(res.status(), 204);

    let root = post(&app, &owner.access, ch, json!({ "body": format!("@{} can you bake rye?", bob.email) })).await;
    assert_eq!(root["mentions"], json!([bob.user_id]));
    let rid = root["id"].as_str().unwrap();
    // Unread and mentions for Bob before he reads or answers.
    let list: Value = app.get("/api/v1/realtime/channels", &bob.access).await.json().await.unwrap();
    let mine = &list["items"][0];
    assert_eq!((mine["unread"].as_i64(), mine["mentions"].as_i64()), (Some(1), Some(1)), "{list}");

    let reply = post(&app, &bob.access, ch, json!({ "body": "Yes, tomorrow.", "thread_id": rid })).await;
    assert_eq!(reply["thread_id"], rid);
    // The channel shows the root with its answer count; the thread its answers.
    let page: Value =
        app.get(&format!("/api/v1/realtime/channels/{ch}/messages"), &owner.access).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["replies"], 1);
    let thread: Value = app
        .get(&format!("/api/v1/realtime/channels/{ch}/messages?thread={rid}"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(thread["items"][0]["body"], "Yes, tomorrow.");

    // Only the author edits; an admin may delete; bodies are sealed at rest.
    let path = format!("/api/v1/realtime/channels/{ch}/messages/{rid}");
    assert_eq!(app.patch(&path, &bob.access, json!({ "body": "hijack" })).await.status(), 403);
    assert_eq!(app.patch(&path, &owner.access, json!({ "body": "can you bake rye bread?" })).await.status(), 200);
    let sealed: Vec<Vec<u8>> = sqlx_bodies(&app).await;
    assert!(sealed.iter().all(|b| !String::from_utf8_lossy(b).contains("rye")), "message bodies are sealed");
    let bob_path = format!("/api/v1/realtime/channels/{ch}/messages/{}", reply["id"].as_str().unwrap());
    assert_eq!(app.delete(&bob_path, &owner.access).await.status(), 204);
    let thread: Value = app
        .get(&format!("/api/v1/realtime/channels/{ch}/messages?thread={rid}"), &owner.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((thread["items"][0]["deleted"].as_bool(), thread["items"][0]["body"].as_str()), (Some(true), Some("")));

    // Reactions: added once per person and emoji (the second time changes
    // nothing, not even the message's number), taken back.
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let res = app.post(&format!("{path}/reactions"), Some(&bob.access), json!({ "emoji": "🍞" })).await;
        assert_eq!(res.status(), 200);
        numbers.push(res.json::<Value>().await.unwrap()["changed_seq"].as_i64().unwrap());
    }
    assert_eq!(numbers[0], numbers[1]);
    let res = app.post(&format!("{path}/reactions"), Some(&bob.access), json!({ "emoji": "\u{200b}" })).await;
    assert_eq!(res.status(), 422, "an invisible emoji is refused");
    let m: Value = app
        .post(&format!("{path}/reactions"), Some(&owner.access), json!({ "emoji": "🍞" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["reactions"], json!([{ "emoji": "🍞", "users": [bob.user_id, owner.user_id] }]));
    let m: Value = app
        .send(reqwest::Method::DELETE, &format!("{path}/reactions"), Some(&bob.access), Some(json!({ "emoji": "🍞" })))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["reactions"], json!([{ "emoji": "🍞", "users": [owner.user_id] }]));

    // Bad input changes nothing and says why.
    let res = app
        .post(&format!("/api/v1/realtime/channels/{ch}/messages"), Some(&owner.access), json!({ "body": "   " }))
        .await;
    assert_eq!(res.status(), 422);
    let res =
        app.post("/api/v1/realtime/channels", Some(&owner.access), json!({ "kind": "team", "name": "kitchen" })).await;
    assert_eq!(res.status(), 409);
    let p: Problem = res.json().await.unwrap();
    assert_eq!(p.code, "channel_name_taken");

    // A direct message: one channel per pair, whoever opens it; the other
    // person's inbox is told at once.
    let mut bs = Client::connect(&app, &bob.access).await;
    let d1: Value = app
        .post("/api/v1/realtime/direct", Some(&owner.access), json!({ "user": bob.user_id }))
        .await
        .json()
        .await
        .unwrap();
    let d2: Value = app
        .post("/api/v1/realtime/direct", Some(&bob.access), json!({ "user": owner.user_id }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bs.next_of("channel").await["channel"], d1["id"]);
    assert_eq!(d1["id"], d2["id"]);
    assert_eq!(d1["kind"], "direct");
    let carol = app.member(&owner, "carol", "member").await;
    let res = app.get(&format!("/api/v1/realtime/channels/{}", d1["id"].as_str().unwrap()), &carol.access).await;
    assert_eq!(res.status(), 404, "a direct message is its two people's only");
}

async fn sqlx_bodies(app: &TestApp) -> Vec<Vec<u8>> {
    let mut tx = app.db.system_read().await.unwrap();
    let rows: Vec<Vec<u8>> =
        stackpro_store::on_db!(tx, |c| sqlx::query_scalar("SELECT sealed FROM rt_messages").fetch_all(c).await)
            .unwrap();
    tx.commit().await.unwrap();
    rows
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn oversized_frames_and_floods_close_the_connection_with_a_reason(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.signup("rtlimit").await;
    // No credentials: closed with 4001.
    let url = app.url("/api/v1/realtime").replacen("http", "ws", 1);
    let (ws, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    let mut anon = Client { ws };
    anon.send(json!({ "type": "auth", "token": "not-a-token" })).await;
    assert_eq!(anon.closed_with().await, Some(4001));
    let res = app
        .client
        .get(app.url("/api/v1/realtime"))
        .bearer_auth("nope")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a bad header is refused before the upgrade");
    let res = app.get("/api/v1/realtime", &owner.access).await;
    assert_eq!(res.status(), 426, "a plain request is told to use a WebSocket");
    let p: Problem = res.json().await.unwrap();
    assert_eq!(p.code, "websocket_required");

    // A frame over 64 KiB: closed (1009, message too big).
    let mut big = Client::connect(&app, &owner.access).await;
    let _ = big.ws.send(Ws::Text("x".repeat(100 * 1024).into())).await;
    assert_eq!(big.closed_with().await, Some(1009));

    // More than 50 frames a second: closed with 4008.
    let mut flood = Client::connect(&app, &owner.access).await;
    for _ in 0..80 {
        let _ = flood.ws.send(Ws::Text(json!({ "type": "ping" }).to_string().into())).await;
    }
    assert_eq!(flood.closed_with().await, Some(4008));
}

#[tokio::test]
async fn two_replicas_with_redis_share_messages_and_presence() {
    let redis = redis_url().await;
    let r = redis.clone();
    let a = TestApp::spawn_with(Backend::Postgres, move |c| c.redis_url = Some(r)).await;
    let b = a.replica(|c| c.redis_url = Some(redis)).await;
    let owner = a.signup("rtscale").await;
    let bob = a.member(&owner, "bob", "member").await;
    let ch = channel(&a, &owner.access, json!({ "kind": "team", "name": "shared" })).await;
    let ch = ch["id"].as_str().unwrap();

    let mut on_a = Client::connect(&a, &owner.access).await;
    let mut on_b = Client::connect(&b, &bob.access).await;
    on_a.subscribe(ch, None).await;
    on_b.subscribe(ch, None).await;
    on_a.send(json!({ "type": "publish", "channel": ch, "body": "from replica A", "id": 1 })).await;
    assert_eq!(on_b.next_of("message").await["message"]["body"], "from replica A");
    on_b.send(json!({ "type": "typing", "channel": ch })).await;
    assert_eq!(on_a.next_of("typing").await["user"], bob.user_id.as_str());

    // Presence: each replica sees the person connected to the other.
    let p: Value = b.get("/api/v1/realtime/presence", &bob.access).await.json().await.unwrap();
    let online: Vec<&str> = p["items"].as_array().unwrap().iter().map(|x| x["user"].as_str().unwrap()).collect();
    assert!(online.contains(&owner.user_id.as_str()), "replica B sees the owner on replica A: {p}");
    on_b.send(json!({ "type": "presence", "status": "away" })).await;
    let pr = on_a.next_of("presence").await;
    assert_eq!((pr["user"].as_str(), pr["status"].as_str()), (Some(bob.user_id.as_str()), Some("away")));
    let p: Value = a.get("/api/v1/realtime/presence", &owner.access).await.json().await.unwrap();
    let bob_status =
        p["items"].as_array().unwrap().iter().find(|x| x["user"] == bob.user_id.as_str()).unwrap()["status"].clone();
    assert_eq!(bob_status, "away");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_read_only_api_key_reads_channels_but_writes_nothing(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.signup("rtkey").await;
    let bob = app.member(&owner, "bob", "member").await;
    let ch = channel(&app, &owner.access, json!({ "kind": "team", "name": "news" })).await;
    let ch = ch["id"].as_str().unwrap();
    let m = post(&app, &owner.access, ch, json!({ "body": "hello" })).await;
    let (key, _) = app.api_key(&owner, &["read"]).await;

    let res = app.get(&format!("/api/v1/realtime/channels/{ch}/messages"), &key).await;
    assert_eq!(res.status(), 200);
    let mpath = format!("/api/v1/realtime/channels/{ch}/messages/{}", m["id"].as_str().unwrap());
    let writes = [
        app.post(&format!("/api/v1/realtime/channels/{ch}/messages"), Some(&key), json!({ "body": "spam" })).await,
        app.post("/api/v1/realtime/channels", Some(&key), json!({ "kind": "private", "name": "mine" })).await,
        app.post("/api/v1/realtime/direct", Some(&key), json!({ "user": bob.user_id })).await,
        app.post(&format!("/api/v1/realtime/channels/{ch}/members"), Some(&key), json!({ "add": [bob.user_id] })).await,
        app.post(&format!("/api/v1/realtime/channels/{ch}/read"), Some(&key), json!({ "seq": 1 })).await,
        app.post(&format!("{mpath}/reactions"), Some(&key), json!({ "emoji": "👍" })).await,
        app.patch(&mpath, &key, json!({ "body": "changed" })).await,
        app.delete(&mpath, &key).await,
        app.delete(&format!("/api/v1/realtime/channels/{ch}"), &key).await,
    ];
    for (i, res) in writes.into_iter().enumerate() {
        assert_eq!(res.status(), 403, "a read-only key wrote (write {i})");
        let p: Problem = res.json().await.unwrap();
        assert_eq!(p.code, "forbidden");
    }
    // The socket: it listens, but may not publish.
    let mut k = Client::connect_with_header(&app, &key).await;
    assert_eq!(k.subscribe(ch, None).await.last().unwrap()["type"], "subscribed");
    k.send(json!({ "type": "publish", "channel": ch, "body": "spam", "id": 3 })).await;
    let e = k.next_of("error").await;
    assert_eq!((e["id"].as_i64(), e["code"].as_str()), (Some(3), Some("forbidden")));
    let page: Value =
        app.get(&format!("/api/v1/realtime/channels/{ch}/messages"), &owner.access).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "nothing was written: {page}");
}

#[tokio::test]
async fn the_api_document_keeps_realtime_types_apart_from_the_assistants_of_the_same_name() {
    // Both crates have a `Message` and a `Status`; the document names them
    // apart instead of one silently replacing the other.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc: Value = app.client.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Message"]["properties"].get("citations").is_some(), "the assistant's Message");
    assert!(schemas["ChatMessage"]["properties"].get("changed_seq").is_some(), "realtime's ChatMessage");
    assert!(schemas["Status"].to_string().contains("parsing"), "the assistant's Status");
    assert!(schemas["PresenceStatus"].to_string().contains("away"), "realtime's PresenceStatus");
}
