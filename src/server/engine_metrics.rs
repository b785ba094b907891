//! Metrics read from the engine's state at scrape time: node counters per scenario, e-mails
//! per mailbox provider and day, webhook outcomes, runs, parked tokens, uncertain e-mails,
//! and how far each `on_event` trigger is behind the event log.
//!
//! Every value comes from keyed reads or scans of small trees (counters, runs, triggers);
//! parked tokens are read from per-run totals, never by walking the due index.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use crate::engine::state::{LedgerState, RunRecord};
use crate::engine::{Engine, EngineError};
use crate::store::Store;

/// `campaign` event actions counted per mailbox provider and day.
const EMAIL_ACTIONS: &[&str] = &["delivered", "failed", "bounced", "complained"];

type Labels = Vec<(&'static str, String)>;

/// Reads the engine state on every scrape.
pub struct EngineCollector {
    engine: Arc<Engine>,
    store: Arc<Store>,
    providers: Vec<String>,
}

impl std::fmt::Debug for EngineCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineCollector")
            .field("providers", &self.providers)
            .finish_non_exhaustive()
    }
}

/// The samples of one scrape, grouped by metric.
#[derive(Default)]
struct Samples {
    nodes: Vec<(Labels, u64)>,
    emails: Vec<(Labels, u64)>,
    webhooks: Vec<(Labels, u64)>,
    runs: Vec<(Labels, i64)>,
    parked: Vec<(Labels, i64)>,
    trigger_lag: Vec<(Labels, i64)>,
    uncertain: i64,
}

impl EngineCollector {
    /// A collector; `providers` are the mailbox-provider groups (with `other`).
    pub fn new(engine: Arc<Engine>, store: Arc<Store>, providers: Vec<String>) -> Self {
        Self {
            engine,
            store,
            providers,
        }
    }

    fn samples(&self) -> Result<Samples, EngineError> {
        let state = self.engine.state();
        let runs: BTreeMap<u64, RunRecord> =
            state.runs()?.into_iter().map(|run| (run.id, run)).collect();
        let mut samples = Samples::default();
        let dates = self.node_samples(&runs, &mut samples)?;
        samples.emails = self.email_samples(&dates)?;
        self.run_samples(&runs, &mut samples)?;
        samples.trigger_lag = self.trigger_lag()?;
        samples.uncertain = state.ledger_in(LedgerState::Uncertain)?.len() as i64;
        Ok(samples)
    }

    /// Node counters summed over runs and dates (webhook nodes also as outcomes); returns
    /// the local dates each scenario has counters on.
    fn node_samples(
        &self,
        runs: &BTreeMap<u64, RunRecord>,
        samples: &mut Samples,
    ) -> Result<BTreeMap<String, BTreeSet<NaiveDate>>, EngineError> {
        let mut nodes: BTreeMap<(String, String, String), u64> = BTreeMap::new();
        let mut dates: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
        for counter in self.engine.state().counters(None)? {
            let Some(run) = runs.get(&counter.run) else {
                continue;
            };
            dates
                .entry(run.scenario.clone())
                .or_default()
                .insert(counter.date);
            *nodes
                .entry((run.scenario.clone(), counter.node, counter.metric))
                .or_insert(0) += counter.value;
        }
        for ((scenario, node, metric), value) in nodes {
            if self.kind_of(&scenario, &node) == Some("webhook") && metric != "entered" {
                let labels = vec![
                    ("scenario", scenario.clone()),
                    ("node", node.clone()),
                    ("outcome", metric.clone()),
                ];
                samples.webhooks.push((labels, value));
            }
            let labels = vec![("scenario", scenario), ("node", node), ("metric", metric)];
            samples.nodes.push((labels, value));
        }
        Ok(dates)
    }

    /// E-mail outcomes per scenario, date, provider and action (non-zero ones only).
    fn email_samples(
        &self,
        dates: &BTreeMap<String, BTreeSet<NaiveDate>>,
    ) -> Result<Vec<(Labels, u64)>, EngineError> {
        let state = self.engine.state();
        let mut emails = Vec::new();
        for (scenario, dates) in dates {
            for date in dates {
                for provider in &self.providers {
                    for action in EMAIL_ACTIONS {
                        let value = state.stat(scenario, *date, provider, action)?;
                        if value > 0 {
                            let labels = vec![
                                ("scenario", scenario.clone()),
                                ("date", date.to_string()),
                                ("mailbox_provider", provider.clone()),
                                ("action", (*action).to_owned()),
                            ];
                            emails.push((labels, value));
                        }
                    }
                }
            }
        }
        Ok(emails)
    }

