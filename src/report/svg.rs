//! The ramp chart of a simulation: e-mails sent per day, one line per mailbox provider,
//! with the provider's cap as a dashed line of the same colour.
//!
//! A self-contained SVG (no scripts, fonts or external references) that opens in any
//! browser. Elements carry `class` and `data-*` attributes (`sends`, `cap`, `grid`,
//! `x-label`, `data-provider`, `data-value`) so that tools and tests can read the chart back.

use std::fmt::Write as _;

use super::{thousands, SimulationReport};

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 700.0;
const TOP: f64 = 60.0;
const BOTTOM: f64 = 390.0;
/// The most day labels that fit under the axis without overlapping.
const MAX_X_LABELS: usize = 15;
/// Distinguishable colours (Tableau 10), reused in order when there are more providers.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// Maps days and values to chart coordinates.
struct Scale {
    days: usize,
    max: u64,
}

impl Scale {
    fn x(&self, index: usize) -> f64 {
        if self.days <= 1 {
            return (LEFT + RIGHT) / 2.0;
        }
        LEFT + (RIGHT - LEFT) * index as f64 / (self.days - 1) as f64
    }

    fn y(&self, value: u64) -> f64 {
        BOTTOM - (BOTTOM - TOP) * value as f64 / self.max as f64
    }
}

impl SimulationReport {
    /// The ramp chart as an SVG document.
    pub fn render_svg(&self) -> String {
        let providers = self.providers();
        let (max, step) = axis_range(self.largest_value());
        let scale = Scale {
            days: self.days.len(),
            max,
        };
        let title = format!(
            "E-mails sent per mailbox provider, {} to {}",
            self.from,
            self.to()
        );
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = write!(
            svg,
            r#"<title>{t}</title><rect width="100%" height="100%" fill="white"/><text class="title" x="{x}" y="30" text-anchor="middle" font-size="16" font-weight="bold">{t}</text>"#,
            t = escape(&title),
            x = WIDTH / 2.0
        );
        self.y_axis(&mut svg, &scale, step);
        self.x_axis(&mut svg, &scale);
        for (index, provider) in providers.iter().enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            self.cap_lines(&mut svg, &scale, provider, colour);
            self.send_line(&mut svg, &scale, provider, colour);
        }
        legend(&mut svg, &providers);
        svg.push_str("</svg>\n");
        svg
    }

    fn largest_value(&self) -> u64 {
        self.days
            .iter()
            .flat_map(|day| day.sends.values().chain(day.caps.values()))
            .copied()
            .max()
            .unwrap_or(0)
    }

    fn y_axis(&self, svg: &mut String, scale: &Scale, step: u64) {
        let mut value = 0;
        while value <= scale.max {
            let y = scale.y(value);
            let _ = write!(
                svg,
                r##"<line class="grid" data-value="{value}" x1="{LEFT}" y1="{y:.2}" x2="{RIGHT}" y2="{y:.2}" stroke="#e0e0e0"/><text class="y-label" x="{x:.2}" y="{ty:.2}" text-anchor="end">{label}</text>"##,
                x = LEFT - 8.0,
                ty = y + 4.0,
                label = compact(value)
            );
            match value.checked_add(step) {
                Some(next) => value = next,
                None => break,
            }
        }
        let _ = write!(
            svg,
            r##"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}" stroke="#333"/><text class="axis-title" x="20" y="{my:.2}" text-anchor="middle" transform="rotate(-90 20 {my:.2})">e-mails per day</text>"##,
            my = (TOP + BOTTOM) / 2.0
        );
    }

    fn x_axis(&self, svg: &mut String, scale: &Scale) {
        let _ = write!(
            svg,
            r##"<line class="axis" x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="#333"/>"##
        );
        let _ = write!(
            svg,
            r#"<text class="axis-title" x="{x:.2}" y="{y:.2}" text-anchor="middle">date</text>"#,
            x = (LEFT + RIGHT) / 2.0,
            y = BOTTOM + 44.0
        );
        let stride = self.days.len().div_ceil(MAX_X_LABELS).max(1);
        for (index, day) in self.days.iter().enumerate().step_by(stride) {
            let x = scale.x(index);
            let _ = write!(
                svg,
                r##"<line x1="{x:.2}" y1="{BOTTOM}" x2="{x:.2}" y2="{t:.2}" stroke="#333"/><text class="x-label" data-date="{date}" x="{x:.2}" y="{ly:.2}" text-anchor="middle">{label}</text>"##,
                t = BOTTOM + 5.0,
                date = day.date,
                ly = BOTTOM + 20.0,
                label = day.date.format("%m-%d"),
            );
        }
    }

    fn send_line(&self, svg: &mut String, scale: &Scale, provider: &str, colour: &str) {
        let points: Vec<(f64, f64)> = self
            .days
            .iter()
            .enumerate()
            .map(|(index, day)| {
                let sent = day.sends.get(provider).copied().unwrap_or(0);
                (scale.x(index), scale.y(sent))
            })
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="sends" data-provider="{p}" fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>"#,
            p = escape(provider),
            points = point_list(&points)
        );
        for (x, y) in points {
            let _ = write!(
                svg,
                r#"<circle class="point" data-provider="{p}" cx="{x:.2}" cy="{y:.2}" r="3" fill="{colour}"/>"#,
                p = escape(provider)
            );
        }
    }

    /// One dashed polyline per run of consecutive days on which the provider had a cap. A
    /// single day's cap is drawn as a short dash around its day.
    fn cap_lines(&self, svg: &mut String, scale: &Scale, provider: &str, colour: &str) {
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut open = false;
        for (index, day) in self.days.iter().enumerate() {
            match day.caps.get(provider) {
                Some(&cap) => {
                    let point = (scale.x(index), scale.y(cap));
                    match runs.last_mut() {
                        Some(run) if open => run.push(point),
                        _ => runs.push(vec![point]),
                    }
                    open = true;
                }
                None => open = false,
            }
        }
        for mut run in runs {
            if let [(x, y)] = run[..] {
                run = vec![(x - 8.0, y), (x + 8.0, y)];
            }
            let _ = write!(
                svg,
                r#"<polyline class="cap" data-provider="{p}" fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="6 4" points="{points}"/>"#,
                p = escape(provider),
                points = point_list(&run)
            );
        }
    }
}

