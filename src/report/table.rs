//! The terminal table of a simulation.
//!
//! Nodes are rows and days are columns. A plan is checked by reading a node's row from left
//! to right, which shows its ramp (how many pass the limit on day 1, 2, 3, …, how many leave
//! through `over`), and a column from top to bottom, which shows one day's funnel from the
//! trigger to the e-mail. One section per day would put the numbers to compare fourteen
//! screens apart. Each node has one row for the tokens that entered it, then one indented row
//! per port they left by (and one for failures, if any). Days come in blocks of a week, so
//! seven-digit counts still fit a terminal about 120 columns wide.
//!
//! The second part shows, per mailbox provider, a row of e-mails sent and a row of the cap
//! in force, so the ramp and its ceiling sit one above the other; `!` marks a day on which a
//! provider was sent more than its cap.

use std::fmt::Write as _;

use super::grid::Grid;
use super::{thousands, DayReport, NodeCount, SimulationReport};

/// Days per block of columns.
const DAYS_PER_BLOCK: usize = 7;

/// One node's rows: its identity and which ports and failures appear on any day.
struct NodeRows<'a> {
    scenario: &'a str,
    node: &'a str,
    label: &'a str,
    kind: &'a str,
    ports: Vec<&'a str>,
    failed: bool,
}

impl SimulationReport {
    /// The report as aligned text: per day × node counts, then per day × mailbox provider
    /// sends with the caps in force.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Simulation {} to {} ({} {})",
            self.from,
            self.to(),
            self.days.len(),
            if self.days.len() == 1 { "day" } else { "days" }
        );
        if self.days.is_empty() {
            return out;
        }
        let nodes = node_rows(&self.days);
        out.push_str("\nTokens per node: entered, then left by port\n");
        for block in self.days.chunks(DAYS_PER_BLOCK) {
            out.push('\n');
            node_block(&nodes, block).render(&mut out);
        }
        let providers = self.providers();
        out.push_str("\nE-mails sent per mailbox provider, and the cap in force\n");
        let mut over_cap = false;
        for block in self.days.chunks(DAYS_PER_BLOCK) {
            out.push('\n');
            let (grid, over) = sends_block(&providers, &self.days, block);
            grid.render(&mut out);
            over_cap |= over;
        }
        if over_cap {
            out.push_str("\n! sent more than the cap\n");
        }
        out
    }
}

/// Every node seen on any day, in first-seen order, with the union of its ports.
fn node_rows(days: &[DayReport]) -> Vec<NodeRows<'_>> {
    let mut rows: Vec<NodeRows<'_>> = Vec::new();
    for count in days.iter().flat_map(|day| &day.nodes) {
        let index = match rows
            .iter()
            .position(|row| row.scenario == count.scenario && row.node == count.node)
        {
            Some(index) => index,
            None => {
                rows.push(NodeRows {
                    scenario: &count.scenario,
                    node: &count.node,
                    label: &count.label,
                    kind: &count.kind,
                    ports: Vec::new(),
                    failed: false,
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[index];
        for port in count.ports.keys() {
            if !row.ports.contains(&port.as_str()) {
                row.ports.push(port);
            }
        }
        row.failed |= count.failed > 0;
    }
    for row in &mut rows {
        row.ports.sort_unstable();
    }
    rows
}

fn header(first: &str, second: &str, block: &[DayReport]) -> Vec<String> {
    let mut cells = vec![first.to_string(), second.to_string()];
    cells.extend(block.iter().map(|day| day.date.format("%m-%d").to_string()));
    cells
}

fn node_block(nodes: &[NodeRows<'_>], block: &[DayReport]) -> Grid {
    let mut grid = Grid::new(2);
    grid.push(header("node", "kind", block));
    let mut scenario = None;
    for row in nodes {
        if scenario != Some(row.scenario) {
            scenario = Some(row.scenario);
            grid.push(vec![row.scenario.to_string()]);
        }
        let counts: Vec<Option<&NodeCount>> = block
            .iter()
            .map(|day| {
                day.nodes
                    .iter()
                    .find(|c| c.scenario == row.scenario && c.node == row.node)
            })
            .collect();
        let line = |name: String, kind: &str, value: &dyn Fn(&NodeCount) -> u64| {
            let mut cells = vec![name, kind.to_string()];
            cells.extend(
                counts
                    .iter()
                    .map(|count| count.map_or_else(|| "-".to_string(), |c| thousands(value(c)))),
            );
            cells
        };
        grid.push(line(format!("  {}", row.label), row.kind, &|c| c.entered));
        for port in &row.ports {
            grid.push(line(format!("    {port}"), "", &|c| {
                c.ports.get(*port).copied().unwrap_or(0)
            }));
        }
        if row.failed {
            grid.push(line("    failed".to_string(), "", &|c| c.failed));
        }
    }
    grid
}

/// The sends grid of one block (a `sent` row per provider, then its `cap` row if it has a
/// cap on any day), and whether any provider was sent more than its cap.
fn sends_block(providers: &[&str], days: &[DayReport], block: &[DayReport]) -> (Grid, bool) {
    let mut grid = Grid::new(2);
    // Dates carry the same one-character mark column as the counts below them.
    let mut dates = header("provider", "", block);
    dates.iter_mut().skip(2).for_each(|date| date.push(' '));
    grid.push(dates);
    let mut over_cap = false;
    for provider in providers {
        let mut sent_row = vec![(*provider).to_string(), "sent".to_string()];
        let mut cap_row = vec![String::new(), "cap".to_string()];
        for day in block {
            let sent = day.sends.get(*provider).copied().unwrap_or(0);
            let cap = day.caps.get(*provider).copied();
            let over = cap.is_some_and(|cap| sent > cap);
            over_cap |= over;
            sent_row.push(marked(sent, over));
            cap_row.push(cap.map_or_else(|| "- ".to_string(), |cap| marked(cap, false)));
        }
        grid.push(sent_row);
        if days.iter().any(|day| day.caps.contains_key(*provider)) {
            grid.push(cap_row);
        }
    }
    let mut total = vec!["total".to_string(), "sent".to_string()];
    // Caps are per provider; a summed cap would hide which provider is over it.
    total.extend(
        block
            .iter()
            .map(|day| marked(day.sends.values().sum(), false)),
    );
    grid.push(total);
    (grid, over_cap)
}

/// A count followed by `!` when over the cap, else by a space, so digits stay aligned.
fn marked(value: u64, over: bool) -> String {
    format!("{}{}", thousands(value), if over { '!' } else { ' ' })
}
