// The stateful-reconnect tests' harness: a TCP relay that cuts sockets the way a network does,
// and a polling wait.

import { createServer } from "node:net";
import { connect as tcpConnect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

import { LOG_LEVEL, signalR } from "./functional/common.mjs";

/**
 * A TCP relay on a free loopback port to `target` (a URL). `cut()` resets every relayed
 * connection at once, both sides, without a WebSocket close frame; `refuse()` resets new ones
 * until `resume()`; `delay(ms)` holds new ones back before connecting them.
 */
export async function startRelay(target) {
  const { hostname, port } = new URL(target);
  const pairs = new Set();
  let accepted = 0;
  let delayMs = 0;
  const relayed = (client) => {
    accepted += 1;
    // What the client sends before the upstream connection exists waits in its socket.
    client.pause();
    const open = () => {
      if (client.destroyed) return;
      const upstream = tcpConnect(Number(port), hostname);
      const pair = { client, upstream };
      pairs.add(pair);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        pairs.delete(pair);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (delayMs > 0) setTimeout(open, delayMs);
    else open();
  };
  const server = createServer(relayed);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    accepted: () => accepted,
    cut() {
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    /** Resets every connection from now on, until `resume()`. */
    refuse() {
      server.removeAllListeners("connection");
      server.on("connection", (client) => client.resetAndDestroy());
    },
    /** Connects later connections to the target only after `ms`. */
    delay(ms) {
      delayMs = ms;
    },
    resume() {
      server.removeAllListeners("connection");
      server.on("connection", relayed);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Resolves once `check()` holds, polling; rejects after `ms`. */
export async function until(check, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A WebSocket connection to `url` with stateful reconnect, speaking `protocol`. */
export function statefulConnection(url, protocol) {
  return new signalR.HubConnectionBuilder()
    .withUrl(url, { transport: signalR.HttpTransportType.WebSockets })
    .withHubProtocol(protocol)
    .withStatefulReconnect()
    .configureLogging(LOG_LEVEL)
    .build();
}
