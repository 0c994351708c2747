//! `wz demo …`: what a visitor needs from a running demo server to follow
//! the README without copying values by hand: the featured (synthetic)
//! citizens, and a second photo of one of them to stand in front of the
//! kiosk's camera.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use wz_client::Client;

use super::DEFAULT_SERVER;
use crate::Cli;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Server URL (a `wz serve --demo`).
    #[arg(long, global = true, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
    server: String,
    #[command(subcommand)]
    command: DemoCommand,
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// List the featured demo citizens: number, ID number, name, face-set folder.
    Citizens,
    /// Print featured citizen N's ID number (for scripts: `ID=$(wz demo citizen 1)`).
    Citizen {
        /// 1 for the first featured citizen.
        number: usize,
    },
    /// Write another photo of featured citizen N from the demo face set (not
    /// their registry portrait): the face at the kiosk's camera.
    Photo {
        /// 1 for the first featured citizen.
        number: usize,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// The demo face set (default: the one the configuration names).
        #[arg(long)]
        faces: Option<PathBuf>,
    },
    /// Run the demo website, a relying party that signs citizens in with
    /// the server (`--server`) by OpenID Connect through a standard client
    /// library; `wz serve --demo` starts one itself.
    Website(super::demo_website::WebsiteArgs),
}

async fn citizen(client: &Client, number: usize) -> anyhow::Result<wz_proto::DemoCitizen> {
    let setup = client
        .demo_setup()
        .await
        .context("asking for the demo citizens (the server must run with --demo)")?;
    let count = setup.citizens.len();
    number
        .checked_sub(1)
        .and_then(|index| setup.citizens.into_iter().nth(index))
        .with_context(|| format!("there are {count} featured demo citizens: give a number from 1 to {count}"))
}

pub async fn run(cli: &Cli, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server);
    match &args.command {
        DemoCommand::Website(website) => return super::demo_website::run(&args.server, website).await,
        DemoCommand::Citizens => {
            let setup = client
                .demo_setup()
                .await
                .context("asking for the demo citizens (the server must run with --demo)")?;
            for (index, citizen) in setup.citizens.iter().enumerate() {
                println!(
                    "{:>2}  {}  {}  {}",
                    index + 1,
                    citizen.id_number,
                    citizen.name,
                    citizen.portrait_source.as_deref().unwrap_or("-")
                );
            }
        }
        DemoCommand::Citizen { number } => println!("{}", citizen(&client, *number).await?.id_number),
        DemoCommand::Photo { number, out, faces } => {
            let citizen = citizen(&client, *number).await?;
            let folder = citizen
                .portrait_source
                .with_context(|| format!("featured citizen {number} has no face-set portrait (the server had no face set)"))?;
            let faces = match faces {
                Some(dir) => dir.clone(),
                None => cli.config(None, None)?.demo_faces_dir,
            };
            let dir = faces.join(&folder);
            let images = wz_server::face_set_images(&dir);
            // The first image is the registry portrait; another one is a
            // fairer test of the face comparison.
            let photo = images
                .get(1)
                .or(images.first())
                .with_context(|| format!("no photo in {} (pass --faces with the server's face set)", dir.display()))?;
            std::fs::copy(photo, out).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "{} written: {folder}, {}",
                out.display(),
                photo.file_name().unwrap_or_default().to_string_lossy()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