fn legend(svg: &mut String, providers: &[&str]) {
    let x = RIGHT + 30.0;
    for (index, provider) in providers.iter().enumerate() {
        let y = TOP + 10.0 + 22.0 * index as f64;
        let _ = write!(
            svg,
            r#"<g class="legend" data-provider="{p}"><line x1="{x}" y1="{y}" x2="{x2}" y2="{y}" stroke="{c}" stroke-width="2"/><text x="{tx}" y="{ty}">{p}</text></g>"#,
            p = escape(provider),
            c = PALETTE[index % PALETTE.len()],
            x2 = x + 24.0,
            tx = x + 32.0,
            ty = y + 4.0
        );
    }
    let y = TOP + 10.0 + 22.0 * providers.len() as f64;
    let _ = write!(
        svg,
        r##"<g class="legend"><line x1="{x}" y1="{y}" x2="{x2}" y2="{y}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{tx}" y="{ty}">cap (dashed)</text></g>"##,
        x2 = x + 24.0,
        tx = x + 32.0,
        ty = y + 4.0
    );
}

fn point_list(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x:.2},{y:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The top of the value axis and the gridline step: five steps of 1, 2, 2.5 or 5 × 10ⁿ
/// that reach at least `largest`.
fn axis_range(largest: u64) -> (u64, u64) {
    let wanted = largest.div_ceil(5).max(2);
    let mut magnitude: u64 = 1;
    loop {
        for step in [magnitude, 2 * magnitude, 5 * magnitude / 2, 5 * magnitude] {
            if step >= wanted {
                return (step.saturating_mul(5), step);
            }
        }
        match magnitude.checked_mul(10) {
            Some(next) => magnitude = next,
            None => return (u64::MAX, u64::MAX / 5),
        }
    }
}

/// `850`, `2.5k`, `12k`, `1.2M`: short labels for the value axis (the table has exact numbers).
fn compact(value: u64) -> String {
    let scaled = |divisor: f64, unit: &str| {
        let text = format!("{:.1}", value as f64 / divisor);
        format!("{}{unit}", text.trim_end_matches(".0"))
    };
    match value {
        0..1_000 => thousands(value),
        1_000..1_000_000 => scaled(1e3, "k"),
        _ => scaled(1e6, "M"),
    }
}

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{axis_range, compact, escape};

    #[test]
    fn axis_range_is_five_round_steps_covering_the_largest_value() {
        assert_eq!(axis_range(0), (10, 2));
        assert_eq!(axis_range(7), (10, 2));
        assert_eq!(axis_range(1000), (1000, 200));
        assert_eq!(axis_range(1001), (1250, 250));
        assert_eq!(axis_range(23_000), (25_000, 5000));
        assert_eq!(axis_range(850_000), (1_000_000, 200_000));
    }

    #[test]
    fn compact_labels() {
        assert_eq!(compact(0), "0");
        assert_eq!(compact(250), "250");
        assert_eq!(compact(2500), "2.5k");
        assert_eq!(compact(12_000), "12k");
        assert_eq!(compact(1_250_000), "1.2M");
    }

    #[test]
    fn escape_covers_markup() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
