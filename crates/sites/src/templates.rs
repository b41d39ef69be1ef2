//! The template gallery: eight complete one-page sites for small
//! businesses, each a GrapesJS project (hero, services, about, testimonials
//! marked as samples, opening hours, a map-free location block, a contact
//! form, footer) filled in with the business's own name, city, phone, email
//! and services. Every picture is an SVG this module draws from the
//! template's palette; no image or font comes from anywhere else (fonts are
//! the visitor's system fonts). Colours are chosen so text meets WCAG AA
//! contrast on its background.

use crate::model::{Business, Template};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// One template's look and words.
struct Design {
    key: &'static str,
    name: &'static str,
    industry: &'static str,
    description: &'static str,
    /// Buttons, headings' accents (white text on it passes AA).
    accent: &'static str,
    /// The page background.
    bg: &'static str,
    /// Cards and alternate sections.
    surface: &'static str,
    /// Body text.
    text: &'static str,
    /// Secondary text (AA on `bg` and `surface`).
    muted: &'static str,
    serif_headings: bool,
    /// Hero picture on the right, left, or under the words.
    hero: Hero,
    tagline: &'static str,
    intro: &'static str,
    about: &'static str,
    services: &'static [(&'static str, &'static str)],
    hours: &'static [(&'static str, &'static str)],
    /// The SVG drawing of the trade, on a 200×200 canvas.
    icon: &'static str,
}

#[derive(Clone, Copy, PartialEq)]
enum Hero {
    Right,
    Left,
    Stacked,
}

const WEEK: &[(&str, &str)] =
    &[("Monday – Friday", "8:00 – 18:00"), ("Saturday", "9:00 – 14:00"), ("Sunday", "Closed")];

