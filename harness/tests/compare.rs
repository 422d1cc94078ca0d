//! `harness compare`: what a site change (a profile) does to the client's scenarios.

use std::process::Command;

use harness::{
    Scenario,
    compare::{Side, compare},
    fixtures_dir, suite,
};

fn chosen(names: &[&str]) -> Vec<Scenario> {
    let all = Scenario::discover(&fixtures_dir().join("scenarios")).expect("the scenarios read");
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    suite::select(all, &names).expect("the scenarios exist")
}

fn v3_11() -> String {
    fixtures_dir().join("profiles/v3.11").display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v3_11_profile_changes_the_scenarios_its_changes_reach_and_no_other() {
    let default = Side::open("default").unwrap();
    let changed = Side::open(&v3_11()).unwrap();
    let scenarios = chosen(&["env-supported", "auth-failed", "site-reachable"]);
    let comparison = compare(scenarios, [&default, &changed], 3).await.unwrap();
    assert_eq!(comparison.outcomes.len(), 3);
    let names: Vec<&str> = comparison.changed().map(|o| o.scenario.as_str()).collect();
    assert_eq!(names, ["client/env-supported", "login/auth-failed"]);

    let outcome = |name: &str| {
        comparison
            .outcomes
            .iter()
            .find(|o| o.scenario == name)
            .unwrap()
    };
    // Windows 10 dropped: the message and the list the site sends the client.
    let env = outcome("client/env-supported");
    let diff = env.difference.as_deref().unwrap();
    assert!(
        diff.contains(
            "-result: error[ENV-SUPPORTED] 正式サポート OS は、Windows 10 および Windows 11 です。"
        ),
        "{diff}"
    );
    assert!(
        diff.contains("+result: error[ENV-SUPPORTED] 正式サポート OS は、Windows 11 です。"),
        "{diff}"
    );
    assert!(
        diff.contains("\"supported\":[\"windows 11\",\"linux\",\"macos\"]"),
        "{diff}"
    );
    // The scenario expects the v3.10 words: with v3.11 its check fails, and says why.
    assert!(env.failures[0].is_empty(), "{:?}", env.failures[0]);
    assert!(!env.failures[1].is_empty());
    // AUTH-FAILED reworded.
    let auth = outcome("login/auth-failed");
    let diff = auth.difference.as_deref().unwrap();
    assert!(
        diff.contains(
            "+result: error[AUTH-FAILED] パスワードが正しくないか、申請がまだ承認されていません"
        ),
        "{diff}"
    );
    assert!(outcome("site/site-reachable").difference.is_none());

    let text = comparison.render();
    assert!(
        text.contains(
            "CHANGED client/env-supported (transcript changes, passes with A, fails with B)"
        ),
        "{text}"
    );
    assert!(text.contains("CHANGED login/auth-failed"), "{text}");
    assert!(!text.contains("CHANGED site/site-reachable"), "{text}");
    assert!(
        text.contains("3 scenarios: 2 changed, 1 the same"),
        "{text}"
    );
}

#[test]
fn the_binary_compares_a_profile_with_itself_as_unchanged_and_asks_for_two_profiles() {
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "compare",
            "site-reachable",
            "--profile",
            "default",
            "--profile",
        ])
        .arg(v3_11())
        .args(["--jobs", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // site-reachable meets none of v3.11's changes.
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 scenarios: 0 changed, 1 the same"),
        "{stdout}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["compare", "site-reachable", "--profile", "default"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("give --profile twice"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "compare",
            "--profile",
            "default",
            "--profile",
            "/nonexistent/profile",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PROFILE-READ"), "{stderr}");
}
