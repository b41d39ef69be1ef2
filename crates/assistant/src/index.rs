//! Each replica's search index of each tenant's knowledge base: BM25 over
//! words (tantivy, in memory) and exact cosine similarity over vectors (our
//! own scan: no vector extension exists here and, at a small business's
//! size, a scan of every allowed passage is both exact and fast; an 8-bit
//! first pass by SimSIMD keeps it within a few milliseconds at 100,000
//! passages), fused by their relative scores.
//!
//! The database is the truth (passages sealed with the tenant's key); an
//! index is built from it on first use and follows the tenant's
//! knowledge-base generation, reloading only documents whose passages
//! changed. So any replica can rebuild any tenant's index, and no passage
//! lies in plaintext at rest.
//!
//! Rights are applied before ranking: the reader's allowed documents are
//! decided by [`Reader::may_read`] (the one rule), BM25 collects only
//! passages of those documents, and the vector scan visits only them.

use crate::model::{DocumentId, Hit, Mode, Passage, PassageId};
use stackpro_core::access::{Reader, Visibility};
use stackpro_core::ids::{TenantId, UserId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{FilterCollector, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STRING};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

/// How many candidates each method brings to the fusion.
const CANDIDATES: usize = 50;
/// How many passages the 8-bit first pass keeps for exact scoring.
const PREFILTER: usize = 200;

/// How keyword and vector results are fused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fusion {
    /// Reciprocal rank fusion: Σ 1/(60 + rank).
    Rrf,
    /// Relative score fusion: each list's scores scaled to 0–1 by its own
    /// best and worst candidate, then summed.
    Relative,
}

/// The product's fusion: relative scores kept a lead that ranks alone
/// lose (a BM25 winner far ahead of the second), and measured better than
/// reciprocal rank fusion on the retrieval test set (bench/RESULTS.md).
pub const FUSION: Fusion = Fusion::Relative;
/// Reciprocal rank fusion's constant (the usual 60).
const RRF_K: f64 = 60.0;
/// A passage (document, place) with one method's score.
type Scored = ((DocumentId, usize), f32);

/// A passage's fused score with its keyword and vector ranks.
type Fused = (f64, Option<usize>, Option<usize>);

/// The word analyzer's name.
const ANALYZER: &str = "en_words";
/// Tenants whose index a replica keeps; the least recently used goes first.
const MAX_TENANTS: usize = 256;

/// A passage as the index holds it, opened.
#[derive(Clone, Debug)]
pub struct Stored {
    /// Id.
    pub id: PassageId,
    /// Page.
    pub page: Option<u32>,
    /// Headings above it.
    pub heading: Option<String>,
    /// Text.
    pub text: String,
}

/// A document as the index holds it.
#[derive(Clone, Debug)]
pub struct DocEntry {
    /// Title.
    pub title: String,
    /// Who may read it.
    pub visibility: Visibility,
    /// Named clients.
    pub shared_with: Vec<UserId>,
    /// The version whose passages these are.
    pub indexed: i64,
    /// Its passages, in order.
    pub passages: Vec<Stored>,
    /// Their vectors, one row of `dim` per passage, or empty when they have
    /// none of the current model.
    pub vectors: Vec<f32>,
}

/// What changed in a tenant's knowledge base since the index's generation.
pub struct Update {
    /// The generation it brings the index to.
    pub generation: i64,
    /// Documents whose title or rights are as given (every document with
    /// passages, so missing ones are removed).
    pub meta: HashMap<DocumentId, (String, Visibility, Vec<UserId>, i64)>,
    /// Documents whose passages are (re)loaded.
    pub loaded: HashMap<DocumentId, DocEntry>,
}

struct Fields {
    doc: Field,
    body: Field,
    heading: Field,
    pno: Field,
}

struct State {
    generation: i64,
    docs: HashMap<DocumentId, DocEntry>,
    /// Each document's vectors in 8 bits, for the first pass of a scan.
    quant: HashMap<DocumentId, Quantized>,
    /// The first passage number of each document's run.
    first: HashMap<DocumentId, u64>,
    /// Passage number runs: first number → document.
    runs: BTreeMap<u64, DocumentId>,
    next: u64,
}

/// One tenant's index on this replica.
pub struct TenantIndex {
    /// Held while an update is computed, so one replica loads once.
    pub refresh: tokio::sync::Mutex<()>,
    state: RwLock<State>,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    used: std::sync::atomic::AtomicU64,
}

