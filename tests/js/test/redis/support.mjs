// The Redis backplane tests' harness: a redis-server of the test file's own on a free loopback
// port (never a shared or system one), redis-cli against it, interop servers started with
// `--redis`, and peers (hub connections with what they received) on any of those servers.
//
// redis-server comes from env REDIS_SERVER, else from PATH (Debian: `apt-get install
// redis-server`); redis-cli from env REDIS_CLI, else next to redis-server, else from PATH.
// Set env DEBUG to see redis-server's output (and the servers' stderr, see ../server.mjs).

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

import {
  Connections,
  INTEROP_BIN,
  MessagePackHubProtocol,
  PromiseSource,
  signalR,
  within,
} from "../functional/common.mjs";
import { startServer } from "../server.mjs";

export { sleep };

export const REDIS_SERVER = process.env.REDIS_SERVER || "redis-server";
export const REDIS_CLI =
  process.env.REDIS_CLI ||
  (process.env.REDIS_SERVER && existsSync(join(dirname(process.env.REDIS_SERVER), "redis-cli"))
    ? join(dirname(process.env.REDIS_SERVER), "redis-cli")
    : "redis-cli");

/** The `/scenarios` hub's channel prefix (its hub full name) and the channels the tests touch. */
export const PREFIX = "Interop.Scenarios";
export const CHANNELS = {
  all: `${PREFIX}:all`,
  groups: `${PREFIX}:internal:groups`,
  connection: (id) => `${PREFIX}:connection:${id}`,
};

/** How long to wait for a message that should not come before concluding it did not. */
export const SETTLE_MS = 300;

const REDIS_STARTUP_TIMEOUT_MS = 10_000;

/** redis-server processes not stopped yet, killed when the test process exits whatever happens. */
const redisProcesses = new Set();
process.on("exit", () => {
  for (const child of redisProcesses) child.kill("SIGKILL");
});

/** A free loopback TCP port: bind port 0, read the port, close. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `redis-server` on 127.0.0.1:`port` without persistence, in a temporary folder, and
 * resolves once it accepts connections.
 *
 * @returns {Promise<{ port: number, url: string, kill: (signal?: string) => Promise<void>,
 *   stop: () => Promise<void>, alive: () => boolean }>}
 */
