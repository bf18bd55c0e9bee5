use anyhow::Context;
use clap::Parser;
use rand::Rng;

#[derive(Parser, Debug)]
struct Args {
    /// Pattern to look for.
    #[arg(long, default_value = r"\d+")]
    pattern: String,
    /// How many random numbers to draw.
    #[arg(long, default_value_t = 5)]
    count: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pattern = regex::Regex::new(&args.pattern).context("invalid pattern")?;
    let count = args.count;
    let numbers: Vec<u32> = tokio::task::spawn_blocking(move || {
        let mut rng = rand::thread_rng();
        (0..count).map(|_| rng.gen_range(0..1000)).collect()
    })
    .await?;
    let (mean, spread) = bench_core::summary(&numbers);
    let draw = bench_core::Draw::new(numbers, &pattern);
    log::info!("drew {:?}", draw);
    println!("{} (mean {mean:.1}, spread {spread:.1})", draw.to_json()?);
    Ok(())
}
