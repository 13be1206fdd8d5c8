// The SignalR service (examples/signalr-service) with the official client, faults: interop
// servers started with `--service` serve /testhub through a `signalr-service` of this file's own,
// and something goes wrong. Clients negotiate at an interop server, which redirects them to the
// service; the official client follows the redirect by itself.
//
// An interop server killed, one of two (its clients get a Close that allows reconnecting and come
// back on the other one; the other one's clients notice nothing; new clients all go to the one
// left), the service restarted on the same port (servers and clients come back by themselves),
// and bad input on the service's endpoint for application servers, `/server/` (401 without a
// valid token, close code 1002 on garbage, clients served throughout).
//
// The other service tests: service-testhub.test.mjs (TestHub through the service),
// service-scenarios.test.mjs (/scenarios over two interop servers); their harness is
// ./service/support.mjs.
//
// Needs `cargo build -p signalr-service -p interop-server` (or env SERVICE_BIN, INTEROP_BIN).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  Connections,
  PromiseSource,
  closed,
  eachTransportAndProtocol,
  signalR,
  transportName,
  within,
} from "./functional/common.mjs";
import {
  HANDSHAKE_REQUEST,
  SETUP,
  TEST,
  clientResult,
  rawServerSocket,
  restartService,
  serverToken,
  serviceMessages,
  sleep,
  startService,
  startServiceInteropServer,
  testHubConnection,
  untilServed,
  untilServesClients,
} from "./service/support.mjs";

/** A reconnect policy that retries every 100 ms for 10 s (the default waits 2 s, then 10 s). */
const FAST_RETRY = {
  nextRetryDelayInMilliseconds: ({ elapsedMilliseconds }) => (elapsedMilliseconds < 10_000 ? 100 : null),
};

/** The kinds of connection the fault tests open: every transport × protocol. */
const COMBINATIONS = eachTransportAndProtocol().map(({ transport, protocol }) => ({
  transport: transportName(transport),
  protocol: protocol.name,
}));

describe("faults: an interop server goes away", () => {
  const connections = new Connections();
  let service;
  const apps = {};
  /** Clients negotiated at B, by the server that serves them: `{ A: [...], B: [...] }`. */
  const servedBy = { A: [], B: [] };

  /** A /testhub client negotiated at B, and what happens to it. */
  async function openClient({ transport, protocol }) {
    const connection = testHubConnection(connections, apps.B.url, { transport, protocol, reconnect: FAST_RETRY });
    const client = { name: `${transport}/${protocol}`, connection, reconnecting: [], reconnected: [], closed: [] };
    connection.onreconnecting((error) => client.reconnecting.push(error));
    connection.onreconnected((id) => client.reconnected.push(id));
    connection.onclose((error) => client.closed.push(error ?? null));
    await within(connection.start(), `${client.name}: start`);
    client.id = connection.connectionId;
    return client;
  }

  before(async () => {
    service = await startService();
    apps.A = await startServiceInteropServer(service, "interop A");
    apps.B = await startServiceInteropServer(service, "interop B");
    await untilServed(apps.B.url, "/testhub");
    await untilServesClients(apps.A.url);
    await untilServesClients(apps.B.url);
    // One client of every transport × protocol on each server: the service picks the server.
    for (const combination of COMBINATIONS) {
      const wanted = new Set(["A", "B"]);
      for (let attempt = 0; attempt < 12 && wanted.size > 0; attempt++) {
        const client = await openClient(combination);
        const onA = (await clientResult(apps.A.url, client.id)) === "10";
        const onB = (await clientResult(apps.B.url, client.id)) === "10";
        assert.ok(onA !== onB, `${client.name} ${client.id} is served by exactly one server (A: ${onA}, B: ${onB})`);
        const server = onA ? "A" : "B";
        if (wanted.delete(server)) servedBy[server].push(client);
        else await client.connection.stop();
      }
    }
  }, SETUP);

  after(async () => {
    await connections.stopAll();
    await Promise.allSettled(Object.values(apps).map((app) => app.stop()));
    await service?.stop();
  });

  it("the service places clients negotiated at B on A's and B's server connections", TEST, () => {
    const names = (list) => list.map((client) => client.name);
    const all = COMBINATIONS.map(({ transport, protocol }) => `${transport}/${protocol}`);
    assert.deepEqual({ A: names(servedBy.A), B: names(servedBy.B) }, { A: all, B: all });
  });

  it("killing A: A's clients get a Close that allows reconnecting and come back on B; B's notice nothing", TEST, async (t) => {
    await apps.A.stop();
    const started = Date.now();
    for (const client of servedBy.A) {
      await within(
        (async () => {
          while (client.reconnected.length === 0 && client.closed.length === 0) await sleep(20);
        })(),
        `${client.name}: reconnected`,
        10_000,
      );
    }
    t.diagnostic(`A's clients reconnected within ${Date.now() - started} ms`);
    for (const client of servedBy.A) {
      assert.deepEqual(client.closed, [], `${client.name} is not closed`);
      assert.ok(client.reconnecting.length >= 1, `${client.name} went through reconnecting`);
      // A Close message with an error and allowReconnect: true (without allowReconnect the client
      // would close instead of reconnecting).
      assert.match(
        client.reconnecting[0]?.message ?? "",
        /^Server returned an error on close: /,
        `${client.name}: why it reconnects`,
      );
      const newId = client.reconnected.at(-1);
      assert.notEqual(newId, client.id);
      assert.equal(client.connection.state, signalR.HubConnectionState.Connected);
      assert.equal(await client.connection.invoke("GetCallerConnectionId"), newId);
      assert.equal(await client.connection.invoke("Echo", "again"), "again");
      assert.equal(await clientResult(apps.B.url, newId), "10", `${client.name} is now served by B`);
    }
    for (const client of servedBy.B) {
      assert.equal(await client.connection.invoke("Echo", "still here"), "still here");
      assert.equal(client.connection.connectionId, client.id);
      assert.equal(await clientResult(apps.B.url, client.id), "10");
      assert.deepEqual(
        { reconnecting: client.reconnecting, closed: client.closed },
        { reconnecting: [], closed: [] },
        `${client.name} noticed nothing`,
      );
    }
  });

  it("new clients are all served by B", TEST, async () => {
    for (const combination of COMBINATIONS) {
      const client = await openClient(combination);
      assert.equal(await client.connection.invoke("Echo", "new"), "new");
      assert.equal(await clientResult(apps.B.url, client.id), "10", `${client.name} is served by B`);
      await client.connection.stop();
    }
  });
});

