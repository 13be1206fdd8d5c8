// The chat example's `/metrics` and `/ready` (issue #15, "What it must show" item 3), with the
// official client: three clients connect, one over each transport, each calls Echo, and the Long
// Polling one leaves. The page (Prometheus' text format, examples/chat/src/metrics.rs; the
// runtime's instruments in signalr-runtime/src/telemetry.rs) must then show exactly that: the
// active connections gauge 1, 1 and 0 by transport, one connection duration of Long Polling
// ending in a normal closure and none of the others, and three Echo calls.
//
// The page is read through `prom2javascript`, which refuses any line it cannot parse and a
// histogram whose +Inf bucket is not its count; the test also checks that the parsed structure
// accounts for every sample line of the page. (`parse-prometheus-text-format`, the more common
// package, merges the series of a labelled histogram into one, so it cannot read this page.)
//
// The chat server is this file's own, so every count starts at zero.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { getMetricsFromIterator } from "prom2javascript";

import { connect, signalR } from "./client.mjs";
import { startChatServer } from "./server.mjs";

const { HttpTransportType } = signalR;

const TEST = { timeout: 20_000 };

/** How long the page may take to reflect a connection that started or stopped. */
const SETTLE_MS = 5_000;

/** The transports, as the client names them and as `signalr_transport` labels them. */
const TRANSPORTS = [
  { transport: HttpTransportType.WebSockets, label: "web_sockets" },
  { transport: HttpTransportType.ServerSentEvents, label: "server_sent_events" },
  { transport: HttpTransportType.LongPolling, label: "long_polling" },
];

const ACTIVE = "signalr_server_active_connections";
const DURATION = "signalr_server_connection_duration";
const INVOCATIONS = "signalr_server_invocations";
const INVOCATION_DURATION = "signalr_server_invocation_duration";

/** The chat hub's methods (examples/chat/src/hub.rs), as the invocation instruments name them. */
const CHAT_METHODS = ["SendMessage", "Echo", "Join", "Roll", "GetConnectionId"];

let server;

