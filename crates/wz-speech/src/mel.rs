//! Whisper's input: the log-Mel spectrogram, computed as faster-whisper's
//! `FeatureExtractor` computes it (the reference this crate is tested
//! against): 160 zeros appended, a centred STFT (400-sample periodic Hann
//! window, hop 160, reflect padding), the last frame dropped, power through
//! 80 Slaney-normalised Mel filters, `log10` clamped at 1e-10, floored 8
//! below the maximum, then `(x + 4) / 4`.
//!
//! candle-transformers' `pcm_to_mel` follows whisper.cpp instead (no
//! centring), which shifts every frame by half a window; see decision 37.

use rustfft::num_complex::Complex;

/// Mel bands.
pub const MEL_BANDS: usize = 80;
/// FFT size (25 ms at 16 kHz).
const N_FFT: usize = 400;
/// Hop (10 ms).
const HOP: usize = 160;
const BINS: usize = N_FFT / 2 + 1;

/// The 80×201 filter bank of `FeatureExtractor.get_mel_filters(16000, 400, 80)`.
fn mel_filters() -> Vec<f64> {
    let fft_freqs: Vec<f64> = (0..BINS).map(|i| i as f64 * 16_000.0 / N_FFT as f64).collect();
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let log_step = 6.4f64.ln() / 27.0;
    let max_mel = 45.245_640_471_924_965;
    let freqs: Vec<f64> = (0..MEL_BANDS + 2)
        .map(|i| {
            let mel = max_mel * i as f64 / (MEL_BANDS + 1) as f64;
            if mel >= min_log_mel {
                min_log_hz * (log_step * (mel - min_log_mel)).exp()
            } else {
                f_sp * mel
            }
        })
        .collect();
    let mut weights = vec![0.0; MEL_BANDS * BINS];
    for band in 0..MEL_BANDS {
        let enorm = 2.0 / (freqs[band + 2] - freqs[band]);
        for (bin, &f) in fft_freqs.iter().enumerate() {
            let lower = (f - freqs[band]) / (freqs[band + 1] - freqs[band]);
            let upper = (freqs[band + 2] - f) / (freqs[band + 2] - freqs[band + 1]);
            weights[band * BINS + bin] = lower.min(upper).max(0.0) * enorm;
        }
    }
    weights
}

/// `np.pad(x, (n, n), mode="reflect")` (the edge sample not repeated).
fn reflect_pad(samples: &[f64], n: usize) -> Vec<f64> {
    let len = samples.len();
    let mut out = Vec::with_capacity(len + 2 * n);
    out.extend((1..=n).rev().map(|i| samples[i.min(len - 1)]));
    out.extend_from_slice(samples);
    out.extend((0..n).map(|i| samples[len.saturating_sub(2 + i)]));
    out
}

/// Log-Mel features of 16 kHz `samples` (at least 201 of them): band-major,
/// `MEL_BANDS` rows of the returned frame count.
pub fn log_mel(samples: &[f32]) -> (Vec<f32>, usize) {
    let mut padded: Vec<f64> = samples.iter().map(|&s| f64::from(s)).collect();
    padded.extend(std::iter::repeat_n(0.0, HOP));
    let signal = reflect_pad(&padded, N_FFT / 2);
    // The STFT yields 1 + (len - N_FFT) / HOP frames; the last is dropped.
    let frames = (signal.len() - N_FFT) / HOP;
    let window: Vec<f64> = (0..N_FFT)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos())
        .collect();
    let fft = rustfft::FftPlanner::<f64>::new().plan_fft_forward(N_FFT);
    let filters = mel_filters();
    let mut power = vec![0.0; BINS];
    let mut buffer = vec![Complex::new(0.0, 0.0); N_FFT];
    let mut mel = vec![0.0f64; MEL_BANDS * frames];
    for frame in 0..frames {
        let start = frame * HOP;
        for (slot, (sample, w)) in buffer.iter_mut().zip(signal[start..start + N_FFT].iter().zip(&window)) {
            *slot = Complex::new(sample * w, 0.0);
        }
        fft.process(&mut buffer);
        for (p, c) in power.iter_mut().zip(&buffer) {
            *p = c.norm_sqr();
        }
        for band in 0..MEL_BANDS {
            let row = &filters[band * BINS..(band + 1) * BINS];
            let energy: f64 = row.iter().zip(&power).map(|(w, p)| w * p).sum();
            mel[band * frames + frame] = energy.max(1e-10).log10();
        }
    }
    let floor = mel.iter().copied().fold(f64::MIN, f64::max) - 8.0;
    let features = mel.iter().map(|&v| ((v.max(floor) + 4.0) / 4.0) as f32).collect();
    (features, frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_padding_matches_numpy() {
        assert_eq!(reflect_pad(&[1.0, 2.0, 3.0, 4.0], 2), vec![3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]);
    }

    #[test]
    fn a_tone_lights_the_band_of_its_frequency() {
        // Band b is centred on 37.2 Hz × (b + 1) below 1 kHz: 1 kHz is band 26.
        let tone: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let (features, frames) = log_mel(&tone);
        assert_eq!(frames, 101);
        let middle = frames / 2;
        let loudest = (0..MEL_BANDS)
            .max_by(|&a, &b| features[a * frames + middle].total_cmp(&features[b * frames + middle]))
            .unwrap();
        assert_eq!(loudest, 26);
    }
}