describe("faults: the service restarts on the same port", () => {
  const connections = new Connections();
  let service;
  let app;

  before(async () => {
    service = await startService();
    app = await startServiceInteropServer(service);
    await untilServed(app.url, "/testhub");
  }, SETUP);

  after(async () => {
    await connections.stopAll();
    await app?.stop();
    await service?.stop();
  });

  it("the interop server reconnects by itself, and clients work again", TEST, async (t) => {
    // One client that reconnects by itself (every 100 ms), one that does not.
    const resilient = testHubConnection(connections, app.url, { reconnect: FAST_RETRY });
    const reconnected = new PromiseSource();
    resilient.onreconnected((id) => reconnected.resolve(id));
    const resilientClosed = closed(resilient);
    await resilient.start();
    const plain = testHubConnection(connections, app.url, { transport: "LongPolling", protocol: "messagepack" });
    const plainClosed = closed(plain);
    await plain.start();
    assert.equal(await resilient.invoke("Echo", "before"), "before");
    assert.equal(await plain.invoke("Echo", "before"), "before");

    const port = service.port;
    service = await restartService(service);
    assert.equal(service.port, port);
    const restarted = Date.now();

    // Long Polling's next poll fails against the new process, which does not know it.
    const plainError = await within(plainClosed, "the Long Polling client's close", 10_000);
    assert.ok(plainError instanceof Error, `the client without reconnect closes with an error: ${plainError}`);

    const servedAfter = await untilServed(app.url, "/testhub", { timeoutMs: 8_000 });
    t.diagnostic(`served again ${servedAfter} ms after the restart (interop's reconnect delay is 1 s)`);
    assert.ok(servedAfter <= 5_000, `served again within 5 s, not ${servedAfter} ms`);

    const fresh = testHubConnection(connections, app.url, { transport: "ServerSentEvents" });
    await fresh.start();
    assert.equal(await fresh.invoke("Echo", "after"), "after");
    assert.equal(await clientResult(app.url, fresh.connectionId), "10");

    const newId = await within(reconnected, "the reconnecting client's onreconnected", 10_000);
    t.diagnostic(`the reconnecting client came back ${Date.now() - restarted} ms after the restart`);
    assert.equal(await resilient.invoke("GetCallerConnectionId"), newId);
    assert.equal(await resilient.invoke("Echo", "after"), "after");
    await resilient.stop();
    assert.equal(await resilientClosed, undefined);
  });
});

