//! Compiles each node kind: times parsed, "exactly one of" rules, predicates,
//! templates, and the kind-specific checks of limits, webhooks and e-mails.

use super::{email, limit, predicate, templates, webhook, Cx};
use crate::scenario::compiled::{
    AddEvent, Condition, NodeKind, OnDate, OnEvent, Repeat, Schedule, SetProperty, Split, Wait,
};
use crate::scenario::model::{self, Node};
use crate::scenario::time::{
    parse_cron, parse_date, parse_local_datetime, parse_time_of_day, MAX_DURATION,
};
use crate::scenario::{Code, YamlPath};

/// Compiles one node written at `path`.
pub fn compile(cx: &mut Cx<'_>, node: &Node, path: &YamlPath) -> Option<NodeKind> {
    match node {
        Node::OnDate(n) => {
            let at = cx.parse(
                &path.key("at"),
                Code::InvalidDate,
                &n.at,
                parse_local_datetime,
            )?;
            Some(NodeKind::OnDate(OnDate {
                at,
                catch_up: n.catch_up,
            }))
        }
        Node::Repeat(n) => repeat(cx, n, path).map(NodeKind::Repeat),
        Node::OnEvent(n) => {
            let filter = predicate::filter(cx, &n.filter, &path.key("where"));
            if n.event == "consent" {
                predicate::consent_filter(cx, &n.filter, &path.key("where"));
            }
            Some(NodeKind::OnEvent(OnEvent {
                event: n.event.clone(),
                filter: filter?,
            }))
        }
        Node::Condition(n) => predicate::compile(cx, &n.predicate, &path.key("if"))
            .map(|predicate| NodeKind::Condition(Condition { predicate })),
        Node::Wait(n) => wait(cx, n, path).map(NodeKind::Wait),
        Node::Limit(n) => limit::compile(cx, n, path).map(|l| NodeKind::Limit(Box::new(l))),
        Node::Split(n) => split(cx, n, path).map(NodeKind::Split),
        Node::SetProperty(n) => {
            let ok = templates::json(cx, &serde_json::json!(n.set), &path.key("set"));
            ok.then(|| NodeKind::SetProperty(SetProperty { set: n.set.clone() }))
        }
        Node::AddEvent(n) => {
            let props = serde_json::json!(n.properties);
            let ok = templates::json(cx, &props, &path.key("properties"));
            ok.then(|| {
                NodeKind::AddEvent(AddEvent {
                    event: n.event.clone(),
                    properties: n.properties.clone(),
                })
            })
        }
        Node::Webhook(n) => {
            webhook::check(cx, n, path).then(|| NodeKind::Webhook(Box::new(n.clone())))
        }
        Node::Email(n) => email::check(cx, n, path).then(|| NodeKind::Email(Box::new(n.clone()))),
    }
}

/// Reports unless exactly one of the named fields is written; whether it is.
pub fn exactly_one(cx: &mut Cx<'_>, path: &YamlPath, what: &str, fields: &[(&str, bool)]) -> bool {
    let written: Vec<&str> = fields.iter().filter(|(_, w)| *w).map(|(f, _)| *f).collect();
    let names: Vec<String> = fields.iter().map(|(f, _)| format!("`{f}`")).collect();
    let (at, found) = match written.as_slice() {
        [] => (path.clone(), "none".to_owned()),
        [_, second, ..] => (
            path.key(*second),
            written
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
        [_] => return true,
    };
    cx.error(
        &at,
        Code::ExactlyOne,
        format!(
            "{what} needs exactly one of {}; found {found}",
            names.join(", ")
        ),
    );
    false
}

fn repeat(cx: &mut Cx<'_>, n: &model::RepeatNode, path: &YamlPath) -> Option<Repeat> {
    let one = exactly_one(
        cx,
        path,
        "a repeat trigger",
        &[("at", n.at.is_some()), ("cron", n.cron.is_some())],
    );
    let schedule = match (&n.at, &n.cron) {
        (Some(at), None) => cx
            .parse(&path.key("at"), Code::InvalidDate, at, parse_time_of_day)
            .map(Schedule::Daily),
        (None, Some(cron)) => cx
            .parse(&path.key("cron"), Code::InvalidCron, cron, parse_cron)
            .map(|_| Schedule::Cron(cron.clone())),
        _ => None,
    };
    let mut date = |field: &str, value: &Option<String>| match value {
        Some(text) => cx
            .parse(&path.key(field), Code::InvalidDate, text, parse_date)
            .map(Some),
        None => Some(None),
    };
    let start = date("start", &n.start);
    let end = date("end", &n.end);
    if let (Some(Some(start)), Some(Some(end))) = (start, end) {
        if end < start {
            cx.error(
                &path.key("end"),
                Code::InvalidDate,
                format!("`end` {end} is before `start` {start}"),
            );
            return None;
        }
    }
    if !one {
        return None;
    }
    Some(Repeat {
        schedule: schedule?,
        start: start?,
        end: end?,
        catch_up: n.catch_up,
    })
}

fn wait(cx: &mut Cx<'_>, n: &model::WaitNode, path: &YamlPath) -> Option<Wait> {
    let fields = [
        ("for", n.duration.is_some()),
        ("until", n.until.is_some()),
        ("at", n.at.is_some()),
        ("template", n.template.is_some()),
    ];
    if !exactly_one(cx, path, "a wait", &fields) {
        return None;
    }
    if let Some(text) = &n.duration {
        return cx
            .duration(&path.key("for"), text, MAX_DURATION)
            .map(Wait::For);
    }
    if let Some(text) = &n.until {
        return cx
            .parse(
                &path.key("until"),
                Code::InvalidDate,
                text,
                parse_time_of_day,
            )
            .map(Wait::Until);
    }
    if let Some(text) = &n.at {
        return cx
            .parse(
                &path.key("at"),
                Code::InvalidDate,
                text,
                parse_local_datetime,
            )
            .map(Wait::At);
    }
    let text = n.template.clone()?;
    templates::template(cx, &text, &path.key("template")).then_some(Wait::Template(text))
}

fn split(cx: &mut Cx<'_>, n: &model::SplitNode, path: &YamlPath) -> Option<Split> {
    let percents: Vec<f64> = n.branches.iter().map(|b| b.percent).collect();
    let mut ok = true;
    for (i, percent) in percents.iter().enumerate() {
        if !(0.0..=100.0).contains(percent) {
            let at = path.key("branches").index(i).key("percent");
            cx.error(
                &at,
                Code::SplitPercent,
                format!("a branch's percent is 0–100, not {percent}"),
            );
            ok = false;
        }
    }
    let total: f64 = percents.iter().sum();
    if ok && (total - 100.0).abs() > 1e-6 {
        let node = cx.node.clone();
        cx.reporter.key(
            &path.key("branches"),
            Code::SplitPercent,
            node.as_deref(),
            format!("split percentages add up to {total}, not 100"),
        );
        ok = false;
    }
    let labels = n
        .branches
        .iter()
        .enumerate()
        .map(|(i, b)| b.port(i))
        .collect();
    ok.then_some(Split { percents, labels })
}
