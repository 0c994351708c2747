//! Reading a card file with a reason a person can act on when it is
//! damaged: which field, which line and column.

use std::path::Path;

use anyhow::Context;
use wz_core::CardFile;

/// Reads and parses a card file.
pub fn read(path: &Path) -> anyhow::Result<CardFile> {
    let bytes = std::fs::read(path).with_context(|| format!("reading card file {}", path.display()))?;
    CardFile::parse(&bytes).map_err(|error| {
        let why = explain(&bytes).unwrap_or_else(|| error.to_string());
        anyhow::anyhow!("{} is not a usable card file: {why} (card_malformed)", path.display())
    })
}

/// Why `bytes` do not parse as a card file, or `None` when the JSON is
/// fine and the refusal is the format version or the size. Quoted values
/// are left out of the reason: the file holds personal data.
fn explain(bytes: &[u8]) -> Option<String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some("the file is empty".into());
    }
    let error = serde_json::from_slice::<CardFile>(bytes).err()?;
    let (line, column) = (error.line(), error.column());
    let message = error.to_string();
    // serde_json ends its message with " at line L column C"; put it first.
    let message = message.split(" at line ").next().unwrap_or(&message);
    let message = redact_quoted(message);
    Some(match error.classify() {
        serde_json::error::Category::Eof => format!("the file ends early (truncated?) at line {line} column {column}"),
        serde_json::error::Category::Syntax => format!("not JSON at line {line} column {column}: {message}"),
        _ => format!("line {line} column {column}: {message}"),
    })
}

/// `invalid type: string "张三", expected …` → `invalid type: string "…", expected …`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if inside {
                out.push('…');
            }
            inside = !inside;
            out.push(c);
        } else if !inside {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn reasons_name_the_field_or_the_place() {
        assert_eq!(explain(b"").as_deref(), Some("the file is empty"));
        assert!(
            explain(b"{\"format\": \"wz-card").unwrap().contains("ends early"),
            "{:?}",
            explain(b"{\"format\": \"wz-card")
        );
        let missing = explain(br#"{"format": "x"}"#).unwrap();
        assert!(missing.contains("missing field `chip`"), "{missing}");
        let typed = explain(br#"{"format": 7}"#).unwrap();
        assert!(typed.contains("line 1 column"), "{typed}");
        let secret = explain(br#"{"format": "x", "chip": {"id_number": "11010519491231002X", "name": 5}}"#).unwrap();
        assert!(!secret.contains("11010519491231002X"), "{secret}");
    }
}
