//! Text a citizen reads on a consent screen or a kiosk: relying-party
//! names, purposes, participant labels, terminal names.
//!
//! Chosen by a relying party or an operator, shown to a citizen who decides
//! on it: a right-to-left override (U+202E) can make "支付 100 元" read
//! differently from what it says, and a line break can push the real
//! purpose off the screen. Such text is refused (not cleaned: a silent
//! change would show something the sender did not send).

/// Why a display string is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DisplayTextError {
    /// Empty after trimming, or longer than allowed.
    #[error("the text must have 1 to {0} characters")]
    Length(usize),
    /// Control characters, line breaks, bidirectional controls or
    /// invisible format characters.
    #[error("the text must not contain control, line-break, bidirectional or invisible format characters")]
    Forbidden,
}

/// Whether `c` may not appear in a display string.
fn forbidden(c: char) -> bool {
    c.is_control()                                   // C0, DEL, C1: CR, LF, TAB, NEL, …
        || matches!(c,
            '\u{061C}'                               // Arabic letter mark
            | '\u{200B}'..='\u{200F}'                // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'                // line and paragraph separators
            | '\u{202A}'..='\u{202E}'                // embeddings and overrides
            | '\u{2060}'..='\u{2064}'                // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'                // isolates
            | '\u{FEFF}'                             // byte-order mark
            | '\u{FFF9}'..='\u{FFFB}') // interlinear annotation
}

/// Checks a display string of at most `max_chars` characters and returns
/// it trimmed.
pub fn check_display_text(text: &str, max_chars: usize) -> Result<&str, DisplayTextError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > max_chars {
        return Err(DisplayTextError::Length(max_chars));
    }
    if trimmed.chars().any(forbidden) {
        return Err(DisplayTextError::Forbidden);
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_passes_trimmed() {
        assert_eq!(
            check_display_text("  社保卡申领 (Social security card)  ", 200),
            Ok("社保卡申领 (Social security card)")
        );
        assert_eq!(check_display_text("O'Brien & Søn — 北京", 20), Ok("O'Brien & Søn — 北京"));
    }

    #[test]
    fn overrides_line_breaks_and_invisible_characters_are_refused() {
        for text in [
            "支付\u{202E}001\u{202C} 元",
            "登录\r\n转账 10000 元",
            "a\nb",
            "tab\there",
            "a\u{2028}b",
            "\u{2067}isolate\u{2069}",
            "zero\u{200B}width",
            "bom\u{FEFF}",
            "nul\0",
            "next\u{85}line",
        ] {
            assert_eq!(check_display_text(text, 200), Err(DisplayTextError::Forbidden), "{text:?}");
        }
        assert_eq!(check_display_text("   ", 200), Err(DisplayTextError::Length(200)));
        assert_eq!(check_display_text(&"长".repeat(201), 200), Err(DisplayTextError::Length(200)));
    }
}
