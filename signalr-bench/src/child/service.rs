//! A `signalr-service` of its own for one run: the SignalR service of issue #19, which holds
//! the clients' connections while application servers serve the hubs through it.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::{Placement, Process, pinned};

/// What the service logs (at `info`) when an application server's connection is up, and when
/// it is gone: how [`ServiceProcess::wait_for_servers`] counts them.
const ESTABLISHED: &str = "server connection established";
const ENDED: &str = "server connection ended";

/// A `signalr-service` on a free loopback port with a random access key, placed like the
/// servers, stopped when dropped.
#[derive(Debug)]
pub(crate) struct ServiceProcess {
    process: Process,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    key: String,
    /// Application servers' connections up, from its log.
    servers: Arc<AtomicUsize>,
}

impl ServiceProcess {
    /// The program: `$SIGNALR_SERVICE_BIN`, or `signalr-service` beside this executable (the
    /// same target directory and profile: `cargo build [--release] -p signalr-service`).
    pub(crate) fn program() -> Result<PathBuf, String> {
        if let Some(path) = std::env::var_os("SIGNALR_SERVICE_BIN") {
            return Ok(PathBuf::from(path));
        }
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        let dir = exe.parent().ok_or("own executable has no directory")?;
        Ok(dir.join(format!("signalr-service{}", std::env::consts::EXE_SUFFIX)))
    }

    /// Starts the service and waits until it listens.
    pub(crate) fn start(placement: &Placement) -> Result<ServiceProcess, String> {
        let program = ServiceProcess::program()?;
        // Checked first: behind `taskset`, a missing program is only an exit status of 127.
        if !program.is_file() {
            return Err(format!(
                "{} does not exist: build it with `cargo build -p signalr-service` (with \
                 `--release` for a release bench), or name it in $SIGNALR_SERVICE_BIN",
                program.display()
            ));
        }
        let key = random_key();
        // As many worker threads as the bench's own servers get: on one core, more only switch.
        let args = [
            "--port".to_owned(),
            "0".to_owned(),
            "--threads".to_owned(),
            placement.threads.to_string(),
            "--access-key".to_owned(),
        ];
        let mut command = pinned(placement, &program.to_string_lossy(), &args);
        command
            .arg(&key)
            // Server connections coming and going, and its warnings (a client it dropped).
            .env("RUST_LOG", "warn,signalr_service=info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", program.display()))?;
        let stdout = child.stdout.take().ok_or("no service stdout")?;
        let stderr = child.stderr.take().ok_or("no service stderr")?;
        // From here on the child is stopped however this ends.
        let process = Process { child };
        // Its stdout's one line says where it listens; its log, on stderr, is read to the end
        // (a closed pipe would fail its writes) and counts the server connections.
        let servers = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&servers);
        let (first, listening) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let _ = first.send(lines.next().unwrap_or_default());
            lines.for_each(drop);
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains(ESTABLISHED) {
                    counted.fetch_add(1, Ordering::AcqRel);
                } else if line.contains(ENDED) {
                    let _ = counted.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                        Some(n.saturating_sub(1))
                    });
                } else {
                    eprintln!("signalr-service: {line}");
                }
            }
        });
        let line = listening
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "the service did not say where it listens within 10 s".to_owned())?;
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| format!("unexpected service output: {line:?}"))?;
        Ok(ServiceProcess {
            process,
            addr,
            key,
            servers,
        })
    }

    /// The connection string application servers serve their hubs through it with.
    pub(crate) fn connection_string(&self) -> String {
        format!(
            "Endpoint=http://{};AccessKey={};Version=1.0;",
            self.addr, self.key
        )
    }

    /// Waits until `count` application-server connections are up (an application server opens
    /// five per hub, in the background), so that the clients of a run are spread over all of
    /// them as they would be for good, not piled on the first one up.
    pub(crate) async fn wait_for_servers(&self, count: usize) -> Result<(), String> {
        const GIVE_UP: Duration = Duration::from_secs(10);
        let give_up = Instant::now() + GIVE_UP;
        while self.servers.load(Ordering::Acquire) < count {
            if Instant::now() > give_up {
                return Err(format!(
                    "the service logged {} of {count} application-server connections \
                     (\"{ESTABLISHED}\") within {GIVE_UP:?}",
                    self.servers.load(Ordering::Acquire)
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    /// The service's process.
    pub(crate) fn process(&self) -> &Process {
        &self.process
    }
}

/// 128 random bits in hex, from the standard library's randomly seeded hasher keys.
fn random_key() -> String {
    let half = || RandomState::new().hash_one(std::process::id());
    format!("{:016x}{:016x}", half(), half())
}