export async function startRedis(port) {
  const dir = mkdtempSync(join(tmpdir(), "signalr-redis-test-"));
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--save", "",
    "--appendonly", "no",
    "--dir", dir,
    "--daemonize", "no",
  ];
  const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  redisProcesses.add(child);
  const exited = new Promise((resolveExit) => {
    const done = (code, signal) => {
      redisProcesses.delete(child);
      rmSync(dir, { recursive: true, force: true });
      resolveExit({ code, signal });
    };
    child.once("exit", done);
    child.once("error", () => done(null, null));
  });
  let tail = "";
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-4000);
    if (process.env.DEBUG) process.stderr.write(`[redis ${port}] ${chunk}`);
  };
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", keep);
  const lines = createInterface({ input: child.stdout });

  const alive = () => child.exitCode === null && child.signalCode === null && redisProcesses.has(child);
  const kill = async (signal = "SIGKILL") => {
    if (!alive()) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  let timer;
  try {
    await new Promise((ready, reject) => {
      timer = setTimeout(
        () => reject(new Error(`redis-server did not get ready within ${REDIS_STARTUP_TIMEOUT_MS} ms:\n${tail}`)),
        REDIS_STARTUP_TIMEOUT_MS,
      );
      child.once("error", (error) =>
        reject(
          new Error(
            `cannot start ${REDIS_SERVER} (${error.message}): install Debian's redis-server or set REDIS_SERVER`,
          ),
        ),
      );
      exited.then(({ code, signal }) =>
        reject(new Error(`redis-server exited before it was ready (code ${code}, signal ${signal}):\n${tail}`)),
      );
      lines.on("line", (line) => {
        keep(`${line}\n`);
        if (/Ready to accept connections/.test(line)) ready();
      });
    });
  } catch (error) {
    await kill();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { port, url: `redis://127.0.0.1:${port}`, kill, stop: () => kill("SIGTERM"), alive };
}

/**
 * Runs `redis-cli -p PORT ...args` (with `input` on stdin, e.g. for `-x`), resolving with its
 * trimmed stdout; fails on a non-zero exit or after 10 s.
 */
export function redisCli(port, args, input) {
  return new Promise((resolveRun, reject) => {
    // stdin only when there is input: redis-cli may exit before reading it otherwise, and the
    // write then fails with EPIPE.
    const child = spawn(REDIS_CLI, ["-h", "127.0.0.1", "-p", String(port), ...args], {
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${REDIS_CLI} (${error.message}); set REDIS_CLI`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(stdout.trim());
      else reject(new Error(`redis-cli ${args.join(" ")} failed (code ${code}, signal ${signal}): ${stderr}${stdout}`));
    });
    if (input !== undefined) {
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}

/** How many subscribers redis counts for each channel: `PUBSUB NUMSUB`. */
export async function subscriberCounts(port, channels) {
  const lines = (await redisCli(port, ["PUBSUB", "NUMSUB", ...channels])).split("\n");
  const counts = {};
  for (let i = 0; i + 1 < lines.length; i += 2) counts[lines[i]] = Number(lines[i + 1]);
  return counts;
}

/** Starts an interop server on a free port with `--redis URL`: `{ url, stop }`. */
export function startRedisInteropServer(redisUrl, name) {
  return startServer({
    name: `interop ${name}`,
    bin: INTEROP_BIN,
    args: ["--port", "0", "--redis", redisUrl],
    build: "cargo build -p interop-server",
    binEnv: "INTEROP_BIN",
  });
}

/** Whether the server still answers HTTP (GET /deployment) within 5 s. */
export async function answers(serverUrl) {
  try {
    const response = await fetch(`${serverUrl}/deployment`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** A token for `user` from that server's `GET /generateJwtToken`. */
export async function tokenFor(serverUrl, user) {
  const response = await fetch(`${serverUrl}/generateJwtToken?user=${encodeURIComponent(user)}`);
  if (response.status !== 200) throw new Error(`GET /generateJwtToken answered ${response.status}`);
  return response.text();
}

/** One connection, the server it is on, and what it has received. */
export class Peer {
  constructor(name, connection) {
    this.name = name;
    this.connection = connection;
    /** `Receive` messages since the last `clear`. */
    this.inbox = [];
    /** `Left` connection ids, all of them. */
    this.left = [];
    /** The error of `onclose` once the connection has closed (`null` for a clean close). */
    this.closedWith = undefined;
    this.waiters = [];
    connection.on("Receive", (message) => {
      this.inbox.push(message);
      this.notify();
    });
    connection.on("Left", (id) => {
      this.left.push(id);
      this.notify();
    });
    connection.onclose((error) => {
      this.closedWith = error ?? null;
    });
  }

  notify() {
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.done()) waiter.source.resolve();
      else this.waiters.push(waiter);
    }
  }

  /** Resolves once `done()` holds (checked after each message), or fails after `timeoutMs`. */
  until(done, what, timeoutMs = 5_000) {
    if (done()) return Promise.resolve();
    const source = new PromiseSource();
    const waiter = { done, source };
    this.waiters.push(waiter);
    return within(source.promise, `${this.name}: ${what}`, timeoutMs).finally(() => {
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
    });
  }

  clear() {
    this.inbox = [];
  }

  get open() {
    return this.closedWith === undefined;
  }

  invoke(method, ...args) {
    return within(this.connection.invoke(method, ...args), `${this.name}: ${method}`, 10_000);
  }
}

const { HttpTransportType } = signalR;

/**
 * Opens a peer named `name` on `serverUrl`'s `/scenarios`: `transport` (a HttpTransportType
 * name), `protocol` ("json" or "messagepack"), and `user` (a token from that server through
 * accessTokenFactory) or anonymous.
 */
export async function openPeer(connections, { name, serverUrl, transport, protocol = "json", user }) {
  const options = { transport: HttpTransportType[transport] };
  if (user !== undefined) options.accessTokenFactory = () => tokenFor(serverUrl, user);
  let builder = connections.builder(`${serverUrl}/scenarios`, options);
  if (protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const peer = new Peer(name, connections.build(builder));
  peer.server = serverUrl;
  await within(peer.connection.start(), `${name}: start`, 10_000);
  peer.id = peer.connection.connectionId;
  return peer;
}

/** `{ A1: [message] or [], ... }`: `message` once for each peer named in `receivers`. */
export function only(peers, receivers, message) {
  return Object.fromEntries(peers.map((peer) => [peer.name, receivers.includes(peer.name) ? [message] : []]));
}

/**
 * What each peer received because of `action`: clears every inbox, runs `action`, waits for
 * `message` at each of `receivers` (5 s at most each, a miss shows in the answer), then
 * `SETTLE_MS` more so that a delivery where none belongs, or a duplicate, arrives too. Answers
 * every `Receive` message since the clear, by peer name, for `deepEqual` with `only(...)`.
 */
export async function delivered(peers, receivers, message, action) {
  for (const peer of peers) peer.clear();
  await action();
  await Promise.allSettled(
    peers
      .filter((peer) => receivers.includes(peer.name))
      .map((peer) => peer.until(() => peer.inbox.includes(message), `receive ${message}`)),
  );
  await sleep(SETTLE_MS);
  return Object.fromEntries(peers.map((peer) => [peer.name, [...peer.inbox]]));
}

/**
 * What a promise came to within `timeoutMs`, and when: `{ settled: true, how: "resolved" }`,
 * `{ settled: true, how: "rejected", error }` or `{ settled: false, how: "pending" }`, with `ms`.
 */
export async function outcome(promise, timeoutMs) {
  const started = Date.now();
  let timer;
  const timeout = new Promise((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout({ settled: false, how: "pending" }), timeoutMs);
  });
  const result = await Promise.race([
    promise.then(
      () => ({ settled: true, how: "resolved" }),
      (error) => ({ settled: true, how: "rejected", error: error?.message ?? String(error) }),
    ),
    timeout,
  ]);
  clearTimeout(timer);
  return { ...result, ms: Date.now() - started };
}

/** The answer of an invocation, or `rejected: <message>` when it fails (for exact comparisons). */
export async function answerOf(promise) {
  try {
    return await promise;
  } catch (error) {
    return `rejected: ${error?.message ?? error}`;
  }
}

export { Connections, within };
