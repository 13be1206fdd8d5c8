// Connection helpers shared by the interop tests: the two ways of connecting, and waiting for
// server-to-client calls.

import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

export { signalR };

const LOG_LEVEL = process.env.DEBUG ? signalR.LogLevel.Trace : signalR.LogLevel.None;

/** How long to wait for a server-to-client call before failing. */
export const EVENT_TIMEOUT_MS = 5_000;

/** The transports (and negotiation) every scenario runs over, with each protocol. */
const TRANSPORT_MODES = [
  {
    name: "negotiated WebSockets",
    negotiated: true,
    options: { transport: signalR.HttpTransportType.WebSockets },
  },
  {
    name: "skipNegotiation WebSockets",
    negotiated: false,
    options: { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets },
  },
  {
    name: "Server-Sent Events",
    negotiated: true,
    options: { transport: signalR.HttpTransportType.ServerSentEvents },
  },
  {
    name: "Long Polling",
    negotiated: true,
    options: { transport: signalR.HttpTransportType.LongPolling },
  },
];

/**
 * Every scenario runs once per mode: JSON over each transport, and WebSockets without negotiate;
 * MessagePack likewise, except over Server-Sent Events (text only).
 */
export const MODES = [
  ...TRANSPORT_MODES.map((mode) => ({ ...mode, protocol: "json" })),
  ...TRANSPORT_MODES.filter((mode) => mode.options.transport !== signalR.HttpTransportType.ServerSentEvents).map(
    (mode) => ({ ...mode, name: `${mode.name} with MessagePack`, protocol: "messagepack" }),
  ),
];

/** Builds (without starting) a connection to the chat hub of the server at `baseUrl`. */
export function buildConnection(baseUrl, mode) {
  return (
    new signalR.HubConnectionBuilder()
      // The client writes defaults into the options object: give it its own copy.
      .withUrl(`${baseUrl}/chat`, { ...mode.options })
      .withHubProtocol(mode.protocol === "messagepack" ? new MessagePackHubProtocol() : new signalR.JsonHubProtocol())
      .configureLogging(LOG_LEVEL)
      .build()
  );
}

/** Builds and starts a connection. */
export async function connect(baseUrl, mode) {
  const connection = buildConnection(baseUrl, mode);
  await connection.start();
  return connection;
}

/**
 * Opens `count` started connections, runs `body(...connections)`, and stops them all
 * afterwards, whether `body` succeeded or not.
 */
export async function withConnections(baseUrl, mode, count, body) {
  const connections = [];
  try {
    for (let i = 0; i < count; i++) connections.push(await connect(baseUrl, mode));
    return await body(...connections);
  } finally {
    await Promise.allSettled(connections.map((connection) => connection.stop()));
  }
}

/**
 * Registers a handler for `method` now and returns a promise of the arguments of the first call
 * accepted by `accept` (default: any). Rejects after `timeoutMs`.
 */
export function nextCall(connection, method, { accept = () => true, timeoutMs = EVENT_TIMEOUT_MS } = {}) {
  let handler;
  let timer;
  return new Promise((resolve, reject) => {
    handler = (...args) => {
      if (accept(...args)) resolve(args);
    };
    connection.on(method, handler);
    timer = setTimeout(
      () => reject(new Error(`no '${method}' call arrived within ${timeoutMs} ms`)),
      timeoutMs,
    );
  }).finally(() => {
    clearTimeout(timer);
    connection.off(method, handler);
  });
}

/** Records every call of `method` on `connection`: returns the (live) list of argument lists. */
export function recordCalls(connection, method) {
  const calls = [];
  connection.on(method, (...args) => calls.push(args));
  return calls;
}

/** A string no other test sends, to tell this test's messages apart. */
export function unique(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** `promise`, or a rejection naming `what` if it has not settled within `timeoutMs`. */
export function within(promise, what, timeoutMs = EVENT_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