const DESIGNS: &[Design] = &[
    Design {
        key: "restaurant",
        name: "Trattoria",
        industry: "Restaurant",
        description: "Warm cream and deep red, serif headings, the menu's highlights up front.",
        accent: "#9b2c2c",
        bg: "#fdf8f3",
        surface: "#f6ebe0",
        text: "#1f1a17",
        muted: "#5b4a3f",
        serif_headings: true,
        hero: Hero::Right,
        tagline: "Seasonal food, cooked with care",
        intro: "A neighbourhood restaurant serving honest plates made from local produce.",
        about: "We opened our doors to cook the food we love for the people we live among. Everything on the menu is made in our kitchen, from the bread to the desserts.",
        services: &[
            ("Lunch & dinner", "A short menu that changes with the season."),
            ("Private dining", "Our back room seats up to 16 guests."),
            ("Takeaway", "Order by phone and collect within 20 minutes."),
        ],
        hours: &[("Tuesday – Thursday", "12:00 – 22:00"), ("Friday – Saturday", "12:00 – 23:00"), ("Sunday", "12:00 – 16:00"), ("Monday", "Closed")],
        icon: "<circle cx='100' cy='110' r='58' fill='#ffffff' stroke='{a}' stroke-width='8'/><circle cx='100' cy='110' r='34' fill='none' stroke='{a}' stroke-width='4'/><rect x='24' y='54' width='8' height='110' rx='4' fill='{a}'/><rect x='168' y='54' width='8' height='110' rx='4' fill='{a}'/>",
    },
    Design {
        key: "bakery",
        name: "Morning Loaf",
        industry: "Bakery",
        description: "Butter-yellow and brown, bread from the oven at the top of the page.",
        accent: "#8a4b12",
        bg: "#fff8ee",
        surface: "#fbead2",
        text: "#2b1d10",
        muted: "#5e4630",
        serif_headings: true,
        hero: Hero::Left,
        tagline: "Baked fresh every morning",
        intro: "Sourdough, pastries and celebration cakes from our ovens to your table.",
        about: "Our bakers start before dawn so the shelves are full when you arrive. We use long fermentation, good flour and no shortcuts.",
        services: &[
            ("Sourdough & breads", "Country loaves, rye and baguettes daily."),
            ("Pastries", "Croissants, buns and tarts from 7 am."),
            ("Celebration cakes", "Order three days ahead for birthdays and weddings."),
        ],
        hours: &[("Monday – Saturday", "7:00 – 18:00"), ("Sunday", "8:00 – 13:00")],
        icon: "<ellipse cx='100' cy='112' rx='74' ry='44' fill='{a}'/><path d='M56 96 q10 -18 20 0 M92 90 q10 -18 20 0 M128 96 q10 -18 20 0' stroke='#ffffff' stroke-width='6' fill='none' stroke-linecap='round'/>",
    },
    Design {
        key: "consultant",
        name: "Clear Advice",
        industry: "Consultant",
        description: "Navy and white, calm and precise: for advisers, accountants and coaches.",
        accent: "#1e3a8a",
        bg: "#f8fafc",
        surface: "#e8eef8",
        text: "#0f172a",
        muted: "#475569",
        serif_headings: false,
        hero: Hero::Right,
        tagline: "Decisions made with confidence",
        intro: "Independent advice for owners who want a clear plan and someone to check the numbers.",
        about: "We have helped small firms plan, finance and grow for years. You work with one adviser who knows your business, not a rotating team.",
        services: &[
            ("Strategy sessions", "Half a day to turn questions into a plan."),
            ("Financial planning", "Budgets, forecasts and cash-flow you can act on."),
            ("Ongoing advice", "A monthly check-in and help when it matters."),
        ],
        hours: WEEK,
        icon: "<rect x='36' y='110' width='26' height='54' rx='4' fill='{a}'/><rect x='76' y='80' width='26' height='84' rx='4' fill='{a}'/><rect x='116' y='56' width='26' height='108' rx='4' fill='{a}'/><path d='M30 70 L84 44 L122 58 L172 30' stroke='{a}' stroke-width='6' fill='none' stroke-linecap='round'/>",
    },
    Design {
        key: "salon",
        name: "Studio Bloom",
        industry: "Hair & beauty salon",
        description: "Soft plum and blush, elegant and friendly, booking front and centre.",
        accent: "#86198f",
        bg: "#fdf4ff",
        surface: "#f5e1f7",
        text: "#2e1031",
        muted: "#6b3f6f",
        serif_headings: true,
        hero: Hero::Stacked,
        tagline: "Look good, feel better",
        intro: "Cuts, colour and care from stylists who listen first.",
        about: "Our salon is a relaxed place to take an hour for yourself. We use gentle products and take time to understand what you want.",
        services: &[
            ("Cut & style", "For every length and texture."),
            ("Colour", "Highlights, balayage and full colour."),
            ("Treatments", "Conditioning and scalp care."),
        ],
        hours: &[("Tuesday – Friday", "9:00 – 19:00"), ("Saturday", "9:00 – 17:00"), ("Sunday – Monday", "Closed")],
        icon: "<circle cx='70' cy='140' r='24' fill='none' stroke='{a}' stroke-width='8'/><circle cx='130' cy='140' r='24' fill='none' stroke='{a}' stroke-width='8'/><path d='M84 120 L140 36 M116 120 L60 36' stroke='{a}' stroke-width='8' stroke-linecap='round'/>",
    },
    Design {
        key: "fitness",
        name: "Strong Start",
        industry: "Fitness studio",
        description: "Forest green and bright white, energetic, with classes and a free trial.",
        accent: "#065f46",
        bg: "#f6fdf9",
        surface: "#dcf5e8",
        text: "#052e22",
        muted: "#35584b",
        serif_headings: false,
        hero: Hero::Left,
        tagline: "Get stronger, one session at a time",
        intro: "Small-group classes and personal training for every level.",
        about: "Coaches who know your name, classes capped at twelve, and a plan that fits your week. Your first class is on us.",
        services: &[
            ("Group classes", "Strength, conditioning and mobility."),
            ("Personal training", "One-to-one sessions with a plan."),
            ("Beginners' course", "Four weeks to learn the basics safely."),
        ],
        hours: &[("Monday – Friday", "6:00 – 21:00"), ("Saturday", "8:00 – 14:00"), ("Sunday", "9:00 – 12:00")],
        icon: "<rect x='30' y='80' width='20' height='60' rx='6' fill='{a}'/><rect x='150' y='80' width='20' height='60' rx='6' fill='{a}'/><rect x='52' y='92' width='14' height='36' rx='4' fill='{a}'/><rect x='134' y='92' width='14' height='36' rx='4' fill='{a}'/><rect x='66' y='104' width='68' height='12' rx='6' fill='{a}'/>",
    },
    Design {
        key: "real-estate",
        name: "Open House",
        industry: "Real-estate agent",
        description: "Teal and stone, trustworthy and spacious, for agents and property managers.",
        accent: "#0f766e",
        bg: "#f7fbfa",
        surface: "#dff2ef",
        text: "#0b2b28",
        muted: "#3f5f5b",
        serif_headings: false,
        hero: Hero::Right,
        tagline: "The right home, sold the right way",
        intro: "Local agents who price honestly and keep you informed at every step.",
        about: "We know every street in town. Sellers get a clear valuation and a plan; buyers get straight answers and no pressure.",
        services: &[
            ("Selling", "Valuation, photos, viewings and negotiation."),
            ("Buying", "Find, view and secure the right home."),
            ("Letting & management", "Tenants found and properties looked after."),
        ],
        hours: WEEK,
        icon: "<path d='M40 100 L100 46 L160 100' stroke='{a}' stroke-width='8' fill='none' stroke-linejoin='round' stroke-linecap='round'/><rect x='58' y='98' width='84' height='66' fill='{a}'/><rect x='88' y='124' width='24' height='40' fill='#ffffff'/>",
    },
    Design {
        key: "trades",
        name: "Fix It Right",
        industry: "Plumber or electrician",
        description: "Amber and charcoal, direct and practical, the phone number always in reach.",
        accent: "#92400e",
        bg: "#fffbf2",
        surface: "#fdecc8",
        text: "#1c1917",
        muted: "#57534e",
        serif_headings: false,
        hero: Hero::Left,
        tagline: "Reliable repairs, fair prices",
        intro: "Qualified, insured and on time: call us for repairs, installations and emergencies.",
        about: "We are a local, family-run business. We quote before we start, turn up when we say, and leave your home clean.",
        services: &[
            ("Emergency call-outs", "Leaks, faults and no power, day or night."),
            ("Installations", "Boilers, fuse boards, bathrooms and more."),
            ("Safety checks", "Certificates for landlords and buyers."),
        ],
        hours: &[("Monday – Friday", "7:30 – 18:00"), ("Saturday", "8:00 – 13:00"), ("Emergencies", "24 hours")],
        icon: "<path d='M60 150 L120 90' stroke='{a}' stroke-width='16' stroke-linecap='round'/><circle cx='132' cy='72' r='30' fill='none' stroke='{a}' stroke-width='12'/><rect x='124' y='40' width='18' height='26' fill='{bg}'/>",
    },
    Design {
        key: "photographer",
        name: "Frame",
        industry: "Photographer",
        description: "Monochrome and generous white space, letting the pictures speak.",
        accent: "#111827",
        bg: "#fafafa",
        surface: "#ececec",
        text: "#111827",
        muted: "#4b5563",
        serif_headings: true,
        hero: Hero::Stacked,
        tagline: "Moments worth keeping",
        intro: "Portraits, weddings and small-business photography with a natural touch.",
        about: "I photograph people as they are, in good light and without fuss. You get a private online gallery and prints that last.",
        services: &[
            ("Portraits", "Families, couples and headshots."),
            ("Weddings", "The whole day or just the ceremony."),
            ("Business", "Products, premises and your team."),
        ],
        hours: &[("By appointment", "Monday – Saturday"), ("Studio visits", "10:00 – 18:00")],
        icon: "<rect x='30' y='64' width='140' height='96' rx='14' fill='{a}'/><rect x='72' y='48' width='44' height='22' rx='6' fill='{a}'/><circle cx='100' cy='112' r='30' fill='#ffffff'/><circle cx='100' cy='112' r='18' fill='{a}'/>",
    },
];

