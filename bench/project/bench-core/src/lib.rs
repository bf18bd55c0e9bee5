//! The workspace's own library: what a second worktree of this project must not compile again.
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Draw {
    pub numbers: Vec<u32>,
    pub matches: usize,
    pub digits: BTreeMap<char, usize>,
}

impl Draw {
    pub fn new(numbers: Vec<u32>, pattern: &Regex) -> Self {
        let text = format!("{numbers:?}");
        let mut digits = BTreeMap::new();
        for digit in text.chars().filter(char::is_ascii_digit) {
            *digits.entry(digit).or_insert(0) += 1;
        }
        Draw { matches: pattern.find_iter(&text).count(), numbers, digits }
    }

    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }
}

pub fn summary<T: Copy + Into<f64>>(values: &[T]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let mean = values.iter().map(|&v| v.into()).sum::<f64>() / values.len() as f64;
    let variance = values.iter().map(|&v| (v.into() - mean).powi(2)).sum::<f64>() / values.len() as f64;
    (mean, variance.sqrt())
}
