// A burst of broadcasts from the official client, against the interop server's `/scenarios`:
// the sender calls `connection.send("SendToAll", ...)` 5 000 times without awaiting, then awaits
// them all. The client sends everything queued behind its first send as one WebSocket message or
// POST body (its TransportSendQueue), about 300 KB here, which the hub then works through at
// once. The reader, and the sender (SendToAll reaches it too), keep reading; each must receive
// every message, in order, and stay connected. A server that queues a fixed number of messages
// per connection (1 024) and closes whoever overflows fails this. Every transport, with JSON.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import {
  Connections,
  PromiseSource,
  TRANSPORTS,
  signalR,
  startInteropServer,
  transportName,
  within,
} from "./functional/common.mjs";

const COUNT = 5_000;
/** How long a burst may take to reach everyone; a debug server needs a second or two. */
const BURST_TIMEOUT_MS = 30_000;
const TEST = { timeout: 60_000 };

/**
 * The server's tokio worker threads. With one, whether the hub works through the burst before
 * any connection's writer runs is decided the same way every time, as on a server busy with
 * other work; with several (what users run) a writer may keep up on another thread, or not.
 */
const WORKERS = [
  { name: "one worker thread", threads: "1" },
  { name: "the default worker threads", threads: undefined },
];

/** Starts the interop server with env TOKIO_WORKER_THREADS = `threads` (unset if undefined). */
async function startWithWorkers(threads) {
  const previous = process.env.TOKIO_WORKER_THREADS;
  if (threads === undefined) delete process.env.TOKIO_WORKER_THREADS;
  else process.env.TOKIO_WORKER_THREADS = threads;
  try {
    return await startInteropServer();
  } finally {
    if (previous === undefined) delete process.env.TOKIO_WORKER_THREADS;
    else process.env.TOKIO_WORKER_THREADS = previous;
  }
}

/** One started connection and the `Receive` messages it got; `done` settles after `COUNT`. */
class Reader {
  constructor(name, connection) {
    this.name = name;
    this.connection = connection;
    this.received = [];
    const done = new PromiseSource();
    this.done = done.promise;
    connection.on("Receive", (message) => {
      this.received.push(message);
      if (this.received.length === COUNT) done.resolve();
    });
    // Only a close before the last message counts: a settled promise ignores later calls.
    connection.onclose((error) =>
      done.reject(
        new Error(
          `${name} was closed after ${this.received.length} of ${COUNT} messages` +
            (error ? `: ${error.message}` : ""),
        ),
      ),
    );
  }

  /** Where `received` first differs from m0, m1, ..., or undefined if it does not. */
  firstDisorder() {
    const index = this.received.findIndex((message, i) => message !== `m${i}`);
    return index < 0 ? undefined : `${this.name}: message ${index} is ${this.received[index]}`;
  }
}

for (const { name, threads } of WORKERS) {
  describe(`a burst, on a server with ${name}`, () => {
    let server;
    const connections = new Connections();

    before(async () => {
      server = await startWithWorkers(threads);
    });
    afterEach(() => connections.stopAll());
    after(async () => {
      await server?.stop();
    });

    for (const transport of TRANSPORTS) {
      async function open(role) {
        const builder = connections.builder(`${server.url}/scenarios`, { transport });
        const reader = new Reader(`${role} (${transportName(transport)})`, connections.build(builder));
        await reader.connection.start();
        return reader;
      }

      it(`of ${COUNT} unawaited sends over ${transportName(transport)} reaches every connection in full and closes none`, TEST, async () => {
        const reader = await open("reader");
        const sender = await open("sender");

        const sends = [];
        for (let i = 0; i < COUNT; i++) sends.push(sender.connection.send("SendToAll", `m${i}`));
        const outcomes = await Promise.allSettled([
          within(reader.done, `${reader.name} receiving ${COUNT} messages`, BURST_TIMEOUT_MS),
          within(sender.done, `${sender.name} receiving ${COUNT} messages`, BURST_TIMEOUT_MS),
          within(Promise.all(sends), `${sender.name} sending ${COUNT} messages`, BURST_TIMEOUT_MS),
        ]);
        // Every failure at once: which side lost what tells a server's bug from the test's.
        const failures = outcomes.filter((outcome) => outcome.status === "rejected");
        assert.deepEqual(
          failures.map((failure) => String(failure.reason?.message ?? failure.reason)),
          [],
        );

        for (const peer of [reader, sender]) {
          assert.equal(peer.firstDisorder(), undefined);
          assert.equal(peer.received.length, COUNT, peer.name);
          // Still connected, and still answered.
          assert.equal(peer.connection.state, signalR.HubConnectionState.Connected, peer.name);
          assert.equal(await peer.connection.invoke("GetConnectionId"), peer.connection.connectionId);
        }
      });
    }
  });
}
