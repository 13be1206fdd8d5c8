//! The suite: every scenario, alternating raw and hub runs, summarized into rows.

use std::time::Duration;

use crate::child::{Placement, Redis};
use crate::client::Proto;
use crate::scenario::{Compared, Fanout, HttpTransport, Load, RedisFanout, Scenario, ViaService};
use crate::server::Kind;
use crate::stats::{Sample, Summary, median};

/// How much of the suite to run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// A short correctness run instead of the full suite.
    pub(crate) quick: bool,
    /// Raw/hub pairs per scenario.
    pub(crate) pairs: usize,
    /// Measured window of each throughput run.
    pub(crate) duration: Duration,
    /// Only scenarios whose label contains this.
    pub(crate) filter: Option<String>,
    /// Where the server runs.
    pub(crate) placement: Placement,
}

/// One row of the table.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) scenario: Scenario,
    pub(crate) raw: Summary,
    pub(crate) hub: Summary,
    /// Median of the per-pair hub/raw ratios of the headline figure (or of what the scenario
    /// compares instead, [`Scenario::compared`]).
    pub(crate) ratio: f64,
    /// Lowest and highest per-pair ratio.
    pub(crate) ratio_range: (f64, f64),
}

/// The scenarios of a full or a quick run.
pub(crate) fn scenarios(quick: bool) -> Vec<Scenario> {
    let echo = |proto, conns, depth| Scenario::Echo {
        proto,
        conns,
        depth,
    };
    let fan = |proto, conns, group, pace| {
        Scenario::Fanout(Fanout {
            proto,
            conns,
            group,
            pace,
        })
    };
    let via_redis = |servers, per_server| {
        Scenario::RedisFanout(RedisFanout {
            proto: Proto::Json,
            servers,
            per_server,
        })
    };
    let via_service = |load, conns| Scenario::ViaService(ViaService { load, conns });
    if quick {
        return vec![
            echo(Proto::Json, 1, 1),
            echo(Proto::Json, 10, 1),
            echo(Proto::MsgPack, 10, 1),
            echo(Proto::Json, 2, 8),
            via_service(Load::Echo, 10),
            Scenario::StatefulEcho { conns: 2 },
            Scenario::MetricsEcho { conns: 2 },
            Scenario::HttpEcho {
                transport: HttpTransport::LongPolling,
                conns: 2,
            },
            Scenario::HttpEcho {
                transport: HttpTransport::ServerSentEvents,
                conns: 2,
            },
            fan(Proto::Json, 100, None, None),
            fan(Proto::MsgPack, 100, None, Some(200.0)),
            fan(Proto::Json, 100, Some(10), None),
            // Small, but every delivery must cross from one server's sender to the other's
            // connections.
            via_redis(2, 50),
            via_service(Load::Broadcast, 100),
            Scenario::Density { conns: 200 },
            Scenario::ConnectRate {
                count: 50,
                raw_negotiates: false,
            },
            Scenario::ConnectRate {
                count: 50,
                raw_negotiates: true,
            },
            Scenario::ConnectSkipNegotiation { count: 50 },
            Scenario::Storm {
                count: 200,
                in_flight: 50,
                raw_negotiates: false,
            },
        ];
    }
    vec![
        echo(Proto::Json, 1, 1),
        echo(Proto::Json, 10, 1),
        echo(Proto::Json, 100, 1),
        echo(Proto::Json, 1000, 1),
        echo(Proto::Json, 10, 32),
        via_service(Load::Echo, 10),
        via_service(Load::Echo, 1000),
        echo(Proto::MsgPack, 10, 1),
        echo(Proto::MsgPack, 1000, 1),
        Scenario::StatefulEcho { conns: 10 },
        Scenario::MetricsEcho { conns: 10 },
        Scenario::HttpEcho {
            transport: HttpTransport::LongPolling,
            conns: 10,
        },
        Scenario::HttpEcho {
            transport: HttpTransport::ServerSentEvents,
            conns: 10,
        },
        fan(Proto::Json, 100, None, None),
        fan(Proto::Json, 1000, None, None),
        fan(Proto::Json, 10_000, None, None),
        fan(Proto::MsgPack, 1000, None, None),
        via_redis(2, 500),
        via_service(Load::Broadcast, 100),
        via_service(Load::Broadcast, 1000),
        via_service(Load::Broadcast, 10_000),
        fan(Proto::Json, 100, None, Some(1000.0)),
        fan(Proto::Json, 1000, None, Some(100.0)),
        fan(Proto::Json, 10_000, None, Some(10.0)),
        fan(Proto::Json, 1000, Some(10), None),
        fan(Proto::Json, 1000, Some(1000), None),
        Scenario::Density { conns: 10_000 },
        Scenario::ConnectRate {
            count: 1000,
            raw_negotiates: false,
        },
        Scenario::ConnectRate {
            count: 1000,
            raw_negotiates: true,
        },
        Scenario::ConnectSkipNegotiation { count: 1000 },
        Scenario::Storm {
            count: 10_000,
            in_flight: 200,
            raw_negotiates: false,
        },
        Scenario::Storm {
            count: 10_000,
            in_flight: 200,
            raw_negotiates: true,
        },
    ]
}

