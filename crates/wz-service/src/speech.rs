//! The spoken digits off the async workers, like faces (`faces.rs`): the
//! recogniser runs on the blocking pool, one transcript at a time per
//! slot, loaded on first use from the model folder (`scripts/fetch-models`).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;
use wz_speech::{Recording, SpeechError, VoiceTrack, Whisper};

use crate::ServiceError;

/// What was heard in a recording.
pub struct HeardAudio {
    /// Its length.
    pub duration_ms: u32,
    /// Voice activity over it.
    pub voice: VoiceTrack,
    /// The transcript, when one was asked for.
    pub transcript: Option<String>,
}

/// Hears recordings: voice activity always, a transcript on request.
#[derive(Clone)]
pub struct SpeechService {
    model_dir: PathBuf,
    whisper: Arc<OnceLock<Arc<Whisper>>>,
    slots: Arc<Semaphore>,
}

impl SpeechService {
    /// The recogniser of `model_dir`, loaded on first transcript, with
    /// `slots` concurrent transcripts (each takes about a second of CPU).
    pub fn lazy(model_dir: PathBuf, slots: usize) -> Self {
        Self {
            model_dir,
            whisper: Arc::new(OnceLock::new()),
            slots: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// Loads the recogniser now (a server that will need it checks its
    /// model at startup rather than on a citizen's request).
    pub fn preload(&self) -> Result<(), SpeechError> {
        if self.whisper.get().is_none() {
            let loaded = Arc::new(Whisper::load(&self.model_dir)?);
            let _ = self.whisper.set(loaded);
        }
        Ok(())
    }

    /// Parses `wav` (refusing other formats with [`SpeechError`]) and hears it.
    pub async fn hear(&self, wav: Vec<u8>, transcribe: bool) -> Result<Result<HeardAudio, SpeechError>, ServiceError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| ServiceError::SpeechEngine("closed".into()))?;
        let (cell, dir) = (Arc::clone(&self.whisper), self.model_dir.clone());
        let heard = tokio::task::spawn_blocking(move || -> Result<Result<HeardAudio, SpeechError>, ServiceError> {
            let recording = match Recording::from_wav(&wav) {
                Ok(recording) => recording,
                Err(refused) => return Ok(Err(refused)),
            };
            let voice = VoiceTrack::of(&recording);
            let transcript = if transcribe {
                let whisper = match cell.get() {
                    Some(whisper) => Arc::clone(whisper),
                    None => {
                        let loaded = Arc::new(Whisper::load(&dir).map_err(|e| ServiceError::SpeechEngine(e.to_string()))?);
                        Arc::clone(cell.get_or_init(|| loaded))
                    }
                };
                Some(
                    whisper
                        .transcribe(&recording)
                        .map_err(|e| ServiceError::SpeechEngine(e.to_string()))?
                        .text,
                )
            } else {
                None
            };
            Ok(Ok(HeardAudio {
                duration_ms: recording.duration_ms(),
                voice,
                transcript,
            }))
        })
        .await
        .map_err(|_| ServiceError::SpeechEngine("task lost".into()))?;
        heard
    }
}
