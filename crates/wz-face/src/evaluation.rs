//! Verification accuracy from labelled pairs: ROC, equal error rate and the
//! threshold and false reject rate at target false accept rates, each rate
//! with its 95 % Clopper–Pearson interval. A pair is accepted when its
//! descriptor distance is at or below the threshold.
//!
//! The ROC is one sweep over the pairs sorted by distance (O(n log n));
//! counting every pair at every threshold, as before, was O(n²) and took
//! minutes for the 500,000 pairs of a 1,000-image set.

use statrs::distribution::{Beta, ContinuousCDF, Normal};

/// One compared pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    /// Whether both images show the same person.
    pub same: bool,
    /// Descriptor distance.
    pub distance: f32,
}

/// A measured proportion: `count` of `total`, with its exact (Clopper–
/// Pearson) 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Events counted (false accepts or false rejects).
    pub count: usize,
    /// Trials (impostor or genuine pairs).
    pub total: usize,
}

impl Rate {
    /// `count / total` (0 for no trials).
    pub fn value(&self) -> f64 {
        self.count as f64 / self.total.max(1) as f64
    }

    /// The exact two-sided 95 % interval: the true rate lies in it with at
    /// least 95 % confidence whatever it is (conservative, unlike the
    /// normal approximation, which fails for the small counts a low FAR
    /// gives). `(0, 1)` for no trials.
    pub fn interval(&self) -> (f64, f64) {
        clopper_pearson(self.count, self.total, 0.05)
    }
}

/// The Clopper–Pearson interval at level `1 - alpha`: the bounds are beta
/// quantiles, `B(alpha/2; k, n-k+1)` and `B(1-alpha/2; k+1, n-k)`.
fn clopper_pearson(k: usize, n: usize, alpha: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k.min(n) as f64, n as f64);
    let quantile = |a: f64, b: f64, p: f64| Beta::new(a, b).map_or(f64::NAN, |beta| beta.inverse_cdf(p));
    let lower = if k == 0.0 { 0.0 } else { quantile(k, n - k + 1.0, alpha / 2.0) };
    let upper = if k == n { 1.0 } else { quantile(k + 1.0, n - k, 1.0 - alpha / 2.0) };
    (lower, upper)
}

/// One point of the ROC curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// Distance threshold.
    pub threshold: f32,
    /// Impostor pairs at or below the threshold, of all impostor pairs.
    pub false_accepts: Rate,
    /// Genuine pairs above the threshold, of all genuine pairs.
    pub false_rejects: Rate,
}

impl RocPoint {
    /// False accept rate.
    pub fn false_accept_rate(&self) -> f64 {
        self.false_accepts.value()
    }

    /// False reject rate.
    pub fn false_reject_rate(&self) -> f64 {
        self.false_rejects.value()
    }
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
    /// ROC points, by increasing threshold: one below every distance
    /// (nothing accepted), then one at each distinct distance.
    pub roc: Vec<RocPoint>,
    /// The point where FAR and FRR are closest, and the equal error rate
    /// there (their mean).
    pub equal_error: Option<(RocPoint, f64)>,
    /// `(target FAR, operating point)`.
    pub targets: Vec<(f64, TargetPoint)>,
}

impl Evaluation {
    /// The rates at a fixed `threshold` (the production thresholds).
    pub fn at_threshold(&self, threshold: f32) -> RocPoint {
        let reached = self.roc.iter().rev().find(|p| p.threshold <= threshold).or(self.roc.first());
        let zero = |total| Rate { count: 0, total };
        let mut point = reached.copied().unwrap_or(RocPoint {
            threshold,
            false_accepts: zero(self.impostor),
            false_rejects: zero(self.genuine),
        });
        point.threshold = threshold;
        point
    }
}

/// The distance below which a normal distribution fitted to the impostor
/// distances (mean and sample standard deviation) puts `target` of its mass:
/// an estimate of the threshold for a FAR far below what the impostor pairs
/// can show by counting (a set of 2,900 impostor pairs cannot tell 1e-4 from
/// 0). Impostor tails are usually heavier than normal, so callers take it
/// as an upper bound on the threshold, not as the threshold. `None` with
/// fewer than two impostor pairs.
pub fn normal_tail_threshold(scores: &[PairScore], target: f64) -> Option<f32> {
    let impostor: Vec<f64> = scores.iter().filter(|s| !s.same).map(|s| f64::from(s.distance)).collect();
    if impostor.len() < 2 {
        return None;
    }
    let n = impostor.len() as f64;
    let mean = impostor.iter().sum::<f64>() / n;
    let variance = impostor.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let normal = Normal::new(mean, variance.sqrt().max(f64::EPSILON)).ok()?;
    Some(normal.inverse_cdf(target) as f32)
}

/// The ROC in one sweep: pairs sorted by distance, counts carried forward;
/// ties share one point (a threshold accepts every pair at its distance).
fn roc(scores: &[PairScore], genuine: usize, impostor: usize) -> Vec<RocPoint> {
    let mut sorted: Vec<PairScore> = scores.to_vec();
    sorted.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    let point = |threshold: f32, accepted_impostors: usize, accepted_genuine: usize| RocPoint {
        threshold,
        false_accepts: Rate {
            count: accepted_impostors,
            total: impostor,
        },
        false_rejects: Rate {
            count: genuine - accepted_genuine,
            total: genuine,
        },
    };
    let floor = sorted.first().map_or(0.0, |s| s.distance - 1e-6);
    let mut points = vec![point(floor, 0, 0)];
    let (mut impostors, mut genuines) = (0, 0);
    for (index, score) in sorted.iter().enumerate() {
        if score.same {
            genuines += 1;
        } else {
            impostors += 1;
        }
        let last_of_tie = sorted.get(index + 1).is_none_or(|next| next.distance != score.distance);
        if last_of_tie {
            points.push(point(score.distance, impostors, genuines));
        }
    }
    points
}

