//! Crash safety with the real senders: `warmup tick` (no `--capture`) adds customers to a
//! Klaviyo list in batches through the `klaviyo.add_to_list` preset against a loopback HTTP
//! server, and e-mails them over SMTP (`tls: none`) to a loopback receiver. Every tick is
//! aborted at crash points inside the webhook and e-mail paths or SIGKILLed after a random
//! short delay, and restarted until it finishes. Then, per run: nobody got the e-mail twice;
//! everyone who passed the cap got it once or is listed as uncertain by `warmup status`;
//! everyone reached the list, and repeated list entries stay within the documented window
//! (a crash between the server's answer and the ledger write: at most one batch per crash);
//! every token finished.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::fake_klaviyo::{FakeKlaviyo, Options};
use support::smtp_server::SmtpServer;
use warmup::engine::state::{LedgerState, RunStatus, SledKv};
use warmup::engine::EngineState;
use warmup::store::Store;

const CUSTOMERS: usize = 300;
const BATCH: usize = 16;
const LIST: &str = "XyZ123";
/// Day 1 lets 150 customers through the cap; day 2 all of them.
const DAY_ONE_PASSED: u64 = 60 + 45 + 45;

fn write_project(dir: &Path, smtp: u16, klaviyo: &str, api_key: &str) {
    let project = format!(
        r#"timezone: UTC
store: .warmup
scenarios: [scenarios/crash.yaml]
consent_categories:
  newsletter: {{ description: News by e-mail. }}
mailbox_providers:
  gmail: [gmail.com]
  microsoft: [outlook.com]
auth:
  klaviyo:
    secret: {{ file: klaviyo.key }}
    headers:
      Authorization: "Klaviyo-API-Key {{{{ secret }}}}"
    base_url: {klaviyo}
    revision: "2026-07-15"
    rate_limit: {{ per_second: 1000, concurrency: 4 }}
email:
  transport: {{ kind: smtp, host: 127.0.0.1, port: {smtp}, tls: none }}
  from: "Brand <news@brand.example>"
  templates: templates
  unsubscribe:
    base_url: https://mail.brand.example
    mailto: unsubscribe@brand.example
    signing_key: {{ file: signing.key }}
    category: newsletter
"#
    );
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
    std::fs::write(dir.join("klaviyo.key"), api_key).unwrap();
    std::fs::write(dir.join("signing.key"), "crash-test-signing-key").unwrap();
    let scenario = format!(
        r#"name: crash-senders
params: {{ exclusion_list_id: {LIST} }}
plans:
  warmup:
    gmail: [60, 1000]
    microsoft: [45, 1000]
    other: [45, 1000]
nodes:
  start: {{ kind: repeat, at: "00:00", start: "2026-12-01", end: "2026-12-02", next: cap }}
  cap: {{ kind: limit, group_by: mailbox_provider, plan: warmup, passed: add }}
  add:
    kind: webhook
    preset: klaviyo.add_to_list
    auth: klaviyo
    with: {{ list_id: "{{{{ params.exclusion_list_id }}}}" }}
    batch: {{ size: {BATCH} }}
    next: until
  until: {{ kind: wait, until: "09:00", next: mail }}
  mail: {{ kind: email, template: hello }}
"#
    );
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(dir.join("scenarios/crash.yaml"), scenario).unwrap();
    let templates = dir.join("templates/hello");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("subject.txt"), "Day {{ day }} at Brand").unwrap();
    std::fs::write(templates.join("body.txt"), "Hi.\n{{ unsubscribe_url }}\n").unwrap();
    std::fs::write(
        templates.join("body.html"),
        "<p>Hi.</p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a>",
    )
    .unwrap();
}

/// Customers over three mailbox providers: e-mail → Klaviyo profile id.
fn customers(dir: &Path) -> BTreeMap<String, String> {
    let domains = ["gmail.com", "outlook.com", "brand-other.example"];
    let people: BTreeMap<String, String> = (0..CUSTOMERS)
        .map(|i| {
            let email = format!("person{i:03}@{}", domains[i % 3]);
            (email, format!("01KPROFILE{i:016}"))
        })
        .collect();
    let mut csv = String::from("Email,Klaviyo ID\n");
    for (email, profile) in &people {
        csv.push_str(&format!("{email},{profile}\n"));
    }
    std::fs::write(dir.join("customers.csv"), csv).unwrap();
    let status = warmup(dir)
        .args(["import", "customers", "customers.csv"])
        .status()
        .unwrap();
    assert!(status.success(), "import failed");
    people
}

