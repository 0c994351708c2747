//! Agreement with the original face-api networks: fixtures made by
//! `tools/face-reference/reference.cjs` (tfjs 4.22 CPU backend) on the dev
//! face set in `../shared/faces/dev`, from the pixels the `image` crate
//! decodes (see the script's header for the two commands).

use wz_face::{Detection, FaceDescriptor, FaceLandmarkNet, FaceRecognitionNet, SsdDetector, TinyDetectorOptions, TinyFaceDetector};

use crate::faces_dir;

fn fixture() -> serde_json::Value {
    serde_json::from_str(include_str!("../fixtures/reference.json")).unwrap()
}

#[test]
fn descriptors_match_the_reference_within_1e3() {
    let fixture = fixture();
    let net = FaceRecognitionNet::load().unwrap();
    let cases = fixture["faces"].as_array().unwrap();
    assert_eq!(cases.len(), 40);
    let mut worst = 0f32;
    for case in cases {
        let image = image::open(faces_dir().join(case["image"].as_str().unwrap())).unwrap().to_rgb8();
        let ours = net.descriptor(&image).unwrap();
        let reference: Vec<f32> = case["descriptor"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let difference = ours.distance(&FaceDescriptor::from_vec(wz_face::Network::Dlib, reference).unwrap());
        worst = worst.max(difference);
    }
    eprintln!("largest descriptor L2 difference from the reference: {worst:e}");
    assert!(worst <= 1e-3, "descriptor differs from the reference by {worst}");
}

#[test]
fn landmarks_match_the_reference_within_a_hundredth_of_a_pixel() {
    let fixture = fixture();
    let net = FaceLandmarkNet::load().unwrap();
    let mut worst = 0f32;
    for case in fixture["faces"].as_array().unwrap() {
        let image = image::open(faces_dir().join(case["image"].as_str().unwrap())).unwrap().to_rgb8();
        let ours = net.landmarks(&image).unwrap();
        let reference = case["landmarks"].as_array().unwrap();
        assert_eq!(ours.0.len(), 68);
        for (point, expected) in ours.0.iter().zip(reference) {
            let (x, y) = (expected[0].as_f64().unwrap() as f32, expected[1].as_f64().unwrap() as f32);
            worst = worst.max((point.x - x).abs()).max((point.y - y).abs());
        }
    }
    eprintln!("largest landmark coordinate difference from the reference: {worst:e} px");
    assert!(worst <= 0.01, "landmarks differ from the reference by {worst} px");
}

/// Largest box and score differences between our detections and the
/// fixture's list `key`, per image; the number of faces must agree.
fn compare_detections(key: &str, detect: impl Fn(&image::RgbImage) -> Vec<Detection>) -> (usize, f32, f32) {
    let (mut worst_box, mut worst_score, mut faces) = (0f32, 0f32, 0);
    for case in fixture()["detections"].as_array().unwrap() {
        let name = case["image"].as_str().unwrap();
        let image = image::open(faces_dir().join(name)).unwrap().to_rgb8();
        let ours = detect(&image);
        let reference = case[key].as_array().unwrap_or_else(|| panic!("fixture has no {key} for {name}"));
        assert_eq!(ours.len(), reference.len(), "{key} {name}: number of faces");
        for (found, expected) in ours.iter().zip(reference) {
            let b: Vec<f32> = expected["box"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            let difference = [found.x - b[0], found.y - b[1], found.width - b[2], found.height - b[3]]
                .iter()
                .fold(0f32, |m, d| m.max(d.abs()));
            worst_box = worst_box.max(difference);
            worst_score = worst_score.max((found.score - expected["score"].as_f64().unwrap() as f32).abs());
            faces += 1;
        }
    }
    eprintln!("{key}: {faces} faces; largest box difference {worst_box:e} px, largest score difference {worst_score:e}");
    (faces, worst_box, worst_score)
}

#[test]
fn tiny_detections_match_the_reference_at_416_and_224() {
    let detector = TinyFaceDetector::load().unwrap();
    for (key, input_size) in [("faces", 416), ("tiny224", 224)] {
        let options = TinyDetectorOptions {
            input_size,
            ..TinyDetectorOptions::default()
        };
        let (faces, worst_box, worst_score) = compare_detections(key, |image| detector.detect(image, options).unwrap());
        assert!(faces > 30, "{key}: only {faces} faces compared");
        assert!(
            worst_box <= 0.01 && worst_score <= 1e-4,
            "{key}: box {worst_box} px, score {worst_score}"
        );
    }
}

#[test]
fn ssd_detections_match_the_reference() {
    let detector = SsdDetector::load().unwrap();
    let (faces, worst_box, worst_score) = compare_detections("ssd", |image| detector.detect(image, 0.5).unwrap());
    assert!(faces > 30, "only {faces} faces compared");
    assert!(worst_box <= 0.01 && worst_score <= 1e-4, "box {worst_box} px, score {worst_score}");
}

/// MobileFaceNet run by tract agrees with Google's LiteRT interpreter
/// (fixture by `tools/face-reference/mobilefacenet_reference.py`, same
/// pixels: the centre 112×112 of each dev PNG, in the same pairs).
#[test]
fn mobilefacenet_embeddings_match_litert_within_1e3() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("../fixtures/mobilefacenet_reference.json")).unwrap();
    let net = wz_face::MobileFaceNet::load().unwrap();
    let cases = fixture["faces"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    let crop = |name: &str| {
        let image = image::open(faces_dir().join(name)).unwrap().to_rgb8();
        let (x, y) = ((image.width() - 112) / 2, (image.height() - 112) / 2);
        image::imageops::crop_imm(&image, x, y, 112, 112).to_image()
    };
    let mut worst = 0f32;
    for pair in cases.chunks(2) {
        let crops: Vec<image::RgbImage> = pair.iter().map(|case| crop(case["image"].as_str().unwrap())).collect();
        let ours = net.embed(&[&crops[0], &crops[1]]).unwrap();
        for (case, ours) in pair.iter().zip(&ours) {
            let raw: Vec<f32> = case["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
            let reference: Vec<f32> = raw.iter().map(|v| v / norm).collect();
            worst = worst.max(wz_face::embedding_distance(ours, &reference));
        }
    }
    eprintln!("largest MobileFaceNet embedding L2 difference from LiteRT: {worst:e}");
    assert!(worst <= 1e-3, "embedding differs from LiteRT by {worst}");
}

/// FaceAntiSpoofing on tract, from the vendored float32 rewrite, gives the
/// outputs LiteRT gives for the file as shipped (fixture by
/// `tools/face-reference/antispoofing_reference.py`; same pixels: each dev
/// PNG scaled to 256×256 by nearest neighbour).
#[test]
fn antispoofing_scores_match_litert_on_the_original_file() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("../fixtures/antispoofing_reference.json")).unwrap();
    let net = wz_face::AntiSpoofing::load().unwrap();
    let cases = fixture["faces"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    // Four of the ten (about 0.3 s each on one core; the rest in the fixture
    // for a longer check): LiteRT scores two of them live, two attack.
    let cases = &cases[..4];
    let values = |case: &serde_json::Value, key: &str| -> Vec<f32> {
        case[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect()
    };
    let mut worst = 0f32;
    for case in cases {
        let image = image::open(faces_dir().join(case["image"].as_str().unwrap())).unwrap().to_rgb8();
        let side = wz_face::PAD_INPUT_SIDE;
        let nearest = image::RgbImage::from_fn(side, side, |x, y| {
            *image.get_pixel(x * image.width() / side, y * image.height() / side)
        });
        let (scores, mask) = net.leaves(&nearest).unwrap();
        assert_eq!(mask.to_vec(), values(case, "leaf_mask"), "{}: another leaf chosen", case["image"]);
        for (ours, reference) in scores.iter().zip(values(case, "leaf_scores")) {
            worst = worst.max((ours - reference).abs());
        }
        let score = wz_face::attack_score(&scores, &mask);
        worst = worst.max((score - case["score"].as_f64().unwrap() as f32).abs());
    }
    eprintln!("largest FaceAntiSpoofing difference from LiteRT: {worst:e}");
    assert!(worst <= 1e-4, "FaceAntiSpoofing differs from LiteRT by {worst}");
}
