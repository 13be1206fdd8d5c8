// Hub filters with the official client (issue #15, "What it must show" item 2), against the
// interop server's `/filtered` hub (examples/interop-server/src/filtered.rs). Its filters run in
// the order they were added: Recorder("first"), Recorder("second"), Guard. The recorders write
// `name:before:Method`, then `name:after:Method` or `name:failed:Method`, and `name:connected` /
// `name:disconnected`, into the connection's log; the guard times every call, refuses a first
// argument "forbidden" without running the method, and panics on `PanicInFilter`.
//
// Every scenario runs over WebSockets, Server-Sent Events and Long Polling with JSON, and over
// WebSockets and Long Polling with MessagePack (Server-Sent Events carry text only).

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import {
  Connections,
  eachTransportAndProtocol,
  startInteropServer,
  transportName,
  within,
} from "./functional/common.mjs";

const TEST = { timeout: 15_000 };

/** The refusal text the guard gives, and how the official client reports it (PROTOCOL.md §7). */
const REFUSED =
  "An unexpected error occurred invoking 'Echo' on the server. " +
  "HubException: The argument 'forbidden' was refused by a filter.";

/**
 * A panic in hub code (a filter or a method) is an internal error: `HubError::panicked()` in
 * signalr-runtime/src/error.rs, type `Panic`, message "the hub code panicked", shown after the
 * generic text only because the interop server turns detailed errors on.
 */
const PANICKED = "An unexpected error occurred invoking 'PanicInFilter' on the server. Panic: the hub code panicked";

/** What both recorders write around a call of `method` that succeeded (or `failed`). */
const around = (method, outcome = "after") => [
  `first:before:${method}`,
  `second:before:${method}`,
  `second:${outcome}:${method}`,
  `first:${outcome}:${method}`,
];

/** What the log holds when a `Log()` call reads it: the recorders have written their "before"s. */
const readingLog = ["first:before:Log", "second:before:Log"];

const CONNECTED = ["first:connected", "second:connected"];
const DISCONNECTED = ["first:disconnected", "second:disconnected"];

/** Bounds of the timing test: the guard must time a 200 ms call, and not wildly more. */
const SLEEP_MS = 200;
const SLEEP_UPPER_BOUND_MS = 2_000;

let server;
const connections = new Connections();

before(async () => {
  server = await startInteropServer();
});
afterEach(() => connections.stopAll());
after(async () => {
  await server?.stop();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (const { transport, protocol } of eachTransportAndProtocol()) {
  describe(`hub filters over ${transportName(transport)} with ${protocol.name}`, () => {
    /** A started connection to `/filtered`. */
    async function connect() {
      const connection = connections.build(
        connections.builder(`${server.url}/filtered`, { transport }).withHubProtocol(protocol.create()),
      );
      await within(connection.start(), "start");
      return connection;
    }

    it("runs filters around connect and invocations in the order they were added", TEST, async () => {
      const connection = await connect();

      assert.deepStrictEqual(await connection.invoke("Log"), [...CONNECTED, ...readingLog]);

      assert.strictEqual(await connection.invoke("Echo", "hello"), "hello");
      assert.deepStrictEqual(await connection.invoke("Log"), [
        ...CONNECTED,
        ...around("Log"),
        ...around("Echo"),
        ...readingLog,
      ]);
    });

    it("lets a filter read the arguments and refuse the call without running it", TEST, async () => {
      const connection = await connect();

      // The guard times only the calls it lets through: a refused call leaves the last time as
      // it was.
      await connection.invoke("Sleep", SLEEP_MS);

      await assert.rejects(connection.invoke("Echo", "forbidden"), (error) => {
        assert.ok(error instanceof Error, `rejected with a non-Error: ${error}`);
        assert.strictEqual(error.message, REFUSED);
        return true;
      });
      // Only the first argument "forbidden" is refused.
      assert.strictEqual(await connection.invoke("Echo", "forbidden!"), "forbidden!");

      const log = await connection.invoke("Log");
      assert.deepStrictEqual(log, [
        ...CONNECTED,
        ...around("Sleep"),
        ...around("Echo", "failed"),
        ...around("Echo"),
        ...readingLog,
      ]);

      // LastDuration reports the call before it: Log (not slept). Then Sleep again, a refused
      // Echo, and LastDuration still sees the Sleep.
      await connection.invoke("Sleep", SLEEP_MS);
      await assert.rejects(connection.invoke("Echo", "forbidden"), { message: REFUSED });
      const last = await connection.invoke("LastDuration");
      assert.ok(last >= SLEEP_MS, `a refused call was timed: LastDuration() = ${last} ms`);
    });

    it("lets a filter time the call", TEST, async () => {
      const connection = await connect();

      await connection.invoke("Sleep", SLEEP_MS);
      const slept = await connection.invoke("LastDuration");
      assert.strictEqual(typeof slept, "number");
      assert.ok(
        slept >= SLEEP_MS && slept < SLEEP_UPPER_BOUND_MS,
        `Sleep(${SLEEP_MS}) timed at ${slept} ms, expected [${SLEEP_MS}, ${SLEEP_UPPER_BOUND_MS})`,
      );

      // A call that does not sleep is timed shorter: the value is this call's, not a constant.
      assert.strictEqual(await connection.invoke("Echo", "quick"), "quick");
      const quick = await connection.invoke("LastDuration");
      assert.ok(quick < SLEEP_MS, `Echo timed at ${quick} ms, expected < ${SLEEP_MS}`);
    });

    it("fails only the call whose filter panics", TEST, async () => {
      const connection = await connect();
      const bystander = await connect();

      await assert.rejects(connection.invoke("PanicInFilter"), (error) => {
        assert.ok(error instanceof Error, `rejected with a non-Error: ${error}`);
        assert.strictEqual(error.message, PANICKED);
        return true;
      });

      // The same connection goes on.
      assert.strictEqual(await connection.invoke("Echo", "still here"), "still here");
      assert.strictEqual(connection.state, "Connected");
      // The panic unwound through the recorders: they wrote their "before"s and nothing after.
      assert.deepStrictEqual(await connection.invoke("Log"), [
        ...CONNECTED,
        "first:before:PanicInFilter",
        "second:before:PanicInFilter",
        ...around("Echo"),
        ...readingLog,
      ]);

      // Another connection is untouched, and its filters still run.
      assert.strictEqual(await bystander.invoke("Echo", "unaffected"), "unaffected");
      assert.strictEqual(bystander.state, "Connected");
      assert.deepStrictEqual(await bystander.invoke("Log"), [...CONNECTED, ...around("Echo"), ...readingLog]);
    });

    it("runs filters around disconnect in the order they were added", TEST, async () => {
      const leaving = await connect();
      const observer = await connect();
      const id = leaving.connectionId;
      assert.ok(id, "the leaving connection has no id");

      assert.strictEqual(await leaving.invoke("Echo", "bye"), "bye");
      // Nothing is kept for a connection that has not disconnected.
      assert.deepStrictEqual(await observer.invoke("DisconnectLog", id), []);

      await leaving.stop();

      // The server notices the stop on its own schedule: poll, bounded.
      const deadline = Date.now() + 5_000;
      let log = [];
      while (log.length === 0 && Date.now() < deadline) {
        log = await observer.invoke("DisconnectLog", id);
        if (log.length === 0) await sleep(50);
      }
      assert.deepStrictEqual(log, [...CONNECTED, ...around("Echo"), ...DISCONNECTED]);
    });
  });
}
