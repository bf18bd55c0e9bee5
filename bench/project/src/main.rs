use anyhow::Context;
use clap::Parser;
use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Parser, Debug)]
struct Args {
    /// Pattern to look for.
    #[arg(long, default_value = r"\d+")]
    pattern: String,
    /// How many random numbers to draw.
    #[arg(long, default_value_t = 5)]
    count: usize,
}

#[derive(Serialize, Deserialize, Debug)]
struct Draw {
    numbers: Vec<u32>,
    matches: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pattern = regex::Regex::new(&args.pattern).context("invalid pattern")?;
    let mut rng = rand::thread_rng();
    let numbers: Vec<u32> = (0..args.count).map(|_| rng.gen_range(0..1000)).collect();
    let text = tokio::task::spawn_blocking(move || format!("{numbers:?}")).await?;
    let draw = Draw { numbers: serde_json::from_str(&text)?, matches: pattern.find_iter(&text).count() };
    log::info!("drew {:?}", draw);
    println!("{}", serde_json::to_string(&draw)?);
    Ok(())
}
