// The official client's FunctionalTests/ts/HubConnectionTests.ts, against the interop server:
// INTEROP.md §4.1–4.2, per transport and protocol (§4.3's standalone tests are in
// hubConnection.standalone.test.mjs). Scenario numbers refer to INTEROP.md §4.
//
// The scenarios this suite shares with ../service-testhub.test.mjs (1–24, 28 and the
// authenticated user) are written once in ./testhub-scenarios.mjs; 25–27 and 29 are here.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import {
  Connections,
  PromiseSource,
  TRANSPORTS,
  closed,
  createHttpClient,
  eachTransportAndProtocol,
  signalR,
  startInteropServer,
  transportName,
  within,
} from "./common.mjs";
import {
  authorizationScenarios,
  jsonTestHubConnection,
  reconnectScenario,
  transportAndProtocolScenarios,
} from "./testhub-scenarios.mjs";

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

/** A token from `GET /generateJwtToken` (the official tests' getJwtToken). */
async function getJwtToken() {
  const response = await createHttpClient().get(`${server.url}/generateJwtToken`);
  assert.ok(response.statusCode >= 200 && response.statusCode < 300, `status ${response.statusCode}`);
  assert.strictEqual(typeof response.content, "string");
  return response.content;
}

/** What the shared scenarios need: see ./testhub-scenarios.mjs. */
const context = { baseUrl: () => server.url, connections, token: getJwtToken, test: TEST };

for (const { transport, protocol } of eachTransportAndProtocol()) {
  describe(`hubConnection using ${protocol.name} over ${transportName(transport)} transport`, () => {
    transportAndProtocolScenarios(context, { transport, protocol });
  });
}

for (const transport of TRANSPORTS) {
  describe(`hubConnection over ${transportName(transport)} transport`, () => {
    /** A connection to /testhub with the JSON protocol over this transport. */
    const hub = (configure) => jsonTestHubConnection(context, transport, configure);

    authorizationScenarios(context, transport, {
      name: "knows the authenticated user on the authorized hub",
      token: getJwtToken,
      expected: "testuser",
    });

    if (transport !== HttpTransportType.LongPolling) {
      it("terminates if no messages received within timeout interval (25)", TEST, async () => {
        const connection = hub();
        const closedWith = closed(connection);
        await connection.start();
        // Set after start, so that a slow handshake cannot trip it.
        connection.serverTimeoutInMilliseconds = 1;
        // A response resets the timeout with the new value.
        await connection.invoke("Echo", "");
        const error = await within(closedWith, "the server timeout");
        assert.ok(error instanceof Error);
        assert.strictEqual(error.message, "Server timeout elapsed without receiving a message from the server.");
      });
    }

    // HTTPS-only upstream because the official app marks its cookies Secure on HTTPS; ours sets
    // them without Secure over HTTP, so the cookie round trip can run here.
    it("preserves cookies between requests (26, over HTTP)", TEST, async () => {
      const connection = hub();
      await connection.start();
      assert.strictEqual(await connection.invoke("GetCookie", "testCookie"), "testValue");
      assert.strictEqual(await connection.invoke("GetCookie", "testCookie2"), "testValue2");
      await connection.stop();
    });

    it("expired cookies are not preserved (27)", TEST, async () => {
      const connection = hub();
      await connection.start();
      assert.strictEqual(await connection.invoke("GetCookie", "expiredCookie"), null);
      await connection.stop();
    });

    reconnectScenario(context, transport);

    it("can change url in reconnecting state (29)", TEST, async () => {
      const connection = hub((builder) => builder.withAutomaticReconnect());
      const reconnecting = new PromiseSource();
      connection.onreconnecting(() => {
        connection.baseUrl = "http://example123.com";
        reconnecting.resolve();
      });
      await connection.start();
      connection.serverTimeout();
      await within(reconnecting, "onreconnecting");
      assert.strictEqual(connection.baseUrl, "http://example123.com");
      await connection.stop();
    });
  });
}