/// Every tenant's index on this replica.
pub struct Indexes {
    map: Mutex<HashMap<TenantId, Arc<TenantIndex>>>,
    tick: std::sync::atomic::AtomicU64,
}

impl Default for Indexes {
    fn default() -> Indexes {
        Indexes { map: Mutex::new(HashMap::new()), tick: std::sync::atomic::AtomicU64::new(0) }
    }
}

impl Indexes {
    /// The tenant's index, made empty (generation -1) when absent.
    ///
    /// # Errors
    /// When tantivy cannot make an index.
    pub fn get(&self, tenant: TenantId) -> Result<Arc<TenantIndex>, String> {
        let now = self.tick.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut map = self.map.lock().map_err(|_| "index map poisoned".to_owned())?;
        if let Some(i) = map.get(&tenant) {
            i.used.store(now, std::sync::atomic::Ordering::Relaxed);
            return Ok(i.clone());
        }
        if map.len() >= MAX_TENANTS {
            let oldest =
                map.iter().min_by_key(|(_, i)| i.used.load(std::sync::atomic::Ordering::Relaxed)).map(|(t, _)| *t);
            if let Some(t) = oldest {
                map.remove(&t);
            }
        }
        let index = Arc::new(TenantIndex::new(now)?);
        map.insert(tenant, index.clone());
        Ok(index)
    }

    /// Drops a tenant's index (the tenant was deleted).
    pub fn forget(&self, tenant: TenantId) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&tenant);
        }
    }
}

