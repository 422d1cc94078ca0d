//! `mock-ca --config FILE`: any text as the TOML configuration (`Config::parse`), then its
//! policy and every application's form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_ca::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text) else {
        return;
    };
    let _ = config.policy();
    for application in &config.applications {
        let form = application.form();
        let _ = form.subject.to_string();
    }
});
