//! Reader of CTranslate2's `model.bin` (binary version 6), the format the
//! pinned Whisper weights ship in: a spec name, then named variables
//! (rank, shape, data type, bytes), then aliases. Only what Whisper uses is
//! read: float16 and float32 tensors become f32 candle tensors; integer
//! scalars are kept as numbers (e.g. `encoder/num_heads`).

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};

use crate::SpeechError;

/// The variables of one model file.
pub(crate) struct Variables {
    tensors: HashMap<String, Tensor>,
    scalars: HashMap<String, i64>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SpeechError> {
        let slice = self
            .bytes
            .get(self.at..self.at.saturating_add(n))
            .ok_or_else(|| damaged("truncated"))?;
        self.at += n;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, SpeechError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, SpeechError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, SpeechError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length-prefixed, NUL-terminated string.
    fn string(&mut self) -> Result<String, SpeechError> {
        let len = usize::from(self.u16()?);
        let bytes = self.take(len)?;
        let text = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        String::from_utf8(text.to_vec()).map_err(|_| damaged("a name is not UTF-8"))
    }
}

fn damaged(reason: &str) -> SpeechError {
    SpeechError::Model {
        file: "model.bin".into(),
        reason: reason.into(),
    }
}

impl Variables {
    /// Parses `bytes`, checking the spec is Whisper's.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, SpeechError> {
        let mut cursor = Cursor { bytes, at: 0 };
        if cursor.u32()? != 6 {
            return Err(damaged("not CTranslate2 binary version 6"));
        }
        if cursor.string()? != "WhisperSpec" {
            return Err(damaged("not a Whisper model"));
        }
        let _revision = cursor.u32()?;
        let count = cursor.u32()?;
        let (mut tensors, mut scalars) = (HashMap::new(), HashMap::new());
        for _ in 0..count {
            let name = cursor.string()?;
            let rank = usize::from(cursor.u8()?);
            let shape = (0..rank).map(|_| cursor.u32().map(|d| d as usize)).collect::<Result<Vec<_>, _>>()?;
            let dtype = cursor.u8()?;
            let size = cursor.u32()? as usize;
            let data = cursor.take(size)?;
            match (dtype, rank) {
                // float32, float16
                (0, _) | (4, _) if rank > 0 => {
                    let dtype = if dtype == 0 { DType::F32 } else { DType::F16 };
                    let tensor = Tensor::from_raw_buffer(data, dtype, &shape, &Device::Cpu)?.to_dtype(DType::F32)?;
                    tensors.insert(name, tensor);
                }
                // int8, int16, int32 scalars
                (1, 0) => {
                    scalars.insert(name, i64::from(data.first().copied().unwrap_or(0) as i8));
                }
                (2, 0) if data.len() == 2 => {
                    scalars.insert(name, i64::from(i16::from_le_bytes([data[0], data[1]])));
                }
                (3, 0) if data.len() == 4 => {
                    scalars.insert(name, i64::from(i32::from_le_bytes([data[0], data[1], data[2], data[3]])));
                }
                _ => {}
            }
        }
        let aliases = cursor.u32()?;
        for _ in 0..aliases {
            let (alias, target) = (cursor.string()?, cursor.string()?);
            if let Some(tensor) = tensors.get(&target).cloned() {
                tensors.insert(alias, tensor);
            }
        }
        Ok(Self { tensors, scalars })
    }

    /// The tensor `name`, of the expected shape.
    pub(crate) fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor, SpeechError> {
        let tensor = self.tensors.get(name).ok_or_else(|| damaged(&format!("no variable {name}")))?;
        if tensor.dims() != shape {
            return Err(damaged(&format!("{name} has shape {:?}, expected {shape:?}", tensor.dims())));
        }
        Ok(tensor.clone())
    }

    /// The integer scalar `name`.
    pub(crate) fn scalar(&self, name: &str) -> Result<i64, SpeechError> {
        self.scalars.get(name).copied().ok_or_else(|| damaged(&format!("no scalar {name}")))
    }
}