impl TenantIndex {
    fn new(used: u64) -> Result<TenantIndex, String> {
        let mut sb = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            doc: sb.add_text_field("doc", STRING),
            body: sb.add_text_field("body", text.clone()),
            heading: sb.add_text_field("heading", text),
            pno: sb.add_u64_field("pno", FAST),
        };
        let index = Index::create_in_ram(sb.build());
        // Words, lower-cased, without the commonest English words (so "the"
        // matches nothing), stemmed.
        let analyzer = tantivy::tokenizer::TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default())
            .filter(tantivy::tokenizer::RemoveLongFilter::limit(40))
            .filter(tantivy::tokenizer::LowerCaser)
            .filter(
                tantivy::tokenizer::StopWordFilter::new(tantivy::tokenizer::Language::English)
                    .ok_or("no stop words")?,
            )
            .filter(tantivy::tokenizer::Stemmer::new(tantivy::tokenizer::Language::English))
            .build();
        index.tokenizers().register(ANALYZER, analyzer);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| e.to_string())?;
        Ok(TenantIndex {
            refresh: tokio::sync::Mutex::new(()),
            state: RwLock::new(State {
                generation: -1,
                docs: HashMap::new(),
                quant: HashMap::new(),
                first: HashMap::new(),
                runs: BTreeMap::new(),
                next: 0,
            }),
            index,
            reader,
            fields,
            used: std::sync::atomic::AtomicU64::new(used),
        })
    }

    /// The generation the index is at (-1: never loaded).
    pub fn generation(&self) -> i64 {
        self.state.read().map(|s| s.generation).unwrap_or(-1)
    }

    /// Which documents need their passages loaded to reach an update:
    /// `(id, indexed version)` of those the index lacks or holds older.
    pub fn stale(&self, wanted: &HashMap<DocumentId, (String, Visibility, Vec<UserId>, i64)>) -> Vec<DocumentId> {
        let Ok(s) = self.state.read() else { return wanted.keys().copied().collect() };
        wanted.iter().filter(|(id, m)| s.docs.get(id).is_none_or(|d| d.indexed != m.3)).map(|(id, _)| *id).collect()
    }

    /// Applies an update (CPU work: call from a blocking thread).
    ///
    /// # Errors
    /// When tantivy fails.
    pub fn apply(&self, update: Update) -> Result<(), String> {
        let err = |e: tantivy::TantivyError| e.to_string();
        let mut s = self.state.write().map_err(|_| "index state poisoned".to_owned())?;
        let f = &self.fields;
        let mut writer: tantivy::IndexWriter<TantivyDocument> =
            self.index.writer_with_num_threads(1, 15_000_000).map_err(err)?;
        // Removed documents, and those reloaded, leave the word index.
        let gone: Vec<DocumentId> = s
            .docs
            .keys()
            .filter(|id| !update.meta.contains_key(id) || update.loaded.contains_key(id))
            .copied()
            .collect();
        for id in &gone {
            writer.delete_term(Term::from_field_text(f.doc, &id.to_string()));
            s.docs.remove(id);
            s.quant.remove(id);
            if let Some(first) = s.first.remove(id) {
                s.runs.remove(&first);
            }
        }
        for (id, entry) in update.loaded {
            let first = s.next;
            s.next += entry.passages.len().max(1) as u64;
            let key = id.to_string();
            for (i, p) in entry.passages.iter().enumerate() {
                writer
                    .add_document(doc!(
                        f.doc => key.as_str(),
                        f.body => p.text.as_str(),
                        f.heading => p.heading.as_deref().unwrap_or(""),
                        f.pno => first + i as u64,
                    ))
                    .map_err(err)?;
            }
            s.first.insert(id, first);
            s.runs.insert(first, id);
            if !entry.vectors.is_empty() && !entry.passages.is_empty() {
                s.quant.insert(id, Quantized::of(&entry.vectors, entry.vectors.len() / entry.passages.len()));
            }
            s.docs.insert(id, entry);
        }
        for (id, (title, visibility, shared, _)) in update.meta {
            if let Some(d) = s.docs.get_mut(&id) {
                d.title = title;
                d.visibility = visibility;
                d.shared_with = shared;
            }
        }
        writer.commit().map_err(err)?;
        writer.wait_merging_threads().map_err(err)?;
        self.reader.reload().map_err(err)?;
        s.generation = update.generation;
        Ok(())
    }

    /// How many passages and bytes the index holds (for the benchmark).
    pub fn size(&self) -> (usize, usize) {
        let Ok(s) = self.state.read() else { return (0, 0) };
        let n = s.docs.values().map(|d| d.passages.len()).sum();
        let bytes = s
            .docs
            .values()
            .map(|d| {
                d.vectors.len() * 4
                    + d.passages
                        .iter()
                        .map(|p| p.text.len() + p.heading.as_ref().map_or(0, String::len) + 64)
                        .sum::<usize>()
            })
            .sum();
        (n, bytes)
    }

    /// The passages best answering `query` that `reader` may read, fused
    /// the product's way ([`FUSION`]).
    pub fn search(&self, reader: &Reader, query: &str, qvec: Option<&[f32]>, mode: Mode, limit: usize) -> Vec<Hit> {
        self.search_with(reader, query, qvec, mode, limit, FUSION)
    }

    /// [`TenantIndex::search`] with a chosen fusion (the benchmark compares them).
    pub fn search_with(
        &self,
        reader: &Reader,
        query: &str,
        qvec: Option<&[f32]>,
        mode: Mode,
        limit: usize,
        fusion: Fusion,
    ) -> Vec<Hit> {
        let Ok(s) = self.state.read() else { return Vec::new() };
        let allowed: HashSet<DocumentId> =
            s.docs.iter().filter(|(_, d)| reader.may_read(d.visibility, &d.shared_with)).map(|(id, _)| *id).collect();
        if allowed.is_empty() {
            return Vec::new();
        }
        let q = match mode {
            Mode::Keyword => None,
            _ => qvec,
        };
        // The word search and the vector scan run side by side.
        let (keyword, vector) = std::thread::scope(|scope| {
            let scan = q.map(|q| scope.spawn(|| vector(&s, &allowed, q)));
            let keyword = if mode == Mode::Vector { Vec::new() } else { self.keyword(&s, &allowed, query) };
            let vector = scan.and_then(|h| h.join().ok()).unwrap_or_default();
            (keyword, vector)
        });
        let similarity: HashMap<(DocumentId, usize), f32> = vector.iter().copied().collect();
        let mut fused: HashMap<(DocumentId, usize), Fused> = HashMap::new();
        let lists: [(Vec<Scored>, bool); 2] = [(keyword, true), (vector, false)];
        for (list, is_keyword) in &lists {
            let (lo, hi) =
                list.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), (_, s)| (lo.min(*s), hi.max(*s)));
            for (rank, (key, score)) in list.iter().enumerate() {
                let e = fused.entry(*key).or_insert((0.0, None, None));
                e.0 += match fusion {
                    Fusion::Rrf => 1.0 / (RRF_K + rank as f64 + 1.0),
                    Fusion::Relative if hi > lo => f64::from((score - lo) / (hi - lo)),
                    Fusion::Relative => 1.0,
                };
                if *is_keyword {
                    e.1 = Some(rank + 1);
                } else {
                    e.2 = Some(rank + 1);
                }
            }
        }
        let mut ranked: Vec<_> = fused.into_iter().collect();
        ranked.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(limit)
            .filter_map(|((doc, i), (score, k, v))| {
                let d = s.docs.get(&doc)?;
                let p = d.passages.get(i)?;
                Some(Hit {
                    passage: Passage {
                        id: p.id,
                        document_id: doc,
                        document_title: d.title.clone(),
                        page: p.page,
                        heading: p.heading.clone(),
                        text: p.text.clone(),
                    },
                    score,
                    keyword_rank: k,
                    vector_rank: v,
                    similarity: similarity.get(&(doc, i)).map(|s| f64::from(*s)),
                })
            })
            .collect()
    }

    fn keyword(&self, s: &State, allowed: &HashSet<DocumentId>, query: &str) -> Vec<Scored> {
        let searcher = self.reader.searcher();
        let parser = QueryParser::for_index(&self.index, vec![self.fields.heading, self.fields.body]);
        // Lenient: a question is words, not query syntax.
        let cleaned: String = query.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
        let (q, _) = parser.parse_query_lenient(&cleaned);
        // Passage number → allowed? decided per run of a document.
        let runs: Vec<(u64, bool)> = s.runs.iter().map(|(first, id)| (*first, allowed.contains(id))).collect();
        let allowed_pno = move |pno: u64| -> bool {
            match runs.binary_search_by(|(first, _)| first.cmp(&pno)) {
                Ok(i) => runs[i].1,
                Err(0) => false,
                Err(i) => runs[i - 1].1,
            }
        };
        let collector = FilterCollector::new("pno".to_owned(), allowed_pno, TopDocs::with_limit(CANDIDATES));
        let Ok(top) = searcher.search(&q, &collector) else { return Vec::new() };
        top.into_iter()
            .filter_map(|(score, addr)| {
                let seg = searcher.segment_reader(addr.segment_ord);
                let pno = seg.fast_fields().u64("pno").ok()?.first(addr.doc_id)?;
                let (first, id) = s.runs.range(..=pno).next_back()?;
                Some(((*id, (pno - first) as usize), score))
            })
            .collect()
    }
}