fn warmup(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warmup"));
    command
        .current_dir(dir)
        .env_remove("WARMUP_CRASH_AT")
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn tick(dir: &Path, now: &str) -> Command {
    let mut command = warmup(dir);
    command.args(["tick", "--now", now]);
    command
}

/// Crashes of one tick: by crash point name, and SIGKILLs under `"kill"`.
type Crashes = HashMap<&'static str, u32>;

/// Ticks at `now` until one finishes: the attempts abort at crash points of the webhook or
/// e-mail path or are SIGKILLed (`None`) after a random delay, and each restarts from what
/// the last one left on disk; then a tick without crashes must succeed.
fn tick_with_crashes(dir: &Path, now: &str, rng: &mut StdRng) -> Crashes {
    let schedule: &[Option<(&'static str, u32)>] = if now.contains("T00:") {
        &[
            Some(("webhook-answered", 2)),
            None,
            Some(("webhook-answered", 3)),
            Some(("wave-finishing", 1)),
        ]
    } else {
        &[
            Some(("email-sent", 30)),
            None,
            Some(("email-intents-flushed", 2)),
            Some(("email-sent", 50)),
            Some(("wave-finishing", 1)),
        ]
    };
    let mut crashes = Crashes::new();
    for attempt in schedule {
        let crashed = match *attempt {
            Some((point, hit)) => {
                let output = tick(dir, now)
                    .env("WARMUP_CRASH_AT", format!("{point}:{hit}"))
                    .stderr(Stdio::piped())
                    .output()
                    .unwrap();
                if !ran(&output.status) {
                    assert_eq!(
                        output.status.signal(),
                        Some(6),
                        "tick at {now} failed without crashing: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                (!ran(&output.status)).then_some(point)
            }
            None => {
                let mut child = tick(dir, now).spawn().unwrap();
                std::thread::sleep(Duration::from_millis(rng.random_range(5..80)));
                let _ = child.kill();
                (!ran(&child.wait().unwrap())).then_some("kill")
            }
        };
        match crashed {
            Some(point) => *crashes.entry(point).or_default() += 1,
            None => break,
        }
    }
    let output = tick(dir, now).stderr(Stdio::piped()).output().unwrap();
    assert!(
        ran(&output.status),
        "a clean tick at {now} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    crashes
}

/// Klaviyo profile ids in the list requests `from..to`, with their multiplicity.
fn list_entries(klaviyo: &FakeKlaviyo, (from, to): (usize, usize)) -> HashMap<String, u32> {
    let mut seen = HashMap::new();
    for request in &klaviyo.requests()[from..to] {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            (
                "POST",
                format!("/api/lists/{LIST}/relationships/profiles").as_str()
            )
        );
        let body = request.json();
        let data = body["data"].as_array().expect("a JSON:API list");
        assert!(
            !data.is_empty() && data.len() <= BATCH,
            "{} ids",
            data.len()
        );
        for entry in data {
            let id = entry["id"].as_str().expect("a profile id").to_owned();
            *seen.entry(id).or_default() += 1;
        }
    }
    seen
}

/// Recipients of the messages `from..to`, with their multiplicity.
fn recipients(smtp: &SmtpServer, (from, to): (usize, usize)) -> HashMap<String, u32> {
    let mut seen = HashMap::new();
    for message in &smtp.messages()[from..to] {
        assert_eq!(message.to.len(), 1);
        *seen.entry(message.to[0].clone()).or_default() += 1;
    }
    seen
}

/// What one sending day did: crashes in its webhook tick and its e-mail tick, and where its
/// requests and messages start.
struct Day {
    webhook_crashes: Crashes,
    email_crashes: Crashes,
    requests: (usize, usize),
    messages: (usize, usize),
}

fn drive(dir: &Path, smtp: &SmtpServer, klaviyo: &FakeKlaviyo) -> Vec<Day> {
    let mut rng = StdRng::seed_from_u64(5);
    // Registers the scenario before its first fire.
    assert!(tick(dir, "2026-11-30T12:00:00Z")
        .status()
        .unwrap()
        .success());
    let mut days = Vec::new();
    for day in 1..=2 {
        let first_request = klaviyo.count();
        let webhook_crashes =
            tick_with_crashes(dir, &format!("2026-12-{day:02}T00:00:10Z"), &mut rng);
        let last_request = klaviyo.count();
        let first_message = smtp.accepted();
        let email_crashes =
            tick_with_crashes(dir, &format!("2026-12-{day:02}T09:00:10Z"), &mut rng);
        assert_eq!(
            klaviyo.count(),
            last_request,
            "list requests in the e-mail tick"
        );
        days.push(Day {
            webhook_crashes,
            email_crashes,
            requests: (first_request, last_request),
            messages: (first_message, smtp.accepted()),
        });
    }
    days
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_ticks_with_real_senders_never_double_send_or_lose_anyone() {
    let smtp = SmtpServer::start().await;
    let klaviyo = FakeKlaviyo::start(Options::default()).await;
    let api_key = Options::default().api_key;
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), smtp.port, &klaviyo.base_url, &api_key);
    let (dir, smtp, klaviyo) = tokio::task::spawn_blocking(move || {
        let people = customers(dir.path());
        let days = drive(dir.path(), &smtp, &klaviyo);
        check(dir.path(), &people, &days, &smtp, &klaviyo);
        (dir, smtp, klaviyo)
    })
    .await
    .unwrap();
    drop((dir, smtp, klaviyo));
}

fn check(
    dir: &Path,
    people: &BTreeMap<String, String>,
    days: &[Day],
    smtp: &SmtpServer,
    klaviyo: &FakeKlaviyo,
) {
    // `status` before the store is opened here: it takes the store's lock.
    let status = warmup(dir)
        .arg("status")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = String::from_utf8_lossy(&status.stdout);
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let email_of: HashMap<u64, &str> = people
        .keys()
        .map(|email| {
            (
                store.find_by_email(email).unwrap().unwrap().id.0,
                email.as_str(),
            )
        })
        .collect();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    let mut runs = state.runs().unwrap();
    runs.sort_by_key(|r| r.id);
    assert_eq!(runs.len(), 2, "one run per sending day");
    assert!(
        runs.iter().all(|r| r.status == RunStatus::Done),
        "runs not done"
    );
    assert!(
        state.due_summary().unwrap().is_empty(),
        "tokens still parked"
    );
    assert!(
        state.ledger_in(LedgerState::Intent).unwrap().is_empty(),
        "unresolved intents"
    );
    let uncertain = state.ledger_in(LedgerState::Uncertain).unwrap();
    let mut total = Crashes::new();
    for ((run, day), expected) in runs
        .iter()
        .zip(days)
        .zip([DAY_ONE_PASSED, CUSTOMERS as u64])
    {
        let counters = state.counters(Some(run.id)).unwrap();
        let count = |node: &str, metric: &str| -> u64 {
            counters
                .iter()
                .filter(|c| c.node == node && c.metric == metric)
                .map(|c| c.value)
                .sum()
        };
        let passed = count("cap", "passed");
        assert_eq!(passed, expected, "run {}: passed the cap", run.id);
        assert_eq!(
            count("mail", "entered"),
            passed,
            "run {}: reached the e-mail",
            run.id
        );

        let unsure: HashSet<&str> = uncertain
            .iter()
            .filter(|(r, _, _)| *r == run.id)
            .map(|(_, _, customer)| email_of[customer])
            .collect();
        check_emails(run.id, passed, day, &unsure, smtp);
        check_list(run.id, passed, day, klaviyo);
        for (point, n) in day.webhook_crashes.iter().chain(&day.email_crashes) {
            *total.entry(point).or_default() += n;
        }
    }
    let known: HashSet<&str> = people.values().map(String::as_str).collect();
    let listed = list_entries(klaviyo, (0, klaviyo.count()));
    assert!(listed.keys().all(|id| known.contains(id.as_str())));
    assert_eq!(listed.len(), CUSTOMERS, "every customer reached the list");
    for point in [
        "webhook-answered",
        "email-intents-flushed",
        "email-sent",
        "kill",
    ] {
        assert!(
            total.get(point).copied().unwrap_or(0) > 0,
            "no crash at {point}: {total:?}"
        );
    }
    let line = format!(
        "e-mails left uncertain by a crash (not resent): {}; awaiting confirmation: 0",
        uncertain.len()
    );
    assert!(text.contains(&line), "{text}");
}

/// E-mail of one run: at most once each; exactly once unless listed as uncertain, and at
/// most one group of intents left uncertain per crash.
fn check_emails(run: u64, passed: u64, day: &Day, unsure: &HashSet<&str>, smtp: &SmtpServer) {
    let received = recipients(smtp, day.messages);
    assert!(!received.is_empty(), "run {run}: no e-mail arrived");
    for (to, times) in &received {
        assert_eq!(*times, 1, "run {run}: {to} got the e-mail {times} times");
    }
    let accounted: HashSet<&str> = received
        .keys()
        .map(String::as_str)
        .chain(unsure.iter().copied())
        .collect();
    assert_eq!(
        accounted.len() as u64,
        passed,
        "run {run}: e-mailed or uncertain vs passed"
    );
    let crashes: u32 = day.email_crashes.values().sum();
    assert!(
        unsure.len() <= crashes as usize * warmup::engine::nodes::email_ledger::MAX_GROUP,
        "run {run}: {} uncertain after {crashes} crashes",
        unsure.len()
    );
}

/// List entries of one run: everyone who passed, repeats only from crashes in the window
/// between an answer and its ledger write (a SIGKILL may have landed there too).
fn check_list(run: u64, passed: u64, day: &Day, klaviyo: &FakeKlaviyo) {
    let entries = list_entries(klaviyo, day.requests);
    assert_eq!(
        entries.len() as u64,
        passed,
        "run {run}: customers on the list"
    );
    let repeats: u32 = entries.values().map(|n| n - 1).sum();
    let crashes = &day.webhook_crashes;
    let in_window = crashes.get("webhook-answered").copied().unwrap_or(0)
        + crashes.get("kill").copied().unwrap_or(0);
    assert!(
        repeats as usize <= in_window as usize * BATCH,
        "run {run}: {repeats} repeated list entries after {in_window} crashes in the window \
         ({crashes:?})"
    );
}

/// Whether a tick ran to its end: exit 0, or 3 when some customer's step failed (e-mails a
/// crash left unconfirmed fail theirs).
fn ran(status: &std::process::ExitStatus) -> bool {
    matches!(status.code(), Some(0 | 3))
}
