//! `soak.png`: the samples over time, one panel per measure, phases marked.
//!
//! Text is drawn with a TrueType font read at run time (DejaVu Sans, or `$SOAK_FONT`) through
//! plotters' pure-Rust `ab_glyph` backend, so the build needs no fontconfig or freetype; without
//! the font the plot is drawn without text.

use std::path::Path;

use plotters::prelude::*;

use super::sampler::Sample;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// One line of a panel: its name, colour and value per sample.
type Line = (&'static str, RGBColor, fn(&Sample) -> f64);

/// Registers the font; `false` when there is none.
fn font() -> bool {
    let path = std::env::var("SOAK_FONT").unwrap_or_else(|_| FONT.to_owned());
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    // plotters keeps fonts for the life of the process.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
}

/// Draws `samples` into `path`; `boundaries` are the seconds at which phases start.
pub(crate) fn draw(path: &Path, samples: &[Sample], boundaries: &[f64]) -> Result<(), String> {
    let text = font();
    let mut memory: Vec<Line> = vec![("VmRSS", RED, |s| s.rss_kib as f64 / 1024.0)];
    if samples.iter().any(|s| s.heap_kib.is_some()) {
        memory.push(("heap held", BLACK, |s| {
            s.heap_kib.unwrap_or_default() as f64 / 1024.0
        }));
    }
    let panels: [(&str, Vec<Line>); 4] = [
        ("server memory (MiB)", memory),
        (
            "open file descriptors",
            vec![
                ("fds", BLUE, |s| s.fds as f64),
                ("sockets", CYAN, |s| s.sockets as f64),
            ],
        ),
        (
            "hub connections",
            vec![("connections", GREEN, |s| s.connections as f64)],
        ),
        (
            "outbound queue bytes (KiB)",
            vec![("queued", MAGENTA, |s| s.queued_bytes as f64 / 1024.0)],
        ),
    ];
    let x_max = samples.last().map_or(1.0, |s| s.elapsed).max(1.0);
    let root = BitMapBackend::new(path, (1200, 1200)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    for (area, (title, lines)) in root.split_evenly((4, 1)).iter().zip(panels) {
        let y_max = samples
            .iter()
            .flat_map(|s| lines.iter().map(move |(_, _, value)| value(s)))
            .fold(1.0_f64, f64::max)
            * 1.1;
        let mut builder = ChartBuilder::on(area);
        builder.margin(12);
        if text {
            builder
                .caption(title, ("sans-serif", 20))
                .x_label_area_size(30)
                .y_label_area_size(60);
        }
        let mut chart = builder
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(|e| e.to_string())?;
        if text {
            chart
                .configure_mesh()
                .x_desc("seconds")
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        for &at in boundaries {
            chart
                .draw_series(LineSeries::new([(at, 0.0), (at, y_max)], BLACK.mix(0.3)))
                .map_err(|e| e.to_string())?;
        }
        for (name, colour, value) in lines {
            let series = chart
                .draw_series(LineSeries::new(
                    samples.iter().map(|s| (s.elapsed, value(s))),
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
            if text {
                series.label(name).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            }
        }
        if text {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .draw()
                .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())
}
