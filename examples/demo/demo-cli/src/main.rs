const TEXT: &str = "A compiler cache keeps what the compiler made, so that the next build that asks the \
compiler the same question gets the same answer without asking the compiler at all.";

fn main() {
    let report = demo_text::analyse(TEXT);
    println!("{} words, mean length {:.2} (spread {:.2})", report.words, report.mean_length, report.spread);
    println!("{}", report.common);
    println!("last words: {}", report.last.join(" "));
}