fn design(key: &str) -> Option<&'static Design> {
    DESIGNS.iter().find(|d| d.key == key)
}

/// The gallery.
pub fn gallery() -> Vec<Template> {
    DESIGNS
        .iter()
        .map(|d| Template {
            key: d.key.into(),
            name: d.name.into(),
            industry: d.industry.into(),
            description: d.description.into(),
            preview_url: format!("/_stackpro/t/{}/preview.svg", d.key),
            accent: d.accent.into(),
            default_services: d.services.iter().map(|(s, _)| (*s).to_owned()).collect(),
        })
        .collect()
}

/// Whether a template exists.
pub fn exists(key: &str) -> bool {
    design(key).is_some()
}

/// A picture of a template (`hero.svg`, `about.svg`, `preview.svg`).
pub fn image(key: &str, file: &str) -> Option<String> {
    let d = design(key)?;
    let icon = d.icon.replace("{a}", d.accent).replace("{bg}", d.surface);
    Some(match file {
        "hero.svg" => scene(d, &icon, 1200, 800, 1.0),
        "about.svg" => scene(d, &icon, 800, 600, 0.8),
        "preview.svg" => preview(d, &icon),
        _ => return None,
    })
}

fn scene(d: &Design, icon: &str, w: u32, h: u32, scale: f32) -> String {
    let s = (h as f32 / 200.0 * 0.7 * scale).max(0.5);
    let tx = w as f32 / 2.0 - 100.0 * s;
    let ty = h as f32 / 2.0 - 100.0 * s;
    format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' viewBox='0 0 {w} {h}'>\
         <rect width='{w}' height='{h}' fill='{surface}'/>\
         <circle cx='{c1x}' cy='{c1y}' r='{r1}' fill='{accent}' opacity='0.12'/>\
         <circle cx='{c2x}' cy='{c2y}' r='{r2}' fill='{accent}' opacity='0.08'/>\
         <g transform='translate({tx} {ty}) scale({s})'>{icon}</g></svg>",
        surface = d.surface,
        accent = d.accent,
        c1x = w / 5,
        c1y = h / 4,
        r1 = h / 3,
        c2x = w * 4 / 5,
        c2y = h * 3 / 4,
        r2 = h / 2,
    )
}

