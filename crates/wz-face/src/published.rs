//! The failure rates the platform publishes (SPEC §6: "the platform
//! publishes its measured failure rates per modality"), as measured by
//! `wz face eval ../shared/faces/dev` at the production thresholds. A test
//! (`tests/engine/pipeline.rs`) recomputes every count here from the dev
//! set, so a change of network, alignment or threshold that moves a rate
//! fails until this table says what the code does.

use crate::{Network, Rate, Strictness};

/// The set a rate was measured on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataSet {
    /// Short name.
    pub name: &'static str,
    /// What it holds and how pairs were formed.
    pub description: &'static str,
}

/// The development set: the only labelled faces the project holds.
pub const DEV_SET: DataSet = DataSet {
    name: "dev",
    description: "../shared/faces/dev: 80 photos of 12 people (4 from LFW with 10 photos each, 8 with 5), \
                  every pair of them (3,160; 1 photo without a detected face excluded, leaving 256 genuine \
                  and 2,825 impostor pairs). Small, and the thresholds were chosen on it: the rates bound \
                  the true ones only loosely (see the intervals).",
};

/// Face comparison at one strictness: its threshold and measured errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceMismatchRates {
    /// The network.
    pub network: Network,
    /// The strictness (and so the levels it serves).
    pub strictness: Strictness,
    /// The distance threshold in force.
    pub threshold: f32,
    /// Impostor pairs accepted.
    pub false_accepts: Rate,
    /// Genuine pairs refused.
    pub false_rejects: Rate,
    /// Where it was measured.
    pub data_set: DataSet,
}

const fn rate(count: usize, total: usize) -> Rate {
    Rate { count, total }
}

/// Dev-set counts per network and strictness, in the order
/// (dlib standard, dlib high, MobileFaceNet standard, MobileFaceNet high).
const COUNTS: [(Network, Strictness, Rate, Rate); 4] = [
    (Network::Dlib, Strictness::Standard, rate(0, 2825), rate(32, 256)),
    (Network::Dlib, Strictness::High, rate(0, 2825), rate(85, 256)),
    (Network::MobileFaceNet, Strictness::Standard, rate(0, 2825), rate(0, 256)),
    (Network::MobileFaceNet, Strictness::High, rate(0, 2825), rate(1, 256)),
];

/// The face mismatch rates of `network` at each strictness.
pub fn published_face_rates(network: Network) -> Vec<FaceMismatchRates> {
    COUNTS
        .iter()
        .filter(|(n, ..)| *n == network)
        .map(|&(network, strictness, false_accepts, false_rejects)| FaceMismatchRates {
            network,
            strictness,
            threshold: network.threshold(strictness),
            false_accepts,
            false_rejects,
            data_set: DEV_SET,
        })
        .collect()
}
