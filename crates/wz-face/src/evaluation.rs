//! Verification accuracy from labelled pairs: ROC, equal error rate and the
//! threshold and false reject rate at target false accept rates. A pair is
//! accepted when its descriptor distance is at or below the threshold.

/// One compared pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    /// Whether both images show the same person.
    pub same: bool,
    /// Descriptor distance.
    pub distance: f32,
}

/// One point of the ROC curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// Distance threshold.
    pub threshold: f32,
    /// False accept rate: impostor pairs at or below the threshold.
    pub false_accept_rate: f64,
    /// False reject rate: genuine pairs above the threshold.
    pub false_reject_rate: f64,
}

/// The operating point for a target false accept rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetPoint {
    /// The largest threshold whose measured FAR is at or below the target.
    Measured(RocPoint),
    /// Fewer impostor pairs than 1 / target: the data cannot show it.
    InsufficientData,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Genuine pairs compared.
    pub genuine: usize,
    /// Impostor pairs compared.
    pub impostor: usize,
    /// ROC points, by increasing threshold.
    pub roc: Vec<RocPoint>,
    /// Threshold and rate where FAR and FRR are closest (rate = their mean).
    pub equal_error: Option<(f32, f64)>,
    /// `(target FAR, operating point)`.
    pub targets: Vec<(f64, TargetPoint)>,
}

fn point(scores: &[PairScore], threshold: f32, genuine: usize, impostor: usize) -> RocPoint {
    let false_accepts = scores.iter().filter(|s| !s.same && s.distance <= threshold).count();
    let false_rejects = scores.iter().filter(|s| s.same && s.distance > threshold).count();
    RocPoint {
        threshold,
        false_accept_rate: false_accepts as f64 / impostor.max(1) as f64,
        false_reject_rate: false_rejects as f64 / genuine.max(1) as f64,
    }
}

/// Evaluates `scores` at every distinct distance and at each target FAR.
pub fn evaluate(scores: &[PairScore], target_rates: &[f64]) -> Evaluation {
    let genuine = scores.iter().filter(|s| s.same).count();
    let impostor = scores.len() - genuine;
    let mut thresholds: Vec<f32> = scores.iter().map(|s| s.distance).collect();
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();
    // Below every distance: nothing accepted.
    let floor = thresholds.first().map_or(0.0, |t| t - 1e-6);
    let roc: Vec<RocPoint> = std::iter::once(floor)
        .chain(thresholds)
        .map(|t| point(scores, t, genuine, impostor))
        .collect();
    let equal_error = roc
        .iter()
        .min_by(|a, b| {
            (a.false_accept_rate - a.false_reject_rate)
                .abs()
                .total_cmp(&(b.false_accept_rate - b.false_reject_rate).abs())
        })
        .map(|p| (p.threshold, (p.false_accept_rate + p.false_reject_rate) / 2.0));
    let targets = target_rates
        .iter()
        .map(|&target| {
            if (impostor as f64) < 1.0 / target {
                return (target, TargetPoint::InsufficientData);
            }
            let best = roc.iter().rev().find(|p| p.false_accept_rate <= target).copied();
            (target, best.map_or(TargetPoint::InsufficientData, TargetPoint::Measured))
        })
        .collect();
    Evaluation {
        genuine,
        impostor,
        roc,
        equal_error,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(same: bool, distance: f32) -> PairScore {
        PairScore { same, distance }
    }

    #[test]
    fn separable_scores_have_zero_error() {
        let scores: Vec<PairScore> = (0..100)
            .map(|i| pair(true, 0.3 + i as f32 * 0.001))
            .chain((0..100).map(|i| pair(false, 0.8 + i as f32 * 0.001)))
            .collect();
        let evaluation = evaluate(&scores, &[1e-2, 1e-3]);
        assert_eq!(evaluation.equal_error.unwrap().1, 0.0);
        let TargetPoint::Measured(at) = evaluation.targets[0].1 else {
            panic!("expected a measured point")
        };
        // One impostor in 100 may be accepted at a 1 % target.
        assert_eq!((at.false_reject_rate, at.false_accept_rate, at.threshold), (0.0, 0.01, 0.8));
        assert_eq!(evaluation.targets[1].1, TargetPoint::InsufficientData);
    }

    #[test]
    fn overlapping_scores_trade_far_against_frr() {
        let scores = [pair(true, 0.2), pair(true, 0.5), pair(false, 0.4), pair(false, 0.9)];
        let evaluation = evaluate(&scores, &[]);
        let at = |t: f32| *evaluation.roc.iter().find(|p| p.threshold == t).unwrap();
        assert_eq!((at(0.2).false_accept_rate, at(0.2).false_reject_rate), (0.0, 0.5));
        assert_eq!((at(0.4).false_accept_rate, at(0.4).false_reject_rate), (0.5, 0.5));
        assert_eq!((at(0.5).false_accept_rate, at(0.5).false_reject_rate), (0.5, 0.0));
        assert_eq!(evaluation.equal_error.unwrap(), (0.4, 0.5));
        assert_eq!(evaluation.roc[0].false_accept_rate, 0.0);
    }
}
