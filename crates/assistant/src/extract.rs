//! Text out of an uploaded file: the kind is read from the bytes, then a real
//! parser per kind (pdf-extract on lopdf, a DOCX reader on `zip` +
//! `quick-xml`, `scraper` for HTML, `pulldown-cmark` for Markdown) turns it
//! into [`Block`]s that keep their page and whether they are headings.
//!
//! This runs on untrusted bytes and only ever inside the parser worker
//! ([`crate::sandbox`]): a parser that loops, allocates without bound or
//! crashes takes down its worker, never the server.

use serde::{Deserialize, Serialize};
use std::io::Read;
use utoipa::ToSchema;

/// The kinds of document the knowledge base reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// PDF with a text layer.
    Pdf,
    /// Word (Office Open XML).
    Docx,
    /// Plain UTF-8 text.
    Txt,
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
}

impl Kind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Txt => "txt",
            Kind::Markdown => "markdown",
            Kind::Html => "html",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "pdf" => Some(Kind::Pdf),
            "docx" => Some(Kind::Docx),
            "txt" => Some(Kind::Txt),
            "markdown" => Some(Kind::Markdown),
            "html" => Some(Kind::Html),
            _ => None,
        }
    }
}

/// A paragraph or heading of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The page it is on, 1-based, where the format has pages.
    pub page: Option<u32>,
    /// 1–6 for a heading, 0 for body text.
    pub level: u8,
    /// Its text, whitespace collapsed.
    pub text: String,
}

/// What a document holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    /// Its page count, where the format has pages.
    pub pages: Option<u32>,
    /// Its blocks, in reading order.
    pub blocks: Vec<Block>,
}

/// Why a file cannot be read, with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{detail}")]
pub struct Unreadable {
    /// `unsupported_type`, `encrypted_pdf`, `no_text_layer`, `corrupt_file`,
    /// `not_text`, `too_large`, `too_many_pages`, `worker_killed`, `empty`.
    pub code: String,
    /// What a person reads.
    pub detail: String,
}

impl Unreadable {
    /// A reason.
    pub fn new(code: &str, detail: impl Into<String>) -> Unreadable {
        Unreadable { code: code.to_owned(), detail: detail.into() }
    }
}

/// The most pages a PDF may have.
pub const MAX_PDF_PAGES: usize = 2_000;
/// The most bytes of XML a DOCX's body may inflate to.
pub const MAX_DOCX_XML: u64 = 64 * 1024 * 1024;
/// The most text one document may yield.
pub const MAX_TEXT: usize = 16 * 1024 * 1024;

/// The document's kind from its bytes, with the uploaded name's extension
/// deciding only between the text formats.
///
/// # Errors
/// When the bytes are of a kind not read here (an image, an archive, a
/// legacy `.doc`), or a binary named as text.
pub fn sniff(bytes: &[u8], filename: &str) -> Result<Kind, Unreadable> {
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if bytes.is_empty() {
        return Err(Unreadable::new("empty", "The file is empty."));
    }
    // Readers accept junk before the header, within the first KiB.
    if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        return Ok(Kind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return if ext == "docx" || ext.is_empty() {
            Ok(Kind::Docx)
        } else {
            Err(Unreadable::new(
                "unsupported_type",
                "This is a ZIP archive; upload PDF, Word (.docx), text, Markdown or HTML files.",
            ))
        };
    }
    // The first bytes say the kind; `infer` parses some containers (OLE2)
    // it recognises, so it never sees more than a small head of the file.
    if let Some(t) = infer::get(&bytes[..bytes.len().min(8 << 10)]) {
        if !matches!(t.matcher_type(), infer::MatcherType::Text) {
            let named = if ext.is_empty() { String::new() } else { format!(" named .{ext}") };
            return Err(Unreadable::new(
                "unsupported_type",
                format!(
                    "This file{named} is {} ({}); upload PDF, Word (.docx), text, Markdown or HTML files.",
                    article(t.extension()),
                    t.mime_type()
                ),
            ));
        }
    }
    if matches!(ext.as_str(), "pdf" | "docx" | "doc") {
        return Err(Unreadable::new(
            "corrupt_file",
            format!("This file is named .{ext} but is not a {} file; it may be damaged.", ext.to_ascii_uppercase()),
        ));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).trim_start().to_ascii_lowercase();
    Ok(match ext.as_str() {
        "html" | "htm" | "xhtml" => Kind::Html,
        "md" | "markdown" | "mdown" => Kind::Markdown,
        _ if head.starts_with("<!doctype html") || head.starts_with("<html") => Kind::Html,
        _ => Kind::Txt,
    })
}

