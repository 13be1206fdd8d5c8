// The official client's FunctionalTests/ts/HubConnectionTests.ts, its tests that run once rather
// than per transport and protocol, against the interop server: INTEROP.md §4.3. Scenario numbers
// refer to INTEROP.md §4. The per-transport tests are in hubConnection.test.mjs.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import {
  Connections,
  PROTOCOLS,
  PromiseSource,
  TRANSPORTS,
  getUserAgentHeader,
  signalR,
  startInteropServer,
  transportName,
  within,
} from "./common.mjs";

const { HttpTransportType } = signalR;

const TEST = { timeout: 15_000 };

let server;
const connections = new Connections();

before(async () => {
  server = await startInteropServer();
});
afterEach(() => connections.stopAll());
after(async () => {
  await server?.stop();
});

const testHubUrl = () => `${server.url}/testhub`;
const noWebSocketsUrl = () => `${server.url}/testhub-nowebsockets`;
const redirectUrl = () => `${server.url}/redirect?numRedirects=0&baseUrl=${server.url}`;

describe("hubConnection", () => {
  /** Waits for `connection` to reconnect after an induced server timeout: the new id. */
  async function forceReconnect(connection) {
    const reconnecting = new PromiseSource();
    const reconnected = new PromiseSource();
    connection.onreconnecting(() => reconnecting.resolve());
    connection.onreconnected((connectionId) => reconnected.resolve(connectionId));
    connection.serverTimeout();
    await within(reconnecting, "onreconnecting");
    return within(reconnected, "onreconnected");
  }

  it("can reconnect after negotiate redirect (30)", TEST, async () => {
    const connection = connections.build(connections.builder(redirectUrl()).withAutomaticReconnect());
    await connection.start();
    const preReconnectRedirects = await connection.invoke("GetNumRedirects");
    const initialConnectionId = connection.connection.connectionId;
    const newConnectionId = await forceReconnect(connection);
    assert.notStrictEqual(newConnectionId, initialConnectionId);
    assert.strictEqual(await connection.invoke("GetCallerConnectionId"), newConnectionId);
    const postReconnectRedirects = await connection.invoke("GetNumRedirects");
    assert.ok(
      postReconnectRedirects > preReconnectRedirects,
      `redirects ${preReconnectRedirects} then ${postReconnectRedirects}`,
    );
    await connection.stop();
  });

  it("can reconnect after skipping negotiation (31)", TEST, async () => {
    const connection = connections.build(
      connections
        .builder(testHubUrl(), { transport: HttpTransportType.WebSockets, skipNegotiation: true })
        .withAutomaticReconnect(),
    );
    await connection.start();
    assert.strictEqual(await forceReconnect(connection), undefined);
    assert.strictEqual(await connection.invoke("Echo", "test"), "test");
    await connection.stop();
  });

  it("connection id matches server side connection id (32)", TEST, async () => {
    const connection = connections.build(connections.builder(redirectUrl()).withAutomaticReconnect());
    assert.strictEqual(connection.connectionId, null);
    await connection.start();
    assert.notStrictEqual(connection.connectionId, null);
    assert.strictEqual(await connection.invoke("GetCallerConnectionId"), connection.connectionId);
    const initialConnectionId = connection.connectionId;
    const newConnectionId = await forceReconnect(connection);
    assert.notStrictEqual(newConnectionId, initialConnectionId);
    assert.strictEqual(await connection.invoke("GetCallerConnectionId"), newConnectionId);
    await connection.stop();
    assert.strictEqual(connection.connectionId, null);
  });

  it("connection id is always null if negotiation is skipped (33)", TEST, async () => {
    const connection = connections.build(
      connections.builder(testHubUrl(), { transport: HttpTransportType.WebSockets, skipNegotiation: true }),
    );
    assert.strictEqual(connection.connectionId, null);
    await connection.start();
    assert.strictEqual(connection.connectionId, null);
    await connection.stop();
    assert.strictEqual(connection.connectionId, null);
  });

  // Upstream runs this where EventSource exists (browsers); the Node client has Server-Sent
  // Events too (the `eventsource` package), so it runs here.
  it("allows Server-Sent Events when negotiating for JSON protocol (34)", TEST, async () => {
    const connection = connections.build(
      connections.builder(noWebSocketsUrl()).withHubProtocol(new signalR.JsonHubProtocol()),
    );
    await connection.start();
    assert.strictEqual(await connection.invoke("GetActiveTransportName"), "ServerSentEvents");
    await connection.stop();
  });

  it("skips Server-Sent Events when negotiating for MessagePack protocol (35)", TEST, async () => {
    const messagePack = PROTOCOLS.find((protocol) => protocol.name === "messagepack");
    const connection = connections.build(
      connections.builder(noWebSocketsUrl()).withHubProtocol(messagePack.create()),
    );
    await connection.start();
    assert.strictEqual(await connection.invoke("GetActiveTransportName"), "LongPolling");
    await connection.stop();
  });

  // 36 (transport falls back from WebSockets) replaces window.WebSocket: test/browser/.

  it("over LongPolling it sends DELETE request and waits for poll to terminate (37)", TEST, async () => {
    const defaultClient = new signalR.DefaultHttpClient(signalR.NullLogger.instance);
    const methods = [];
    class TestClient extends signalR.HttpClient {
      constructor() {
        super();
        this.pollPromise = null;
      }

      send(request) {
        methods.push(request.method);
        if (request.method === "GET") {
          this.pollPromise = defaultClient.send(request);
          return this.pollPromise;
        }
        return defaultClient.send(request);
      }
    }
    const testClient = new TestClient();
    const connection = connections.build(
      connections.builder(testHubUrl(), { transport: HttpTransportType.LongPolling, httpClient: testClient }),
    );
    await connection.start();
    assert.notStrictEqual(testClient.pollPromise, null);
    const stopping = connection.stop();
    try {
      await within(testClient.pollPromise, "the end of the outstanding poll");
    } catch (error) {
      // The poll may have been aborted.
      if (!(error instanceof signalR.AbortError)) throw error;
    }
    await within(stopping, "stop()");
    assert.ok(methods.includes("DELETE"), `requests: ${methods.join(", ")}`);
  });

  it("populates the Content-Type header when sending XMLHttpRequest", {
    skip:
      "not a server behaviour: the 10.x client sets Content-Type only on requests with a body, " +
      "and the hub sees the first poll's headers (as ASP.NET Core's, which clones that request)",
  });

  for (const transport of TRANSPORTS) {
    it(`sets the user agent header over ${transportName(transport)} (38)`, TEST, async () => {
      const connection = connections.build(
        connections.builder(testHubUrl(), { transport }).withHubProtocol(new signalR.JsonHubProtocol()),
      );
      await connection.start();
      const [name, value] = getUserAgentHeader();
      assert.strictEqual(name, "User-Agent");
      assert.strictEqual(await connection.invoke("GetHeader", name), value);
      await connection.stop();
    });

    it(`overwrites library headers with user headers over ${transportName(transport)} (39)`, TEST, async () => {
      const headers = { "User-Agent": "Custom Agent", "X-HEADER": "VALUE" };
      const connection = connections.build(
        connections.builder(testHubUrl(), { transport, headers }).withHubProtocol(new signalR.JsonHubProtocol()),
      );
      await connection.start();
      assert.strictEqual(await connection.invoke("GetHeader", "User-Agent"), "Custom Agent");
      assert.strictEqual(await connection.invoke("GetHeader", "X-HEADER"), "VALUE");
      await connection.stop();
    });
  }
});