fn preview(d: &Design, icon: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns='http://www.w3.org/2000/svg' width='600' height='400' viewBox='0 0 600 400'>\
         <rect width='600' height='400' fill='{bg}'/><rect width='600' height='44' fill='{surface}'/>\
         <rect x='24' y='16' width='110' height='12' rx='6' fill='{accent}'/>\
         <rect x='380' y='18' width='50' height='8' rx='4' fill='{muted}'/><rect x='450' y='18' width='50' height='8' rx='4' fill='{muted}'/><rect x='520' y='18' width='50' height='8' rx='4' fill='{muted}'/>\
         <rect x='24' y='84' width='250' height='22' rx='6' fill='{text}'/><rect x='24' y='118' width='210' height='10' rx='5' fill='{muted}'/>\
         <rect x='24' y='136' width='230' height='10' rx='5' fill='{muted}'/><rect x='24' y='168' width='110' height='32' rx='8' fill='{accent}'/>\
         <rect x='320' y='70' width='256' height='160' rx='12' fill='{surface}'/>\
         <g transform='translate(388 90) scale(0.6)'>{icon}</g>\
         <rect x='24' y='260' width='176' height='110' rx='10' fill='{surface}'/><rect x='212' y='260' width='176' height='110' rx='10' fill='{surface}'/><rect x='400' y='260' width='176' height='110' rx='10' fill='{surface}'/>\
         </svg>",
        bg = d.bg,
        surface = d.surface,
        accent = d.accent,
        muted = d.muted,
        text = d.text,
    );
    s
}

// ---- the component tree -----------------------------------------------------

fn textnode(s: &str) -> Value {
    json!({ "type": "textnode", "content": s })
}

fn text(tag: &str, class: &str, s: &str) -> Value {
    json!({ "type": "text", "tagName": tag, "classes": [class], "components": [textnode(s)] })
}

fn el(tag: &str, class: &str, children: Vec<Value>) -> Value {
    json!({ "tagName": tag, "classes": [class], "components": children })
}

fn section(id: &str, class: &str, children: Vec<Value>) -> Value {
    json!({ "tagName": "section", "classes": [class], "attributes": { "id": id }, "components": children })
}

fn link(href: &str, class: &str, s: &str) -> Value {
    json!({ "type": "link", "tagName": "a", "classes": [class], "attributes": { "href": href }, "components": [textnode(s)] })
}

