use std::sync::Arc;

use wz_core::ResultCode;
use wz_face::{FaceEngine, Strictness};
use wz_service::FaceService;

fn dev_face(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/faces/dev")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("the dev face set is expected at {}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyses_faces_off_the_async_workers_and_refuses_bad_images() {
    let faces = FaceService::new(Arc::new(FaceEngine::load().unwrap()), 1);
    let (first, second) = tokio::join!(
        faces.largest_face(dev_face("Colin_Powell/1.jpg")),
        faces.largest_face(dev_face("Colin_Powell/2.jpg"))
    );
    let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
    assert!(
        first.descriptor.matches(&second.descriptor, Strictness::High),
        "two photos of one person: {}",
        first.descriptor.distance(&second.descriptor)
    );
    let other = faces.largest_face(dev_face("Jacques_Chirac/1.jpg")).await.unwrap().unwrap();
    assert!(!first.descriptor.matches(&other.descriptor, Strictness::Standard));
    assert_eq!(faces.available_slots(), 1);

    let refused = faces.largest_face(b"definitely not a photo".to_vec()).await.unwrap_err();
    assert_eq!(refused.result_code(), ResultCode::InvalidImage);
}
