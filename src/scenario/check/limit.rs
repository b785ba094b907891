//! Limits: exactly one cap source, known plans, plan and caps tables that cover the
//! project's mailbox providers and every day the trigger produces, templates of `day`.

use std::collections::BTreeMap;

use super::nodes::exactly_one;
use super::{predicate, templates, Cx};
use crate::scenario::compiled::{CapSource, Limit, Priority};
use crate::scenario::model::{CapValue, GroupBy, LimitNode, PriorityRule};
use crate::scenario::{Code, YamlPath};

/// The catch-all entry of a caps or plan table.
pub const DEFAULT_GROUP: &str = "default";

/// Compiles a limit written at `path`.
pub fn compile(cx: &mut Cx<'_>, n: &LimitNode, path: &YamlPath) -> Option<Limit> {
    let fields = [
        ("cap", n.cap.is_some()),
        ("caps", n.caps.is_some()),
        ("plan", n.plan.is_some()),
    ];
    let one = exactly_one(cx, path, "a limit", &fields);
    let mut ok = one;
    if let Some(GroupBy::Template(text)) = &n.group_by {
        ok &= templates::template(cx, text, &path.key("group_by").key("template"));
    }
    if let Some(cap) = &n.cap {
        ok &= cap_value(cx, cap, &path.key("cap"));
    }
    if let Some(caps) = &n.caps {
        for (group, cap) in caps {
            ok &= cap_value(cx, cap, &path.key("caps").key(group.clone()));
        }
        if n.group_by == Some(GroupBy::MailboxProvider) {
            let groups: Vec<String> = caps.keys().cloned().collect();
            ok &= provider_groups(cx, &groups, &path.key("caps"), "caps");
        }
    }
    if let Some(plan) = &n.plan {
        ok &= plan_name(cx, plan, n.group_by.as_ref(), &path.key("plan"));
    }
    if let Some(guard) = &n.guard {
        for (field, rate) in [
            ("max_bounce_rate", guard.max_bounce_rate),
            ("max_complaint_rate", guard.max_complaint_rate),
        ] {
            if rate.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
                let at = path.key("guard").key(field);
                cx.error(
                    &at,
                    Code::InvalidValue,
                    format!("`{field}` is a fraction between 0 and 1 (0.03 = 3 %)"),
                );
                ok = false;
            }
        }
    }
    let priority = priorities(cx, &n.priority, &path.key("priority"));
    if !ok {
        return None;
    }
    let caps = match (&n.cap, &n.caps, &n.plan) {
        (Some(cap), _, _) => CapSource::Every(cap.clone()),
        (_, Some(caps), _) => {
            let mut caps = caps.clone();
            let default = caps.remove(DEFAULT_GROUP);
            CapSource::PerGroup { caps, default }
        }
        (_, _, Some(plan)) => CapSource::Plan(plan.clone()),
        _ => return None,
    };
    Some(Limit {
        group_by: n.group_by.clone(),
        per: n.per,
        caps,
        priority: priority?,
        guard: n.guard.clone(),
    })
}

fn cap_value(cx: &mut Cx<'_>, cap: &CapValue, path: &YamlPath) -> bool {
    match cap {
        CapValue::Constant(_) => true,
        CapValue::Template(text) if crate::template::is_template(text) => {
            templates::template(cx, text, path)
        }
        CapValue::Template(text) => {
            let message = format!("cap `{text}` is neither a whole number nor a template such as `{{{{ 50 * day }}}}`");
            cx.error(path, Code::InvalidValue, message);
            false
        }
    }
}

fn priorities(cx: &mut Cx<'_>, rules: &[PriorityRule], path: &YamlPath) -> Option<Vec<Priority>> {
    let mut compiled = Some(Vec::new());
    for (i, rule) in rules.iter().enumerate() {
        let one = match rule {
            PriorityRule::Matching(p) => {
                predicate::compile(cx, p, &path.index(i).key("matching")).map(Priority::Matching)
            }
            PriorityRule::Recent(name) => Some(Priority::Recent(name.clone())),
            PriorityRule::Highest(name) => Some(Priority::Highest(name.clone())),
            PriorityRule::Lowest(name) => Some(Priority::Lowest(name.clone())),
        };
        compiled = compiled.zip(one).map(|(mut all, one)| {
            all.push(one);
            all
        });
    }
    compiled
}

/// A `plan:` naming a plan of the scenario whose groups match the providers.
fn plan_name(cx: &mut Cx<'_>, plan: &str, group_by: Option<&GroupBy>, path: &YamlPath) -> bool {
    let Some(plans) = cx.plans else {
        return true;
    };
    let Some(table) = plans.get(plan) else {
        let known: Vec<String> = plans.keys().cloned().collect();
        cx.unknown_name(path, Code::UnknownPlan, "plan", plan, &known);
        return false;
    };
    if group_by == Some(&GroupBy::MailboxProvider) {
        let groups: Vec<String> = table.keys().cloned().collect();
        let plan_path = YamlPath::root().key("plans").key(plan);
        return provider_groups(cx, &groups, &plan_path, &format!("plan `{plan}`"));
    }
    true
}

/// Every provider group of the project is covered (or there is `other`/`default`), and
/// every group named is one of them.
fn provider_groups(cx: &mut Cx<'_>, written: &[String], path: &YamlPath, what: &str) -> bool {
    let known = cx.provider_groups();
    let mut ok = true;
    for group in written {
        if group != DEFAULT_GROUP && !known.contains(group) {
            let at = path.key(group.clone());
            let mut all = known.clone();
            all.push(DEFAULT_GROUP.into());
            let help = crate::scenario::reporter::suggest(group, &all).unwrap_or_else(|| {
                format!("groups: {}", crate::scenario::reporter::quote_all(&all))
            });
            cx.reporter
                .key(
                    &at,
                    Code::PlanGroups,
                    cx.node.as_deref(),
                    format!("{what} names `{group}`, which is not a mailbox-provider group"),
                )
                .help = Some(help);
            ok = false;
        }
    }
    let catch_all = written
        .iter()
        .any(|g| g == DEFAULT_GROUP || g == crate::project::OTHER_PROVIDER);
    if !catch_all {
        let missing: Vec<&String> = known
            .iter()
            .filter(|g| !written.contains(g) && g.as_str() != crate::project::OTHER_PROVIDER)
            .collect();
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|g| format!("`{g}`")).collect();
            cx.reporter.key(path, Code::PlanGroups, cx.node.as_deref(), format!("{what} has no row for {} and no `other` or `default`", names.join(", "))).help =
                Some("customers of a group without a row would pass nobody; add the row, or `other`/`default`".into());
            ok = false;
        }
    }
    ok
}

/// Checks that every row of `plan` covers `days` days.
pub fn plan_days(cx: &mut Cx<'_>, plan: &str, days: usize, trigger: &str) {
    let Some(table) = cx.plans.and_then(|plans| plans.get(plan)) else {
        return;
    };
    let table: BTreeMap<String, Vec<u64>> = table.clone();
    for (group, values) in table {
        if values.len() < days {
            let at = YamlPath::root().key("plans").key(plan).key(group.clone());
            cx.error_help(
                &at,
                Code::PlanDays,
                format!("plan `{plan}` row `{group}` has {} days, but trigger `{trigger}` fires on {days} days", values.len()),
                Some(match values.len() + 1 {
                    next if next == days => format!("add the value for day {days}"),
                    next => format!("add the values for days {next} to {days}"),
                }),
            );
        }
    }
}
