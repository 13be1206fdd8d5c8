// The functional tests' common ground, after the official client's FunctionalTests/ts/Common.ts:
// the interop server, the transport × protocol matrix, and the client internals the official
// tests reach into (HttpConnection, FetchHttpClient, the user agent header).
//
// The server binary comes from env INTEROP_BIN (resolved against the current directory), else
// from the workspace's debug build: `cd /work/main && cargo build -p interop-server`.

import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

import { startServer } from "../server.mjs";

export { signalR, MessagePackHubProtocol };

// What the official tests import from the client's dist folder. The package's main entry is its
// CommonJS build, so these are the same module instances `signalR` uses.
const require = createRequire(import.meta.url);
export const { HttpConnection } = require("@microsoft/signalr/dist/cjs/HttpConnection");
export const { FetchHttpClient } = require("@microsoft/signalr/dist/cjs/FetchHttpClient");
export const { getUserAgentHeader } = require("@microsoft/signalr/dist/cjs/Utils");
/** The WebSocket the client uses on Node (the `ws` package), resolved as the client's dependency. */
export const WebSocketImplementation = createRequire(require.resolve("@microsoft/signalr"))("ws");

/** The interop server binary: this file is tests/js/test/functional/common.mjs. */
export const INTEROP_BIN = process.env.INTEROP_BIN
  ? resolve(process.env.INTEROP_BIN)
  : fileURLToPath(new URL("../../../../target/debug/interop-server", import.meta.url));

/** Starts the interop server on a free port: `{ url, stop }`. */
export function startInteropServer() {
  return startServer({
    name: "interop",
    bin: INTEROP_BIN,
    args: ["--port", "0"],
    build: "cargo build -p interop-server",
    binEnv: "INTEROP_BIN",
  });
}

export const LOG_LEVEL = process.env.DEBUG ? signalR.LogLevel.Trace : signalR.LogLevel.None;

const { HttpTransportType } = signalR;

/** Node's transports, in the order the official matrix runs them. */
export const TRANSPORTS = [
  HttpTransportType.WebSockets,
  HttpTransportType.ServerSentEvents,
  HttpTransportType.LongPolling,
];

export const transportName = (transport) => HttpTransportType[transport];

/** Protocol factories: each connection gets its own protocol object. */
export const PROTOCOLS = [
  { name: "json", create: () => new signalR.JsonHubProtocol() },
  { name: "messagepack", create: () => new MessagePackHubProtocol() },
];

/**
 * Every transport × protocol the official matrix runs on Node, with Node's FetchHttpClient:
 * MessagePack needs binary frames, which Server-Sent Events cannot carry.
 */
export function eachTransportAndProtocol() {
  const combinations = [];
  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      if (transport === HttpTransportType.ServerSentEvents && protocol.name === "messagepack") continue;
      combinations.push({ transport, protocol });
    }
  }
  return combinations;
}

/** A fresh FetchHttpClient, with its own cookie jar (as each official test gets). */
export function createHttpClient() {
  return new FetchHttpClient(signalR.NullLogger.instance);
}

/** A promise that the test resolves from a callback (the official tests' PromiseSource). */
export class PromiseSource {
  constructor() {
    this.promise = new Promise((resolvePromise, rejectPromise) => {
      this.resolve = resolvePromise;
      this.reject = rejectPromise;
    });
  }

  then(onFulfilled, onRejected) {
    return this.promise.then(onFulfilled, onRejected);
  }
}

/** `promise`, or a rejection naming `what` if it has not settled within `timeoutMs`. */
export function within(promise, what, timeoutMs = 5_000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Hub connections of one test file: `build` them, and `stopAll` after each test, whatever
 * happened.
 */
export class Connections {
  constructor() {
    this.open = [];
  }

  /**
   * A HubConnectionBuilder for `url` (the official tests' getConnectionBuilder): `transport`
   * when given, `logMessageContent` on, logging per env DEBUG. The caller adds a protocol,
   * reconnect policy, and builds with `build`.
   */
  builder(url, options = {}) {
    return new signalR.HubConnectionBuilder()
      .configureLogging(LOG_LEVEL)
      .withUrl(url, { ...options, logMessageContent: true });
  }

  /** Builds `builder` and keeps the connection for `stopAll`. */
  build(builder) {
    const connection = builder.build();
    this.open.push(connection);
    return connection;
  }

  async stopAll() {
    const open = this.open.splice(0);
    await Promise.allSettled(open.map((connection) => connection.stop()));
  }
}

/** A promise of the error `onclose` reports (undefined for a clean close). */
export function closed(connection) {
  const source = new PromiseSource();
  connection.onclose((error) => source.resolve(error));
  return source.promise;
}
