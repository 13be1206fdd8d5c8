//! The server child process: started pinned to its own core, measured through `/proc`.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::server::Kind;

/// A running server process, killed when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    ticks_per_second: u64,
}

/// A reading of the server's CPU time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuMark(u64);

/// How the server is placed on the machine.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    /// The core list for `taskset -c`, or `None` to leave it to the scheduler.
    pub(crate) cores: Option<String>,
    /// Tokio worker threads in the server.
    pub(crate) threads: usize,
}

impl Server {
    /// Starts `signalr-bench serve KIND` and waits until it listens.
    pub(crate) fn start(kind: Kind, placement: &Placement) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        // `taskset -c CORES`, then a profiler from BENCH_SERVER_PREFIX, then this binary.
        let mut words: Vec<String> = Vec::new();
        if let Some(cores) = &placement.cores {
            words.extend(["taskset".to_owned(), "-c".to_owned(), cores.clone()]);
        }
        if let Ok(prefix) = std::env::var("BENCH_SERVER_PREFIX") {
            words.extend(prefix.split_whitespace().map(str::to_owned));
        }
        let mut command = match words.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&exe);
                command
            }
            None => Command::new(&exe),
        };
        command
            .arg("serve")
            .arg(kind.name())
            .arg("--threads")
            .arg(placement.threads.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting the server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no server stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading the server's address: {e}"))?;
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| format!("unexpected server output: {line:?}"))?;
        Ok(Server {
            child,
            addr,
            ticks_per_second: ticks_per_second(),
        })
    }

    /// The server's user plus system CPU time so far.
    pub(crate) fn cpu(&self) -> CpuMark {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()));
        // Fields after the parenthesised command name: state is the 3rd, utime the 14th.
        let ticks = stat.ok().and_then(|stat| {
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some(utime + stime)
        });
        CpuMark(ticks.unwrap_or(0))
    }

    /// CPU time spent between two readings.
    pub(crate) fn cpu_between(&self, from: CpuMark, to: CpuMark) -> Duration {
        let ticks = to.0.saturating_sub(from.0);
        Duration::from_secs_f64(ticks as f64 / self.ticks_per_second as f64)
    }

    /// Current resident memory, in bytes.
    pub(crate) fn rss(&self) -> u64 {
        self.status_kib("VmRSS:") * 1024
    }

    /// Peak resident memory so far, in bytes.
    pub(crate) fn peak(&self) -> u64 {
        self.status_kib("VmHWM:") * 1024
    }

    fn status_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                let line = status.lines().find(|line| line.starts_with(field))?;
                line.split_whitespace().nth(1)?.parse().ok()
            })
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first, so that a profiler from BENCH_SERVER_PREFIX can write its output.
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let give_up =
            std::time::Instant::now() + Duration::from_secs(if terminated { 30 } else { 0 });
        while std::time::Instant::now() < give_up {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, almost always 100).
fn ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// Pins this process (every thread it has now, and so every thread it starts later) to `cores`.
pub(crate) fn pin_self(cores: &str) -> bool {
    Command::new("taskset")
        .args(["-a", "-p", "-c", cores])
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
