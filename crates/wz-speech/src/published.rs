//! The spoken-digit figures the platform publishes (`/v1/biometrics/rates`),
//! as last measured by `wz speech digits` on the synthetic set below. They
//! are constants because the measurement takes minutes and needs espeak-ng
//! (BENCHMARKS.md holds the command); change them only with a new run.

/// A synthetic reading set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeechDataSet {
    /// Short name, as referred to by the rates.
    pub name: &'static str,
    /// What it holds and how it is made.
    pub description: &'static str,
}

/// The set the published figures come from.
pub const SYNTHETIC_DIGITS: SpeechDataSet = SpeechDataSet {
    name: "espeak-ng-digits",
    description: "140 readings of four random digits synthesised by espeak-ng (Debian): 20 in each of \
        six English voices (en-us, en-us+f3, en-us+m3, en-gb, en-gb-x-rp, en-029) and 20 in Mandarin \
        (cmn), 16 kHz mono, made by tools/speech-reference/make_audio.py --set 20. Synthetic speech: it \
        bounds nothing about citizens' voices, accents or rooms.",
};

/// How often one language's readings were not heard as exactly their digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedDigitRate {
    /// `en` or `zh`, as the client declares it.
    pub language: &'static str,
    /// Whether the server checks the digits in this language (otherwise
    /// only the voice and its timing).
    pub digits_checked: bool,
    /// Readings whose four digits were not heard exactly.
    pub misheard: usize,
    /// Readings.
    pub total: usize,
}

/// Measured 2026-12-02 on [`SYNTHETIC_DIGITS`] with Whisper tiny.en
/// (81 of 120 English readings heard exactly; no Mandarin reading).
pub const PUBLISHED_DIGIT_RATES: [PublishedDigitRate; 2] = [
    PublishedDigitRate {
        language: "en",
        digits_checked: true,
        misheard: 39,
        total: 120,
    },
    PublishedDigitRate {
        language: "zh",
        digits_checked: false,
        misheard: 20,
        total: 20,
    },
];
