//! The digits in a transcript: written digits ("4, 7", "0.385", "4th"),
//! English number words ("four", "oh", "fourth") and Chinese numerals
//! (零〇一二两三四五六七八九, for a recogniser that writes them). Everything
//! else is ignored, so "Say 4, 1" reads "41": a challenge passes only when
//! the digits heard are exactly the digits shown.

const WORDS: [(&str, char); 24] = [
    ("zero", '0'),
    ("oh", '0'),
    ("o", '0'),
    ("one", '1'),
    ("first", '1'),
    ("two", '2'),
    ("to", '2'),
    ("too", '2'),
    ("second", '2'),
    ("three", '3'),
    ("third", '3'),
    ("four", '4'),
    ("for", '4'),
    ("fourth", '4'),
    ("five", '5'),
    ("fifth", '5'),
    ("six", '6'),
    ("sixth", '6'),
    ("seven", '7'),
    ("seventh", '7'),
    ("eight", '8'),
    ("eighth", '8'),
    ("nine", '9'),
    ("ninth", '9'),
];

/// Words for numbers a challenge never shows: a transcript with one of
/// them did not read the digits one by one.
const BEYOND_NINE: [&str; 13] = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "hundred",
    "thousand",
];

fn chinese(c: char) -> Option<char> {
    Some(match c {
        '零' | '〇' => '0',
        '一' | '幺' => '1',
        '二' | '两' => '2',
        '三' => '3',
        '四' => '4',
        '五' => '5',
        '六' => '6',
        '七' => '7',
        '八' => '8',
        '九' => '9',
        _ => return None,
    })
}

/// The digits said in `text`, in order; empty when it names a number
/// beyond nine ("ten", "hundred").
pub fn spoken_digits(text: &str) -> String {
    let mut digits = String::new();
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let lower = word.to_lowercase();
        if BEYOND_NINE.contains(&lower.as_str()) {
            return String::new();
        }
        if let Some(&(_, digit)) = WORDS.iter().find(|(w, _)| *w == lower) {
            digits.push(digit);
            continue;
        }
        // "4719", "4th", "1st", and Chinese numerals among other characters.
        digits.extend(lower.chars().filter_map(|c| if c.is_ascii_digit() { Some(c) } else { chinese(c) }));
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::spoken_digits;

    #[test]
    fn reads_digits_words_and_numerals() {
        assert_eq!(spoken_digits(" 4, 7, 1, 9"), "4719");
        assert_eq!(spoken_digits(" 0.385"), "0385");
        assert_eq!(spoken_digits(" 4th, 7th, 1th, 9th."), "4719");
        assert_eq!(spoken_digits(" Two six zero four."), "2604");
        assert_eq!(spoken_digits("Oh, eight; FIVE-nine"), "0859");
        assert_eq!(spoken_digits("四七一九"), "4719");
        assert_eq!(spoken_digits(" But whenever it dies today"), "");
        assert_eq!(spoken_digits(" Say 4, 1, 1, 2, 3."), "41123");
        assert_eq!(spoken_digits("ten"), "");
    }
}
