// The service tests' harness (tests/js/test/service-testhub.test.mjs, service-scenarios.test.mjs,
// service-faults.test.mjs): their test and setup timeouts, a `signalr-service` of each test
// file's own, interop servers started with `--service` behind it, readiness polls, a way to tell
// which application server serves a connection, server tokens and raw server-side WebSockets.
//
// The service binary comes from env SERVICE_BIN (resolved against the current directory), else
// from the workspace's debug build: `cd /work/main && cargo build -p signalr-service`; the
// interop server from env INTEROP_BIN, as in ../functional/common.mjs.
// Set env DEBUG to see the processes' stderr (RUST_LOG=debug for their tracing).

import { createHmac, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import {
  Connections,
  INTEROP_BIN,
  MessagePackHubProtocol,
  PromiseSource,
  WebSocketImplementation,
  signalR,
  within,
} from "../functional/common.mjs";
import { startServer } from "../server.mjs";

export { sleep };

/** MessagePack, as the client's MessagePack protocol resolves it (for the service protocol). */
const require = createRequire(import.meta.url);
const msgpack = createRequire(require.resolve("@microsoft/signalr-protocol-msgpack"))("@msgpack/msgpack");

/** The service binary: this file is tests/js/test/service/support.mjs. */
export const SERVICE_BIN = process.env.SERVICE_BIN
  ? resolve(process.env.SERVICE_BIN)
  : fileURLToPath(new URL("../../../../target/debug/signalr-service", import.meta.url));

/** The options of every service test (`it(name, TEST, fn)`). */
export const TEST = { timeout: 15_000 };

/** The options of a service test file's setup (`before(fn, SETUP)`): processes to start. */
export const SETUP = { timeout: 30_000 };

/** How long to wait for a message that should not come before concluding it did not. */
export const SETTLE_MS = 300;

/** A fresh access key for one service and its application servers. */
export function newAccessKey() {
  return randomBytes(18).toString("hex");
}

/**
 * Starts `signalr-service --port PORT --access-key KEY` (port 0: a free one).
 *
 * @returns {Promise<{ url: string, port: number, key: string, stop: () => Promise<void> }>}
 *   `stop` kills it (SIGTERM, SIGKILL after 5 s); start it again on the same port with
 *   {@link restartService}.
 */
export async function startService({ key = newAccessKey(), port = 0 } = {}) {
  const { url, stop } = await startServer({
    name: "signalr-service",
    bin: SERVICE_BIN,
    args: ["--port", String(port), `--access-key=${key}`],
    build: "cargo build -p signalr-service",
    binEnv: "SERVICE_BIN",
  });
  return { url, port: Number(new URL(url).port), key, stop };
}

/** Stops `service` and starts a new one on the same port with the same key. */
export async function restartService(service) {
  await service.stop();
  return startService({ key: service.key, port: service.port });
}

/** The connection string application servers use for `service`. */
export function connectionString(service) {
  return `Endpoint=${service.url};AccessKey=${service.key};Version=1.0;`;
}

/**
 * Starts an interop server on a free port serving every hub through `service`: `{ url, stop }`
 * (`stop` kills the process: its server connections to the service drop at once). Not waited
 * for: see {@link untilServed}.
 */
export function startServiceInteropServer(service, name = "interop") {
  return startServer({
    name,
    bin: INTEROP_BIN,
    args: ["--port", "0", "--service", connectionString(service)],
    build: "cargo build -p interop-server",
    binEnv: "INTEROP_BIN",
  });
}

/**
 * Negotiates at `appUrl + path` (with `headers`, e.g. a bearer token for /authorizedhub), then
 * at the service it redirects to: `{ status, body }` of the service's negotiate, or of the
 * application server's when that one fails.
 */
export async function negotiateThrough(appUrl, path, headers = {}) {
  const first = await fetch(`${appUrl}${path}/negotiate?negotiateVersion=1`, {
    method: "POST",
    headers,
    signal: AbortSignal.timeout(5_000),
  });
  const firstBody = await first.text();
  if (first.status !== 200) return { status: first.status, body: firstBody, at: "application server" };
  const redirect = JSON.parse(firstBody);
  if (typeof redirect.url !== "string" || typeof redirect.accessToken !== "string") {
    throw new Error(`${appUrl}${path}/negotiate did not redirect: ${firstBody}`);
  }
  const negotiateUrl = new URL(redirect.url);
  negotiateUrl.pathname += negotiateUrl.pathname.endsWith("/") ? "negotiate" : "/negotiate";
  negotiateUrl.searchParams.set("negotiateVersion", "1");
  const second = await fetch(negotiateUrl, {
    method: "POST",
    headers: { Authorization: `Bearer ${redirect.accessToken}` },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: second.status, body: await second.text(), at: "service", redirect };
}

/**
 * Polls until a negotiate at `appUrl + path` goes through the service (the service answers 503
 * while the hub has no server connection), within `timeoutMs`: the milliseconds it took.
 */
export async function untilServed(appUrl, path, { headers = {}, timeoutMs = 10_000 } = {}) {
  const started = Date.now();
  let last;
  while (Date.now() - started < timeoutMs) {
    try {
      last = await negotiateThrough(appUrl, path, headers);
      if (last.status === 200 && last.at === "service") return Date.now() - started;
    } catch (error) {
      last = { error: error.message };
    }
    await sleep(50);
  }
  throw new Error(
    `${appUrl}${path}: no negotiate went through the service within ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
  );
}

/** A token for `user` (default: the server's default user) from `GET /generateJwtToken`. */
export async function tokenFor(appUrl, user) {
  const query = user === undefined ? "" : `?user=${encodeURIComponent(user)}`;
  const response = await fetch(`${appUrl}/generateJwtToken${query}`);
  if (response.status !== 200) throw new Error(`GET /generateJwtToken answered ${response.status}`);
  return response.text();
}

/**
 * What `GET {appUrl}/clientresult/{id}` answers: `"10"` from the connection's `Result` handler
 * when that application server serves it (client results through a service reach that
 * server's own connections only), its error text otherwise.
 */
export async function clientResult(appUrl, id) {
  const response = await fetch(`${appUrl}/clientresult/${encodeURIComponent(id)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  return response.text();
}

const { HttpTransportType } = signalR;

/**
 * Builds (not starts) a /testhub connection negotiated at `appUrl`: `transport` a
 * HttpTransportType name, `protocol` "json" or "messagepack", its `Result` handler answering
 * 10 (so that {@link clientResult} tells which server serves it), `reconnect` the argument of
 * withAutomaticReconnect, if any.
 */
export function testHubConnection(connections, appUrl, { transport = "WebSockets", protocol = "json", reconnect } = {}) {
  let builder = connections.builder(`${appUrl}/testhub`, { transport: HttpTransportType[transport] });
  if (protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
  if (reconnect !== undefined) builder = builder.withAutomaticReconnect(reconnect);
  const connection = connections.build(builder);
  connection.on("Result", () => 10);
  return connection;
}

/**
 * Waits until `appUrl`'s /testhub server connections take clients: opens WebSockets clients
 * (negotiated at `appUrl`) until one is served by that server (the service places clients
 * round robin over every server connection of the hub, whichever server redirected them).
 * Answers how many clients it took.
 */
export async function untilServesClients(appUrl, { attempts = 40 } = {}) {
  const probes = new Connections();
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const connection = testHubConnection(probes, appUrl);
      try {
        await within(connection.start(), "probe start", 5_000);
        if ((await clientResult(appUrl, connection.connectionId)) === "10") return attempt;
      } catch {
        // Not ready yet.
      } finally {
        await connection.stop();
      }
      await sleep(50);
    }
  } finally {
    await probes.stopAll();
  }
  throw new Error(`no client was served by ${appUrl} in ${attempts} attempts`);
}

// --- Raw server connections ---------------------------------------------------------------

/** base64url of a string or bytes. */
const base64url = (data) => Buffer.from(data).toString("base64url");

/**
 * An application server's token: HS256 over `{ aud, exp, iat, nbf }` with the key's UTF-8
 * bytes, as the Azure SignalR SDK signs them. `audience` defaults to the hub's server audience.
 */
export function serverToken(service, hub, { key = service.key, audience, lifetimeSeconds = 3600 } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(
    JSON.stringify({
      aud: audience ?? `${service.url}/server/?hub=${hub}`,
      exp: now + lifetimeSeconds,
      iat: now,
      nbf: now,
    }),
  );
  const signature = createHmac("sha256", Buffer.from(key, "utf8")).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

/**
 * The service protocol's HandshakeRequest, framed: a varint length, then the MessagePack array
 * `[1, version 1, connection type 0, target "", migration level 0, {}, false]`.
 */
export const HANDSHAKE_REQUEST = Buffer.from([0x08, 0x97, 0x01, 0x01, 0x00, 0xa0, 0x00, 0x80, 0xc2]);

/**
 * Opens a raw WebSocket to `{service}/server/?hub=HUB` (with `token` as a bearer header, if
 * any) and records what happens: resolves `{ status }` when the upgrade is refused, or
 * `{ socket, messages, closed }` once open (`closed` resolves to `{ code, reason }`).
 */
export function rawServerSocket(service, hub, token) {
  const url = `${service.url.replace(/^http/, "ws")}/server/?hub=${hub}`;
  const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const socket = new WebSocketImplementation(url, { headers });
  const messages = [];
  const closed = new PromiseSource();
  socket.on("message", (data, isBinary) => messages.push({ data: Buffer.from(data), isBinary }));
  socket.on("close", (code, reason) => closed.resolve({ code, reason: reason.toString() }));
  socket.on("error", () => {});
  return new Promise((resolveOpen, reject) => {
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => {
        resolveOpen({ status: response.statusCode, body });
        socket.terminate();
      });
    });
    socket.once("open", () => resolveOpen({ socket, messages, closed: closed.promise }));
    socket.once("error", (error) => reject(error));
  });
}

/**
 * The service messages in `bytes` (framed: a varint length, then a MessagePack array whose
 * first item is the message type), decoded: e.g. `[2, errorMessage, {}, ...]` for a
 * HandshakeResponse.
 */
export function serviceMessages(bytes) {
  const messages = [];
  let offset = 0;
  while (offset < bytes.length) {
    let length = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[offset++];
      length |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    messages.push(msgpack.decode(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  return messages;
}
