//! A project whose one wave e-mails every customer over SMTP (`tls: none`) to a loopback
//! receiver: for the crash, stop and uncertain-send tests. The e-mail node's failures end
//! the customer's path; its ledger is read back from the store after the commands ran.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use warmup::engine::state::{LedgerState, SledKv};
use warmup::engine::EngineState;
use warmup::store::Store;

/// Writes `warmup.yaml`, the scenario and the template; `trigger` is the scenario's trigger
/// node (YAML flow mapping), which must lead to `mail`.
pub fn write_project(dir: &Path, smtp: u16, trigger: &str) {
    let project = format!(
        r#"timezone: UTC
store: .warmup
scenarios: [scenarios/wave.yaml]
consent_categories:
  newsletter: {{ description: News by e-mail. }}
email:
  transport: {{ kind: smtp, host: 127.0.0.1, port: {smtp}, tls: none }}
  from: "Brand <news@brand.example>"
  templates: templates
  unsubscribe:
    base_url: https://mail.brand.example
    signing_key: {{ file: signing.key }}
    category: newsletter
"#
    );
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
    std::fs::write(dir.join("signing.key"), "wave-test-signing-key").unwrap();
    let scenario = format!(
        "name: wave\nnodes:\n  start: {trigger}\n  mail: {{ kind: email, template: hello }}\n"
    );
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(dir.join("scenarios/wave.yaml"), scenario).unwrap();
    let templates = dir.join("templates/hello");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("subject.txt"), "Hello from Brand").unwrap();
    std::fs::write(templates.join("body.txt"), "Hi.\n{{ unsubscribe_url }}\n").unwrap();
    std::fs::write(
        templates.join("body.html"),
        "<p>Hi.</p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a>",
    )
    .unwrap();
}

/// Imports `count` customers `person0000@example.com`, … (ids 1, 2, … in that order).
pub fn import_customers(dir: &Path, count: usize) -> Vec<String> {
    let emails: Vec<String> = (0..count)
        .map(|i| format!("person{i:04}@example.com"))
        .collect();
    let mut csv = String::from("Email\n");
    for email in &emails {
        csv.push_str(email);
        csv.push('\n');
    }
    std::fs::write(dir.join("customers.csv"), csv).unwrap();
    let status = warmup(dir)
        .args(["import", "customers", "customers.csv"])
        .status()
        .unwrap();
    assert!(status.success(), "import failed");
    emails
}

/// `warmup` in the project folder, quiet, without crash points.
pub fn warmup(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warmup"));
    command
        .current_dir(dir)
        .env_remove("WARMUP_CRASH_AT")
        .env("WARMUP_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The e-mail ledger after the commands: recipient address → state.
pub fn ledger(dir: &Path) -> HashMap<String, LedgerState> {
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    let mut found = HashMap::new();
    for kind in [
        LedgerState::Intent,
        LedgerState::Done,
        LedgerState::Failed,
        LedgerState::Uncertain,
        LedgerState::Dismissed,
    ] {
        for (_, _, customer) in state.ledger_in(kind).unwrap() {
            let email = store
                .customer(warmup::store::CustomerId(customer))
                .unwrap()
                .and_then(|c| c.email_id)
                .expect("a customer with an e-mail address");
            assert!(found.insert(email, kind).is_none(), "two entries");
        }
    }
    found
}

/// The `delivered` campaign statistic, summed over days and mailbox providers.
pub fn delivered_stat(dir: &Path) -> u64 {
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    state
        .stats()
        .unwrap()
        .iter()
        .filter(|stat| stat.action == "delivered")
        .map(|stat| stat.value)
        .sum()
}

/// Recipients of the messages the receiver got, with their multiplicity.
pub fn received(smtp: &super::smtp_server::SmtpServer) -> HashMap<String, u32> {
    let mut seen = HashMap::new();
    for message in smtp.messages() {
        assert_eq!(message.to.len(), 1);
        *seen.entry(message.to[0].clone()).or_default() += 1;
    }
    seen
}