before(async () => {
  server = await startChatServer();
});
after(async () => {
  await server?.stop();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GETs `/metrics` and parses it, checking that the parse accounts for the whole page: one
 * metric per `# TYPE` line, every sample line (not blank, not a comment) in the parsed
 * structure. Returns the parsed metrics, by name.
 */
async function scrape() {
  const response = await fetch(`${server.url}/metrics`);
  assert.strictEqual(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const page = await response.text();
  const lines = page.split("\n");

  // The parser rejects (never throws synchronously): a refusal fails here with its reason.
  const metrics = await getMetricsFromIterator(lines[Symbol.iterator]());

  const sampleLines = lines.filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const typeLines = lines.filter((line) => line.startsWith("# TYPE "));
  assert.deepStrictEqual(
    Object.keys(metrics).sort(),
    typeLines.map((line) => line.split(" ")[2]).sort(),
    `the parsed metrics are not the page's # TYPE lines:\n${page}`,
  );
  let samples = 0;
  for (const [name, metric] of Object.entries(metrics)) {
    for (const series of metric.data) {
      if (metric.type === "histogram") {
        assert.strictEqual(typeof series.sum, "number", `${name} ${JSON.stringify(series.labels)} has no sum`);
        samples += Object.keys(series.buckets).length + 2;
      } else {
        assert.strictEqual(typeof series.value, "number", `${name} ${JSON.stringify(series.labels)}`);
        samples += 1;
      }
    }
  }
  assert.strictEqual(samples, sampleLines.length, `the parse does not account for every sample line:\n${page}`);
  return metrics;
}

/** The metric named `name`, of type `type`, or undefined when the page has none. */
function family(metrics, name, type) {
  const found = metrics[name];
  if (found) assert.strictEqual(found.type, type, `${name} has type ${found.type}`);
  return found;
}

/** The series of `metric` (maybe undefined) whose labels are exactly `labels`. */
function series(metric, labels) {
  const matching = (metric?.data ?? []).filter(
    (candidate) =>
      Object.keys(candidate.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([name, value]) => candidate.labels[name] === value),
  );
  assert.ok(matching.length <= 1, `${matching.length} series labelled ${JSON.stringify(labels)}`);
  return matching[0];
}

/** The active connections gauge by transport label (0 when the series is absent). */
function activeByTransport(metrics) {
  const gauge = family(metrics, ACTIVE, "gauge");
  return Object.fromEntries(
    TRANSPORTS.map(({ label }) => [label, series(gauge, { signalr_transport: label })?.value ?? 0]),
  );
}

/** Scrapes until `accept(metrics)` holds, for at most SETTLE_MS; returns the last scrape. */
async function scrapeUntil(accept) {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const metrics = await scrape();
    if (accept(metrics) || Date.now() >= deadline) return metrics;
    await sleep(50);
  }
}

describe("the chat example's /metrics and /ready", () => {
  it("answers /ready with 200 Healthy", TEST, async () => {
    const response = await fetch(`${server.url}/ready`);
    assert.strictEqual(response.status, 200);
    assert.strictEqual(await response.text(), "Healthy");
  });

  it("shows 3 clients over 3 transports, one of which left, in a page a Prometheus parser accepts", TEST, async () => {
    // A fresh server: no connection yet, no call counted.
    const initial = await scrape();
    assert.deepStrictEqual(activeByTransport(initial), { web_sockets: 0, server_sent_events: 0, long_polling: 0 });
    assert.strictEqual(family(initial, DURATION, "histogram"), undefined);

    const clients = {};
    const started = Date.now();
    try {
      for (const { transport, label } of TRANSPORTS) {
        clients[label] = await connect(server.url, { options: { transport }, protocol: "json" });
      }
      for (const { label } of TRANSPORTS) {
        assert.strictEqual(await clients[label].invoke("Echo", `hello over ${label}`), `hello over ${label}`);
      }

      const allThree = { web_sockets: 1, server_sent_events: 1, long_polling: 1 };
      const connected = await scrapeUntil(
        (metrics) => JSON.stringify(activeByTransport(metrics)) === JSON.stringify(allThree),
      );
      assert.deepStrictEqual(activeByTransport(connected), allThree);
      assert.strictEqual(family(connected, DURATION, "histogram"), undefined, "a connection ended before any left");

      await clients.long_polling.stop();
      const oneLeft = { web_sockets: 1, server_sent_events: 1, long_polling: 0 };
      const metrics = await scrapeUntil(
        (scraped) =>
          JSON.stringify(activeByTransport(scraped)) === JSON.stringify(oneLeft) &&
          family(scraped, DURATION, "histogram") !== undefined,
      );
      const elapsedSeconds = (Date.now() - started) / 1000;

      // The gauge: exactly the two clients still connected, by transport, and no other series.
      assert.deepStrictEqual(activeByTransport(metrics), oneLeft);
      assert.deepStrictEqual(
        family(metrics, ACTIVE, "gauge").data.map(({ labels }) => labels.signalr_transport).sort(),
        ["long_polling", "server_sent_events", "web_sockets"],
      );

      // The duration histogram: one Long Polling connection closed normally, nothing else.
      const durations = family(metrics, DURATION, "histogram");
      assert.ok(durations, `no ${DURATION} histogram`);
      const closed = series(durations, {
        signalr_transport: "long_polling",
        signalr_connection_status: "normal_closure",
      });
      assert.ok(closed, `no ${DURATION} series for long_polling / normal_closure: ${JSON.stringify(durations.data)}`);
      assert.strictEqual(closed.count, 1);
      assert.ok(
        closed.sum > 0 && closed.sum <= elapsedSeconds,
        `the connection lasted ${closed.sum} s, expected within (0, ${elapsedSeconds}]`,
      );
      for (const other of durations.data) {
        if (other === closed) continue;
        assert.strictEqual(other.count, 0, `unexpected ${DURATION} series ${JSON.stringify(other.labels)}`);
      }

      // The invocations: three Echo calls that succeeded, nothing else.
      const invocations = family(metrics, INVOCATIONS, "counter");
      const invocationDurations = family(metrics, INVOCATION_DURATION, "histogram");
      for (const method of CHAT_METHODS) {
        for (const status of ["ok", "error"]) {
          const labels = { signalr_hub: "/chat", signalr_method: method, signalr_invocation_status: status };
          const expected = method === "Echo" && status === "ok" ? 3 : 0;
          assert.strictEqual(series(invocations, labels)?.value ?? 0, expected, `${INVOCATIONS} ${method} ${status}`);
          assert.strictEqual(
            series(invocationDurations, labels)?.count ?? 0,
            expected,
            `${INVOCATION_DURATION} ${method} ${status}`,
          );
        }
      }
      const counted = invocations.data.reduce((sum, { value }) => sum + value, 0);
      assert.strictEqual(counted, 3, `${INVOCATIONS} counts calls of other methods or hubs`);
    } finally {
      await Promise.allSettled(Object.values(clients).map((client) => client.stop()));
    }
  });
});