describe("faults: bad input on the service's /server/ endpoint", () => {
  const connections = new Connections();
  let service;
  let app;
  /** A client opened before any bad input, checked after it. */
  let bystander;

  before(async () => {
    service = await startService();
    app = await startServiceInteropServer(service);
    await untilServed(app.url, "/testhub");
    bystander = testHubConnection(connections, app.url);
    bystander.closedWith = closed(bystander);
    await bystander.start();
  }, SETUP);

  after(async () => {
    await connections.stopAll();
    await app?.stop();
    await service?.stop();
  });

  it("a server WebSocket without a token gets 401", TEST, async () => {
    const { status, socket } = await rawServerSocket(service, "testhub");
    socket?.terminate();
    assert.equal(status, 401);
  });

  it("a token signed with another key, for another hub, or expired gets 401", TEST, async () => {
    const refused = {};
    const tokens = {
      "another key": serverToken(service, "testhub", { key: `${service.key}x` }),
      "another hub": serverToken(service, "testhub", { audience: `${service.url}/server/?hub=scenarios` }),
      "a client audience": serverToken(service, "testhub", { audience: `${service.url}/client/?hub=testhub` }),
      expired: serverToken(service, "testhub", { lifetimeSeconds: -60 }),
      "not a token": "garbage",
    };
    for (const [what, token] of Object.entries(tokens)) {
      const { status, socket } = await rawServerSocket(service, "testhub", token);
      socket?.terminate();
      refused[what] = status;
    }
    assert.deepEqual(refused, Object.fromEntries(Object.keys(tokens).map((what) => [what, 401])));
  });

  it("a valid token opens the server WebSocket and a handshake is answered", TEST, async () => {
    const { socket, messages, closed: socketClosed } = await rawServerSocket(
      service,
      "testhub",
      serverToken(service, "testhub"),
    );
    assert.ok(socket, "the upgrade is accepted");
    socket.send(HANDSHAKE_REQUEST);
    await within(
      (async () => {
        while (messages.length === 0) await sleep(10);
      })(),
      "the handshake response",
    );
    const [response] = serviceMessages(messages[0].data);
    assert.equal(response[0], 2, "a HandshakeResponse");
    assert.equal(response[1], null, "without an error");
    socket.close(1000);
    await within(socketClosed, "the close");
  });

  it("garbage instead of the handshake: a refused handshake, then close code 1002", TEST, async () => {
    const { socket, messages, closed: socketClosed } = await rawServerSocket(
      service,
      "testhub",
      serverToken(service, "testhub"),
    );
    socket.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    const { code } = await within(socketClosed, "the close");
    assert.equal(code, 1002);
    const [response] = serviceMessages(messages[0].data);
    assert.equal(response[0], 2, "a HandshakeResponse");
    assert.equal(typeof response[1], "string", "with an error");
  });

  it("a text frame instead of the handshake: close code 1002", TEST, async () => {
    const { socket, closed: socketClosed } = await rawServerSocket(service, "testhub", serverToken(service, "testhub"));
    socket.send("not binary");
    const { code } = await within(socketClosed, "the close");
    assert.equal(code, 1002);
  });

  it("garbage after a valid handshake: close code 1002, every time", TEST, async () => {
    // Several rounds: a close that races with the end of the connection would show in some.
    const garbage = [
      [0xff, 0xff, 0xff, 0xff, 0xff],
      [0x02, 0xc1, 0xc1],
      [0x01, 0x93],
    ];
    const codes = [];
    for (let round = 0; round < 6; round++) {
      const { socket, messages, closed: socketClosed } = await rawServerSocket(
        service,
        "testhub",
        serverToken(service, "testhub"),
      );
      socket.send(HANDSHAKE_REQUEST);
      await within(
        (async () => {
          while (messages.length === 0) await sleep(5);
        })(),
        "the handshake response",
      );
      assert.equal(serviceMessages(messages[0].data)[0][1], null, "the handshake is accepted");
      socket.send(Buffer.from(garbage[round % garbage.length]));
      const { code, reason } = await within(socketClosed, "the close");
      codes.push(`${code} ${reason}`);
    }
    assert.deepEqual(
      codes.map((entry) => entry.split(" ")[0]),
      codes.map(() => "1002"),
      `close codes and reasons: ${JSON.stringify(codes)}`,
    );
  });

  it("the service keeps serving clients: the one from before and new ones", TEST, async () => {
    assert.equal(await bystander.invoke("Echo", "still here"), "still here");
    for (const { transport, protocol } of COMBINATIONS) {
      const connection = testHubConnection(connections, app.url, { transport, protocol });
      await connection.start();
      assert.equal(await connection.invoke("Echo", `${transport}/${protocol}`), `${transport}/${protocol}`);
      assert.equal(await clientResult(app.url, connection.connectionId), "10");
      await connection.stop();
    }
    assert.equal(bystander.state, signalR.HubConnectionState.Connected);
  });
});