fn article(ext: &str) -> String {
    let up = ext.to_ascii_uppercase();
    if up.starts_with(['A', 'E', 'I', 'O', 'U', 'F', 'H', 'L', 'M', 'N', 'R', 'S', 'X']) {
        format!("an {up} file")
    } else {
        format!("a {up} file")
    }
}

/// Reads a document of `kind`.
///
/// # Errors
/// With the reason the file cannot be read.
pub fn extract(kind: Kind, bytes: &[u8]) -> Result<Extracted, Unreadable> {
    let out = match kind {
        Kind::Pdf => pdf(bytes)?,
        Kind::Docx => docx(bytes)?,
        Kind::Txt => txt(&utf8(bytes)?),
        Kind::Markdown => markdown(&utf8(bytes)?),
        Kind::Html => html(&utf8(bytes)?),
    };
    if out.blocks.iter().all(|b| b.text.trim().is_empty()) {
        return Err(match kind {
            Kind::Pdf => Unreadable::new(
                "no_text_layer",
                "This PDF has no text to read: it looks scanned (pictures of pages). Run it through OCR, or upload \
                 the original document.",
            ),
            _ => Unreadable::new("empty", "This document holds no text."),
        });
    }
    let total: usize = out.blocks.iter().map(|b| b.text.len()).sum();
    if total > MAX_TEXT {
        return Err(Unreadable::new(
            "too_large",
            format!("This document holds {} MB of text; the most is {} MB.", total >> 20, MAX_TEXT >> 20),
        ));
    }
    Ok(out)
}

fn utf8(bytes: &[u8]) -> Result<String, Unreadable> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let s = std::str::from_utf8(bytes).map_err(|e| {
        Unreadable::new(
            "not_text",
            format!(
                "This file is not UTF-8 text (byte {} is not valid); save it as UTF-8 and upload it again.",
                e.valid_up_to()
            ),
        )
    })?;
    if s.contains('\0') {
        return Err(Unreadable::new("not_text", "This file holds binary data, not text."));
    }
    Ok(s.to_owned())
}

pub use stackpro_core::text::collapse;

fn push(blocks: &mut Vec<Block>, page: Option<u32>, level: u8, text: &str) {
    let text = collapse(text);
    if !text.is_empty() {
        blocks.push(Block { page, level, text });
    }
}

// ---- PDF ----

fn pdf(bytes: &[u8]) -> Result<Extracted, Unreadable> {
    use pdf_extract::{Document, OutputDev, PlainTextOutput};
    let corrupt = |e: &dyn std::fmt::Display| {
        Unreadable::new("corrupt_file", format!("This PDF cannot be read: {e}. It may be damaged."))
    };
    let mut doc = Document::load_mem(bytes).map_err(|e| corrupt(&e))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(Unreadable::new(
            "encrypted_pdf",
            "This PDF is protected by a password. Save a copy without the password and upload that.",
        ));
    }
    let pages = doc.get_pages();
    if pages.len() > MAX_PDF_PAGES {
        return Err(Unreadable::new(
            "too_many_pages",
            format!("This PDF has {} pages; the most is {MAX_PDF_PAGES}.", pages.len()),
        ));
    }
    let mut blocks = Vec::new();
    let count = pages.len() as u32;
    for (&num, _) in pages.iter() {
        let mut buf: Vec<u8> = Vec::new();
        {
            let mut out = PlainTextOutput::new(&mut buf as &mut dyn std::io::Write);
            // A page whose content cannot be read is skipped, not the document.
            if pdf_extract::output_doc_page(&doc, &mut out, num).is_err() {
                continue;
            }
            let _ = out.end_page();
        }
        pdf_blocks(&mut blocks, num, &String::from_utf8_lossy(&buf));
    }
    Ok(Extracted { pages: Some(count), blocks })
}

