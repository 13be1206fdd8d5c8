// The SignalR service (examples/signalr-service) with the official client, TestHub through the
// service: one interop server started with `--service` serves its hubs through a
// `signalr-service` of this file's own. Clients negotiate at the interop server, which redirects
// them to the service (`{service}/client/?hub=NAME` with a token carrying their user); the
// official client follows the redirect by itself.
//
// The redirect itself (negotiate at the interop server answers the service's URL and a token;
// the service offers every transport and refuses a client without the redirect's token), then
// hubConnection.test.mjs's scenarios (INTEROP.md §4.1–4.2, same numbers; both suites run them
// from ./functional/testhub-scenarios.mjs) on every transport × protocol (1–21, and the
// connection id and transport the server sees), and on every transport (22–24, 28, and the
// user carried in the redirect token to /authorizedhub).
//
// Not tested here, as they differ in service mode by design: stateful reconnect, the transport
// restriction of /testhub-nowebsockets, the negotiate cookies (tests 26–27), client results to
// connections of another interop server (service-scenarios.test.mjs checks that they fail).
//
// The other service tests: service-scenarios.test.mjs (/scenarios over two interop servers),
// service-faults.test.mjs (servers killed, the service restarted, bad input on /server/);
// their harness is ./service/support.mjs.
//
// Needs `cargo build -p signalr-service -p interop-server` (or env SERVICE_BIN, INTEROP_BIN).

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import { Connections, TRANSPORTS, eachTransportAndProtocol, transportName } from "./functional/common.mjs";
import {
  authorizationScenarios,
  reconnectScenario,
  testHubConnection,
  transportAndProtocolScenarios,
} from "./functional/testhub-scenarios.mjs";
import {
  SETUP,
  TEST,
  negotiateThrough,
  startService,
  startServiceInteropServer,
  tokenFor,
  untilServed,
} from "./service/support.mjs";

describe("TestHub through the service", () => {
  let service;
  let app;
  const connections = new Connections();

  before(async () => {
    service = await startService();
    app = await startServiceInteropServer(service);
    const token = await tokenFor(app.url);
    await untilServed(app.url, "/testhub");
    await untilServed(app.url, "/uncreatable");
    await untilServed(app.url, "/authorizedhub", { headers: { Authorization: `Bearer ${token}` } });
  }, SETUP);
  afterEach(() => connections.stopAll());
  after(async () => {
    await connections.stopAll();
    await app?.stop();
    await service?.stop();
  });

  /** What the shared scenarios need: see ./functional/testhub-scenarios.mjs. */
  const context = { baseUrl: () => app.url, connections, token: () => tokenFor(app.url), test: TEST };

  it("negotiate at the interop server redirects to the service, which offers every transport", TEST, async () => {
    const { status, body, at, redirect } = await negotiateThrough(app.url, "/testhub");
    assert.equal(at, "service");
    assert.equal(redirect.url, `${service.url}/client/?hub=testhub`);
    assert.equal(typeof redirect.accessToken, "string");
    assert.equal(status, 200, body);
    const negotiated = JSON.parse(body);
    assert.deepEqual(
      negotiated.availableTransports.map((entry) => entry.transport).sort(),
      ["LongPolling", "ServerSentEvents", "WebSockets"],
    );
    // Transport requests at the interop server itself are not served: clients go to the service.
    const direct = await fetch(`${app.url}/testhub?id=${encodeURIComponent(negotiated.connectionToken)}`);
    await direct.arrayBuffer();
    assert.equal(direct.status, 404);
  });

  it("the service refuses a client without the redirect's token", TEST, async () => {
    const { redirect } = await negotiateThrough(app.url, "/testhub");
    const withoutToken = await fetch(`${service.url}/client/negotiate?hub=testhub&negotiateVersion=1`, {
      method: "POST",
    });
    await withoutToken.arrayBuffer();
    assert.equal(withoutToken.status, 401);
    // A token for another hub does not open this one.
    const otherHub = await fetch(`${service.url}/client/negotiate?hub=scenarios&negotiateVersion=1`, {
      method: "POST",
      headers: { Authorization: `Bearer ${redirect.accessToken}` },
    });
    await otherHub.arrayBuffer();
    assert.equal(otherHub.status, 401);
  });

  it("the service lets a page of the application server's origin negotiate with it (CORS)", TEST, async () => {
    // The client's page comes from the application server: to a browser, every request to the
    // service is cross-origin, and negotiate (a POST with an Authorization header) is preflighted.
    const { redirect } = await negotiateThrough(app.url, "/testhub");
    const origin = app.url;
    const negotiateUrl = `${service.url}/client/negotiate?hub=testhub&negotiateVersion=1`;
    const preflight = await fetch(negotiateUrl, {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,x-requested-with",
      },
    });
    await preflight.arrayBuffer();
    assert.ok(preflight.status >= 200 && preflight.status < 300, `preflight status ${preflight.status}`);
    assert.equal(preflight.headers.get("access-control-allow-origin"), origin);
    assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /authorization/i);
    const negotiated = await fetch(negotiateUrl, {
      method: "POST",
      headers: { Origin: origin, Authorization: `Bearer ${redirect.accessToken}` },
    });
    await negotiated.arrayBuffer();
    assert.equal(negotiated.status, 200);
    assert.equal(negotiated.headers.get("access-control-allow-origin"), origin);
  });

  for (const { transport, protocol } of eachTransportAndProtocol()) {
    describe(`hubConnection using ${protocol.name} over ${transportName(transport)} transport`, () => {
      afterEach(() => connections.stopAll());

      transportAndProtocolScenarios(context, { transport, protocol });

      it("the connection id is the server's caller id, and the transport is this one", TEST, async () => {
        const { connection } = testHubConnection(context, transport, protocol);
        await connection.start();
        assert.equal(typeof connection.connectionId, "string");
        assert.strictEqual(await connection.invoke("GetCallerConnectionId"), connection.connectionId);
        assert.strictEqual(await connection.invoke("GetActiveTransportName"), transportName(transport));
      });
    });
  }

  for (const transport of TRANSPORTS) {
    describe(`hubConnection over ${transportName(transport)} transport`, () => {
      afterEach(() => connections.stopAll());

      authorizationScenarios(context, transport, {
        name: "the user travels in the redirect token to the authorized hub",
        token: () => tokenFor(app.url, "ursula"),
        expected: "ursula",
      });

      reconnectScenario(context, transport);
    });
  }
});