/// The passages nearest to `q` by cosine (vectors are unit length, so a dot
/// product), among allowed documents: a first pass over 8-bit copies keeps
/// the best [`PREFILTER`], whose exact scores then decide.
fn vector(s: &State, allowed: &HashSet<DocumentId>, q: &[f32]) -> Vec<Scored> {
    let dim = q.len();
    if dim == 0 {
        return Vec::new();
    }
    let (qq, _) = quantize(q);
    let mut best: Vec<(f32, DocumentId, usize)> = Vec::with_capacity(PREFILTER * 2 + 1);
    let mut floor = f32::NEG_INFINITY;
    for id in allowed {
        let (Some(d), Some(quant)) = (s.docs.get(id), s.quant.get(id)) else { continue };
        if quant.dim != dim || d.vectors.len() != d.passages.len() * dim {
            continue;
        }
        for (i, row) in quant.values.chunks_exact(dim).enumerate() {
            // Scaled back per row (rows have their own scales; the query's
            // is the same for all, so it does not change the order).
            let score = dot_i8(row, &qq) * quant.scales[i];
            if best.len() < PREFILTER || score > floor {
                best.push((score, *id, i));
                if best.len() > PREFILTER * 2 {
                    best.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
                    best.truncate(PREFILTER);
                    floor = best.last().map_or(f32::NEG_INFINITY, |b| b.0);
                }
            }
        }
    }
    let mut exact: Vec<(f32, DocumentId, usize)> = best
        .into_iter()
        .filter_map(|(_, id, i)| {
            let d = s.docs.get(&id)?;
            Some((dot(d.vectors.get(i * dim..(i + 1) * dim)?, q), id, i))
        })
        .collect();
    exact.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| (a.1, a.2).cmp(&(b.1, b.2))));
    exact.truncate(CANDIDATES);
    exact.into_iter().map(|(score, id, i)| ((id, i), score)).collect()
}

