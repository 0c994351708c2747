//! TFLite files on `tract`: parse, optimise once, keep the runnable plan.

use tract_tflite::prelude::*;

use crate::FaceError;

/// A runnable plan, shared by every thread that infers with it.
pub(crate) type Plan = std::sync::Arc<TypedRunnableModel>;

/// `network`'s parsing or inference error as a model error.
pub(crate) fn model_error(network: &'static str) -> impl Fn(TractError) -> FaceError {
    move |error| FaceError::MalformedWeights(format!("{network}: {error}"))
}

/// Parses and optimises a TFLite file (already checked against its sum).
pub(crate) fn plan(network: &'static str, bytes: &[u8]) -> Result<Plan, FaceError> {
    tract_tflite::tflite()
        .model_for_read(&mut std::io::Cursor::new(bytes))
        .and_then(|model| model.into_optimized())
        .and_then(|model| model.into_runnable())
        .map_err(model_error(network))
}
