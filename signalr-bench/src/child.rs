//! The server child processes: started pinned to their core, measured through `/proc`.

mod service;

pub(crate) use service::ServiceProcess;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::server::Kind;

/// A child process, stopped when dropped: SIGTERM, then SIGKILL if it does not exit.
#[derive(Debug)]
pub(crate) struct Process {
    child: Child,
}

/// A running server process (this binary with `serve`), stopped when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    process: Process,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
}

/// A `redis-server` of its own for one run, on a free loopback port, stopped when dropped.
#[derive(Debug)]
pub(crate) struct Redis {
    process: Process,
    /// `redis://127.0.0.1:PORT`.
    pub(crate) url: String,
}

/// A reading of a process's CPU time (user + system), in clock ticks.
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

impl Process {
    /// The process id, which `taskset` and profilers keep (they exec the program).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
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
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .ok()
            .and_then(|status| {
                let line = status.lines().find(|line| line.starts_with(field))?;
                line.split_whitespace().nth(1)?.parse().ok()
            })
            .unwrap_or(0)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SIGTERM first, so that a profiler from BENCH_SERVER_PREFIX can write its output.
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            // A process that is already gone is no news.
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        let give_up = Instant::now() + Duration::from_secs(if terminated { 30 } else { 0 });
        while Instant::now() < give_up {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `signalr-bench serve KIND` and waits until it listens.
    pub(crate) fn start(kind: Kind, placement: &Placement) -> Result<Server, String> {
        Server::start_with(kind, placement, &[])
    }

    /// Starts `signalr-bench serve KIND ARGS…` (such as `--redis URL`) and waits until it
    /// listens.
    pub(crate) fn start_with(
        kind: Kind,
        placement: &Placement,
        args: &[&str],
    ) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        // A profiler from BENCH_SERVER_PREFIX goes between `taskset` and this binary.
        let prefix = std::env::var("BENCH_SERVER_PREFIX").unwrap_or_default();
        let mut words: Vec<String> = prefix.split_whitespace().map(str::to_owned).collect();
        words.push(exe.to_string_lossy().into_owned());
        let (program, rest) = words.split_first().ok_or("no server command")?;
        let mut command = pinned(placement, program, rest);
        command
            .arg("serve")
            .arg(kind.name())
            .arg("--threads")
            .arg(placement.threads.to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting the server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no server stdout")?;
        // From here on the child is stopped however this ends.
        let process = Process { child };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading the server's address: {e}"))?;
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| format!("unexpected server output: {line:?}"))?;
        Ok(Server { process, addr })
    }

    /// The server's process.
    pub(crate) fn process(&self) -> &Process {
        &self.process
    }

    /// Current resident memory, in bytes.
    pub(crate) fn rss(&self) -> u64 {
        self.process.rss()
    }

    /// Peak resident memory so far, in bytes.
    pub(crate) fn peak(&self) -> u64 {
        self.process.peak()
    }
}

impl Redis {
    /// The program: `$REDIS_SERVER` (as the JavaScript tests use it), or `redis-server`.
    fn program() -> String {
        std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
    }

    /// Whether the program runs at all.
    pub(crate) fn available() -> bool {
        Command::new(Redis::program())
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Starts `redis-server` without persistence on a free loopback port, placed like the
    /// servers, and waits until it answers `PING`.
    pub(crate) fn start(placement: &Placement) -> Result<Redis, String> {
        // The kernel's free port, released for redis-server to take a moment later.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let program = Redis::program();
        let port_text = port.to_string();
        let args = [
            "--port",
            &port_text,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ];
        // Checked first: behind `taskset`, a missing program is only an exit status of 127.
        if !Redis::available() {
            return Err(format!(
                "{program} cannot be run: the Redis rows need redis-server 7 on the PATH or in \
                 $REDIS_SERVER (apt-get install redis-server)"
            ));
        }
        let mut command = pinned(placement, &program, &[]);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = command
            .spawn()
            .map_err(|e| format!("starting {program}: {e}"))?;
        let mut process = Process { child };
        let give_up = Instant::now() + Duration::from_secs(10);
        while !pong(port) {
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(format!(
                    "{program} {args:?} exited ({status}) before answering on port {port}"
                ));
            }
            if Instant::now() > give_up {
                return Err(format!(
                    "{program} did not answer on port {port} within 10 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(Redis {
            process,
            url: format!("redis://127.0.0.1:{port}"),
        })
    }

    /// The redis-server process.
    pub(crate) fn process(&self) -> &Process {
        &self.process
    }
}

/// Whether Redis answers `PING` on `port`.
fn pong(port: u16) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
        tcp.set_read_timeout(Some(Duration::from_secs(1)))?;
        tcp.write_all(b"PING\r\n")?;
        let mut answer = [0_u8; 7];
        tcp.read_exact(&mut answer)?;
        Ok(&answer == b"+PONG\r\n")
    };
    attempt().unwrap_or(false)
}

/// `program ARGS…`, behind `taskset -c CORES` when the placement pins it.
fn pinned(placement: &Placement, program: &str, args: &[String]) -> Command {
    match &placement.cores {
        Some(cores) => {
            let mut command = Command::new("taskset");
            command.args(["-c", cores]).arg(program).args(args);
            command
        }
        None => {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    }
}

impl CpuMark {
    /// `process`'s CPU time so far, in nanoseconds (0 once it is gone): the sum of its threads'
    /// run time from `/proc/<pid>/task/*/schedstat`, which the scheduler keeps in nanoseconds, so
    /// that short windows (the connection rows) are measured finer than `/proc/<pid>/stat`'s
    /// 10 ms ticks; those ticks where schedstat is missing.
    pub(crate) fn of(process: &Process) -> CpuMark {
        CpuMark(scheduled_nanos(process.pid()).unwrap_or_else(|| ticked_nanos(process.pid())))
    }

    /// CPU time spent from this reading to `later`.
    pub(crate) fn until(self, later: CpuMark) -> Duration {
        Duration::from_nanos(later.0.saturating_sub(self.0))
    }
}

/// The run time of every thread of `pid`, from the scheduler's statistics.
fn scheduled_nanos(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0_u64;
    let mut any = false;
    for task in tasks.flatten() {
        let stats = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        let on_cpu: u64 = stats.split_whitespace().next()?.parse().ok()?;
        total = total.saturating_add(on_cpu);
        any = true;
    }
    any.then_some(total)
}

/// User plus system time of `pid` from `/proc/<pid>/stat`, in clock ticks turned into
/// nanoseconds.
fn ticked_nanos(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
    // Fields after the parenthesised command name: state is the 3rd, utime the 14th.
    let ticks = stat.ok().and_then(|stat| {
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(utime + stime)
    });
    ticks.unwrap_or(0).saturating_mul(1_000_000_000) / ticks_per_second()
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, almost always 100).
fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|&ticks| ticks > 0)
            .unwrap_or(100)
    })
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
