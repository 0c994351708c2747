//! The demo population: generated people, a dozen of them with portraits
//! from the labeled face set, listed in `<data_dir>/demo-citizens.json` so
//! a visitor knows whom to try. All of them are synthetic.

use std::fs;
use std::path::{Path, PathBuf};

use wz_core::{PersonGenerator, PopulationSpec};
pub use wz_proto::DemoCitizen;
use wz_service::{SeedPerson, Services};

use crate::{Config, ServerError};

/// Fixed seed of the demo population.
const DEMO_SEED: u64 = 2026;
/// Demo citizens listed at startup.
const FEATURED: usize = 12;
/// Records inserted per transaction.
const BATCH: usize = 5_000;

/// The JPEG and PNG files of one identity folder of a face set, by name.
pub fn face_set_images(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(folder) else { return Vec::new() };
    let mut images: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    images.retain(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("jpg" | "jpeg" | "png")));
    images.sort();
    images
}

/// First image (by file name) of every identity folder under `faces_dir`,
/// with the folder's name: the demo portraits.
pub fn demo_portraits(faces_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = fs::read_dir(faces_dir) else { return Vec::new() };
    let mut folders: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    folders.sort();
    folders
        .into_iter()
        .filter_map(|folder| {
            let bytes = fs::read(face_set_images(&folder).first()?).ok()?;
            Some((folder.file_name()?.to_string_lossy().into_owned(), bytes))
        })
        .collect()
}

/// Seeds the demo population if the registry is empty and returns the
/// featured citizens (read back from the data directory on later starts).
pub async fn seed_demo(services: &Services, config: &Config) -> Result<Vec<DemoCitizen>, ServerError> {
    let listing = config.data_dir.join("demo-citizens.json");
    if services.registry.count().await? > 0 {
        let text = fs::read_to_string(&listing).unwrap_or_else(|_| "[]".into());
        return Ok(serde_json::from_str(&text).unwrap_or_default());
    }
    let today = services.context.clock.now().date();
    let mut generator = PersonGenerator::new(PopulationSpec { seed: DEMO_SEED, today });
    let mut faces = demo_portraits(&config.demo_faces_dir).into_iter();
    let mut featured = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    for _ in 0..config.demo_people {
        let (mut record, mut status) = generator.next_person();
        let is_adult = record.birth_date().year() + 18 < today.year();
        if featured.len() < FEATURED && is_adult {
            // Featured citizens are adults with a fresh, valid card and, while
            // the face set lasts, a portrait.
            status = wz_core::IdentityStatus::Valid;
            record.validity = wz_core::Validity::by_age_rule(record.birth_date(), today);
            let face = faces.next();
            featured.push(DemoCitizen {
                name: record.name.clone(),
                id_number: record.id_number.expose().to_owned(),
                portrait_source: face.as_ref().map(|(name, _)| name.clone()),
            });
            record.portrait = face.map(|(_, bytes)| bytes);
        }
        batch.push(SeedPerson { record, status });
        if batch.len() == BATCH {
            services.registry.seed(&batch, "demo").await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        services.registry.seed(&batch, "demo").await?;
    }
    let text = serde_json::to_string_pretty(&featured).unwrap_or_default();
    fs::write(&listing, text).map_err(ServerError::io(format!("writing {}", listing.display())))?;
    Ok(featured)
}
