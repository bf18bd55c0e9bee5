//! Generic containers and statistics: enough generic code to give rustc something to do.
use std::collections::BTreeMap;
use std::fmt::Display;

/// A ring buffer of fixed capacity.
pub struct Ring<T> {
    items: Vec<Option<T>>,
    next: usize,
    len: usize,
}

impl<T: Clone> Ring<T> {
    pub fn new(capacity: usize) -> Self {
        Ring { items: vec![None; capacity.max(1)], next: 0, len: 0 }
    }

    pub fn push(&mut self, item: T) {
        let capacity = self.items.len();
        self.items[self.next] = Some(item);
        self.next = (self.next + 1) % capacity;
        self.len = (self.len + 1).min(capacity);
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        let capacity = self.items.len();
        let start = (self.next + capacity - self.len) % capacity;
        (0..self.len).filter_map(move |offset| self.items[(start + offset) % capacity].as_ref())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Counts occurrences of anything orderable.
#[derive(Default)]
pub struct Histogram<K: Ord> {
    counts: BTreeMap<K, usize>,
}

impl<K: Ord + Clone + Display> Histogram<K> {
    pub fn add(&mut self, key: K) {
        *self.counts.entry(key).or_insert(0) += 1;
    }

    pub fn top(&self, n: usize) -> Vec<(K, usize)> {
        let mut entries: Vec<(K, usize)> = self.counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
        entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        entries.truncate(n);
        entries
    }

    pub fn render(&self, n: usize) -> String {
        self.top(n).iter().map(|(k, v)| format!("{k:>12} {}", "#".repeat(*v))).collect::<Vec<_>>().join("\n")
    }
}

pub trait Summary {
    fn mean(&self) -> f64;
    fn variance(&self) -> f64;
}

impl<T: Copy + Into<f64>> Summary for [T] {
    fn mean(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        self.iter().map(|&x| x.into()).sum::<f64>() / self.len() as f64
    }

    fn variance(&self) -> f64 {
        let mean = self.mean();
        if self.is_empty() {
            return 0.0;
        }
        self.iter().map(|&x| (x.into() - mean).powi(2)).sum::<f64>() / self.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_latest() {
        let mut ring = Ring::new(3);
        for n in 0..5 {
            ring.push(n);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
    }
}
