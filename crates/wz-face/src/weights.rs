//! Loading tfjs weight manifests: float32 tensors and uint8-quantised ones
//! (`value = q * scale + min`), checked against the vendored SHA-256 sums.

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::models::{ModelFiles, SHA256SUMS};
use crate::FaceError;

#[derive(Deserialize)]
struct Group {
    weights: Vec<Spec>,
}

#[derive(Deserialize)]
struct Spec {
    name: String,
    shape: Vec<usize>,
    dtype: String,
    quantization: Option<Quantization>,
}

#[derive(Deserialize)]
struct Quantization {
    dtype: String,
    scale: f64,
    min: f64,
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks `bytes` against the line for `file` in a `sha256sum` listing.
pub(crate) fn check_sum_in(sums: &str, file: &str, bytes: &[u8]) -> Result<(), FaceError> {
    let digest = sha256_hex(bytes);
    let expected = sums.lines().find_map(|line| {
        let (sum, name) = line.split_once("  ")?;
        (name.trim() == file).then_some(sum.trim())
    });
    if expected == Some(digest.as_str()) {
        Ok(())
    } else {
        Err(FaceError::ModelChecksum(file.to_owned()))
    }
}

fn check_sum(file: &str, bytes: &[u8]) -> Result<(), FaceError> {
    check_sum_in(SHA256SUMS, file, bytes)
}

/// Named tensors of one network, in tfjs layout (HWIO filters).
pub struct WeightMap {
    tensors: HashMap<String, Tensor>,
}

impl WeightMap {
    /// Decodes a manifest and its concatenated weight bytes.
    pub fn decode(manifest: &str, bytes: &[u8]) -> Result<Self, FaceError> {
        let groups: Vec<Group> = serde_json::from_str(manifest).map_err(|e| FaceError::MalformedWeights(e.to_string()))?;
        let mut tensors = HashMap::new();
        let mut offset = 0usize;
        for spec in groups.into_iter().flat_map(|g| g.weights) {
            let count: usize = spec.shape.iter().product();
            let values: Vec<f32> = match (&spec.quantization, spec.dtype.as_str()) {
                // int32 entries are shape constants of the exported graph; they hold
                // small integers and are kept as f32 like everything else.
                (Some(q), "float32" | "int32") if q.dtype == "uint8" => {
                    let raw = bytes
                        .get(offset..offset + count)
                        .ok_or_else(|| FaceError::MalformedWeights(format!("{} truncated", spec.name)))?;
                    offset += count;
                    // In f64 and rounded once, as tfjs's decodeWeights does, so
                    // the weights are bit-identical to the reference's.
                    raw.iter().map(|&v| (f64::from(v) * q.scale + q.min) as f32).collect()
                }
                (None, "float32") => {
                    let raw = bytes
                        .get(offset..offset + 4 * count)
                        .ok_or_else(|| FaceError::MalformedWeights(format!("{} truncated", spec.name)))?;
                    offset += 4 * count;
                    raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
                }
                _ => {
                    return Err(FaceError::MalformedWeights(format!(
                        "{}: unsupported dtype {}",
                        spec.name, spec.dtype
                    )))
                }
            };
            tensors.insert(spec.name, Tensor::from_vec(values, spec.shape, &Device::Cpu)?);
        }
        if offset != bytes.len() {
            return Err(FaceError::MalformedWeights(format!("{} bytes left over", bytes.len() - offset)));
        }
        Ok(Self { tensors })
    }

    /// Loads an embedded model after checking both files' SHA-256.
    pub(crate) fn load(files: &ModelFiles) -> Result<Self, FaceError> {
        check_sum(&format!("{}-weights_manifest.json", files.name), files.manifest.as_bytes())?;
        check_sum(&format!("{}.bin", files.name), files.weights)?;
        Self::decode(files.manifest, files.weights)
    }

    /// A tensor by name.
    pub fn get(&self, name: &str) -> Result<&Tensor, FaceError> {
        self.tensors
            .get(name)
            .ok_or_else(|| FaceError::MalformedWeights(format!("missing {name}")))
    }

    /// A one-dimensional tensor's values (biases, scales, norms).
    pub fn vector(&self, name: &str) -> Result<Vec<f32>, FaceError> {
        Ok(self.get(name)?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dequantises_uint8_and_reads_float32() {
        let manifest = r#"[{"paths":["x.bin"],"weights":[
            {"name":"q","shape":[2],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.5,"min":-1.0}},
            {"name":"f","shape":[1],"dtype":"float32"}]}]"#;
        let mut bytes = vec![0u8, 4];
        bytes.extend_from_slice(&1.25f32.to_le_bytes());
        let map = WeightMap::decode(manifest, &bytes).unwrap();
        assert_eq!(map.get("q").unwrap().to_vec1::<f32>().unwrap(), vec![-1.0, 1.0]);
        assert_eq!(map.get("f").unwrap().to_vec1::<f32>().unwrap(), vec![1.25]);
        assert!(WeightMap::decode(manifest, &bytes[..5]).is_err());
        assert!(WeightMap::decode(manifest, &[bytes.clone(), vec![0]].concat()).is_err());
    }

    #[test]
    fn embedded_models_match_their_checksums() {
        assert_eq!(WeightMap::load(&crate::models::RECOGNITION).unwrap().len(), 117);
        assert!(check_sum("face_recognition_model.bin", b"tampered").is_err());
    }
}
