// The official client's FunctionalTests/ts/ConnectionTests.ts, against the interop server's raw
// echo endpoint: INTEROP.md §4.4. The official tests drive the client's HttpConnection directly
// (no hub protocol), so they test the transports alone.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  HttpConnection,
  WebSocketImplementation,
  LOG_LEVEL,
  PromiseSource,
  TRANSPORTS,
  createHttpClient,
  signalR,
  startInteropServer,
  transportName,
  within,
} from "./common.mjs";

const TEST = { timeout: 15_000 };

let server;
before(async () => {
  server = await startInteropServer();
});
after(async () => {
  await server?.stop();
});

/** A logger that keeps every message, to search for logged content. */
class RecordingLogger {
  constructor() {
    this.messages = [];
  }

  log(level, message) {
    this.messages.push(message);
    if (level >= LOG_LEVEL) process.stderr.write(`[client] ${message}\n`);
  }
}

/**
 * Starts `connection`, sends `message`, stops when it comes back: resolves with the error
 * onclose reported.
 */
async function echoOnce(connection, message) {
  const closedWith = new PromiseSource();
  connection.onreceive = (data) => {
    if (data === message) connection.stop();
  };
  connection.onclose = (error) => closedWith.resolve(error);
  try {
    await connection.start(signalR.TransferFormat.Text);
    await connection.send(message);
    return await within(closedWith, "the echo and close");
  } finally {
    await connection.stop();
  }
}

describe("connection", () => {
  it("can connect to the server without specifying transport explicitly (40)", TEST, async () => {
    const connection = new HttpConnection(`${server.url}/echo`, {
      logMessageContent: true,
      logger: new RecordingLogger(),
    });
    assert.strictEqual(await echoOnce(connection, "Hello World!"), undefined);
  });

  for (const transport of TRANSPORTS) {
    describe(`over ${transportName(transport)} with FetchHttpClient`, () => {
      it("can send and receive messages (41)", TEST, async () => {
        const connection = new HttpConnection(`${server.url}/echo`, {
          logMessageContent: true,
          logger: new RecordingLogger(),
          httpClient: createHttpClient(),
          transport,
        });
        assert.strictEqual(await echoOnce(connection, "Hello World!"), undefined);
      });

      it("does not log content of messages sent or received by default (42)", TEST, async () => {
        const message = "Hello World!";
        const logger = new RecordingLogger();
        const connection = new HttpConnection(`${server.url}/echo`, {
          logger,
          httpClient: createHttpClient(),
          transport,
        });
        await echoOnce(connection, message);
        assert.ok(logger.messages.length > 0);
        for (const logged of logger.messages) assert.ok(!logged.includes(message), logged);
      });

      it("does log content of messages sent or received when enabled (42)", TEST, async () => {
        const message = "Hello World!";
        const logger = new RecordingLogger();
        const connection = new HttpConnection(`${server.url}/echo`, {
          logger,
          logMessageContent: true,
          httpClient: createHttpClient(),
          transport,
        });
        await echoOnce(connection, message);
        // One for the send, one for the receive.
        assert.strictEqual(logger.messages.filter((logged) => logged.includes(message)).length, 2);
      });

      // 43 (withCredentials) means nothing to Node's client: test/browser/.
    });
  }
});

// WebSocketTests.ts runs in browsers; Node 20 has no global WebSocket, so this uses `ws`, the
// WebSocket implementation the official client itself uses on Node.
describe("WebSocket", () => {
  it("can be used to connect to SignalR (44)", TEST, async () => {
    const WebSocket = WebSocketImplementation;
    const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/echo`);
    const message = "message";
    const closedWith = new PromiseSource();
    const echoed = new PromiseSource();
    socket.onopen = () => socket.send(message);
    socket.onmessage = (event) => {
      echoed.resolve(String(event.data));
      socket.close();
    };
    socket.onerror = (event) => echoed.reject(event.error ?? new Error("WebSocket error"));
    socket.onclose = (event) => closedWith.resolve(event);
    assert.strictEqual(await within(echoed, "the echo"), message);
    const event = await within(closedWith, "the close");
    assert.strictEqual(event.code, 1000);
    assert.strictEqual(event.wasClean, true);
  });
});
