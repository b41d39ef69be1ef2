//! The assistant's section of `make bench`:
//! - retrieval quality on a public-domain test set (bench/data/retrieval:
//!   400 paragraphs, 311 questions each with its answering paragraph):
//!   recall@5 and MRR@10 of keyword-only, vector-only and hybrid search
//!   (the product's fusion, and the other one for reference), run through
//!   the product's own index and the local model;
//! - retrieval latency over 100,000 passages of one tenant (the query's
//!   embedding excluded), with keyword-only and vector-only as references
//!   measured in the same run, and memory per passage;
//! - ingestion through the real server (sandboxed parse, chunking,
//!   embedding, sealed storage): pages per second, against the same
//!   upload with embeddings off;
//! - time to the first streamed token of an extractive answer, against the
//!   search request for the same question.

use anyhow::{bail, Context};
use serde_json::{json, Value};
use stackpro_assistant::embed::{Embedder, Local};
use stackpro_assistant::index::{DocEntry, Fusion, Indexes, Stored, Update, FUSION};
use stackpro_assistant::model::{DocumentId, Mode, PassageId};
use stackpro_core::access::{Reader, Visibility};
use stackpro_core::ids::TenantId;
use stackpro_core::Role;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/data/retrieval")
}

fn model_dir() -> PathBuf {
    std::env::var("STACKPRO_EMBED_MODEL_DIR").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/stackpro-models/all-MiniLM-L6-v2")
    })
}

fn jsonl(name: &str) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(data_dir().join(name)).with_context(|| format!("reading {name}"))?;
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| Ok(serde_json::from_str(l)?)).collect()
}

/// Quality of one search mode.
#[derive(Clone, Copy, Debug)]
pub struct Quality {
    pub recall5: f64,
    pub mrr10: f64,
}

/// Latencies in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

fn latency(mut ms: Vec<f64>) -> Latency {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).saturating_sub(1).min(ms.len() - 1)];
    Latency { p50: at(0.50), p95: at(0.95), p99: at(0.99) }
}

