//! Latency percentiles, one measured run, and the summary of alternating raw/hub pairs.

use std::time::Duration;

/// Latencies of one run, in microseconds.
#[derive(Debug, Default)]
pub(crate) struct Latencies(Vec<u32>);

impl Latencies {
    /// Records one latency.
    pub(crate) fn record(&mut self, latency: Duration) {
        self.0
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    /// Takes in another run's latencies.
    pub(crate) fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// The `q` quantile (0..=1) in microseconds, or 0 with no samples.
    fn quantile(&mut self, q: f64) -> f64 {
        self.0.sort_unstable();
        let last = self.0.len().saturating_sub(1);
        let index = (last as f64 * q).round() as usize;
        self.0.get(index).map_or(0.0, |&us| f64::from(us))
    }
}

/// What one run of one scenario against one server measured.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    /// The headline figure: messages (or connections) per second, or bytes per connection.
    pub(crate) value: f64,
    /// Median latency, µs.
    pub(crate) p50_us: f64,
    /// 99th percentile latency, µs.
    pub(crate) p99_us: f64,
    /// Server CPU time per message (or connection), µs.
    pub(crate) cpu_us: f64,
    /// CPU time per message of a process beside the servers (redis-server, the SignalR
    /// service), µs; not part of `cpu_us`, 0 where there is none.
    pub(crate) side_cpu_us: f64,
    /// Peak server resident memory, bytes.
    pub(crate) peak: u64,
    /// Peak resident memory of the process beside the servers, bytes; not part of `peak`, 0
    /// where there is none.
    pub(crate) side_peak: u64,
    /// Messages that should have arrived and did not.
    pub(crate) lost: u64,
}

impl Sample {
    /// A throughput run: `count` messages in `elapsed`, with the server's CPU time meanwhile.
    pub(crate) fn throughput(
        count: u64,
        elapsed: Duration,
        cpu: Duration,
        mut latencies: Latencies,
        peak: u64,
        lost: u64,
    ) -> Sample {
        let count_f = count.max(1) as f64;
        Sample {
            value: count as f64 / elapsed.as_secs_f64().max(1e-9),
            p50_us: latencies.quantile(0.5),
            p99_us: latencies.quantile(0.99),
            cpu_us: cpu.as_secs_f64() * 1e6 / count_f,
            side_cpu_us: 0.0,
            peak,
            side_peak: 0,
            lost,
        }
    }
}

/// The median and the spread of several runs of one side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Summary {
    /// The median run's headline figure.
    pub(crate) median: f64,
    /// (max − min) / median of the headline figure, as a fraction.
    pub(crate) spread: f64,
    /// Medians of the other figures.
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) cpu_us: f64,
    pub(crate) side_cpu_us: f64,
    /// The highest peak memory of any run.
    pub(crate) peak: u64,
    /// The highest peak memory of the process beside the servers in any run.
    pub(crate) side_peak: u64,
    /// Messages lost over all runs.
    pub(crate) lost: u64,
}

/// The median of `values` (0 when empty).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values.get(n / 2).copied().unwrap_or(0.0),
        _ => {
            let low = values.get(n / 2 - 1).copied().unwrap_or(0.0);
            let high = values.get(n / 2).copied().unwrap_or(0.0);
            (low + high) / 2.0
        }
    }
}

impl Summary {
    /// Summarizes the runs of one side.
    pub(crate) fn of(samples: &[Sample]) -> Summary {
        let pick = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
        let values: Vec<f64> = samples.iter().map(|s| s.value).collect();
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        let min = values.iter().copied().fold(f64::MAX, f64::min);
        let mid = median(values);
        Summary {
            median: mid,
            spread: if mid > 0.0 { (max - min) / mid } else { 0.0 },
            p50_us: pick(|s| s.p50_us),
            p99_us: pick(|s| s.p99_us),
            cpu_us: pick(|s| s.cpu_us),
            side_cpu_us: pick(|s| s.side_cpu_us),
            peak: samples.iter().map(|s| s.peak).max().unwrap_or(0),
            side_peak: samples.iter().map(|s| s.side_peak).max().unwrap_or(0),
            lost: samples.iter().map(|s| s.lost).sum(),
        }
    }
}