/// Splits a page's text into paragraphs at blank lines, and takes a short
/// line standing alone before a paragraph (no closing punctuation) for a
/// heading: PDFs keep no structure, only positions.
fn pdf_blocks(blocks: &mut Vec<Block>, page: u32, text: &str) {
    let mut para = String::new();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            push(blocks, Some(page), 0, &para);
            para.clear();
            continue;
        }
        let alone = para.is_empty() && lines.get(i + 1).is_none_or(|n| n.is_empty() || n.len() > line.len());
        let looks_heading = line.chars().count() <= 80
            && !line.ends_with(['.', ',', ';', ':', '?', '!'])
            && line.chars().next().is_some_and(|c| c.is_uppercase() || c.is_numeric())
            && line.split_whitespace().count() <= 10;
        if alone && looks_heading && lines.get(i + 1).is_some_and(|n| n.is_empty()) {
            push(blocks, Some(page), 2, line);
            continue;
        }
        if !para.is_empty() {
            para.push(' ');
        }
        para.push_str(line);
    }
    push(blocks, Some(page), 0, &para);
}

// ---- DOCX ----

fn docx(bytes: &[u8]) -> Result<Extracted, Unreadable> {
    let corrupt = |what: &str| {
        Unreadable::new("corrupt_file", format!("This Word file cannot be read: {what}. It may be damaged."))
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| corrupt(&e.to_string()))?;
    let mut xml = Vec::new();
    {
        let entry = zip
            .by_name("word/document.xml")
            .map_err(|_| corrupt("it has no word/document.xml (is it a Word document?)"))?;
        // Read at most the cap, whatever the archive claims: a bomb stops here.
        entry.take(MAX_DOCX_XML + 1).read_to_end(&mut xml).map_err(|e| {
            if e.kind() == std::io::ErrorKind::OutOfMemory {
                Unreadable::new(
                    "too_large",
                    "This Word file inflates past the memory a document may use; it is refused.",
                )
            } else {
                corrupt(&e.to_string())
            }
        })?;
    }
    if xml.len() as u64 > MAX_DOCX_XML {
        return Err(Unreadable::new(
            "too_large",
            format!("This Word file's text inflates past {} MB; it is refused.", MAX_DOCX_XML >> 20),
        ));
    }
    docx_body(&xml).map_err(|e| corrupt(&e))
}

