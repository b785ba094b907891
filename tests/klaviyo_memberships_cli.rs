//! `warmup sync klaviyo` with `klaviyo.memberships`, as a user runs it against the fake
//! Klaviyo: memberships show in `customers show`, a manual removal in Klaviyo disappears at
//! the next sync, and a list id Klaviyo does not know fails the sync naming it.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use warmup::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY, ENGAGED_90_SEGMENT, VIP_LIST,
};

fn project(dir: &Path, base_url: &str, list: &str) {
    let text = format!(
        "timezone: Europe/Prague\nconsent_categories:\n  newsletter: {{}}\nklaviyo:\n  api_key: {{ env: TEST_KLAVIYO_KEY }}\n  base_url: {base_url}\n  lists:\n    Y6nRLr: newsletter\n  memberships:\n    lists: [{list}]\n    segments: [{ENGAGED_90_SEGMENT}]\n"
    );
    std::fs::write(dir.join("warmup.yaml"), text).unwrap();
}

fn warmup(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir)
        .env("TEST_KLAVIYO_KEY", DEFAULT_FAKE_KEY)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn memberships_show_on_the_customer_and_follow_a_manual_removal() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(120)
    };
    let fake = runtime.block_on(FakeKlaviyo::start(config)).unwrap();
    let (member, email) = {
        let mut state = fake.state();
        let segment = state.segment_members(ENGAGED_90_SEGMENT);
        let profile = state
            .profiles()
            .iter()
            .find(|p| segment.contains(&p.id) && p.email.is_some())
            .cloned()
            .expect("an engaged profile with an e-mail");
        assert!(state.ui_add_to_list(VIP_LIST, &profile.id));
        (profile.id, profile.email.unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &fake.base_url(), VIP_LIST);
    let (code, stdout, stderr) = warmup(dir.path(), &["sync", "klaviyo"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("memberships:"), "{stdout}");
    let (code, shown, stderr) = warmup(dir.path(), &["customers", "show", &email]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        shown.contains(&format!("klaviyo_lists: [\"{VIP_LIST}\"]")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("klaviyo_segments: [\"{ENGAGED_90_SEGMENT}\"]")),
        "{shown}"
    );
    // Removed by hand in Klaviyo: no event says so; the next sync's full read does.
    assert!(fake.state().ui_remove_from_list(VIP_LIST, &member));
    let (code, _, stderr) = warmup(dir.path(), &["sync", "klaviyo"]);
    assert_eq!(code, 0, "{stderr}");
    let (_, shown, _) = warmup(dir.path(), &["customers", "show", &email]);
    assert!(!shown.contains("klaviyo_lists"), "{shown}");
    assert!(shown.contains("klaviyo_segments"), "{shown}");
}

#[test]
fn an_unknown_list_fails_the_sync_naming_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(20)
    };
    let fake = runtime.block_on(FakeKlaviyo::start(config)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &fake.base_url(), "NoSuch");
    let (code, _, stderr) = warmup(dir.path(), &["sync", "klaviyo"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("NoSuch"), "{stderr}");
    assert!(!stderr.contains(DEFAULT_FAKE_KEY), "{stderr}");
}
