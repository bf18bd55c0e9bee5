//! Word statistics over demo-core.
use demo_core::{Histogram, Ring, Summary};

pub struct Report {
    pub words: usize,
    pub mean_length: f64,
    pub spread: f64,
    pub common: String,
    pub last: Vec<String>,
}

pub fn analyse(text: &str) -> Report {
    let mut histogram = Histogram::default();
    let mut recent = Ring::new(5);
    let mut lengths: Vec<u32> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        lengths.push(word.chars().count() as u32);
        histogram.add(word.clone());
        recent.push(word);
    }
    Report {
        words: lengths.len(),
        mean_length: lengths.mean(),
        spread: lengths.variance().sqrt(),
        common: histogram.render(5),
        last: recent.iter().cloned().collect(),
    }
}