/// Evaluates `scores` at every distinct distance and at each target FAR.
pub fn evaluate(scores: &[PairScore], target_rates: &[f64]) -> Evaluation {
    let genuine = scores.iter().filter(|s| s.same).count();
    let impostor = scores.len() - genuine;
    let roc = roc(scores, genuine, impostor);
    let equal_error = roc
        .iter()
        .min_by(|a, b| {
            (a.false_accept_rate() - a.false_reject_rate())
                .abs()
                .total_cmp(&(b.false_accept_rate() - b.false_reject_rate()).abs())
        })
        .map(|p| (*p, (p.false_accept_rate() + p.false_reject_rate()) / 2.0));
    let targets = target_rates
        .iter()
        .map(|&target| {
            if (impostor as f64) < 1.0 / target {
                return (target, TargetPoint::InsufficientData);
            }
            let best = roc.iter().rev().find(|p| p.false_accept_rate() <= target).copied();
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
        assert_eq!((at.false_reject_rate(), at.false_accept_rate(), at.threshold), (0.0, 0.01, 0.8));
        assert_eq!(evaluation.targets[1].1, TargetPoint::InsufficientData);
    }

    #[test]
    fn overlapping_scores_trade_far_against_frr() {
        let scores = [pair(true, 0.2), pair(true, 0.5), pair(false, 0.4), pair(false, 0.9)];
        let evaluation = evaluate(&scores, &[]);
        let at = |t: f32| *evaluation.roc.iter().find(|p| p.threshold == t).unwrap();
        assert_eq!((at(0.2).false_accept_rate(), at(0.2).false_reject_rate()), (0.0, 0.5));
        assert_eq!((at(0.4).false_accept_rate(), at(0.4).false_reject_rate()), (0.5, 0.5));
        assert_eq!((at(0.5).false_accept_rate(), at(0.5).false_reject_rate()), (0.5, 0.0));
        let (point, rate) = evaluation.equal_error.unwrap();
        assert_eq!((point.threshold, rate), (0.4, 0.5));
        assert_eq!(evaluation.roc[0].false_accept_rate(), 0.0);
        let between = evaluation.at_threshold(0.45);
        assert_eq!(
            (between.threshold, between.false_accepts.count, between.false_rejects.count),
            (0.45, 1, 1)
        );
        let below = evaluation.at_threshold(0.1);
        assert_eq!((below.false_accepts.count, below.false_rejects.count), (0, 2));
        assert_eq!(evaluation.at_threshold(5.0).false_accepts.count, 2);
    }

    #[test]
    fn the_normal_tail_sits_below_the_impostors() {
        // Impostors spread evenly over 1.0–1.4: mean 1.2, sd about 0.116.
        let scores: Vec<PairScore> = (0..=400)
            .map(|i| pair(false, 1.0 + i as f32 * 0.001))
            .chain([pair(true, 0.5)])
            .collect();
        let at = |target| normal_tail_threshold(&scores, target).unwrap();
        assert!((at(0.5) - 1.2).abs() < 1e-3);
        assert!((at(1e-3) - (1.2 - 3.090 * 0.1159)).abs() < 2e-3, "{}", at(1e-3));
        assert!(at(1e-4) < at(1e-3));
        assert_eq!(normal_tail_threshold(&[pair(true, 0.1), pair(false, 1.0)], 1e-3), None);
    }

    /// The sweep agrees with counting every pair at every threshold,
    /// ties included.
    #[test]
    fn the_sweep_counts_what_a_scan_of_every_pair_counts() {
        let mut state = 7u32;
        let scores: Vec<PairScore> = (0..600)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                // Coarse distances, so many pairs tie.
                pair(state >> 31 == 1, ((state >> 8) % 50) as f32 / 50.0)
            })
            .collect();
        let evaluation = evaluate(&scores, &[]);
        let mut distinct: Vec<f32> = scores.iter().map(|s| s.distance).collect();
        distinct.sort_by(f32::total_cmp);
        distinct.dedup();
        assert_eq!(evaluation.roc.len(), distinct.len() + 1);
        for point in &evaluation.roc {
            let accepted = |same: bool| scores.iter().filter(|s| s.same == same && s.distance <= point.threshold).count();
            assert_eq!(point.false_accepts.count, accepted(false), "at {}", point.threshold);
            assert_eq!(
                point.false_rejects.count,
                evaluation.genuine - accepted(true),
                "at {}",
                point.threshold
            );
        }
    }

    /// Reference values of the exact interval (e.g. R's `binom.test`).
    #[test]
    fn clopper_pearson_matches_reference_values() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-4;
        let (lo, hi) = Rate { count: 0, total: 10 }.interval();
        assert!(lo == 0.0 && close(hi, 0.3085), "{lo} {hi}");
        let (lo, hi) = Rate { count: 5, total: 10 }.interval();
        assert!(close(lo, 0.1871) && close(hi, 0.8129), "{lo} {hi}");
        let (lo, hi) = Rate { count: 10, total: 10 }.interval();
        assert!(close(lo, 0.6915) && hi == 1.0, "{lo} {hi}");
        // Zero false accepts in 3,000 impostor pairs: the FAR is below
        // about 1 in 812 with 97.5 % confidence (the "rule of three").
        let (_, hi) = Rate { count: 0, total: 3000 }.interval();
        assert!(close(hi, 0.001229), "{hi}");
        assert_eq!(Rate { count: 0, total: 0 }.interval(), (0.0, 1.0));
    }
}