    /// Runs by scenario and status, and parked tokens per scenario (per-run totals).
    fn run_samples(
        &self,
        runs: &BTreeMap<u64, RunRecord>,
        samples: &mut Samples,
    ) -> Result<(), EngineError> {
        let mut by_status: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut parked: BTreeMap<String, i64> = BTreeMap::new();
        for run in runs.values() {
            let status = serde_json::to_value(run.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            *by_status.entry((run.scenario.clone(), status)).or_insert(0) += 1;
            *parked.entry(run.scenario.clone()).or_insert(0) +=
                self.engine.state().parked(run.id)?;
        }
        samples.runs = by_status
            .into_iter()
            .map(|((scenario, status), n)| (vec![("scenario", scenario), ("status", status)], n))
            .collect();
        samples.parked = parked
            .into_iter()
            .map(|(scenario, n)| (vec![("scenario", scenario)], n))
            .collect();
        Ok(())
    }

    /// Events of the log each `on_event` trigger has not read yet.
    fn trigger_lag(&self) -> Result<Vec<(Labels, i64)>, EngineError> {
        let head = self.store.next_event_seq();
        let mut lag = Vec::new();
        for scenario in self.engine.scenarios() {
            for &trigger in scenario.triggers() {
                let node = scenario.node(trigger);
                if node.kind.name() != "on_event" {
                    continue;
                }
                let cursor = self
                    .engine
                    .state()
                    .trigger_state(scenario.name(), &node.id)?
                    .map_or(head, |state| state.cursor);
                lag.push((
                    vec![
                        ("scenario", scenario.name().to_owned()),
                        ("trigger", node.id.clone()),
                    ],
                    head.saturating_sub(cursor) as i64,
                ));
            }
        }
        Ok(lag)
    }

    /// The kind of a node in the scenario's current version.
    fn kind_of(&self, scenario: &str, node: &str) -> Option<&'static str> {
        let scenario = self
            .engine
            .scenarios()
            .iter()
            .find(|s| s.name() == scenario)?;
        let index = scenario.index_of(node)?;
        Some(scenario.node(index).kind.name())
    }
}

impl Collector for EngineCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // A state that cannot be read leaves these series out rather than failing the scrape.
        let Ok(samples) = self.samples() else {
            return Ok(());
        };
        family(&mut encoder, "node_tokens", "Tokens per scenario, node and metric (entered, failed, or the port they left by), over all runs", MetricType::Counter, &samples.nodes)?;
        family(&mut encoder, "emails", "E-mail outcomes (campaign events) per scenario, local date, mailbox provider and action", MetricType::Counter, &samples.emails)?;
        family(
            &mut encoder,
            "webhook_outcomes",
            "Webhook node outcomes per scenario and node (next = done, failed, on_failure)",
            MetricType::Counter,
            &samples.webhooks,
        )?;
        family(
            &mut encoder,
            "runs",
            "Runs per scenario and status",
            MetricType::Gauge,
            &samples.runs,
        )?;
        family(
            &mut encoder,
            "parked_tokens",
            "Tokens parked (waiting) per scenario",
            MetricType::Gauge,
            &samples.parked,
        )?;
        family(
            &mut encoder,
            "event_trigger_lag_events",
            "Events in the log that an on_event trigger has not read yet",
            MetricType::Gauge,
            &samples.trigger_lag,
        )?;
        family(
            &mut encoder,
            "emails_uncertain",
            "E-mails whose send a crash left unconfirmed (not resent)",
            MetricType::Gauge,
            &[(Vec::new(), samples.uncertain)],
        )
    }
}

/// Encodes one metric family of labelled values.
fn family<V: Copy + Into<i128>>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    values: &[(Labels, V)],
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, value) in values {
        let value: i128 = (*value).into();
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sample = metric.encode_family(&labels)?;
        match kind {
            MetricType::Counter => {
                ConstCounter::new(u64::try_from(value).unwrap_or(0)).encode(sample)?
            }
            _ => ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)).encode(sample)?,
        }
    }
    Ok(())
}
