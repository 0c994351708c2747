//! `wz face liveness DIR`: the liveness rules on sequences made from the
//! real photos of a folder of identity sub-folders (see
//! `wz_face::liveness_set` for how each set is made, what is real and
//! what is simulated). Prints, per challenge action, how many genuine
//! sequences pass and how many attack sequences pass (APCER), each with
//! its exact 95 % interval and the refusals by reason, and the spread of
//! the two measures that tell a live face from a moved photo.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use wz_face::{
    assemble_genuine, two_people, verify_liveness, Attack, FaceEngine, FrameObservation, LivenessAction, LivenessChallenge,
    LivenessFailure, Rate, RgbImage, SequenceMeasures,
};

use super::face::shown;

const NONCE: [u8; 16] = [7; 16];

fn check(frames: &[FrameObservation], action: LivenessAction) -> Result<(), LivenessFailure> {
    let challenge = LivenessChallenge {
        nonce: NONCE,
        digits: "0000".into(),
        action,
        expires_at_ms: 1,
    };
    verify_liveness(&challenge, &NONCE, frames, 0)
}

/// Accepted sequences and the refusals by reason, for one set and action.
#[derive(Default)]
struct Tally {
    accepted: usize,
    refused: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, result: Result<(), LivenessFailure>) {
        match result {
            Ok(()) => self.accepted += 1,
            Err(failure) => *self.refused.entry(format!("{failure:?}")).or_default() += 1,
        }
    }

    fn rate(&self) -> Rate {
        Rate {
            count: self.accepted,
            total: self.accepted + self.refused.values().sum::<usize>(),
        }
    }

    fn reasons(&self) -> String {
        let parts: Vec<String> = self.refused.iter().map(|(reason, n)| format!("{reason} {n}")).collect();
        if parts.is_empty() {
            "none refused".into()
        } else {
            format!("refused: {}", parts.join(", "))
        }
    }
}

struct Photo {
    image: RgbImage,
    observation: FrameObservation,
}

/// An identity's name and its one-face photos.
type Person = (String, Vec<Photo>);

/// One-face photos per identity; counts those left out.
fn people(engine: &FaceEngine, folder: &Path) -> anyhow::Result<(Vec<Person>, usize)> {
    let mut by_person: BTreeMap<PathBuf, Vec<Photo>> = BTreeMap::new();
    let mut left_out = 0;
    for path in super::face_detectors::identity_images(folder)? {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let image = wz_face::decode_image(&bytes).with_context(|| format!("decoding {}", path.display()))?;
        match engine.observe(&image)? {
            Some(observation) if observation.face_count == 1 => by_person
                .entry(path.parent().map(Path::to_path_buf).unwrap_or_default())
                .or_default()
                .push(Photo { image, observation }),
            _ => left_out += 1,
        }
    }
    let named = by_person
        .into_iter()
        .map(|(dir, photos)| {
            (
                dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                photos,
            )
        })
        .collect();
    Ok((named, left_out))
}

fn spread_line(name: &str, values: &mut [f32]) -> String {
    values.sort_by(f32::total_cmp);
    let at = |q: f64| super::face::quantile(values, q);
    format!(
        "{name}: min {:.4}, 5 % {:.4}, median {:.4}, max {:.4} (n {})",
        at(0.0),
        at(0.05),
        at(0.5),
        at(1.0),
        values.len()
    )
}

pub fn run(folder: &Path) -> anyhow::Result<ExitCode> {
    let engine = FaceEngine::load()?;
    let (people, left_out) = people(&engine, folder)?;
    let photos: usize = people.iter().map(|(_, p)| p.len()).sum();
    println!(
        "liveness sets from {}: {} people, {photos} one-face photos ({left_out} left out: no face or several faces)",
        folder.display(),
        people.len()
    );
    let mut motion: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    let mut speech: BTreeMap<&str, Vec<f32>> = BTreeMap::new();

    println!("genuine, assembled from each person's real photos ordered for the action:");
    let mut passed: Vec<(LivenessAction, Vec<FrameObservation>)> = Vec::new();
    for action in LivenessAction::ALL {
        let mut tally = Tally::default();
        for (_, photos) in &people {
            let observations: Vec<FrameObservation> = photos.iter().map(|p| p.observation.clone()).collect();
            let Some(frames) = assemble_genuine(&observations, action) else {
                continue;
            };
            let measures = SequenceMeasures::of(&frames);
            motion.entry("genuine").or_default().push(measures.motion);
            speech.entry("genuine").or_default().push(measures.mouth_spread);
            let result = check(&frames, action);
            if result.is_ok() {
                passed.push((action, frames));
            }
            tally.add(result);
        }
        println!("  {}: accepted {}; {}", action.as_str(), shown(&tally.rate()), tally.reasons());
    }

    let mut other = Tally::default();
    for (action, frames) in &passed {
        for asked in LivenessAction::ALL.iter().filter(|a| *a != action) {
            other.add(check(frames, *asked));
        }
    }
    println!(
        "accepted genuine sequences checked against another challenge's action: accepted {}; {}",
        shown(&other.rate()),
        other.reasons()
    );

    let mut mixed = Tally::default();
    for pair in people.windows(2) {
        let observe = |photos: &[Photo]| photos.iter().map(|p| p.observation.clone()).collect::<Vec<_>>();
        if let Some(frames) = two_people(&observe(&pair[0].1), &observe(&pair[1].1)) {
            for action in LivenessAction::ALL {
                mixed.add(check(&frames, action));
            }
        }
    }
    println!(
        "two people (half the frames each), every action: accepted {}; {}",
        shown(&mixed.rate()),
        mixed.reasons()
    );

    println!("attacks, each one-face photo animated (simulated; see wz_face::liveness_set):");
    for attack in Attack::ALL {
        let mut tallies: Vec<Tally> = LivenessAction::ALL.iter().map(|_| Tally::default()).collect();
        for photo in people.iter().flat_map(|(_, photos)| photos) {
            let mut frames = Vec::with_capacity(wz_face::SEQUENCE_FRAMES);
            for image in attack.frames(&photo.image, &photo.observation)? {
                frames.extend(engine.observe(&image)?);
            }
            if frames.len() < wz_face::SEQUENCE_FRAMES {
                for tally in &mut tallies {
                    tally.add(Err(LivenessFailure::NoFace));
                }
                continue;
            }
            let measures = SequenceMeasures::of(&frames);
            motion.entry(attack.as_str()).or_default().push(measures.motion);
            speech.entry(attack.as_str()).or_default().push(measures.mouth_spread);
            for (action, tally) in LivenessAction::ALL.iter().zip(&mut tallies) {
                tally.add(check(&frames, *action));
            }
        }
        for (action, tally) in LivenessAction::ALL.iter().zip(&tallies) {
            let faced = Rate {
                count: tally.accepted,
                total: tally.rate().total - tally.refused.get("NoFace").copied().unwrap_or(0),
            };
            println!(
                "  {} as {}: APCER {} (of those with a face in every frame: {}); {}",
                attack.as_str(),
                action.as_str(),
                shown(&tally.rate()),
                shown(&faced),
                tally.reasons()
            );
        }
    }

    println!("motion (mean landmark step, face widths; a still is below 0.002):");
    for (name, values) in &mut motion {
        println!("  {}", spread_line(name, values));
    }
    println!("mouth spread (s.d. of the mouth ratio; speaking is 0.03 or more):");
    for (name, values) in &mut speech {
        println!("  {}", spread_line(name, values));
    }
    Ok(ExitCode::SUCCESS)
}
