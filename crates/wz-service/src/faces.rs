//! Face analysis off the async workers: CPU-bound inference runs on the
//! blocking pool, at most `slots` at a time, so a burst of uploads cannot
//! starve request handling (STYLE §10, example 5). The engine is loaded on
//! first use, so offline commands that never see a face never pay for it.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;
use wz_core::AssuranceLevel;
use wz_face::{AnalysedFace, FaceDescriptor, FaceEngine, FrameObservation, Network, Strictness};

use crate::ServiceError;

/// How strictly a face must match to prove `level`: the false accept rate
/// each level promises (SPEC §6; docs/face.md, "Thresholds"). A convenience
/// never loosens it: L4 is held to FAR ≤ 1e-4, L2 and L3 to ≤ 1e-3.
pub fn strictness_for(level: AssuranceLevel) -> Strictness {
    match level {
        AssuranceLevel::L4 => Strictness::High,
        AssuranceLevel::L1 | AssuranceLevel::L2 | AssuranceLevel::L3 => Strictness::Standard,
    }
}

/// One decoded liveness frame.
#[derive(Debug, Clone)]
pub struct ObservedFrame {
    /// The first 16 bytes of SM3 over the decoded pixels and their size:
    /// the same picture whatever its file's metadata, trailing bytes or
    /// container, so a replayed recording is known again.
    pub pixels: [u8; 16],
    /// What the engine saw (`None`: no face).
    pub observation: Option<FrameObservation>,
}

fn pixel_digest(image: &wz_face::RgbImage) -> [u8; 16] {
    let size = [image.width().to_be_bytes(), image.height().to_be_bytes()].concat();
    let digest = wz_crypto::sm3_parts(&[b"wz-liveness-frame/1\0", &size, image.as_raw()]);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest.as_ref()[..16]);
    out
}

/// Face use cases shared by enrolment, issuance and authentication.
#[derive(Clone)]
pub struct FaceService {
    engine: Arc<OnceLock<Arc<FaceEngine>>>,
    network: Network,
    slots: Arc<Semaphore>,
}

impl FaceService {
    /// Wraps a loaded engine; `slots` bounds concurrent inferences (one per
    /// core is the sensible default).
    pub fn new(engine: Arc<FaceEngine>, slots: usize) -> Self {
        let network = engine.network();
        let cell = OnceLock::new();
        let _ = cell.set(engine);
        Self {
            engine: Arc::new(cell),
            network,
            slots: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// The production engine ([`Network::DEFAULT`]) loaded on first use,
    /// with `slots` concurrent inferences.
    pub fn lazy(slots: usize) -> Self {
        Self {
            engine: Arc::new(OnceLock::new()),
            network: Network::DEFAULT,
            slots: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// Runs `work` with the engine on the blocking pool, holding one slot.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&FaceEngine) -> Result<T, wz_face::FaceError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let _slot = self.slots.acquire().await.map_err(|_| ServiceError::FaceEngine)?;
        let cell = Arc::clone(&self.engine);
        let result = tokio::task::spawn_blocking(move || {
            let engine = match cell.get() {
                Some(engine) => Arc::clone(engine),
                None => {
                    let loaded = Arc::new(FaceEngine::load()?);
                    Arc::clone(cell.get_or_init(|| loaded))
                }
            };
            work(&engine)
        })
        .await
        .map_err(|_| ServiceError::FaceEngine)?;
        result.map_err(ServiceError::from)
    }

    /// Decodes untrusted image bytes and analyses the largest face.
    pub async fn largest_face(&self, image_bytes: Vec<u8>) -> Result<Option<AnalysedFace>, ServiceError> {
        self.run(move |engine| {
            let image = wz_face::decode_image(&image_bytes)?;
            engine.largest_face(&image)
        })
        .await
    }

    /// The descriptor of the largest face, if there is one.
    pub async fn descriptor(&self, image_bytes: Vec<u8>) -> Result<Option<FaceDescriptor>, ServiceError> {
        Ok(self.largest_face(image_bytes).await?.map(|face| face.descriptor))
    }

    /// Observes each frame of a liveness sequence. Frames run one slot
    /// each, so a sequence uses the cores it is allowed.
    pub async fn observe_frames(&self, frames: Vec<Vec<u8>>) -> Result<Vec<ObservedFrame>, ServiceError> {
        let tasks: Vec<_> = frames
            .into_iter()
            .map(|bytes| {
                let faces = self.clone();
                tokio::spawn(async move {
                    faces
                        .run(move |engine| {
                            let image = wz_face::decode_image(&bytes)?;
                            let pixels = pixel_digest(&image);
                            Ok(ObservedFrame {
                                pixels,
                                observation: engine.observe(&image)?,
                            })
                        })
                        .await
                })
            })
            .collect();
        let mut observations = Vec::with_capacity(tasks.len());
        for task in tasks {
            observations.push(task.await.map_err(|_| ServiceError::FaceEngine)??);
        }
        Ok(observations)
    }

    /// The recognition network faces are compared with.
    pub fn network(&self) -> Network {
        self.network
    }

    /// Inferences that could start now without waiting.
    pub fn available_slots(&self) -> usize {
        self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l4_is_compared_strictly_and_no_level_below_standard() {
        assert_eq!(strictness_for(AssuranceLevel::L4), Strictness::High);
        for level in [AssuranceLevel::L1, AssuranceLevel::L2, AssuranceLevel::L3] {
            assert_eq!(strictness_for(level), Strictness::Standard);
        }
        assert!(Strictness::High.far_target() <= 1e-4 && Strictness::Standard.far_target() <= 1e-3);
    }
}
