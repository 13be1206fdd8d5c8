//! The table: one row per scenario, raw and hub side by side, as Markdown.

use std::fmt::Write as _;

use crate::scenario::{Compared, Unit};
use crate::stats::Summary;
use crate::suite::Row;

/// Formats the rows as a Markdown table, followed by a note for each row whose columns mean
/// something else than raw and hub (rows that compare two hubs).
pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| scenario | unit | raw | hub | hub/raw (pair range) | p50 µs raw / hub | \
         p99 µs raw / hub | server CPU µs/msg raw / hub | peak MB raw / hub | lost |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let unit = row.scenario.unit();
        let timed = unit != Unit::BytesPerConnection;
        let dash = |text: String| if timed { text } else { "–".to_owned() };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {}{:.2} ({:.2}–{:.2}) | {} | {} | {} | {:.0} / {:.0} | {} |",
            row.scenario.label(),
            unit.name(),
            figure(&row.raw),
            figure(&row.hub),
            match row.scenario.compared() {
                Compared::Headline => "",
                Compared::CpuPerMessage => "CPU/msg ",
            },
            row.ratio,
            row.ratio_range.0,
            row.ratio_range.1,
            dash(format!("{:.0} / {:.0}", row.raw.p50_us, row.hub.p50_us)),
            dash(format!("{:.0} / {:.0}", row.raw.p99_us, row.hub.p99_us)),
            dash(cpu(row)),
            mb(row.raw.peak),
            mb(row.hub.peak),
            row.raw.lost + row.hub.lost,
        );
    }
    for row in rows {
        if let Some(note) = row.scenario.note(&row.raw, &row.hub) {
            let _ = write!(out, "\nNote: {note}\n");
        }
    }
    out
}

/// Server CPU per message, raw / hub, and that of the process beside the hub's (redis-server,
/// the service) where the row has one.
fn cpu(row: &Row) -> String {
    let sides = format!("{:.2} / {:.2}", row.raw.cpu_us, row.hub.cpu_us);
    match row.scenario.side_process() {
        Some(side) => format!("{sides} (+ {side} {:.2})", row.hub.side_cpu_us),
        None => sides,
    }
}

/// The median with its spread over the runs.
fn figure(summary: &Summary) -> String {
    format!("{:.0} ±{:.0}%", summary.median, summary.spread * 50.0)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