fn image_el(src: &str, alt: &str, w: u32, h: u32, class: &str) -> Value {
    json!({ "type": "image", "tagName": "img", "classes": [class], "src": src,
        "attributes": { "src": src, "alt": alt, "width": w.to_string(), "height": h.to_string() } })
}

fn field(id: &str, label: &str, input: Value) -> Value {
    json!({ "tagName": "div", "classes": ["sp-field"], "components": [
        { "tagName": "label", "type": "label", "attributes": { "for": id }, "components": [textnode(label)] },
        input,
    ]})
}

fn input(id: &str, name: &str, ty: &str, required: bool, autocomplete: &str) -> Value {
    let mut attrs = json!({ "id": id, "name": name, "type": ty, "autocomplete": autocomplete });
    if required {
        attrs["required"] = json!(true);
    }
    json!({ "tagName": "input", "type": "input", "attributes": attrs })
}

/// A new site's home page from a template, filled in with the business's
/// facts: the GrapesJS project data.
pub fn home_project(key: &str, b: &Business, year: i32) -> Option<Value> {
    let d = design(key)?;
    let img = |f: &str| format!("/_stackpro/t/{}/{f}", d.key);
    let services: Vec<(String, String)> = if b.services.is_empty() {
        d.services.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect()
    } else {
        b.services
            .iter()
            .map(|s| (s.0.clone(), format!("Ask us about {} — we are happy to help.", s.0.to_lowercase())))
            .collect()
    };
    let place = if b.city.is_empty() { String::new() } else { format!(" in {}", b.city) };
    let phone_href = format!("tel:{}", b.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>());

    let header = json!({ "tagName": "header", "classes": ["sp-header"], "components": [
        link("/", "sp-brand", &b.name),
        { "tagName": "nav", "classes": ["sp-nav"], "attributes": { "aria-label": "Main" }, "components": [
            link("#services", "sp-nav-link", "Services"),
            link("#about", "sp-nav-link", "About"),
            link("#hours", "sp-nav-link", "Hours"),
            link("#contact", "sp-nav-link", "Contact"),
        ]},
    ]});

    let mut cta = vec![link("#contact", "sp-btn", "Send us a message")];
    if !b.phone.is_empty() {
        cta.push(link(&phone_href, "sp-btn-alt", &format!("Call {}", b.phone)));
    }
    let hero = section(
        "top",
        "sp-hero",
        vec![
            el(
                "div",
                "sp-hero-text",
                vec![
                    text("p", "sp-eyebrow", &format!("{}{place}", d.industry)),
                    text("h1", "sp-title", &b.name),
                    text("p", "sp-lead", &format!("{}. {}", d.tagline, d.intro)),
                    el("div", "sp-actions", cta),
                ],
            ),
            image_el(&img("hero.svg"), &format!("Illustration for {}", b.name), 1200, 800, "sp-hero-img"),
        ],
    );

    let cards: Vec<Value> = services
        .iter()
        .map(|(n, t)| el("article", "sp-card", vec![text("h3", "sp-card-title", n), text("p", "sp-card-text", t)]))
        .collect();
    let services_section = section(
        "services",
        "sp-section",
        vec![
            text("h2", "sp-h2", "What we offer"),
            text("p", "sp-sub", &format!("Everything {} does for you{place}.", b.name)),
            el("div", "sp-grid", cards),
        ],
    );

    let about = section(
        "about",
        "sp-section-alt",
        vec![el(
            "div",
            "sp-about",
            vec![
                image_el(&img("about.svg"), &format!("About {}", b.name), 800, 600, "sp-about-img"),
                el(
                    "div",
                    "sp-about-text",
                    vec![text("h2", "sp-h2", &format!("About {}", b.name)), text("p", "sp-p", d.about)],
                ),
            ],
        )],
    );

    let quote = |q: &str, who: &str| {
        el(
            "figure",
            "sp-quote",
            vec![
                json!({ "tagName": "blockquote", "type": "text", "classes": ["sp-quote-text"], "components": [textnode(q)] }),
                text("figcaption", "sp-quote-who", who),
            ],
        )
    };
    let testimonials = section(
        "reviews",
        "sp-section",
        vec![
            text("h2", "sp-h2", "What customers say"),
            text("p", "sp-note", "Sample reviews: replace them with your customers' own words before you publish."),
            el(
                "div",
                "sp-grid",
                vec![
                    quote("“Placeholder: a short, specific sentence from a happy customer.”", "— Placeholder name"),
                    quote("“Placeholder: what they came for, and how it went.”", "— Placeholder name"),
                    quote("“Placeholder: why they would recommend you.”", "— Placeholder name"),
                ],
            ),
        ],
    );

    let hours_rows: Vec<Value> = d
        .hours
        .iter()
        .map(|(day, time)| {
            json!({ "tagName": "tr", "components": [
                { "tagName": "th", "type": "text", "attributes": { "scope": "row" }, "classes": ["sp-day"], "components": [textnode(day)] },
                { "tagName": "td", "type": "text", "classes": ["sp-time"], "components": [textnode(time)] },
            ]})
        })
        .collect();
    let mut visit = vec![text("h2", "sp-h2", "Find us")];
    visit.push(text(
        "p",
        "sp-p",
        &format!("{}{}", b.name, if b.city.is_empty() { String::new() } else { format!(", {}", b.city) }),
    ));
    if !b.phone.is_empty() {
        visit.push(el("p", "sp-p", vec![textnode("Phone: "), link(&phone_href, "sp-link", &b.phone)]));
    }
    if !b.email.is_empty() {
        visit.push(el(
            "p",
            "sp-p",
            vec![textnode("Email: "), link(&format!("mailto:{}", b.email), "sp-link", &b.email)],
        ));
    }
    visit.push(text("p", "sp-muted", "Call or write to us for directions and parking."));
    let hours = section(
        "hours",
        "sp-section-alt",
        vec![el(
            "div",
            "sp-two",
            vec![
                el(
                    "div",
                    "sp-col",
                    vec![
                        text("h2", "sp-h2", "Opening hours"),
                        json!({ "tagName": "table", "classes": ["sp-hours"], "components": [
                            { "tagName": "tbody", "components": hours_rows },
                        ]}),
                    ],
                ),
                el("div", "sp-col", visit),
            ],
        )],
    );

    let form = json!({ "tagName": "form", "classes": ["sp-form"], "attributes": { "data-sp-form": "contact" }, "components": [
        field("cf-name", "Your name", input("cf-name", "name", "text", true, "name")),
        field("cf-email", "Email", input("cf-email", "email", "email", true, "email")),
        field("cf-phone", "Phone (optional)", input("cf-phone", "phone", "tel", false, "tel")),
        field("cf-message", "Message", json!({ "tagName": "textarea", "type": "textarea",
            "attributes": { "id": "cf-message", "name": "message", "rows": "5", "required": true } })),
        { "tagName": "button", "type": "text", "classes": ["sp-btn"], "attributes": { "type": "submit" }, "components": [textnode("Send message")] },
    ]});
    let contact = section(
        "contact",
        "sp-section",
        vec![
            text("h2", "sp-h2", "Get in touch"),
            text("p", "sp-sub", "Send a message and we will reply within one working day."),
            form,
        ],
    );

    let mut foot = vec![text(
        "p",
        "sp-foot",
        &format!("© {year} {}{}", b.name, if b.city.is_empty() { String::new() } else { format!(" · {}", b.city) }),
    )];
    if !b.phone.is_empty() {
        foot.push(link(&phone_href, "sp-foot-link", &b.phone));
    }
    if !b.email.is_empty() {
        foot.push(link(&format!("mailto:{}", b.email), "sp-foot-link", &b.email));
    }
    let footer = json!({ "tagName": "footer", "classes": ["sp-footer"], "components": foot });

    let main = json!({ "tagName": "main", "classes": ["sp-main"], "components": [hero, services_section, about, testimonials, hours, contact] });
    let wrapper = json!({ "type": "wrapper", "components": [header, main, footer] });
    Some(json!({
        "assets": [],
        "styles": styles(d),
        "pages": [{ "frames": [{ "component": wrapper }] }],
    }))
}

