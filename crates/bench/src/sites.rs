//! Sites (issue 12): a published page served by Host against nginx serving
//! the same gzip bytes as a static file, in the same run; and the time to
//! publish a page of 50 components.

use crate::{median, start_stackpro, wrk, Load};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// Rounds of the serving comparison (interleaved; the median is reported).
const ROUNDS: usize = 3;
/// Publishes timed.
const PUBLISHES: usize = 20;

/// What the sites section measured.
pub struct Report {
    nginx: Load,
    stackpro: Load,
    page_bytes: usize,
    gzip_bytes: usize,
    publish_ms: Vec<f64>,
    render_ms: Vec<f64>,
    components: usize,
}

struct Nginx {
    child: Child,
    url: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: nginx's master stops its workers and exits (SIGKILL would
        // leave the workers running, holding the port).
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32);
        if let Some(pid) = pid {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let _ = self.child.wait();
    }
}

/// nginx (Debian's nginx-light) serving `gz` as a precompressed static file,
/// with keep-alive as unbounded as StackPro's and no access log.
fn start_nginx(dir: &Path, gz: &[u8]) -> anyhow::Result<Nginx> {
    use std::os::unix::fs::PermissionsExt;
    let root = dir.join("nginx");
    std::fs::create_dir_all(root.join("www"))?;
    for d in [dir, &root, &root.join("www")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::write(root.join("www/index.html.gz"), gz)?;
    let port = crate::free_port()?;
    let conf = format!(
        "worker_processes auto;\npid {r}/nginx.pid;\nerror_log {r}/error.log;\nevents {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 10000000;\n  keepalive_timeout 75s;\n\
           client_body_temp_path {r}/tmp;\n  proxy_temp_path {r}/tmp;\n  fastcgi_temp_path {r}/tmp;\n  uwsgi_temp_path {r}/tmp;\n  scgi_temp_path {r}/tmp;\n\
           server {{\n    listen 127.0.0.1:{port};\n    root {r}/www;\n\
             location = / {{\n      default_type \"text/html; charset=utf-8\";\n      add_header Content-Encoding gzip;\n      add_header Vary Accept-Encoding;\n      try_files /index.html.gz =404;\n    }}\n  }}\n}}\n",
        r = root.display()
    );
    std::fs::write(root.join("nginx.conf"), conf)?;
    let child = Command::new("nginx")
        .args(["-c", &root.join("nginx.conf").display().to_string(), "-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting nginx (apt-get install nginx-light)")?;
    let url = format!("http://127.0.0.1:{port}/");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Nginx { child, url });
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    bail!("nginx did not start; see {}/error.log", root.display())
}

/// A project of exactly `n` components: the wrapper, then sections of a
/// heading, a paragraph, an image and a link.
fn project_of(n: usize) -> Value {
    let mut children = Vec::new();
    let mut count = 1;
    let mut i = 0;
    while count < n {
        let c = match i % 4 {
            0 => {
                json!({ "type": "text", "tagName": "h2", "classes": ["t"], "components": [{ "type": "textnode", "content": format!("Heading {i}") }] })
            }
            1 => json!({ "type": "text", "tagName": "p", "content": format!("Paragraph {i} with <b>bold</b> words.") }),
            2 => {
                json!({ "type": "image", "attributes": { "src": "/_stackpro/t/bakery/hero.svg", "alt": "x", "width": "600", "height": "400" } })
            }
            _ => json!({ "type": "link", "attributes": { "href": "#top" }, "content": "Back to top" }),
        };
        // A text with a text node counts as two components.
        count += if i % 4 == 0 { 2 } else { 1 };
        children.push(c);
        i += 1;
    }
    let styles: Vec<Value> = (0..20)
        .map(|k| json!({ "selectors": [format!("c{k}")], "style": { "color": "#123456", "padding": "4px" } }))
        .collect();
    json!({ "styles": styles, "pages": [{ "frames": [{ "component": { "type": "wrapper", "components": children } }] }] })
}

fn count(v: &Value) -> usize {
    1 + v.get("components").and_then(Value::as_array).map(|c| c.iter().map(count).sum()).unwrap_or(0)
}

pub async fn section(dir: &Path) -> anyhow::Result<Report> {
    let client = reqwest::Client::new();
    let server = start_stackpro(None).await?;
    let session = crate::signup(&server.url, "sites").await?;
    let token = session["access_token"].as_str().context("token")?.to_owned();
    let site: Value = client
        .post(format!("{}/api/v1/sites", server.url))
        .bearer_auth(&token)
        .json(&json!({ "template": "bakery", "business": { "name": "Bench Bakery", "city": "Lyon",
            "phone": "+33 4 00 00 00 00", "email": "bench@bakery.test" } }))
        .send()
        .await?
        .json()
        .await?;
    let sid = site["id"].as_str().context("site id")?.to_owned();
    let slug = site["slug"].as_str().context("slug")?.to_owned();
    let publish = || client.post(format!("{}/api/v1/sites/{sid}/publish", server.url)).bearer_auth(&token).send();
    let p: Value = publish().await?.json().await?;
    if p["paths"].as_array().map(Vec::len) != Some(1) {
        bail!("publish: {p}");
    }
    let port = server.url.rsplit(':').next().context("port")?.to_owned();
    let host = format!("Host: {slug}.localhost:{port}");
    let page = client.get(format!("{}/", server.url)).header("host", format!("{slug}.localhost:{port}")).send().await?;
    let page_bytes = page.bytes().await?.len();
    let gz = client
        .get(format!("{}/", server.url))
        .header("host", format!("{slug}.localhost:{port}"))
        .header("accept-encoding", "gzip")
        .send()
        .await?;
    if gz.headers().get("content-encoding").and_then(|v| v.to_str().ok()) != Some("gzip") {
        bail!("the page was not served gzipped");
    }
    let gz = gz.bytes().await?.to_vec();

    let mut nginx_loads = Vec::new();
    let mut stackpro_loads = Vec::new();
    for round in 1..=ROUNDS {
        eprintln!("round {round}/{ROUNDS}: nginx serving the page's gzip bytes");
        let nginx = start_nginx(dir, &gz)?;
        nginx_loads.push(wrk(&nginx.url, &["-H", "Accept-Encoding: gzip"], dir)?);
        drop(nginx);
        eprintln!("round {round}/{ROUNDS}: stackpro serving the published page by Host");
        stackpro_loads.push(wrk(&format!("{}/", server.url), &["-H", "Accept-Encoding: gzip", "-H", &host], dir)?);
    }

    eprintln!("publishing a page of 50 components, {PUBLISHES} times");
    let project = project_of(50);
    let components = count(&project["pages"][0]["frames"][0]["component"]);
    let pages: Value =
        client.get(format!("{}/api/v1/sites/{sid}/pages", server.url)).bearer_auth(&token).send().await?.json().await?;
    let pid = pages[0]["id"].as_str().context("page id")?;
    let etag = pages[0]["etag"].as_str().context("etag")?;
    let saved = client
        .put(format!("{}/api/v1/sites/{sid}/pages/{pid}", server.url))
        .bearer_auth(&token)
        .header("if-match", etag)
        .json(&json!({ "title": "Bench", "project": project }))
        .send()
        .await?;
    if !saved.status().is_success() {
        bail!("save: {}", saved.text().await?);
    }
    let mut publish_ms = Vec::new();
    let mut render_ms = Vec::new();
    for _ in 0..PUBLISHES {
        let t = Instant::now();
        let p: Value = publish().await?.json().await?;
        publish_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        render_ms.push(p["render_ms"].as_f64().context("render_ms")?);
    }
    publish_ms.sort_by(|a, b| a.total_cmp(b));
    render_ms.sort_by(|a, b| a.total_cmp(b));
    drop(server);
    Ok(Report {
        nginx: median(&nginx_loads),
        stackpro: median(&stackpro_loads),
        page_bytes,
        gzip_bytes: gz.len(),
        publish_ms,
        render_ms,
        components,
    })
}

impl Report {
    fn rps_ratio(&self) -> f64 {
        self.stackpro.rps / self.nginx.rps
    }
    fn p99_ratio(&self) -> f64 {
        self.stackpro.p99_ms / self.nginx.p99_ms
    }
    fn publish_median(&self) -> f64 {
        self.publish_ms[self.publish_ms.len() / 2]
    }
    /// Targets (issue 12): at least 80 % of nginx's requests per second,
    /// p99 at most 1.5 times nginx's, no errors; publishing a page of 50
    /// components under 50 ms on the server.
    pub fn met(&self) -> bool {
        self.rps_ratio() >= 0.8 && self.p99_ratio() <= 1.5 && self.stackpro.errors == 0 && self.publish_median() < 50.0
    }
    pub fn markdown(&self) -> String {
        let max = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        format!(
            "\n## Sites (issue 12)\n\n\
             A published template page ({} bytes, {} gzipped) served by Host (`Host: <slug>.localhost`), against \
             nginx 1.22 (Debian nginx-light, `worker_processes auto`, no access log, unbounded keep-alive) serving \
             the same gzip bytes as a static file. `wrk -t2 -c256 -d10s -H 'Accept-Encoding: gzip'`, {ROUNDS} rounds \
             interleaved, median round.\n\n\
             | what | requests/s | p50 | p99 | non-2xx | ratio |\n|---|---:|---:|---:|---:|---:|\n\
             | nginx, static gzip file (reference) | {:.0} | {:.2} ms | {:.2} ms | {} | 100 % |\n\
             | StackPro, published page by Host | {:.0} | {:.2} ms | {:.2} ms | {} | {:.0} % (p99 {:.2}×) |\n\n\
             Publishing a page of {} components (render, store, announce; one site, one page), {PUBLISHES} times: \
             request median {:.1} ms, slowest {:.1} ms, measured by the client on loopback; the server's rendering \
             alone median {:.2} ms.\n\n\
             Targets: at least 80 % of nginx's requests per second with p99 at most 1.5 times nginx's; publishing \
             a page of 50 components under 50 ms on the server. Opening the editor on such a page is measured by \
             the browser test (`web/e2e/sites.spec.ts`).\n",
            self.page_bytes,
            self.gzip_bytes,
            self.nginx.rps,
            self.nginx.p50_ms,
            self.nginx.p99_ms,
            self.nginx.errors,
            self.stackpro.rps,
            self.stackpro.p50_ms,
            self.stackpro.p99_ms,
            self.stackpro.errors,
            self.rps_ratio() * 100.0,
            self.p99_ratio(),
            self.components,
            self.publish_median(),
            max(&self.publish_ms),
            self.render_ms[self.render_ms.len() / 2],
        )
    }
}
