//! The short soak, part of `make test`: every part once at a small scale against the binaries
//! (test-support's, built on demand).

use soak::{Config, Scale, Summary};

#[test]
fn a_short_soak_counts_no_panic_no_wrong_answer_no_double_issuance_and_no_lost_key() {
    let seed = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_125);
    println!("soak seed {seed} (repeat with SOAK_SEED={seed})");
    let work = tempfile::tempdir().unwrap();
    let config = Config {
        plan: Scale::Short.plan(),
        seed,
        bin_dir: None,
        work: work.path().to_path_buf(),
        only: Vec::new(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let summary: Summary = runtime.block_on(soak::run(&config));
    println!("{summary}");
    println!("{}", summary.hostile);
    assert!(
        summary.hostile.is_clean(),
        "{}\n{:#?}",
        summary.hostile,
        summary.notes
    );
    assert!(summary.hostile.answers >= 30, "{}", summary.hostile);
    assert!(summary.is_clean(), "{summary}\n{:#?}", summary.notes);
    assert_eq!(summary.malformed, config.plan.malformed as u64);
    assert_eq!(summary.races, config.plan.races as u64);
    assert!(summary.kills >= 4, "{summary}");
}