/// A blank page of a site made from a template: the same header and footer
/// look (styles), a heading and a paragraph.
pub fn blank_project(key: &str, title: &str) -> Value {
    let styles = design(key).map(styles).unwrap_or_else(|| json!([]));
    let wrapper = json!({ "type": "wrapper", "components": [
        { "tagName": "main", "classes": ["sp-main"], "components": [
            section("top", "sp-section", vec![text("h1", "sp-title", title), text("p", "sp-p", "Write something here.")]),
        ]},
    ]});
    json!({ "assets": [], "styles": styles, "pages": [{ "frames": [{ "component": wrapper }] }] })
}

fn rule(class: &str, style: Value) -> Value {
    json!({ "selectors": [class], "style": style })
}

fn media(class: &str, max: u32, style: Value) -> Value {
    json!({ "selectors": [class], "style": style, "mediaText": format!("(max-width: {max}px)"), "atRuleType": "media" })
}

fn styles(d: &Design) -> Value {
    let sans = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
    let serif = "Georgia, Cambria, 'Times New Roman', Times, serif";
    let heading = if d.serif_headings { serif } else { sans };
    let hero_dir = match d.hero {
        Hero::Right => "row",
        Hero::Left => "row-reverse",
        Hero::Stacked => "column",
    };
    let hero_align = if d.hero == Hero::Stacked { "center" } else { "left" };
    json!([
        { "selectors": [], "selectorsAdd": "body", "style": { "background-color": d.bg, "color": d.text, "font-family": sans, "line-height": "1.6", "font-size": "17px" } },
        rule("sp-header", json!({ "display": "flex", "flex-wrap": "wrap", "align-items": "center", "justify-content": "space-between", "gap": "12px", "padding": "16px 5%", "background-color": d.surface })),
        rule("sp-brand", json!({ "font-family": heading, "font-size": "22px", "font-weight": "700", "color": d.text, "text-decoration": "none" })),
        rule("sp-nav", json!({ "display": "flex", "flex-wrap": "wrap", "gap": "18px" })),
        rule("sp-nav-link", json!({ "color": d.text, "text-decoration": "none", "font-weight": "600", "padding": "6px 0" })),
        rule("sp-hero", json!({ "display": "flex", "flex-direction": hero_dir, "align-items": "center", "gap": "40px", "padding": "64px 5%", "text-align": hero_align })),
        rule("sp-hero-text", json!({ "flex": "1 1 360px", "max-width": "640px" })),
        rule("sp-hero-img", json!({ "flex": "1 1 360px", "width": "100%", "max-width": "560px", "height": "auto", "border-radius": "16px" })),
        rule("sp-eyebrow", json!({ "text-transform": "uppercase", "letter-spacing": "0.08em", "font-size": "14px", "font-weight": "700", "color": d.accent, "margin": "0 0 8px" })),
        rule("sp-title", json!({ "font-family": heading, "font-size": "48px", "line-height": "1.1", "margin": "0 0 16px", "color": d.text })),
        rule("sp-lead", json!({ "font-size": "20px", "color": d.muted, "margin": "0 0 28px" })),
        rule("sp-actions", json!({ "display": "flex", "flex-wrap": "wrap", "gap": "12px", "justify-content": if d.hero == Hero::Stacked { "center" } else { "flex-start" } })),
        rule("sp-btn", json!({ "display": "inline-block", "background-color": d.accent, "color": "#ffffff", "padding": "14px 24px", "border-radius": "10px", "border": "0", "font-weight": "700", "font-size": "17px", "text-decoration": "none", "cursor": "pointer" })),
        rule("sp-btn-alt", json!({ "display": "inline-block", "background-color": "transparent", "color": d.accent, "padding": "12px 22px", "border-radius": "10px", "border": format!("2px solid {}", d.accent), "font-weight": "700", "text-decoration": "none" })),
        rule("sp-section", json!({ "padding": "64px 5%" })),
        rule("sp-section-alt", json!({ "padding": "64px 5%", "background-color": d.surface })),
        rule("sp-h2", json!({ "font-family": heading, "font-size": "34px", "line-height": "1.2", "margin": "0 0 12px", "color": d.text })),
        rule("sp-sub", json!({ "color": d.muted, "margin": "0 0 28px", "font-size": "18px" })),
        rule("sp-note", json!({ "color": d.muted, "font-style": "italic", "margin": "0 0 24px" })),
        rule("sp-grid", json!({ "display": "grid", "grid-template-columns": "repeat(auto-fit, minmax(240px, 1fr))", "gap": "20px" })),
        rule("sp-card", json!({ "background-color": d.surface, "border-radius": "14px", "padding": "24px" })),
        rule("sp-card-title", json!({ "font-family": heading, "font-size": "21px", "margin": "0 0 8px", "color": d.text })),
        rule("sp-card-text", json!({ "margin": "0", "color": d.muted })),
        rule("sp-about", json!({ "display": "flex", "flex-wrap": "wrap", "align-items": "center", "gap": "40px" })),
        rule("sp-about-img", json!({ "flex": "1 1 300px", "width": "100%", "max-width": "480px", "height": "auto", "border-radius": "16px" })),
        rule("sp-about-text", json!({ "flex": "1 1 320px" })),
        rule("sp-p", json!({ "margin": "0 0 12px" })),
        rule("sp-muted", json!({ "color": d.muted, "margin": "0" })),
        rule("sp-link", json!({ "color": d.accent, "font-weight": "600" })),
        rule("sp-quote", json!({ "margin": "0", "background-color": d.surface, "border-radius": "14px", "padding": "24px" })),
        rule("sp-quote-text", json!({ "margin": "0 0 12px", "font-size": "18px" })),
        rule("sp-quote-who", json!({ "color": d.muted, "font-weight": "600" })),
        rule("sp-two", json!({ "display": "grid", "grid-template-columns": "repeat(auto-fit, minmax(280px, 1fr))", "gap": "40px" })),
        rule("sp-hours", json!({ "border-collapse": "collapse", "width": "100%", "max-width": "420px" })),
        rule("sp-day", json!({ "text-align": "left", "padding": "8px 16px 8px 0", "font-weight": "600", "border-bottom": format!("1px solid {}", d.muted) })),
        rule("sp-time", json!({ "padding": "8px 0", "border-bottom": format!("1px solid {}", d.muted) })),
        rule("sp-form", json!({ "display": "grid", "gap": "16px", "max-width": "560px" })),
        rule("sp-field", json!({ "display": "grid", "gap": "6px" })),
        { "selectors": [], "selectorsAdd": ".sp-field input, .sp-field textarea", "style": { "font": "inherit", "padding": "12px", "border-radius": "8px", "border": format!("1px solid {}", d.muted), "background-color": "#ffffff", "color": d.text } },
        { "selectors": [], "selectorsAdd": ".sp-field label", "style": { "font-weight": "600" } },
        rule("sp-footer", json!({ "display": "flex", "flex-wrap": "wrap", "gap": "16px", "align-items": "center", "justify-content": "space-between", "padding": "28px 5%", "background-color": d.text, "color": "#ffffff" })),
        rule("sp-foot", json!({ "margin": "0" })),
        rule("sp-foot-link", json!({ "color": "#ffffff" })),
        media("sp-title", 768, json!({ "font-size": "36px" })),
        media("sp-hero", 768, json!({ "flex-direction": "column", "padding": "40px 5%", "text-align": "left" })),
        media("sp-h2", 768, json!({ "font-size": "28px" })),
        media("sp-section", 768, json!({ "padding": "44px 5%" })),
        media("sp-section-alt", 768, json!({ "padding": "44px 5%" })),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_at_least_eight_templates_each_with_every_section_and_its_pictures() {
        let b = Business {
            name: "Rosa's".into(),
            city: "Lyon".into(),
            phone: "+33 1 23".into(),
            email: "a@b.fr".into(),
            services: vec![],
        };
        assert!(gallery().len() >= 8);
        for t in gallery() {
            let p = home_project(&t.key, &b, 2026).unwrap();
            let text = p.to_string();
            for id in ["services", "about", "reviews", "hours", "contact"] {
                assert!(text.contains(&format!("\"id\":\"{id}\"")), "{} lacks {id}", t.key);
            }
            assert!(text.contains("Rosa's") && text.contains("Lyon") && text.contains("tel:+33123"));
            for f in ["hero.svg", "about.svg", "preview.svg"] {
                let svg = image(&t.key, f).unwrap();
                assert!(svg.starts_with("<svg xmlns='http://www.w3.org/2000/svg'"));
                assert!(!svg.contains("href"), "{} {f} links out", t.key);
            }
        }
    }
}