fn docx_body(xml: &[u8]) -> Result<Extracted, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut blocks = Vec::new();
    let mut page = 1u32;
    let mut para = String::new();
    let mut level = 0u8;
    let mut para_page = 1u32;
    let mut in_text = false;
    let mut explicit = false;
    let mut depth = 0usize;
    loop {
        match reader.read_event_into(&mut buf) {
            Err(e) => return Err(e.to_string()),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                depth += 1;
                if depth > 256 {
                    return Err("its XML is nested too deeply".into());
                }
                match e.local_name().as_ref() {
                    b"p" => {
                        para.clear();
                        level = 0;
                        para_page = page;
                    }
                    b"t" => in_text = true,
                    _ => {}
                }
            }
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                b"pStyle" => level = heading_level(&e),
                b"br" if attr(&e, b"type").as_deref() == Some("page") => {
                    page += 1;
                    explicit = true;
                    if para.trim().is_empty() {
                        para_page = page;
                    }
                }
                // Word marks where pages broke when it last laid the text
                // out, also right after an explicit break: that one counts once.
                b"lastRenderedPageBreak" => {
                    if !std::mem::take(&mut explicit) {
                        page += 1;
                    }
                    if para.trim().is_empty() {
                        para_page = page;
                    }
                }
                b"tab" => para.push(' '),
                b"br" | b"cr" => para.push(' '),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => {
                let s = t.decode().map_err(|e| e.to_string())?;
                let s = quick_xml::escape::unescape(&s).map_err(|e| e.to_string())?;
                if !s.trim().is_empty() {
                    explicit = false;
                }
                para.push_str(&s);
            }
            Ok(Event::GeneralRef(r)) if in_text => {
                // Character and predefined entity references inside text.
                let name = r.decode().map_err(|e| e.to_string())?;
                if let Some(c) = quick_xml::escape::resolve_predefined_entity(&name) {
                    para.push_str(c);
                } else if let Ok(Some(c)) = r.resolve_char_ref() {
                    para.push(c);
                }
            }
            Ok(Event::End(e)) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    b"t" => in_text = false,
                    b"p" => {
                        push(&mut blocks, Some(para_page), level, &para);
                        para.clear();
                    }
                    _ => {}
                }
            }
            Ok(_) => {}
        }
        buf.clear();
    }
    Ok(Extracted { pages: Some(page), blocks })
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// `Heading1`..`Heading6` and `Title` styles (the names Word gives them).
fn heading_level(e: &quick_xml::events::BytesStart<'_>) -> u8 {
    let Some(v) = attr(e, b"val") else { return 0 };
    let v = v.to_ascii_lowercase();
    if v == "title" {
        return 1;
    }
    v.strip_prefix("heading").and_then(|n| n.trim().parse::<u8>().ok()).map_or(0, |n| n.clamp(1, 6))
}

// ---- text formats ----

fn txt(s: &str) -> Extracted {
    let mut blocks = Vec::new();
    for para in s.split("\n\n").flat_map(|p| p.split("\r\n\r\n")) {
        push(&mut blocks, None, 0, para);
    }
    Extracted { pages: None, blocks }
}

fn markdown(s: &str) -> Extracted {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut blocks = Vec::new();
    let mut text = String::new();
    let mut level = 0u8;
    for ev in Parser::new(s) {
        match ev {
            Event::Start(Tag::Heading { level: l, .. }) => {
                push(&mut blocks, None, level, &text);
                text.clear();
                level = l as u8;
            }
            Event::End(TagEnd::Heading(_)) => {
                push(&mut blocks, None, level, &text);
                text.clear();
                level = 0;
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock | TagEnd::TableRow) => {
                push(&mut blocks, None, level, &text);
                text.clear();
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::TableCell) => text.push_str(" | "),
            _ => {}
        }
    }
    push(&mut blocks, None, level, &text);
    Extracted { pages: None, blocks }
}

