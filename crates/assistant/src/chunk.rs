//! Structure-aware chunking: a document's blocks become passages of a few
//! hundred characters that never cross a page or a heading, each carrying
//! its page and the path of headings above it, for citations.

use crate::extract::Block;
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// A passage aims at this many characters...
pub const TARGET: usize = 900;
/// ...and a single paragraph longer than this is cut at sentence ends.
pub const MAX: usize = 1_400;
/// The most passages one document may make.
pub const MAX_CHUNKS: usize = 20_000;

/// A passage of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Its place in the document, from 0.
    pub ord: u32,
    /// The page it is on.
    pub page: Option<u32>,
    /// The headings above it, outermost first, joined with " › ".
    pub heading: Option<String>,
    /// Its text.
    pub text: String,
}

impl Chunk {
    /// What the embedder and the keyword index read: the heading, then the text.
    pub fn indexed_text(&self) -> String {
        match &self.heading {
            Some(h) => format!("{h}\n{}", self.text),
            None => self.text.clone(),
        }
    }
}

/// Cuts blocks into passages.
pub fn chunk(blocks: &[Block]) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut headings: Vec<(u8, String)> = Vec::new();
    let mut buf = String::new();
    let mut page = None;
    let flush = |out: &mut Vec<Chunk>, buf: &mut String, page: Option<u32>, headings: &[(u8, String)]| {
        if buf.trim().is_empty() {
            buf.clear();
            return;
        }
        let heading = if headings.is_empty() {
            None
        } else {
            Some(headings.iter().map(|(_, h)| h.as_str()).collect::<Vec<_>>().join(" › "))
        };
        out.push(Chunk { ord: out.len() as u32, page, heading, text: std::mem::take(buf) });
    };
    for block in blocks {
        if out.len() >= MAX_CHUNKS {
            break;
        }
        if block.page != page {
            flush(&mut out, &mut buf, page, &headings);
            page = block.page;
        }
        if block.level > 0 {
            flush(&mut out, &mut buf, page, &headings);
            headings.retain(|(l, _)| *l < block.level);
            headings.push((block.level, truncate(&block.text, 200)));
            continue;
        }
        for piece in pieces(&block.text) {
            if !buf.is_empty() && buf.len() + piece.len() + 1 > TARGET {
                flush(&mut out, &mut buf, page, &headings);
            }
            if !buf.is_empty() {
                buf.push('\n');
            }
            buf.push_str(&piece);
        }
    }
    flush(&mut out, &mut buf, page, &headings);
    out.truncate(MAX_CHUNKS);
    out
}

/// A paragraph, or its sentences packed up to [`TARGET`] when it is longer
/// than [`MAX`]; a sentence longer than that is cut at word ends.
fn pieces(text: &str) -> Vec<String> {
    if text.len() <= MAX {
        return vec![text.to_owned()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    for sentence in text.split_sentence_bounds() {
        for word in split_long(sentence) {
            if !cur.is_empty() && cur.len() + word.len() > TARGET {
                out.push(std::mem::take(&mut cur).trim().to_owned());
            }
            cur.push_str(word);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// A sentence longer than [`TARGET`] in words; a "word" longer than that
/// (base64, a run of one letter) cut at character boundaries.
fn split_long(s: &str) -> Vec<&str> {
    if s.len() <= TARGET {
        return vec![s];
    }
    let mut out = Vec::new();
    for mut w in s.split_word_bounds() {
        while w.len() > TARGET {
            let mut cut = TARGET;
            while !w.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push(&w[..cut]);
            w = &w[cut..];
        }
        out.push(w);
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(page: u32, level: u8, text: &str) -> Block {
        Block { page: Some(page), level, text: text.into() }
    }

    #[test]
    fn passages_keep_page_and_heading_path() {
        let blocks = [
            b(1, 1, "Handbook"),
            b(1, 0, "Welcome."),
            b(2, 2, "Deliveries"),
            b(2, 0, "Thursdays at 6 am."),
            b(3, 0, "Continued on page three."),
        ];
        let chunks = chunk(&blocks);
        let got: Vec<_> = chunks.iter().map(|c| (c.page, c.heading.as_deref(), c.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Some(1), Some("Handbook"), "Welcome."),
                (Some(2), Some("Handbook › Deliveries"), "Thursdays at 6 am."),
                (Some(3), Some("Handbook › Deliveries"), "Continued on page three."),
            ]
        );
    }

    #[test]
    fn long_paragraphs_are_cut_at_sentences_within_bounds() {
        let long = "This sentence has some words in it. ".repeat(120);
        let chunks = chunk(&[b(1, 0, &long)]);
        assert!(chunks.len() >= 4, "{}", chunks.len());
        assert!(chunks.iter().all(|c| c.text.len() <= MAX && c.text.ends_with('.')));
        let one_word = "é".repeat(5000);
        let cut = chunk(&[b(1, 0, &one_word)]);
        assert!(cut.len() >= 10 && cut.iter().all(|c| !c.text.is_empty() && c.text.len() <= MAX), "{}", cut.len());
    }
}