/// Runs every selected scenario and returns its rows, printing progress to stderr.
pub(crate) async fn run(settings: &Settings) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for scenario in scenarios(settings.quick) {
        let label = scenario.label();
        if settings
            .filter
            .as_ref()
            .is_some_and(|filter| !selects(filter, &label))
        {
            continue;
        }
        // A correctness run on a machine without redis-server skips the Redis rows and says so;
        // the full suite fails at the first of them, before its runs, naming what is missing.
        if matches!(scenario, Scenario::RedisFanout(_)) && !Redis::available() {
            if !settings.quick {
                return Err(format!(
                    "{label}: redis-server cannot be run (install it, or set $REDIS_SERVER)"
                ));
            }
            eprintln!("{label}: skipped, redis-server is not installed (or not in $REDIS_SERVER)");
            continue;
        }
        eprintln!("{label}");
        let (mut raw, mut hub) = (Vec::new(), Vec::new());
        for pair in 0..settings.pairs {
            // Which goes first alternates too, so that drift on a busy machine evens out.
            let order = if pair % 2 == 0 {
                [Kind::Raw, Kind::Hub]
            } else {
                [Kind::Hub, Kind::Raw]
            };
            for kind in order {
                let sample = once(&scenario, kind, settings).await?;
                let backplane = match scenario.side_process() {
                    Some(side) if kind == Kind::Hub => {
                        format!(" (+ {side} {:.2}us)", sample.side_cpu_us)
                    }
                    _ => String::new(),
                };
                eprintln!(
                    "  {} {:>12.1} p50 {:>8.0}us p99 {:>8.0}us cpu {:>6.2}us{backplane} lost {}",
                    scenario.side_name(kind),
                    sample.value,
                    sample.p50_us,
                    sample.p99_us,
                    sample.cpu_us,
                    sample.lost
                );
                match kind {
                    Kind::Raw => raw.push(sample),
                    Kind::Hub => hub.push(sample),
                }
            }
        }
        let ratios: Vec<f64> = raw
            .iter()
            .zip(&hub)
            .map(|(raw, hub)| match scenario.compared() {
                Compared::Headline => hub.value / raw.value.max(f64::MIN_POSITIVE),
                Compared::CpuPerMessage => hub.cpu_us / raw.cpu_us.max(f64::MIN_POSITIVE),
            })
            .collect();
        let low = ratios.iter().copied().fold(f64::MAX, f64::min);
        let high = ratios.iter().copied().fold(f64::MIN, f64::max);
        rows.push(Row {
            scenario,
            raw: Summary::of(&raw),
            hub: Summary::of(&hub),
            ratio: median(ratios),
            ratio_range: (low, high),
        });
    }
    Ok(rows)
}

/// Whether `--only filter` selects the scenario `label`: a part of it, or with a trailing `$`
/// its end.
fn selects(filter: &str, label: &str) -> bool {
    match filter.strip_suffix('$') {
        Some(end) => label.ends_with(end),
        None => label.contains(filter),
    }
}

/// One run against fresh server processes, so that peak memory belongs to this run alone.
async fn once(scenario: &Scenario, kind: Kind, settings: &Settings) -> Result<Sample, String> {
    let sample = scenario
        .run(kind, &settings.placement, settings.duration)
        .await;
    // Let the closed sockets of this run go before the next one starts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    sample.map_err(|error| {
        let side = scenario.side_name(kind);
        format!("{} against {side}: {error}", scenario.label())
    })
}
