//! `/status` and the engine's `/metrics` through the real binaries: after `warmup tick`
//! starts a run, `warmup serve` answers `/status` with the same runs, node counts, parked
//! tokens and next fires that `warmup status` prints, and `/metrics` with the same numbers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use assert_cmd::prelude::*;
use prometheus_parse::{Scrape, Value};
use warmup::server::StatusReport;

const TOKEN: &str = "status-test-token";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(dir)
        .env("WARMUP_INGEST_TOKEN", TOKEN)
        .env("WARMUP_UNSUBSCRIBE_KEY", "status-test-key")
        .env_remove("WARMUP_CRASH_AT");
    command
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example project with 1,000 sample customers, ticked into day 1 of the plan.
fn ticked_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    std::fs::copy(repo().join("warmup.yaml"), out.join("warmup.yaml")).unwrap();
    std::fs::create_dir_all(out.join("scenarios")).unwrap();
    std::fs::copy(
        repo().join("scenarios/plan-driven.yaml"),
        out.join("scenarios/plan-driven.yaml"),
    )
    .unwrap();
    copy_dir(&repo().join("templates"), &out.join("templates"));
    warmup::sample::Sample::new(5)
        .write_csv(
            std::fs::File::create(out.join("engaged.csv")).unwrap(),
            1000,
        )
        .unwrap();
    warmup(out)
        .args(["import", "customers", "engaged.csv", "--tag", "engaged-90"])
        .assert()
        .success();
    // The first tick registers the scenario; the second starts day 1.
    for now in ["2026-11-30T12:00:00+01:00", "2026-12-01T00:00:05+01:00"] {
        warmup(out)
            .args(["tick", "--capture", "--now", now])
            .assert()
            .success();
    }
    dir
}

struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Served {
    let mut child = warmup(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    Served { child, base }
}

/// The lines `warmup status` prints for what the JSON report says.
fn expected_lines(report: &StatusReport) -> Vec<String> {
    let mut lines = vec![format!("runs: {}", report.runs.len())];
    for run in &report.runs {
        let status = serde_json::to_value(run.status).unwrap();
        let mut status = status.as_str().unwrap().to_owned();
        status[..1].make_ascii_uppercase();
        lines.push(format!(
            "  run {} {} version {} trigger {} fired {} day {} status {status} entered {} parked {}",
            run.id,
            run.scenario,
            run.version,
            run.trigger,
            run.fired_at.to_rfc3339(),
            run.day.map_or("-".to_owned(), |d| d.to_string()),
            run.entered,
            run.parked
        ));
        for (node, metrics) in &run.nodes {
            let metrics: Vec<String> = metrics.iter().map(|(m, v)| format!("{m} {v}")).collect();
            lines.push(format!("    {node}: {}", metrics.join(", ")));
        }
    }
    for group in &report.parked {
        lines.push(format!(
            "  {} run {} node {}: {}",
            group.due.to_rfc3339(),
            group.run,
            group.node,
            group.count
        ));
    }
    for fire in &report.next_fires {
        lines.push(match (fire.at, fire.on_event) {
            (Some(at), _) => format!(
                "  {} {}: {}{}",
                fire.scenario,
                fire.trigger,
                at.to_rfc3339(),
                fire.day.map_or(String::new(), |d| format!(" (day {d})"))
            ),
            (None, true) => format!(
                "  {} {}: on each matching event",
                fire.scenario, fire.trigger
            ),
            (None, false) => format!("  {} {}: no more fires", fire.scenario, fire.trigger),
        });
    }
    lines.push(format!(
        "e-mails left uncertain by a crash (not resent): {}; awaiting confirmation: {}",
        report.emails.uncertain, report.emails.awaiting_confirmation
    ));
    for send in report.emails.uncertain_sends.iter().take(20) {
        lines.push(format!(
            "  run {} node {} customer {}",
            send.run, send.node, send.customer
        ));
    }
    lines
}

fn metric(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) => v,
            _ => panic!("{name} is untyped"),
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_matches_warmup_status_and_metrics_agree() {
    let dir = ticked_project();
    let text = warmup(dir.path()).arg("status").output().unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();

    let served = serve(dir.path());
    let client = reqwest::Client::new();
    let unauthorized = client
        .get(format!("{}/status", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let response = client
        .get(format!("{}/status", served.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: StatusReport = response.json().await.unwrap();

    assert_eq!(report.runs.len(), 1);
    let run = &report.runs[0];
    assert_eq!((run.id, run.entered, run.parked), (1, 1000, 150));
    assert!(run.current_version);
    assert_eq!(report.parked.len(), 1);
    assert_eq!(
        (report.parked[0].node.as_str(), report.parked[0].count),
        ("256", 150)
    );
    for line in expected_lines(&report) {
        assert!(
            text.lines().any(|l| l == line),
            "`warmup status` lacks {line:?}:\n{text}"
        );
    }

    let only_other = client
        .get(format!(
            "{}/status?scenario=nothing-by-this-name",
            served.base
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let only_other: StatusReport = only_other.json().await.unwrap();
    assert!(only_other.runs.is_empty() && only_other.next_fires.is_empty());

    let metrics = client
        .get(format!("{}/metrics", served.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = Scrape::parse(metrics.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let scenario = run.scenario.as_str();
    assert_eq!(
        metric(&scrape, "warmup_parked_tokens", &[("scenario", scenario)]),
        150.0
    );
    assert_eq!(
        metric(
            &scrape,
            "warmup_runs",
            &[("scenario", scenario), ("status", "open")]
        ),
        1.0
    );
    for (node, counts) in &run.nodes {
        for (name, value) in counts {
            let labels = [
                ("scenario", scenario),
                ("node", node.as_str()),
                ("metric", name.as_str()),
            ];
            assert_eq!(
                metric(&scrape, "warmup_node_tokens_total", &labels),
                *value as f64,
                "{node} {name}"
            );
        }
    }
    assert_eq!(metric(&scrape, "warmup_emails_uncertain", &[]), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_per_mailbox_provider_and_day_follow_the_emails() {
    let dir = ticked_project();
    warmup(dir.path())
        .args(["tick", "--capture", "--now", "2026-12-01T09:00:05+01:00"])
        .assert()
        .success();
    let served = serve(dir.path());
    let metrics = reqwest::get(format!("{}/metrics", served.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = Scrape::parse(metrics.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let day = [("date", "2026-12-01"), ("action", "delivered")];
    // The plan's day-1 caps: gmail 50, microsoft 30, yahoo 20, apple 20, other 30.
    for (provider, cap) in [
        ("gmail", 50.0),
        ("microsoft", 30.0),
        ("yahoo", 20.0),
        ("apple", 20.0),
        ("other", 30.0),
    ] {
        let labels = [day[0], day[1], ("mailbox_provider", provider)];
        assert_eq!(
            metric(&scrape, "warmup_emails_total", &labels),
            cap,
            "{provider}"
        );
    }
    assert_eq!(metric(&scrape, "warmup_parked_tokens", &[]), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mails_a_crash_left_uncertain_are_listed_like_warmup_status_lists_them() {
    let dir = ticked_project();
    let sending = "2026-12-01T09:00:05+01:00";
    warmup(dir.path())
        .args(["tick", "--capture", "--now", sending])
        .env("WARMUP_CRASH_AT", "email-sent:3")
        .assert()
        .failure();
    // Exit 3: the unconfirmed e-mails fail their step.
    warmup(dir.path())
        .args(["tick", "--capture", "--now", sending])
        .assert()
        .code(3);
    let text = warmup(dir.path()).arg("status").output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();

    let served = serve(dir.path());
    let client = reqwest::Client::new();
    let report: StatusReport = client
        .get(format!("{}/status", served.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uncertain = report.emails.uncertain;
    assert!(
        uncertain >= 1,
        "the crash left at least one send unconfirmed"
    );
    assert_eq!(report.emails.uncertain_sends.len(), uncertain);
    assert!(report
        .emails
        .uncertain_sends
        .iter()
        .all(|send| send.node == "mail"));
    for line in expected_lines(&report) {
        assert!(
            text.lines().any(|l| l == line),
            "`warmup status` lacks {line:?}:\n{text}"
        );
    }
    let metrics = client
        .get(format!("{}/metrics", served.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = Scrape::parse(metrics.lines().map(|l| Ok(l.to_owned()))).unwrap();
    assert_eq!(
        metric(&scrape, "warmup_emails_uncertain", &[]),
        uncertain as f64
    );
}