/// A document's vectors in 8 bits, each row with its scale.
struct Quantized {
    dim: usize,
    values: Vec<i8>,
    /// Per row: its scale.
    scales: Vec<f32>,
}

impl Quantized {
    fn of(vectors: &[f32], dim: usize) -> Quantized {
        let mut values = Vec::with_capacity(vectors.len());
        let mut scales = Vec::with_capacity(vectors.len() / dim.max(1));
        for row in vectors.chunks_exact(dim.max(1)) {
            let (q, scale) = quantize(row);
            values.extend(q);
            scales.push(scale);
        }
        Quantized { dim, values, scales }
    }
}

/// A vector as 8-bit integers and the scale that maps them back.
fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (vec![0; v.len()], 0.0);
    }
    let scale = max / 127.0;
    (v.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect(), scale)
}

/// An 8-bit dot product, by SimSIMD (its kernels pick AVX2, AVX-512 VNNI or
/// NEON at run time; the compiler alone only has SSE2 to widen bytes with).
fn dot_i8(a: &[i8], b: &[i8]) -> f32 {
    use simsimd::SpatialSimilarity;
    <i8 as SpatialSimilarity>::dot(a, b).unwrap_or(0.0) as f32
}

/// A dot product written so the compiler vectorises it (eight lanes).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + ra.iter().zip(rb).map(|(x, y)| x * y).sum::<f32>()
}

/// Reads a stored vector (little-endian f32s).
pub fn vector_from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// Writes a vector for storage.
pub fn vector_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(vis: Visibility, texts: &[&str], vectors: Vec<f32>) -> DocEntry {
        DocEntry {
            title: "t".into(),
            visibility: vis,
            shared_with: vec![],
            indexed: 1,
            passages: texts
                .iter()
                .map(|t| Stored { id: PassageId::new(), page: Some(1), heading: None, text: (*t).into() })
                .collect(),
            vectors,
        }
    }

    #[test]
    fn rights_filter_before_ranking_and_fusion_ranks_agreement_first() {
        let idx = TenantIndex::new(0).unwrap();
        let (a, b) = (DocumentId::new(), DocumentId::new());
        let mut meta = HashMap::new();
        meta.insert(a, ("a".into(), Visibility::Public, vec![], 1));
        meta.insert(b, ("b".into(), Visibility::Admins, vec![], 1));
        let mut loaded = HashMap::new();
        loaded.insert(
            a,
            entry(Visibility::Public, &["sourdough bread daily", "croissants on sunday"], vec![1.0, 0.0, 0.0, 1.0]),
        );
        loaded.insert(b, entry(Visibility::Admins, &["secret sourdough recipe"], vec![1.0, 0.0]));
        idx.apply(Update { generation: 1, meta, loaded }).unwrap();
        let visitor = idx.search(&Reader::Visitor, "sourdough", Some(&[1.0, 0.0]), Mode::Hybrid, 5);
        assert!(!visitor.is_empty());
        assert!(visitor.iter().all(|h| h.passage.document_id == a), "a visitor saw an admins-only passage");
        assert_eq!(visitor[0].passage.text, "sourdough bread daily");
        assert_eq!((visitor[0].keyword_rank, visitor[0].vector_rank), (Some(1), Some(1)));
        let admin = Reader::Member { role: stackpro_core::Role::Admin, user: None };
        let all = idx.search(&admin, "sourdough", None, Mode::Keyword, 5);
        assert_eq!(all.len(), 2);
        // Removing a document removes its passages from both searches.
        let mut meta = HashMap::new();
        meta.insert(a, ("a".into(), Visibility::Public, vec![], 1));
        idx.apply(Update { generation: 2, meta, loaded: HashMap::new() }).unwrap();
        assert_eq!(
            idx.search(&admin, "secret", Some(&[1.0, 0.0]), Mode::Hybrid, 5)
                .iter()
                .filter(|h| h.passage.document_id == b)
                .count(),
            0
        );
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..384).map(|i| (i as f32).sin()).collect();
        let b: Vec<f32> = (0..384).map(|i| (i as f32).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
        assert_eq!(vector_from_bytes(&vector_to_bytes(&a)), a);
    }
}
