//! Rules for text that people read back: names of workspaces, people and
//! keys, shown in the UI, in mail subjects and in the audit log.
//!
//! Besides control characters, such text must not hold characters that are
//! invisible or that reorder what follows them: a right-to-left override in a
//! workspace name turns "You are invited to Acme\u{202E}gnp.exe" into a lie,
//! a zero-width space makes two names look the same. Noncharacters have no
//! use in text at all. [`PATTERN`] says the same for the OpenAPI document.

/// Whether a character may not appear in displayed text: a control
/// character, a bidirectional control, an invisible formatting character,
/// or a noncharacter of the Basic Multilingual Plane.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                      // soft hyphen
            | '\u{061C}'                    // Arabic letter mark
            | '\u{180E}'                    // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space, joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}'       // embeddings and overrides
            | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'       // isolates
            | '\u{FEFF}'                    // zero-width no-break space
            | '\u{FDD0}'..='\u{FDEF}'       // noncharacters
            | '\u{FFFE}' | '\u{FFFF}')
}

/// The characters [`is_forbidden`] refuses, as a JSON-schema character class
/// body (ECMA-262; the code points above the BMP that Rust counts as control
/// characters do not exist).
pub const FORBIDDEN_CLASS: &str = r"\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff";

/// A display name as a JSON-schema pattern: no forbidden character, and at
/// least one that is not a space.
pub const PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*[^\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff]*$";

/// Collapses runs of whitespace into one space, trimmed at both ends: how
/// a name, a title or a question typed by a person is stored.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_invisible_characters_and_noncharacters_are_forbidden_and_letters_are_not() {
        for c in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}', '\u{FFFE}', '\u{0}', '\u{7}', '\u{85}'] {
            assert!(is_forbidden(c), "{:04x}", c as u32);
        }
        for c in ['a', 'é', 'ß', 'İ', '字', '🍰', ' ', '\u{0301}'] {
            assert!(!is_forbidden(c), "{:04x}", c as u32);
        }
    }

    #[test]
    fn the_class_and_the_pattern_agree() {
        assert!(PATTERN.contains(FORBIDDEN_CLASS));
    }
}