pub struct Report {
    pub paragraphs: usize,
    pub questions: usize,
    pub keyword: Quality,
    pub vector: Quality,
    pub hybrid: Quality,
    pub hybrid_other: Quality,
    pub chunks: usize,
    pub build_secs: f64,
    pub bytes_per_chunk: f64,
    pub hybrid_latency: Latency,
    pub keyword_latency: Latency,
    pub vector_latency: Latency,
    pub embed_query_ms: f64,
    pub pages: i64,
    pub ingest_secs: f64,
    pub ingest_keyword_secs: f64,
    pub ttft: Latency,
    pub search_request: Latency,
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

/// A tiny deterministic generator (xorshift), for synthetic passages.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

pub async fn section(dir: &Path) -> anyhow::Result<Report> {
    let paragraphs = jsonl("paragraphs.jsonl")?;
    let questions = jsonl("questions.jsonl")?;
    let model = Local::load(&model_dir())
        .map_err(|e| anyhow::anyhow!("the embedding model ({}): {e}", model_dir().display()))?;
    eprintln!("assistant: embedding {} paragraphs and {} questions", paragraphs.len(), questions.len());
    let texts: Vec<String> = paragraphs
        .iter()
        .map(|p| format!("{}\n{}", p["heading"].as_str().unwrap_or(""), p["text"].as_str().unwrap_or("")))
        .collect();
    let pvecs = model.embed(&texts).await?;
    let qtexts: Vec<String> = questions.iter().map(|q| q["q"].as_str().unwrap_or("").to_owned()).collect();
    let started = Instant::now();
    let qvecs = model.embed(&qtexts).await?;
    let embed_query_ms = started.elapsed().as_secs_f64() * 1000.0 / qtexts.len() as f64;

    // One document per work, one passage per paragraph.
    let idx = Indexes::default().get(TenantId::new()).map_err(anyhow::Error::msg)?;
    let mut by_source: HashMap<String, (DocumentId, DocEntry)> = HashMap::new();
    let mut answer_of: HashMap<PassageId, String> = HashMap::new();
    for (p, v) in paragraphs.iter().zip(&pvecs) {
        let source = p["source"].as_str().unwrap_or("").to_owned();
        let entry = by_source.entry(source.clone()).or_insert_with(|| {
            (
                DocumentId::new(),
                DocEntry {
                    title: source,
                    visibility: Visibility::Team,
                    shared_with: vec![],
                    indexed: 1,
                    passages: vec![],
                    vectors: vec![],
                },
            )
        });
        let id = PassageId::new();
        answer_of.insert(id, p["id"].as_str().unwrap_or("").to_owned());
        entry.1.passages.push(Stored {
            id,
            page: None,
            heading: p["heading"].as_str().map(str::to_owned),
            text: p["text"].as_str().unwrap_or("").to_owned(),
        });
        entry.1.vectors.extend(v);
    }
    let meta = by_source.values().map(|(id, d)| (*id, (d.title.clone(), d.visibility, vec![], 1))).collect();
    let loaded = by_source.into_values().collect();
    idx.apply(Update { generation: 1, meta, loaded }).map_err(anyhow::Error::msg)?;
    let owner = Reader::Member { role: Role::Owner, user: None };
    let mut quality = Vec::new();
    let other = if FUSION == Fusion::Rrf { Fusion::Relative } else { Fusion::Rrf };
    for (mode, fusion) in
        [(Mode::Keyword, FUSION), (Mode::Vector, FUSION), (Mode::Hybrid, FUSION), (Mode::Hybrid, other)]
    {
        let (mut hits5, mut rr) = (0usize, 0f64);
        for (q, qv) in questions.iter().zip(&qvecs) {
            let want = q["answer"].as_str().unwrap_or("");
            let found = idx.search_with(&owner, q["q"].as_str().unwrap_or(""), Some(qv), mode, 10, fusion);
            if let Some(rank) =
                found.iter().position(|h| answer_of.get(&h.passage.id).map(String::as_str) == Some(want))
            {
                if rank < 5 {
                    hits5 += 1;
                }
                rr += 1.0 / (rank + 1) as f64;
            }
        }
        let n = questions.len() as f64;
        quality.push(Quality { recall5: hits5 as f64 / n, mrr10: rr / n });
    }

    // 100,000 passages: words drawn from the test set's own text, random
    // unit vectors (a scan costs the same whatever the numbers are).
    let words: Vec<&str> =
        paragraphs.iter().flat_map(|p| p["text"].as_str().unwrap_or("").split_whitespace()).collect();
    let big = Indexes::default().get(TenantId::new()).map_err(anyhow::Error::msg)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let before = rss_bytes();
    let mut meta = HashMap::new();
    let mut loaded = HashMap::new();
    const DOCS: usize = 100;
    const PER_DOC: usize = 1_000;
    for d in 0..DOCS {
        let id = DocumentId::new();
        let mut entry = DocEntry {
            title: format!("Document {d}"),
            visibility: if d % 2 == 0 { Visibility::Team } else { Visibility::Public },
            shared_with: vec![],
            indexed: 1,
            passages: Vec::with_capacity(PER_DOC),
            vectors: Vec::with_capacity(PER_DOC * 384),
        };
        for i in 0..PER_DOC {
            let text: Vec<&str> = (0..120).map(|_| words[(rng.next() % words.len() as u64) as usize]).collect();
            entry.passages.push(Stored {
                id: PassageId::new(),
                page: Some((i / 4 + 1) as u32),
                heading: None,
                text: text.join(" "),
            });
            let mut v: Vec<f32> = (0..384).map(|_| rng.unit()).collect();
            stackpro_assistant::embed::normalize(&mut v);
            entry.vectors.extend(v);
        }
        meta.insert(id, (entry.title.clone(), entry.visibility, vec![], 1));
        loaded.insert(id, entry);
    }
    let started = Instant::now();
    big.apply(Update { generation: 1, meta, loaded }).map_err(anyhow::Error::msg)?;
    let build_secs = started.elapsed().as_secs_f64();
    let (chunks, _) = big.size();
    let bytes_per_chunk = rss_bytes().saturating_sub(before) as f64 / chunks as f64;
    let mut lat = Vec::new();
    for mode in [Mode::Hybrid, Mode::Keyword, Mode::Vector] {
        let mut ms = Vec::new();
        for _round in 0..2 {
            for (q, qv) in questions.iter().zip(&qvecs) {
                let t = Instant::now();
                let found = big.search(&owner, q["q"].as_str().unwrap_or(""), Some(qv), mode, 5);
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                std::hint::black_box(found);
            }
        }
        lat.push(latency(ms));
    }
    drop(big);

    let (pages, ingest_secs, ttft, search_request) = ingest_and_chat(dir, true).await?;
    let (_, ingest_keyword_secs, _, _) = ingest_and_chat(dir, false).await?;
    Ok(Report {
        paragraphs: paragraphs.len(),
        questions: questions.len(),
        keyword: quality[0],
        vector: quality[1],
        hybrid: quality[2],
        hybrid_other: quality[3],
        chunks,
        build_secs,
        bytes_per_chunk,
        hybrid_latency: lat[0],
        keyword_latency: lat[1],
        vector_latency: lat[2],
        embed_query_ms,
        pages,
        ingest_secs,
        ingest_keyword_secs,
        ttft,
        search_request,
    })
}

/// A 40-page PDF of the test set's text, made with reportlab.
fn make_pdf(dir: &Path) -> anyhow::Result<PathBuf> {
    let out = dir.join("ingest.pdf");
    let python = std::env::var("STACKPRO_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import json, sys
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate, Paragraph, PageBreak
from reportlab.lib.styles import getSampleStyleSheet
paras = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
styles = getSampleStyleSheet()
story = []
for page in range(40):
    story.append(Paragraph(f"Chapter {page + 1}", styles["Heading1"]))
    for p in paras[page * 5:(page + 1) * 5]:
        story.append(Paragraph(p["text"].replace("&", "&amp;").replace("<", "&lt;"), styles["BodyText"]))
    story.append(PageBreak())
SimpleDocTemplate(sys.argv[2], pagesize=A4, invariant=1).build(story)
"#;
    let status = std::process::Command::new(python)
        .args(["-c", script])
        .arg(data_dir().join("paragraphs.jsonl"))
        .arg(&out)
        .status()?;
    if !status.success() {
        bail!("making the PDF failed (reportlab is in the test venv: scripts/lib.sh venv_need)");
    }
    Ok(out)
}

async fn ingest_and_chat(dir: &Path, semantic: bool) -> anyhow::Result<(i64, f64, Latency, Latency)> {
    let pdf = std::fs::read(make_pdf(dir)?)?;
    let model = model_dir().display().to_string();
    let env: Vec<(&str, &str)> = if semantic {
        vec![("STACKPRO_EMBED_MODEL_DIR", model.as_str())]
    } else {
        vec![("STACKPRO_EMBED_PROVIDER", "none")]
    };
    let server = crate::start_stackpro_with(None, &env).await?;
    let http = reqwest::Client::new();
    let session: Value = http
        .post(format!("{}/api/v1/auth/signup", server.url))
        .json(&json!({ "email": "bench@bench.test", "password": "a long bench password", "tenant_name": "Bench" }))
        .send()
        .await?
        .json()
        .await?;
    let token = session["access_token"].as_str().context("signup")?.to_owned();
    let started = Instant::now();
    let doc: Value = http
        .post(format!("{}/api/v1/assistant/documents?name=ingest.pdf", server.url))
        .bearer_auth(&token)
        .body(pdf)
        .send()
        .await?
        .json()
        .await?;
    let id = doc["id"].as_str().context("upload")?.to_owned();
    let d = loop {
        let d: Value = http
            .get(format!("{}/api/v1/assistant/documents/{id}", server.url))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        if d["status"] == "ready" || d["status"] == "failed" {
            break d;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("ingestion did not finish: {d}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let secs = started.elapsed().as_secs_f64();
    if d["status"] != "ready" {
        bail!("ingestion failed: {d}");
    }
    let pages = d["pages"].as_i64().unwrap_or(0);
    let question = "What does the division of labour do to the productive powers of labour?";
    let (mut ttft, mut search) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let t = Instant::now();
        let r = http
            .post(format!("{}/api/v1/assistant/search", server.url))
            .bearer_auth(&token)
            .json(&json!({ "query": question }))
            .send()
            .await?;
        r.bytes().await?;
        search.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let mut r = http
            .post(format!("{}/api/v1/assistant/chat", server.url))
            .bearer_auth(&token)
            .json(&json!({ "message": question }))
            .send()
            .await?;
        let mut seen = String::new();
        while let Some(chunk) = r.chunk().await? {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: delta") {
                ttft.push(t.elapsed().as_secs_f64() * 1000.0);
                break;
            }
        }
        while r.chunk().await?.is_some() {}
    }
    if ttft.is_empty() {
        bail!("no answer streamed");
    }
    Ok((pages, secs, latency(ttft), latency(search)))
}

impl Report {
    /// Hybrid beats both, by at least 10 % on MRR@10 over keywords; p95 under 10 ms.
    pub fn met(&self) -> bool {
        self.hybrid.mrr10 >= self.keyword.mrr10 * 1.10
            && self.hybrid.mrr10 > self.vector.mrr10
            && self.hybrid.recall5 >= self.keyword.recall5.max(self.vector.recall5)
            && self.hybrid_latency.p95 < 10.0
    }

    pub fn markdown(&self) -> String {
        let q = |name: &str, x: &Quality| {
            format!(
                "| {name} | {:.3} | {:.3} | {:.2}× |\n",
                x.recall5,
                x.mrr10,
                x.mrr10 / self.keyword.mrr10.max(f64::EPSILON)
            )
        };
        let l = |name: &str, x: &Latency| format!("| {name} | {:.2} | {:.2} | {:.2} |\n", x.p50, x.p95, x.p99);
        let mut md = String::new();
        md.push_str("## Assistant: retrieval quality, latency, ingestion, first token\n\n");
        md.push_str(&format!(
            "Retrieval test set: {} public-domain paragraphs, {} questions each answered by one paragraph \
             (bench/data/retrieval/README.md), searched through the product's own index with the local \
             all-MiniLM-L6-v2.\n\n",
            self.paragraphs, self.questions
        ));
        md.push_str("| search | recall@5 | MRR@10 | MRR@10 vs keyword |\n|---|---|---|---|\n");
        md.push_str(&q("keyword (BM25)", &self.keyword));
        md.push_str(&q("vector (cosine)", &self.vector));
        let (this, that) = match FUSION {
            Fusion::Rrf => {
                ("hybrid: reciprocal rank fusion (the product's)", "hybrid: relative score fusion (reference)")
            }
            Fusion::Relative => {
                ("hybrid: relative score fusion (the product's)", "hybrid: reciprocal rank fusion (reference)")
            }
        };
        md.push_str(&q(this, &self.hybrid));
        md.push_str(&q(that, &self.hybrid_other));
        md.push_str(&format!(
            "\nOne tenant's {} passages (120 words each, random unit vectors; index built in {:.1} s, \
             {:.0} bytes of memory per passage), {} questions × 2, limit 5, query embedding excluded \
             (it costs {:.1} ms a question with the local model):\n\n",
            self.chunks, self.build_secs, self.bytes_per_chunk, self.questions, self.embed_query_ms
        ));
        md.push_str("| search over 100,000 passages | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|\n");
        md.push_str(&l("hybrid", &self.hybrid_latency));
        md.push_str(&l("keyword only (reference)", &self.keyword_latency));
        md.push_str(&l("vector only (reference)", &self.vector_latency));
        md.push_str(&format!(
            "\nIngestion through the server (sandboxed parse, passages, embedding, sealed storage) of a {}-page \
             PDF: **{:.1} pages/s** ({:.1} s) with the local model; {:.1} pages/s with embeddings off \
             (reference, same file).\n\n",
            self.pages,
            self.pages as f64 / self.ingest_secs,
            self.ingest_secs,
            self.pages as f64 / self.ingest_keyword_secs
        ));
        md.push_str(&format!(
            "First streamed token of an extractive answer (request sent → first `delta` event), 20 questions: \
             p50 {:.1} ms, p95 {:.1} ms; the search request for the same question (reference): p50 {:.1} ms, \
             p95 {:.1} ms.\n\n",
            self.ttft.p50, self.ttft.p95, self.search_request.p50, self.search_request.p95
        ));
        md.push_str(&format!(
            "Targets (hybrid beats both, MRR@10 ≥ 1.10× keyword; p95 < 10 ms over 100,000 passages): **{}**\n\n",
            if self.met() { "met" } else { "NOT met" }
        ));
        md
    }
}
