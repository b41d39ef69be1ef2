//! Sites through the real server: templates, pages and versions with
//! optimistic concurrency, images, publishing and the Host routing of
//! published sites, previews, sanitising, forms, caching across replicas,
//! and usage through billing.

use crate::helpers::*;
use reqwest::Method;
use rstest::rstest;
use serde_json::{json, Value};
use std::time::Duration;

const BUSINESS: &str = "Rosa Bakery";

/// Creates a site from the bakery template; returns it.
async fn create_site(app: &TestApp, owner: &Account, name: &str) -> Value {
    let res = app
        .post(
            "/api/v1/sites",
            Some(&owner.access),
            json!({ "template": "bakery", "business": {
                "name": name, "city": "Lyon", "phone": "+33 4 78 00 00 00", "email": "hello@rosa.test",
                "services": ["Sourdough", "Wedding cakes"] } }),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// The host header of a site on this server.
fn host(app: &TestApp, site: &Value) -> String {
    let port = app.base.rsplit(':').next().unwrap();
    format!("{}.localhost:{port}", site["slug"].as_str().unwrap())
}

/// GET on a site's host.
async fn site_get(app: &TestApp, site: &Value, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(app.url(path)).header("host", host(app, site));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn publish(app: &TestApp, owner: &Account, site: &Value) -> Value {
    let res = app
        .post(&format!("/api/v1/sites/{}/publish", site["id"].as_str().unwrap()), Some(&owner.access), json!({}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn home(app: &TestApp, owner: &Account, site: &Value) -> (String, Value) {
    let sid = site["id"].as_str().unwrap();
    let pages: Value = app.get(&format!("/api/v1/sites/{sid}/pages"), &owner.access).await.json().await.unwrap();
    let pid = pages[0]["id"].as_str().unwrap().to_owned();
    let res = app.get(&format!("/api/v1/sites/{sid}/pages/{pid}"), &owner.access).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["etag"], etag.as_str());
    (format!("/api/v1/sites/{sid}/pages/{pid}"), page)
}

async fn save(app: &TestApp, owner: &Account, path: &str, if_match: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.client.request(Method::PUT, app.url(path)).bearer_auth(&owner.access).json(&body);
    if let Some(m) = if_match {
        req = req.header("if-match", m);
    }
    req.send().await.unwrap()
}

/// The save body of a page with its project changed by `f`.
fn edited(page: &Value, f: impl FnOnce(&mut Value)) -> Value {
    let mut project = page["project"].clone();
    f(&mut project);
    json!({ "title": page["title"], "description": page["description"], "project": project })
}

/// Replaces the first h1's text in a project.
fn set_heading(project: &mut Value, text: &str) {
    fn walk(v: &mut Value, text: &str) -> bool {
        if v.get("tagName").and_then(Value::as_str) == Some("h1") {
            v["components"] = json!([{ "type": "textnode", "content": text }]);
            return true;
        }
        if let Some(Value::Array(c)) = v.get_mut("components") {
            return c.iter_mut().any(|c| walk(c, text));
        }
        false
    }
    assert!(walk(&mut project["pages"][0]["frames"][0]["component"], text), "no h1 in the project");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_site_from_a_template_is_published_and_answers_at_its_subdomain(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let templates: Value = app.get("/api/v1/sites/templates", &ann.access).await.json().await.unwrap();
    assert!(templates.as_array().unwrap().len() >= 8);
    let site = create_site(&app, &ann, BUSINESS).await;
    assert_eq!(site["slug"], "rosa-bakery");
    // Not published yet: the subdomain answers 404.
    assert_eq!(site_get(&app, &site, "/", &[]).await.status(), 404);
    let published = publish(&app, &ann, &site).await;
    assert_eq!(published["paths"], json!(["/"]));
    let res = site_get(&app, &site, "/", &[]).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");
    let html = res.text().await.unwrap();
    for expected in [BUSINESS, "Lyon", "Sourdough", "Wedding cakes", "tel:+33478000000", "hello@rosa.test"] {
        assert!(html.contains(expected), "{expected} is not on the page");
    }
    assert!(html.contains(&format!("<link rel=\"canonical\" href=\"http://{}/\">", host(&app, &site))));
    // The published page names no other host (it loads nothing from elsewhere).
    let own = format!("http://{}/", host(&app, &site));
    for (i, _) in html.match_indices("http") {
        let rest = &html[i..];
        if rest.starts_with("http://") || rest.starts_with("https://") {
            assert!(rest.starts_with(&own), "another host on the page: {}", &rest[..rest.len().min(60)]);
        }
    }
    assert!(!html.contains("@import"));
    let sitemap = site_get(&app, &site, "/sitemap.xml", &[]).await.text().await.unwrap();
    assert!(sitemap.contains(&format!("<loc>http://{}/</loc>", host(&app, &site))), "{sitemap}");
    let robots = site_get(&app, &site, "/robots.txt", &[]).await.text().await.unwrap();
    assert!(robots.contains("Sitemap: http://"), "{robots}");
    let served = "stackpro_http_requests_total{method=\"GET\",route=\"site\",status_class=\"2xx\"}";
    assert_eq!(app.metric(served).await, 3.0, "the page, the sitemap and robots.txt, counted under one route label");
    let missing = site_get(&app, &site, "/no-such-page", &[]).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"), "the site's own 404 page");
    // An unknown subdomain is 404; the dashboard's own host is not a site.
    let port = app.base.rsplit(':').next().unwrap();
    let unknown = app.client.get(app.url("/")).header("host", format!("nobody.localhost:{port}")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(app.get("/api/v1/sites", &ann.access).await.status(), 200);
    // Unpublished, it is gone at once.
    let sid = site["id"].as_str().unwrap();
    assert_eq!(app.post(&format!("/api/v1/sites/{sid}/unpublish"), Some(&ann.access), json!({})).await.status(), 200);
    assert_eq!(site_get(&app, &site, "/", &[]).await.status(), 404);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn saves_are_versions_a_stale_save_is_a_conflict_and_restore_brings_a_version_back(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    let (path, v1) = home(&app, &ann, &site).await;
    let etag1 = v1["etag"].as_str().unwrap().to_owned();

    let no_precondition = save(&app, &ann, &path, None, edited(&v1, |p| set_heading(p, "Mine"))).await;
    assert_eq!(no_precondition.status(), 428);
    assert_eq!(no_precondition.problem().await.code, "precondition_required");

    let res = save(&app, &ann, &path, Some(&etag1), edited(&v1, |p| set_heading(p, "Fresh bread daily"))).await;
    assert_eq!(res.status(), 200);
    let etag2 = res.headers()["etag"].to_str().unwrap().to_owned();
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    assert_ne!(etag1, etag2);

    // A colleague still on version 1 saves: refused, with the current version.
    let stale = save(&app, &ann, &path, Some(&etag1), edited(&v1, |p| set_heading(p, "Colleague's"))).await;
    assert_eq!(stale.status(), 409);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["code"], "version_conflict");
    assert_eq!(body["current_version"], 2);
    assert!(body["current"]["project"].to_string().contains("Fresh bread daily"));
    let (_, now) = home(&app, &ann, &site).await;
    assert!(now["project"].to_string().contains("Fresh bread daily"), "the stale save wrote nothing");

    let versions: Value = app.get(&format!("{path}/versions"), &ann.access).await.json().await.unwrap();
    let list = versions.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["version"], 2);
    assert!(list[0]["summary"].as_str().unwrap().contains("text"), "{}", list[0]["summary"]);

    let restored = app
        .client
        .post(app.url(&format!("{path}/versions/1/restore")))
        .bearer_auth(&ann.access)
        .header("if-match", &etag2)
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    let v3: Value = restored.json().await.unwrap();
    assert_eq!(v3["version"], 3);
    assert!(v3["project"].to_string().contains(BUSINESS) && !v3["project"].to_string().contains("Fresh bread daily"));
    let versions: Value = app.get(&format!("{path}/versions"), &ann.access).await.json().await.unwrap();
    assert_eq!(versions[0]["summary"], "Restored version 1");
    assert_eq!(app.get(&format!("{path}/versions/99"), &ann.access).await.status(), 404);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn another_tenants_site_draft_and_preview_link_answer_404_and_an_expired_link_is_refused(
    #[case] backend: Backend,
) {
    let clock = stackpro_core::Clock::manual(chrono::Utc::now());
    let app = TestApp::spawn_with_clock(backend, clock.clone(), |_| {}).await;
    let ann = app.signup("ann").await;
    let bob = app.signup("bob").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    let (path, page) = home(&app, &ann, &site).await;
    let sid = site["id"].as_str().unwrap();
    for p in [format!("/api/v1/sites/{sid}"), format!("/api/v1/sites/{sid}/pages"), path.clone()] {
        let res = app.get(&p, &bob.access).await;
        assert_eq!(res.status(), 404, "{p}");
    }
    let res = save(&app, &bob, &path, Some(page["etag"].as_str().unwrap()), edited(&page, |_| {})).await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.post(&format!("/api/v1/sites/{sid}/publish"), Some(&bob.access), json!({})).await.status(), 404);
    // The draft is not served on the subdomain before publishing.
    assert_eq!(site_get(&app, &site, "/", &[]).await.status(), 404);

    let link: Value = app.post(&format!("{path}/preview"), Some(&ann.access), json!({})).await.json().await.unwrap();
    let url = link["url"].as_str().unwrap();
    let mine = app.get(url, &ann.access).await;
    assert_eq!(mine.status(), 200);
    assert!(mine.headers()["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert!(mine.text().await.unwrap().contains(BUSINESS));
    let theirs = app.get(url, &bob.access).await;
    assert_eq!(theirs.status(), 404);
    assert_eq!(theirs.problem().await.code, "page_not_found");
    let forged = format!("{}x", &url[..url.len() - 1]);
    assert_eq!(app.get(&forged, &ann.access).await.status(), 404);
    let anonymous = app.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    clock.advance(chrono::Duration::minutes(16));
    // Signed in again (the old access token has expired too): the link has not come back to life.
    let again = Account::from_session(app.login(&ann.email, PASSWORD).await.json().await.unwrap());
    let expired = app.get(url, &again.access).await;
    assert_eq!(expired.status(), 410);
    assert_eq!(expired.problem().await.code, "preview_expired");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_script_an_onerror_attribute_and_a_javascript_url_do_not_survive_publishing(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    let (path, page) = home(&app, &ann, &site).await;
    let body = edited(&page, |p| {
        let wrapper = &mut p["pages"][0]["frames"][0]["component"];
        wrapper["components"].as_array_mut().unwrap().extend([
            json!({ "tagName": "script", "components": [{ "type": "textnode", "content": "alert('s1')" }] }),
            json!({ "type": "text", "content": "<script>alert('s2')</script><img src=x onerror=\"alert('s3')\">" }),
            json!({ "type": "image", "attributes": { "src": "/x.png", "onerror": "alert('s4')" } }),
            json!({ "type": "link", "attributes": { "href": "javascript:alert('s5')" }, "components": [{ "type": "textnode", "content": "click" }] }),
            json!({ "type": "text", "content": "<a href=\"jAvAsCrIpT:alert('s6')\">x</a><svg onload=\"alert('s7')\"></svg>" }),
        ]);
        p["styles"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "selectors": ["x"], "style": { "background": "url(javascript:alert('s8'))" } }));
    });
    let res = save(&app, &ann, &path, Some(page["etag"].as_str().unwrap()), body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    publish(&app, &ann, &site).await;
    let html = site_get(&app, &site, "/", &[]).await.text().await.unwrap().to_ascii_lowercase();
    for bad in ["alert(", "onerror", "onload", "javascript:"] {
        assert!(!html.contains(bad), "{bad} survived publishing");
    }
    assert_eq!(html.matches("<script").count(), 1, "only the platform's form helper");
    assert!(html.contains("<script src=\"/_stackpro/site.js\" defer></script>"));
}

/// A JPEG with an EXIF block carrying a recognisable GPS note.
fn jpeg_with_metadata(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let jpeg = out.into_inner();
    let payload = b"Exif\0\0GPS 48.8584N 2.2945E secret";
    let mut with = vec![0xFF, 0xD8, 0xFF, 0xE1];
    with.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    with.extend_from_slice(payload);
    with.extend_from_slice(&jpeg[2..]);
    with
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn images_are_judged_by_content_resized_stripped_of_metadata_and_served_immutable(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    let sid = site["id"].as_str().unwrap();
    let upload = |body: Vec<u8>, name: &str| {
        app.client
            .post(app.url(&format!("/api/v1/sites/{sid}/assets?name={name}")))
            .bearer_auth(&ann.access)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    let jpeg = jpeg_with_metadata(1200, 900);
    assert!(jpeg.windows(6).any(|w| w == b"secret"));
    let res = upload(jpeg, "shop.jpg").await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let asset: Value = res.json().await.unwrap();
    assert_eq!((asset["width"].as_u64(), asset["height"].as_u64()), (Some(1200), Some(900)));
    let widths: Vec<u64> = asset["variants"].as_array().unwrap().iter().map(|v| v["width"].as_u64().unwrap()).collect();
    assert_eq!(widths, vec![1200, 960, 480]);
    assert!(asset["srcset"].as_str().unwrap().contains(" 480w"));
    for v in asset["variants"].as_array().unwrap() {
        let res = app.client.get(app.url(v["url"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let bytes = res.bytes().await.unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"secret"), "metadata survived");
        assert!(!bytes.windows(4).any(|w| w == b"Exif"));
    }

    // A file whose name and declared type lie is refused, and so is a large one.
    let lie = upload(b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(), "cat.png").await.unwrap();
    assert_eq!(lie.status(), 415);
    assert_eq!(lie.problem().await.code, "asset_refused");
    let big = upload(vec![0u8; 10 * 1024 * 1024 + 10], "big.jpg").await.unwrap();
    assert_eq!(big.status(), 413);
    let list: Value = app.get(&format!("/api/v1/sites/{sid}/assets"), &ann.access).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "refused uploads stored nothing");

    // Another tenant can neither list nor delete them.
    let bob = app.signup("bob").await;
    assert_eq!(app.get(&format!("/api/v1/sites/{sid}/assets"), &bob.access).await.status(), 404);
    let aid = asset["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/api/v1/sites/{sid}/assets/{aid}"), &bob.access).await.status(), 404);
    assert_eq!(app.delete(&format!("/api/v1/sites/{sid}/assets/{aid}"), &ann.access).await.status(), 204);
    let gone = app.client.get(app.url(asset["url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(gone.status(), 404);
}

async fn post_form(app: &TestApp, site: &Value, fields: &[(&str, &str)], json: bool) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/_stackpro/forms/contact"))
        .header("host", host(app, site))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&"));
    if json {
        req = req.header("accept", "application/json");
    }
    req.send().await.unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Solves a proof-of-work challenge as the site's script does.
fn solve(c: &Value) -> String {
    use base64::Engine;
    use sha2::Digest;
    let salt = c["salt"].as_str().unwrap();
    let target = c["challenge"].as_str().unwrap();
    let n = (0..=c["maxnumber"].as_u64().unwrap())
        .find(|n| hex::encode(sha2::Sha256::digest(format!("{salt}{n}").as_bytes())) == target)
        .unwrap();
    let solution =
        json!({ "algorithm": "SHA-256", "challenge": target, "number": n, "salt": salt, "signature": c["signature"] });
    base64::engine::general_purpose::STANDARD.encode(solution.to_string())
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn form_submissions_are_stored_sealed_and_spam_checks_refuse_without_storing(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    let sid = site["id"].as_str().unwrap();
    // Before publishing there is no form to post to.
    assert_eq!(post_form(&app, &site, &[("name", "Zoe")], false).await.status(), 404);
    publish(&app, &ann, &site).await;
    let html = site_get(&app, &site, "/", &[]).await.text().await.unwrap();
    assert!(html.contains("action=\"/_stackpro/forms/contact\"") && html.contains("name=\"_hp\""));

    // Without JavaScript: a plain POST, answered with a page.
    let plain = post_form(
        &app,
        &site,
        &[("name", "Zoe"), ("email", "zoe@x.test"), ("message", "Two loaves, please"), ("_hp", ""), ("_page", "/")],
        false,
    )
    .await;
    assert_eq!(plain.status(), 200);
    assert!(plain.text().await.unwrap().contains("your message was sent"));
    // With JavaScript: a solved challenge, answered in JSON.
    let c: Value = site_get(&app, &site, "/_stackpro/pow", &[]).await.json().await.unwrap();
    let pow = solve(&c);
    let js = post_form(&app, &site, &[("name", "Max"), ("message", "Cake for Saturday?"), ("_pow", &pow)], true).await;
    assert_eq!(js.status(), 200, "{}", js.text().await.unwrap());
    // The same solution twice is refused.
    let replay = post_form(&app, &site, &[("name", "Max"), ("message", "again"), ("_pow", &pow)], true).await;
    assert_eq!(replay.status(), 422);
    assert_eq!(count_rows(&app, "form_submissions").await, 2);

    let list: Value = app.get(&format!("/api/v1/sites/{sid}/submissions"), &ann.access).await.json().await.unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["fields"]["message"], "Two loaves, please");
    assert_eq!(list[1]["fields"].get("_hp"), None);
    // Stored sealed: the words are not in the database.
    let mut tx = app.db.system_read().await.unwrap();
    let sealed: Vec<Vec<u8>> =
        stackpro_store::on_db!(tx, |c| sqlx::query_scalar("SELECT sealed FROM form_submissions").fetch_all(c).await)
            .unwrap();
    assert!(sealed.iter().all(|s| !s.windows(6).any(|w| w == b"loaves")));
    drop(tx);
    let csv = app.get(&format!("/api/v1/sites/{sid}/submissions.csv"), &ann.access).await.text().await.unwrap();
    assert!(csv.starts_with("received_at,form,page,") && csv.contains("Two loaves, please"), "{csv}");
    let bob = app.signup("bob").await;
    assert_eq!(app.get(&format!("/api/v1/sites/{sid}/submissions"), &bob.access).await.status(), 404);

    // The honeypot refuses; then the rate per address (5 per 10 minutes).
    let bot = post_form(&app, &site, &[("name", "Bot"), ("_hp", "http://spam.example")], true).await;
    assert_eq!(bot.status(), 422);
    assert_eq!(bot.json::<Value>().await.unwrap()["code"], "form_rejected");
    assert_eq!(count_rows(&app, "form_submissions").await, 2, "nothing stored on refusal");
    let fifth = post_form(&app, &site, &[("name", "Five")], true).await;
    assert_eq!(fifth.status(), 200);
    let sixth = post_form(&app, &site, &[("name", "Six")], true).await;
    assert_eq!(sixth.status(), 429);
    assert!(sixth.headers().contains_key("retry-after"));
    assert_eq!(count_rows(&app, "form_submissions").await, 3);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn a_matching_if_none_match_is_304_and_answers_are_compressed_as_accepted(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    publish(&app, &ann, &site).await;
    let plain = site_get(&app, &site, "/", &[]).await;
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = plain.headers()["last-modified"].to_str().unwrap().to_owned();
    let size = plain.bytes().await.unwrap().len();
    for (enc, suffix) in [("gzip", "-gz"), ("br", "-br")] {
        let res = site_get(&app, &site, "/", &[("accept-encoding", enc)]).await;
        assert_eq!(res.headers()["content-encoding"], enc);
        assert_eq!(res.headers()["vary"], "Accept-Encoding");
        let tag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(tag, format!("{}{suffix}\"", etag.trim_end_matches('"')));
        let len: usize = res.headers()["content-length"].to_str().unwrap().parse().unwrap();
        assert!(len < size / 2, "{enc}: {len} of {size}");
        let again = site_get(&app, &site, "/", &[("accept-encoding", enc), ("if-none-match", &tag)]).await;
        assert_eq!(again.status(), 304);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    assert_eq!(site_get(&app, &site, "/", &[("if-none-match", &etag)]).await.status(), 304);
    assert_eq!(site_get(&app, &site, "/", &[("if-modified-since", &last_modified)]).await.status(), 304);
    assert_eq!(site_get(&app, &site, "/", &[("if-none-match", "\"other\"")]).await.status(), 200);
}

/// Waits until `f` holds, for at most `secs` seconds.
async fn eventually<F, Fut>(secs: u64, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn republish_reaches_the_other_replica(a: &TestApp, b: &TestApp, within_secs: u64) {
    let ann = a.signup("ann").await;
    let site = create_site(a, &ann, BUSINESS).await;
    publish(a, &ann, &site).await;
    let first = site_get(b, &site, "/", &[]).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    // b holds the page in its cache now; a changes and republishes it.
    let (path, page) = home(a, &ann, &site).await;
    let res =
        save(a, &ann, &path, Some(page["etag"].as_str().unwrap()), edited(&page, |p| set_heading(p, "New loaves")))
            .await;
    assert_eq!(res.status(), 200);
    publish(a, &ann, &site).await;
    let changed = eventually(within_secs, || async {
        let res = site_get(b, &site, "/", &[("if-none-match", &etag)]).await;
        res.status() == 200 && res.headers()["etag"].to_str().unwrap() != etag
    })
    .await;
    assert!(changed, "replica b still serves the old page");
    assert!(site_get(b, &site, "/", &[]).await.text().await.unwrap().contains("New loaves"));
    let sid = site["id"].as_str().unwrap();
    assert_eq!(a.post(&format!("/api/v1/sites/{sid}/unpublish"), Some(&ann.access), json!({})).await.status(), 200);
    let gone = eventually(within_secs, || async { site_get(b, &site, "/", &[]).await.status() == 404 }).await;
    assert!(gone, "replica b still serves an unpublished site");
}

#[tokio::test]
async fn a_republish_and_an_unpublish_reach_the_other_replica_at_once_through_redis() {
    let redis = redis_url().await;
    let r = redis.clone();
    let a = TestApp::spawn_with(Backend::Postgres, move |c| c.redis_url = Some(r)).await;
    let b = a.replica(|c| c.redis_url = Some(redis)).await;
    // Well under the two-second poll: the bus carried it.
    republish_reaches_the_other_replica(&a, &b, 1).await;
}

#[tokio::test]
async fn without_a_bus_between_them_replicas_see_a_republish_within_the_poll() {
    let a = TestApp::spawn(Backend::Sqlite).await;
    let b = a.replica(|_| {}).await;
    republish_reaches_the_other_replica(&a, &b, 6).await;
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn sites_and_published_pages_are_counted_by_billing_and_the_plan_limits_sites(#[case] backend: Backend) {
    // The real catalogue: the trial allows two sites.
    let app = TestApp::spawn_with(backend, |c| c.plans = None).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    create_site(&app, &ann, "Rosa Two").await;
    let second = app
        .post("/api/v1/sites", Some(&ann.access), json!({ "template": "salon", "business": { "name": "Second" } }))
        .await;
    assert_eq!(second.status(), 402);
    let p = second.problem().await;
    assert_eq!(p.code, "plan_limit_reached");
    let sid = site["id"].as_str().unwrap();
    let added = app
        .post(&format!("/api/v1/sites/{sid}/pages"), Some(&ann.access), json!({ "path": "/menu", "title": "Menu" }))
        .await;
    assert_eq!(added.status(), 201);
    publish(&app, &ann, &site).await;
    let overview: Value = app.get("/api/v1/billing", &ann.access).await.json().await.unwrap();
    let used =
        |m: &str| overview["usage"].as_array().unwrap().iter().find(|u| u["meter"] == m).unwrap()["used"].clone();
    assert_eq!(used("sites"), 2);
    assert_eq!(used("pages_published"), 2);
    // A deleted site frees its place.
    assert_eq!(app.delete(&format!("/api/v1/sites/{sid}"), &ann.access).await.status(), 204);
    let again = app
        .post("/api/v1/sites", Some(&ann.access), json!({ "template": "salon", "business": { "name": "Second" } }))
        .await;
    assert_eq!(again.status(), 201);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn bad_site_input_is_a_clear_problem_and_changes_nothing(#[case] backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    let sid = site["id"].as_str().unwrap();
    for (body, code, field) in [
        (json!({ "template": "nope", "business": { "name": "X" } }), "template_not_found", Some("/template")),
        (json!({ "template": "bakery", "business": { "name": "" } }), "invalid_field", Some("/business/name")),
        (
            json!({ "template": "bakery", "business": { "name": "X", "phone": "<script>" } }),
            "invalid_field",
            Some("/business/phone"),
        ),
        (
            json!({ "template": "bakery", "business": { "name": "X" }, "slug": "rosa-bakery" }),
            "slug_taken",
            Some("/slug"),
        ),
        (json!({ "template": "bakery", "business": { "name": "X" }, "slug": "www" }), "slug_taken", Some("/slug")),
    ] {
        let res = app.post("/api/v1/sites", Some(&ann.access), body.clone()).await;
        let p = res.problem().await;
        assert_eq!((p.code.as_str(), p.field.as_deref()), (code, field), "{body}");
    }
    for (body, code) in [
        (json!({ "path": "/Menu", "title": "Menu" }), "invalid_field"),
        (json!({ "path": "/", "title": "Home again" }), "path_taken"),
        (json!({ "path": "/sitemap.xml", "title": "Menu" }), "invalid_field"),
        (json!({ "path": "/menu", "title": "" }), "invalid_field"),
    ] {
        let res = app.post(&format!("/api/v1/sites/{sid}/pages"), Some(&ann.access), body.clone()).await;
        assert_eq!(res.problem().await.code, code, "{body}");
    }
    let (path, page) = home(&app, &ann, &site).await;
    let etag = page["etag"].as_str().unwrap();
    let not_object = json!({ "title": "T", "project": [1, 2] });
    assert_eq!(save(&app, &ann, &path, Some(etag), not_object).await.problem().await.code, "invalid_field");
    let moved = json!({ "title": "T", "path": "/elsewhere", "project": page["project"] });
    assert_eq!(save(&app, &ann, &path, Some(etag), moved).await.problem().await.code, "home_page_fixed");
    assert_eq!(app.delete(&path, &ann.access).await.problem().await.code, "home_page_fixed");
    assert_eq!(
        app.get(&format!("/api/v1/sites/{sid}/pages"), &ann.access)
            .await
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(count_rows(&app, "sites").await, 1);
    // A member may edit but not publish; a client sees no sites at all.
    let max = app.member(&ann, "max", "member").await;
    assert_eq!(app.post(&format!("/api/v1/sites/{sid}/publish"), Some(&max.access), json!({})).await.status(), 403);
    let cleo = app.member(&ann, "cleo", "client").await;
    assert_eq!(app.get("/api/v1/sites", &cleo.access).await.json::<Value>().await.unwrap(), json!([]));
    assert_eq!(app.get(&format!("/api/v1/sites/{sid}"), &cleo.access).await.status(), 404);
}

#[tokio::test]
async fn spam_refused_from_one_address_does_not_shut_the_form_for_everyone_else() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.trust_proxy = true).await;
    let ann = app.signup("ann").await;
    let site = create_site(&app, &ann, BUSINESS).await;
    publish(&app, &ann, &site).await;
    let from = |ip: &'static str, body: &'static str| {
        app.client
            .post(app.url("/_stackpro/forms/contact"))
            .header("host", host(&app, &site))
            .header("x-forwarded-for", ip)
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // More attempts than the site's cap, all refused (honeypot, then the address's rate).
    for _ in 0..120 {
        let status = from("203.0.113.7", "name=bot&_hp=x").await.unwrap().status();
        assert!(status == 422 || status == 429, "{status}");
    }
    let visitor = from("198.51.100.20", "name=Zoe&message=Hello").await.unwrap();
    assert_eq!(visitor.status(), 200, "{}", visitor.text().await.unwrap());
    assert_eq!(count_rows(&app, "form_submissions").await, 1);
}
