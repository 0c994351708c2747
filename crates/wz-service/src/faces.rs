//! Face analysis off the async workers: CPU-bound inference runs on the
//! blocking pool, at most `slots` at a time, so a burst of uploads cannot
//! starve request handling (STYLE §10, example 5).

use std::sync::Arc;

use tokio::sync::Semaphore;
use wz_face::{AnalysedFace, FaceEngine};

use crate::ServiceError;

/// Face use cases shared by enrolment, issuance and authentication.
#[derive(Clone)]
pub struct FaceService {
    engine: Arc<FaceEngine>,
    slots: Arc<Semaphore>,
}

impl FaceService {
    /// Wraps a loaded engine; `slots` bounds concurrent inferences (one per
    /// core is the sensible default).
    pub fn new(engine: Arc<FaceEngine>, slots: usize) -> Self {
        Self {
            engine,
            slots: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// Decodes untrusted image bytes and analyses the largest face.
    pub async fn largest_face(&self, image_bytes: Vec<u8>) -> Result<Option<AnalysedFace>, ServiceError> {
        let _slot = self.slots.acquire().await.map_err(|_| ServiceError::FaceEngine)?;
        let engine = Arc::clone(&self.engine);
        let result = tokio::task::spawn_blocking(move || {
            let image = wz_face::decode_image(&image_bytes)?;
            engine.largest_face(&image)
        })
        .await
        .map_err(|_| ServiceError::FaceEngine)?;
        result.map_err(ServiceError::from)
    }

    /// Inferences that could start now without waiting.
    pub fn available_slots(&self) -> usize {
        self.slots.available_permits()
    }
}
