//! Whisper's vocabulary (`vocabulary.txt`: one token per line, id = line
//! number − 1) and the byte-level text of GPT-2's BPE: every byte is drawn
//! as one printable character, printable ASCII and Latin-1 as themselves,
//! the other 68 bytes as U+0100 onwards in byte order. Decoding maps the
//! characters back; special tokens (`<|…|>`, id 50257 on) have no text.
//! Written here rather than taken from the `tokenizers` crate: decoding is
//! all that is needed, and it is this table (decision 37).

use crate::SpeechError;

/// First special token (`<|startoftranscript|>`); `<|endoftext|>` is the one before.
const FIRST_SPECIAL: u32 = 50_256;

pub(crate) struct Vocabulary {
    tokens: Vec<String>,
    /// Byte of each character code below 0x144 (the drawn alphabet).
    bytes: Vec<Option<u8>>,
}

fn is_drawn_as_itself(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

impl Vocabulary {
    pub(crate) fn parse(file: &[u8]) -> Result<Self, SpeechError> {
        let text = std::str::from_utf8(file).map_err(|_| SpeechError::Model {
            file: "vocabulary.txt".into(),
            reason: "not UTF-8".into(),
        })?;
        let tokens: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut bytes = vec![None; 0x144];
        let mut next = 0x100usize;
        for b in 0..=255u8 {
            if is_drawn_as_itself(b) {
                bytes[usize::from(b)] = Some(b);
            } else {
                bytes[next] = Some(b);
                next += 1;
            }
        }
        Ok(Self { tokens, bytes })
    }

    /// The text of `tokens` (invalid UTF-8 replaced, specials left out).
    pub(crate) fn text(&self, tokens: &[u32]) -> String {
        let mut out = Vec::new();
        for &id in tokens.iter().filter(|&&id| id < FIRST_SPECIAL) {
            if let Some(token) = self.tokens.get(id as usize) {
                out.extend(token.chars().filter_map(|c| self.bytes.get(c as usize).copied().flatten()));
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_byte_alphabet() {
        // "Ġ" (U+0120) draws the space; "Ã¤" is the UTF-8 of "ä".
        let vocabulary = Vocabulary::parse("Ġfour\n,\nÃ¤\n".as_bytes()).unwrap();
        assert_eq!(vocabulary.text(&[0, 1, 0, 2]), " four, fourä");
        assert_eq!(vocabulary.text(&[0, 50_257, 60_000]), " four");
    }
}
