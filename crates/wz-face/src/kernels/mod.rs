//! CPU kernels for the face networks, on one image's feature maps (CHW, f32).
//!
//! candle's CPU `conv2d` copies its NCHW input to NHWC and fills im2col
//! tiles one element at a time on every call; profiling the pipeline showed
//! that closure taking three times as long as the matrix products
//! themselves. The convolutions here build each im2col row with slice copies,
//! multiply with the `gemm` crate (what candle's CPU `matmul` calls) straight
//! into the output, then apply bias, per-channel scale and activation in
//! one pass. candle tensors still hold and reorder the weights at load, and
//! candle's own operations are the oracle in this module's tests.

mod conv;
mod depthwise;
mod epilogue;
mod feature_map;
mod matmul;
mod pool;

pub(crate) use conv::Conv;
pub(crate) use depthwise::Depthwise;
pub(crate) use epilogue::{Activation, Epilogue};
pub(crate) use feature_map::{FeatureMap, Padding};
pub(crate) use matmul::{matmul_into, Matrix};
pub(crate) use pool::{avg_pool_valid, max_pool_2x2_same, max_pool_valid};