fn html(s: &str) -> Extracted {
    use scraper::{Html, Node};
    let doc = Html::parse_document(s);
    let mut blocks = Vec::new();
    let mut text = String::new();
    // Iterative walk: a deeply nested page cannot exhaust the stack.
    enum Step<'a> {
        Enter(ego_tree::NodeRef<'a, Node>),
        Leave(u8, bool),
    }
    let mut stack = vec![Step::Enter(doc.tree.root())];
    while let Some(step) = stack.pop() {
        match step {
            Step::Leave(level, block) => {
                if block {
                    push(&mut blocks, None, level, &text);
                    text.clear();
                }
            }
            Step::Enter(node) => match node.value() {
                Node::Text(t) => text.push_str(t),
                Node::Element(el) => {
                    let name = el.name();
                    if matches!(
                        name,
                        "script" | "style" | "noscript" | "template" | "svg" | "head" | "nav" | "iframe" | "object"
                    ) {
                        continue;
                    }
                    let level = match name {
                        "h1" => 1,
                        "h2" => 2,
                        "h3" => 3,
                        "h4" => 4,
                        "h5" => 5,
                        "h6" => 6,
                        _ => 0,
                    };
                    let block = level > 0
                        || matches!(
                            name,
                            "p" | "li"
                                | "div"
                                | "section"
                                | "article"
                                | "td"
                                | "th"
                                | "tr"
                                | "blockquote"
                                | "pre"
                                | "dd"
                                | "dt"
                                | "figcaption"
                                | "header"
                                | "footer"
                                | "main"
                                | "table"
                                | "ul"
                                | "ol"
                        );
                    if name == "br" {
                        text.push(' ');
                    }
                    if block {
                        push(&mut blocks, None, 0, &text);
                        text.clear();
                    }
                    stack.push(Step::Leave(level, block));
                    let children: Vec<_> = node.children().collect();
                    for c in children.into_iter().rev() {
                        stack.push(Step::Enter(c));
                    }
                }
                Node::Document | Node::Fragment => {
                    let children: Vec<_> = node.children().collect();
                    for c in children.into_iter().rev() {
                        stack.push(Step::Enter(c));
                    }
                }
                _ => {}
            },
        }
    }
    push(&mut blocks, None, 0, &text);
    Extracted { pages: None, blocks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_headings_and_paragraphs() {
        let out = extract(Kind::Markdown, b"# Staff notes\n\n## Ovens\n\nThe left oven\nruns hot.\n").unwrap();
        assert_eq!(
            out.blocks,
            vec![
                Block { page: None, level: 1, text: "Staff notes".into() },
                Block { page: None, level: 2, text: "Ovens".into() },
                Block { page: None, level: 0, text: "The left oven runs hot.".into() },
            ]
        );
    }

    #[test]
    fn html_drops_scripts_and_keeps_headings() {
        let page = "<html><head><title>t</title><style>p{}</style></head><body><script>var scriptsecret=1</script>\
                    <h2>Parking</h2><p>Park behind the <b>bakery</b>.</p></body></html>";
        let out = extract(Kind::Html, page.as_bytes()).unwrap();
        let all: Vec<_> = out.blocks.iter().map(|b| (b.level, b.text.as_str())).collect();
        assert_eq!(all, vec![(2, "Parking"), (0, "Park behind the bakery.")]);
    }

    #[test]
    fn docx_body_counts_page_breaks_and_styles() {
        let xml = br#"<w:document xmlns:w="x"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Prices</w:t></w:r></w:p>
            <w:p><w:r><w:t>Cake &amp; tea</w:t></w:r><w:r><w:br w:type="page"/></w:r></w:p>
            <w:p><w:r><w:t>Second page</w:t></w:r></w:p></w:body></w:document>"#;
        let out = docx_body(xml).unwrap();
        let all: Vec<_> = out.blocks.iter().map(|b| (b.page, b.level, b.text.as_str())).collect();
        assert_eq!(all, vec![(Some(1), 1, "Prices"), (Some(1), 0, "Cake & tea"), (Some(2), 0, "Second page")]);
        // Word's mark of the same break, after an explicit one, counts once;
        // a mark after text is a page of its own.
        let xml = br#"<w:document xmlns:w="x"><w:body>
            <w:p><w:r><w:t>One</w:t><w:br w:type="page"/></w:r></w:p>
            <w:p><w:r><w:lastRenderedPageBreak/><w:t>Two</w:t></w:r></w:p>
            <w:p><w:r><w:lastRenderedPageBreak/><w:t>Three</w:t></w:r></w:p></w:body></w:document>"#;
        let out = docx_body(xml).unwrap();
        let pages: Vec<_> = out.blocks.iter().map(|b| b.page).collect();
        assert_eq!(pages, vec![Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn sniffing_reads_bytes_not_names() {
        assert_eq!(sniff(b"%PDF-1.7 ...", "x.txt").unwrap(), Kind::Pdf);
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png, "report.pdf").unwrap_err().code, "unsupported_type");
        assert_eq!(sniff(b"hello", "a.pdf").unwrap_err().code, "corrupt_file");
        assert_eq!(sniff(b"# Title", "a.md").unwrap(), Kind::Markdown);
        assert_eq!(sniff(b"<!DOCTYPE html><p>x", "page").unwrap(), Kind::Html);
        assert_eq!(extract(Kind::Txt, b"\xff\xfe").unwrap_err().code, "not_text");
    }
}
