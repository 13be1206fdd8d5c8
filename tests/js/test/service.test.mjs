// The SignalR service (examples/signalr-service) with the official client: interop servers
// started with `--service` serve their hubs through a `signalr-service` of this file's own.
// Clients negotiate at an interop server, which redirects them to the service
// (`{service}/client/?hub=NAME` with a token carrying their user); the official client follows
// the redirect by itself.
//
// "TestHub through the service": hubConnection.test.mjs's scenarios (INTEROP.md §4.1–4.2, same
// numbers) on every transport × protocol, one interop server behind the service.
//
// "/scenarios over two interop servers behind one service": eight peers, half negotiated at
// each server; the service places every client round robin over all server connections of its
// hub, whichever server redirected it, so which server serves a peer is observed (AskClient, a
// client result, reaches the caller's own server's connections only) rather than chosen. Each
// delivery check waits for the message where it belongs, then SETTLE_MS more, and compares
// every peer's inbox exactly.
//
// Faults: an interop server killed (its clients get a Close that allows reconnecting and come
// back on the other one; the other one's clients notice nothing), the service restarted on the
// same port (servers and clients come back by themselves), and bad input on the servers'
// endpoint `/server/` (401 without a valid token, close code 1002 on garbage).
//
// Not tested here, as they differ in service mode by design: stateful reconnect, the transport
// restriction of /testhub-nowebsockets, the negotiate cookies (tests 26–27), client results to
// connections of another interop server.
//
// Needs `cargo build -p signalr-service -p interop-server` (or env SERVICE_BIN, INTEROP_BIN).

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import {
  Connections,
  MessagePackHubProtocol,
  PromiseSource,
  TRANSPORTS,
  closed,
  createHttpClient,
  eachTransportAndProtocol,
  signalR,
  transportName,
  within,
} from "./functional/common.mjs";
import { Peer, delivered, only } from "./redis/support.mjs";
import {
  HANDSHAKE_REQUEST,
  SETTLE_MS,
  clientResult,
  negotiateThrough,
  rawServerSocket,
  restartService,
  serverToken,
  serviceMessages,
  sleep,
  startService,
  startServiceInteropServer,
  testHubConnection,
  tokenFor,
  untilServed,
  untilServesClients,
} from "./service/support.mjs";

const { HttpTransportType } = signalR;

const TEST = { timeout: 15_000 };
const SETUP = { timeout: 30_000 };

/** ASP.NET Core's `ClaimTypes.NameIdentifier`. */
const NAME_IDENTIFIER = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

/** How start can fail over Server-Sent Events when the server ends the connection at once. */
const SSE_RACE = "No Connection with that ID: Status code '404'";

/** Subscribes to `stream`: a promise of `{ items }` on completion, rejected with its error. */
function collect(stream) {
  const items = [];
  return new Promise((resolve, reject) => {
    stream.subscribe({
      next: (item) => items.push(item),
      complete: () => resolve({ items }),
      error: (error) => reject(Object.assign(error, { items })),
    });
  });
}

/** "message" with one randomly chosen letter upper-cased: client method names ignore case. */
function randomlyCasedMessage() {
  const name = "message";
  const index = Math.floor(Math.random() * (name.length - 1));
  return name.slice(0, index) + name[index].toUpperCase() + name.slice(index + 1);
}

/** A reconnect policy that retries every 100 ms for 10 s (the default waits 2 s, then 10 s). */
const FAST_RETRY = {
  nextRetryDelayInMilliseconds: ({ elapsedMilliseconds }) => (elapsedMilliseconds < 10_000 ? 100 : null),
};

/** The kinds of connection the fault tests open: every transport × protocol. */
const COMBINATIONS = eachTransportAndProtocol().map(({ transport, protocol }) => ({
  transport: transportName(transport),
  protocol: protocol.name,
}));

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

  const testHubUrl = () => `${app.url}/testhub`;
  const authorizedHubUrl = () => `${app.url}/authorizedhub`;

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

  for (const { transport, protocol } of eachTransportAndProtocol()) {
    describe(`hubConnection using ${protocol.name} over ${transportName(transport)} transport`, () => {
      afterEach(() => connections.stopAll());

      /** A /testhub connection (negotiated at the interop server) and its close. */
      function hub(options = {}) {
        const httpClient = options.httpClient ?? createHttpClient();
        const connection = connections.build(
          connections.builder(testHubUrl(), { transport, httpClient }).withHubProtocol(protocol.create()),
        );
        return { connection, httpClient, closed: closed(connection) };
      }

      it("can invoke server method and receive result (1)", TEST, async () => {
        const message = "你好，世界！";
        const { connection, closed } = hub();
        await connection.start();
        assert.strictEqual(await connection.invoke("Echo", message), message);
        await connection.stop();
        assert.strictEqual(await closed, undefined);
      });

      it("the connection id is the server's caller id, and the transport is this one", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        assert.equal(typeof connection.connectionId, "string");
        assert.strictEqual(await connection.invoke("GetCallerConnectionId"), connection.connectionId);
        assert.strictEqual(await connection.invoke("GetActiveTransportName"), transportName(transport));
      });

      it("can invoke server method non-blocking and not receive result (2)", TEST, async () => {
        const { connection, closed } = hub();
        await connection.start();
        assert.strictEqual(await connection.send("Echo", "你好，世界！"), undefined);
        await connection.stop();
        assert.strictEqual(await closed, undefined);
      });

      it("can invoke server method structural object and receive structural result (3)", TEST, async () => {
        const { connection, closed } = hub();
        const received = new PromiseSource();
        connection.on("CustomObject", (customObject) => {
          received.resolve(customObject);
          connection.stop();
        });
        await connection.start();
        await connection.send("SendCustomObject", { Name: "test", Value: 42 });
        const customObject = await within(received, "CustomObject call");
        assert.strictEqual(customObject.Name, "test");
        assert.strictEqual(customObject.Value, 42);
        assert.strictEqual(await closed, undefined);
      });

      it("can stream server method and receive result (4)", TEST, async () => {
        const { connection, closed } = hub();
        await connection.start();
        const { items } = await within(collect(connection.stream("Stream")), "stream completion");
        assert.deepStrictEqual(items, ["a", "b", "c"]);
        const empty = await within(collect(connection.stream("EmptyStream")), "empty stream completion");
        assert.deepStrictEqual(empty.items, []);
        await connection.stop();
        assert.strictEqual(await closed, undefined);
      });

      it("can stream server method and cancel stream (5)", TEST, async () => {
        const { connection, closed } = hub();
        const canceled = new PromiseSource();
        connection.on("StreamCanceled", () => {
          canceled.resolve();
          connection.stop();
        });
        await connection.start();
        const failed = new PromiseSource();
        const subscription = connection.stream("InfiniteStream").subscribe({
          next: () => {},
          complete: () => {},
          error: (error) => failed.reject(error),
        });
        subscription.dispose();
        await within(Promise.race([canceled.promise, failed.promise]), "StreamCanceled call");
        assert.strictEqual(await closed, undefined);
      });

      it("rethrows an exception from the server when invoking (6)", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        await assert.rejects(connection.invoke("ThrowException", "An error occurred."), {
          message: "An unexpected error occurred invoking 'ThrowException' on the server. HubException: An error occurred.",
        });
        // The connection is still usable.
        assert.strictEqual(await connection.invoke("Echo", "after"), "after");
      });

      it("throws an exception when invoking streaming method with invoke (7)", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        await assert.rejects(connection.invoke("EmptyStream"), {
          message: "The client attempted to invoke the streaming 'EmptyStream' method with a non-streaming invocation.",
        });
      });

      it("throws an exception when receiving a streaming result for method called with invoke (8)", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        await assert.rejects(connection.invoke("Stream"), {
          message: "The client attempted to invoke the streaming 'Stream' method with a non-streaming invocation.",
        });
      });

      it("rethrows an exception from the server when streaming (9)", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        await assert.rejects(collect(connection.stream("StreamThrowException", "An error occurred.")), (error) => {
          assert.strictEqual(
            error.message,
            "An unexpected error occurred invoking 'StreamThrowException' on the server. HubException: An error occurred.",
          );
          assert.deepStrictEqual(error.items, []);
          return true;
        });
      });

      it("throws an exception when invoking hub method with stream (10)", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        await assert.rejects(collect(connection.stream("Echo", "42")), {
          message: "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
        });
      });

      it("can receive server calls (11)", TEST, async () => {
        const message = "你好 SignalR！";
        const { connection } = hub();
        const received = new PromiseSource();
        const calls = [];
        connection.on(randomlyCasedMessage(), (msg) => {
          calls.push(msg);
          received.resolve(msg);
        });
        await connection.start();
        await connection.invoke("InvokeWithString", message);
        assert.strictEqual(await within(received, "Message call"), message);
        // Exactly once: a copy would come before the answer to a later call, or soon after.
        await connection.invoke("Echo", "");
        await sleep(SETTLE_MS);
        assert.deepStrictEqual(calls, [message], "Message is called once");
        await connection.stop();
      });

      it("can receive server calls without rebinding handler when restarted (12)", TEST, async () => {
        const message = "你好 SignalR！";
        const { connection } = hub();
        const errors = [];
        let closeCount = 0;
        connection.onclose((error) => {
          errors.push(error);
          closeCount += 1;
        });
        const received = [];
        connection.on(randomlyCasedMessage(), (msg) => received.push(msg));
        for (let round = 0; round < 2; round++) {
          await connection.start();
          await connection.invoke("InvokeWithString", message);
          await connection.stop();
        }
        assert.strictEqual(closeCount, 2);
        assert.deepStrictEqual(errors, [undefined, undefined]);
        assert.deepStrictEqual(received, [message, message]);
      });

      it("closed with error or start fails if hub cannot be created (13)", TEST, async () => {
        const expected =
          "Server returned an error on close: Connection closed with an error. HubException: " +
          "Unable to resolve service for type 'System.Object' while attempting to activate " +
          "'FunctionalTests.UncreatableHub'.";
        const connection = connections.build(
          connections
            .builder(`${app.url}/uncreatable`, { transport, httpClient: createHttpClient() })
            .withHubProtocol(protocol.create()),
        );
        const closedWith = closed(connection);
        let error;
        try {
          await connection.start();
          error = await within(closedWith, "onclose");
        } catch (startError) {
          error = startError;
        }
        assert.ok(error instanceof Error, `not an error: ${error}`);
        if (transport === HttpTransportType.ServerSentEvents && error.message === SSE_RACE) return;
        assert.strictEqual(error.message, expected);
      });

      it("can handle different types (14)", TEST, async () => {
        const { connection, closed } = hub();
        const json = protocol.name === "json";
        const complexObject = {
          ByteArray: json ? "aGVsbG8=" : new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]),
          DateTime: json ? "2002-04-01T10:20:15Z" : new Date(Date.UTC(2002, 3, 1, 10, 20, 15)),
          Guid: "00010203-0405-0607-0706-050403020100",
          IntArray: [0x01, 0x02, 0x03, 0xff],
          String: "Hello, World!",
        };
        await connection.start();
        const value = await connection.invoke("EchoComplexObject", complexObject);
        if (!json) {
          assert.ok(value.ByteArray instanceof Uint8Array, "ByteArray is a Uint8Array");
          assert.ok(value.DateTime instanceof Date, "DateTime is a Date");
          value.ByteArray = new Uint8Array(value.ByteArray);
        }
        assert.deepStrictEqual(value, complexObject);
        await connection.stop();
        assert.strictEqual(await closed, undefined);
      });

      it("can receive different types (15)", TEST, async () => {
        const { connection, closed } = hub();
        const json = protocol.name === "json";
        const complexObject = {
          ByteArray: json ? "AQID" : new Uint8Array([0x1, 0x2, 0x3]),
          DateTime: json ? "2000-01-01T00:00:00Z" : new Date(Date.UTC(2000, 0, 1)),
          Guid: "00010203-0405-0607-0706-050403020100",
          IntArray: [0x01, 0x02, 0x03],
          String: "hello world",
        };
        await connection.start();
        const value = await connection.invoke("SendComplexObject");
        if (!json) {
          assert.ok(value.ByteArray instanceof Uint8Array, "ByteArray is a Uint8Array");
          assert.ok(value.DateTime instanceof Date, "DateTime is a Date");
          value.ByteArray = new Uint8Array(value.ByteArray);
        }
        assert.deepStrictEqual(value, complexObject);
        await connection.stop();
        assert.strictEqual(await closed, undefined);
      });

      it("can be restarted (16)", TEST, async () => {
        const message = "你好，世界！";
        const { connection } = hub();
        const done = new PromiseSource();
        const errors = [];
        const ids = [];
        let closeCount = 0;
        connection.onclose(async (error) => {
          errors.push(error);
          if (closeCount++ > 0) {
            done.resolve();
            return;
          }
          try {
            await connection.start();
            ids.push(connection.connectionId);
            assert.strictEqual(await connection.invoke("Echo", message), message);
            assert.strictEqual(await connection.invoke("GetCallerConnectionId"), connection.connectionId);
            await connection.stop();
          } catch (e) {
            done.reject(e);
          }
        });
        await connection.start();
        ids.push(connection.connectionId);
        assert.strictEqual(await connection.invoke("Echo", message), message);
        await connection.stop();
        await within(done, "the second close");
        assert.deepStrictEqual(errors, [undefined, undefined]);
        assert.notStrictEqual(ids[0], ids[1], "each start is a new connection");
      });

      it("can stream from client to server (17)", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        const subject = new signalR.Subject();
        const result = connection.invoke("StreamingConcat", subject);
        subject.next("Hello ");
        subject.next("world");
        subject.next("!");
        subject.complete();
        assert.strictEqual(await result, "Hello world!");
        await connection.stop();
      });

      it("can stream from client to server and close with error (18)", TEST, async () => {
        const { connection } = hub();
        await connection.start();
        const subject = new signalR.Subject();
        const result = connection.invoke("StreamingConcat", subject);
        subject.next("Hello ");
        subject.next("world");
        subject.next("!");
        subject.error(new Error("Something bad"));
        await assert.rejects(result, {
          message: "An unexpected error occurred invoking 'StreamingConcat' on the server. HubException: Something bad",
        });
        await connection.stop();
      });

      it("can return result to server (19)", TEST, async () => {
        const { connection, httpClient } = hub();
        connection.on("Result", () => 10);
        await connection.start();
        const response = await httpClient.get(`${app.url}/clientresult/${connection.connectionId}`);
        assert.strictEqual(response.content, "10");
        await connection.stop();
      });

      it("can throw result to server (20)", TEST, async () => {
        const { connection, httpClient } = hub();
        connection.on("Result", () => {
          throw new Error("from callback");
        });
        await connection.start();
        const response = await httpClient.get(`${app.url}/clientresult/${connection.connectionId}`);
        assert.strictEqual(response.content, "Error: from callback");
        await connection.stop();
      });

      it("returns result error to server when no result given (21)", TEST, async () => {
        const { connection, httpClient } = hub();
        await connection.start();
        const response = await httpClient.get(`${app.url}/clientresult/${connection.connectionId}`);
        assert.strictEqual(response.content, "Client didn't provide a result.");
        await connection.stop();
      });
    });
  }

  for (const transport of TRANSPORTS) {
    describe(`hubConnection over ${transportName(transport)} transport`, () => {
      afterEach(() => connections.stopAll());

      function authorizedHub(options = {}) {
        return connections.build(
          connections.builder(authorizedHubUrl(), { transport, httpClient: createHttpClient(), ...options }),
        );
      }

      it("can connect to hub with authorization (22)", TEST, async () => {
        const message = "你好，世界！";
        const jwtToken = await tokenFor(app.url);
        const connection = authorizedHub({ accessTokenFactory: () => jwtToken });
        const closedWith = closed(connection);
        await connection.start();
        assert.strictEqual(await connection.invoke("Echo", message), message);
        await connection.stop();
        assert.strictEqual(await closedWith, undefined);
      });

      it("can connect to hub with authorization using async token factory (23)", TEST, async () => {
        const message = "你好，世界！";
        const connection = authorizedHub({ accessTokenFactory: () => tokenFor(app.url) });
        const closedWith = closed(connection);
        await connection.start();
        assert.strictEqual(await connection.invoke("Echo", message), message);
        await connection.stop();
        assert.strictEqual(await closedWith, undefined);
      });

      it("can get error from unauthorized hub connection (24)", TEST, async () => {
        const connection = authorizedHub();
        await assert.rejects(connection.start(), {
          message: "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'",
        });
      });

      it("the user travels in the redirect token to the authorized hub", TEST, async () => {
        const jwtToken = await tokenFor(app.url, "ursula");
        const connection = authorizedHub({ accessTokenFactory: () => jwtToken });
        await connection.start();
        assert.strictEqual(await connection.invoke("GetUserNameIdentifier"), "ursula");
        assert.strictEqual(await connection.invoke("GetUserClaim", NAME_IDENTIFIER), "ursula");
        assert.strictEqual(await connection.invoke("GetUserClaim", "role"), "");
        await connection.stop();
      });

      it("can reconnect (28)", TEST, async () => {
        const connection = connections.build(
          connections.builder(testHubUrl(), { transport, httpClient: createHttpClient() }).withAutomaticReconnect(),
        );
        const reconnecting = new PromiseSource();
        const reconnected = new PromiseSource();
        connection.onreconnecting(() => reconnecting.resolve());
        connection.onreconnected((connectionId) => reconnected.resolve(connectionId));
        await connection.start();
        const initialConnectionId = connection.connectionId;
        // Induce a reconnect: it negotiates at the interop server again, and is redirected again.
        connection.serverTimeout();
        await within(reconnecting, "onreconnecting");
        const newConnectionId = await within(reconnected, "onreconnected");
        assert.notStrictEqual(newConnectionId, initialConnectionId);
        assert.strictEqual(await connection.invoke("GetCallerConnectionId"), newConnectionId);
        assert.strictEqual(await connection.invoke("Echo", "test"), "test");
        await connection.stop();
      });
    });
  }
});

describe("/scenarios over two interop servers behind one service", () => {
  const connections = new Connections();
  let service;
  /** Interop servers by name: A, B. */
  const apps = {};
  /** a1–a4 negotiated at A, b1–b4 at B (which server serves each is the service's choice). */
  let peers;
  let a1, a2, a3, a4, b1, b2, b3, b4;
  /** Peers by the server that serves them: two lists of peers (or one, if not spread). */
  let servedTogether;
  /** Every AskClient answer between two peers of different servers. */
  const crossAnswers = [];
  let sent = 0;
  /** A message no other check sends. */
  const text = (what) => `${what} #${++sent}`;

  /** Opens a /scenarios peer negotiated at interop server `app`; `user` by token, or none. */
  async function open(name, app, transport, protocol, { user, tokenInQuery = false } = {}) {
    const appUrl = apps[app].url;
    const options = { transport: HttpTransportType[transport] };
    let query = "";
    if (user !== undefined) {
      const token = await tokenFor(appUrl, user);
      if (tokenInQuery) query = `?access_token=${encodeURIComponent(token)}`;
      else options.accessTokenFactory = () => token;
    }
    let builder = connections.builder(`${appUrl}/scenarios${query}`, options);
    if (protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
    const peer = new Peer(name, connections.build(builder));
    peer.negotiatedAt = app;
    peer.connection.on("Ask", (question) => {
      if (question === "throw") throw new Error(`${name} does not know`);
      return `${name} answers ${question}`;
    });
    await within(peer.connection.start(), `${name}: start`, 10_000);
    peer.id = peer.connection.connectionId;
    return peer;
  }

  /** Whether `asker` and `target` are served by the same interop server. */
  async function sameServer(asker, target) {
    const answer = await asker.invoke("AskClient", target.id, "same?");
    if (answer === `${target.name} answers same?`) return true;
    crossAnswers.push({ asker: asker.name, target: target.name, answer });
    return false;
  }

  /** A peer served by another server than `peer` (any other peer if all share one). */
  const elsewhere = (peer) =>
    servedTogether.find((group) => !group.includes(peer))?.[0] ?? peers.find((other) => other !== peer);
  /** Another peer served by the same server as `peer`. */
  const beside = (peer) => servedTogether.find((group) => group.includes(peer)).find((other) => other !== peer);

  before(async () => {
    service = await startService();
    apps.A = await startServiceInteropServer(service, "interop A");
    apps.B = await startServiceInteropServer(service, "interop B");
    await untilServed(apps.A.url, "/scenarios");
    await untilServed(apps.B.url, "/scenarios");
    // Both servers' connections are up (their /testhub ones, opened with /scenarios' ones).
    await untilServesClients(apps.A.url);
    await untilServesClients(apps.B.url);
    a1 = await open("a1", "A", "WebSockets", "json", { user: "alice" });
    a2 = await open("a2", "A", "ServerSentEvents", "json", { user: "bob" });
    a3 = await open("a3", "A", "LongPolling", "messagepack");
    a4 = await open("a4", "A", "WebSockets", "messagepack", { user: "carol", tokenInQuery: true });
    b1 = await open("b1", "B", "WebSockets", "json", { user: "alice" });
    b2 = await open("b2", "B", "LongPolling", "json", { user: "bob", tokenInQuery: true });
    b3 = await open("b3", "B", "WebSockets", "messagepack");
    b4 = await open("b4", "B", "ServerSentEvents", "json", { user: "dave" });
    peers = [a1, a2, a3, a4, b1, b2, b3, b4];
    // Group the peers by serving server: a client result reaches only its own server's peers.
    servedTogether = [];
    for (const peer of peers) {
      let group;
      for (const candidate of servedTogether) {
        if (await sameServer(candidate[0], peer)) {
          group = candidate;
          break;
        }
      }
      if (group) group.push(peer);
      else servedTogether.push([peer]);
    }
  }, SETUP);

  after(async () => {
    await connections.stopAll();
    await Promise.allSettled(Object.values(apps).map((app) => app.stop()));
    await service?.stop();
  });

  it("the peers are served by both interop servers, whichever one redirected them", TEST, async (t) => {
    t.diagnostic(
      `served together: ${servedTogether.map((group) => `{${group.map((peer) => peer.name).join(", ")}}`).join(" ")}`,
    );
    assert.equal(servedTogether.length, 2, "two interop servers serve the peers");
    // Within a server every pair answers; across servers none does, with the documented reason.
    for (const group of servedTogether) {
      for (const asker of group) {
        for (const target of group) {
          if (asker !== target) assert.ok(await sameServer(asker, target), `${asker.name} reaches ${target.name}`);
        }
      }
    }
    const [one, two] = servedTogether;
    for (const asker of one) {
      for (const target of two) {
        assert.equal(await sameServer(asker, target), false, `${asker.name} does not reach ${target.name}`);
        assert.equal(await sameServer(target, asker), false, `${target.name} does not reach ${asker.name}`);
      }
    }
    for (const { asker, target, answer } of crossAnswers) {
      const id = peers.find((peer) => peer.name === target).id;
      assert.match(answer, new RegExp(`^Connection '${id}' is not served by this server`), `${asker} asks ${target}`);
    }
  });

  it("knows each connection's id and user", TEST, async () => {
    for (const peer of peers) assert.equal(await peer.invoke("GetConnectionId"), peer.id);
    assert.deepEqual(
      await Promise.all(peers.map((peer) => peer.invoke("GetUserIdentifier"))),
      ["alice", "bob", null, "carol", "alice", "bob", null, "dave"],
    );
  });

  it("SendToAll, SendToOthers, SendToAllExcept and SendToCaller reach peers on both servers", TEST, async () => {
    const everyone = peers.map((peer) => peer.name);
    const all = text("all");
    assert.deepEqual(await delivered(peers, everyone, all, () => a3.invoke("SendToAll", all)), only(peers, everyone, all));
    const others = text("others");
    const notB2 = everyone.filter((name) => name !== "b2");
    assert.deepEqual(
      await delivered(peers, notB2, others, () => b2.invoke("SendToOthers", others)),
      only(peers, notB2, others),
    );
    const except = text("all except");
    const rest = everyone.filter((name) => name !== "a2" && name !== "b4");
    assert.deepEqual(
      await delivered(peers, rest, except, () => b1.invoke("SendToAllExcept", [a2.id, b4.id], except)),
      only(peers, rest, except),
    );
    for (const caller of [a4, b4]) {
      const message = text(`caller ${caller.name}`);
      assert.deepEqual(
        await delivered(peers, [caller.name], message, () => caller.invoke("SendToCaller", message)),
        only(peers, [caller.name], message),
      );
    }
  });

  it("SendToConnection and SendToConnections reach peers on the same and the other server", TEST, async () => {
    for (const sender of [a1, b3]) {
      for (const target of [beside(sender), elsewhere(sender)]) {
        const message = text(`${sender.name} to ${target.name}`);
        assert.deepEqual(
          await delivered(peers, [target.name], message, () => sender.invoke("SendToConnection", target.id, message)),
          only(peers, [target.name], message),
        );
      }
    }
    const some = text("connections");
    const targets = [beside(a2), elsewhere(a2), b2];
    const names = [...new Set(targets.map((peer) => peer.name))];
    assert.deepEqual(
      await delivered(peers, names, some, () =>
        a2.invoke("SendToConnections", [...targets.map((peer) => peer.id), targets[0].id], some),
      ),
      only(peers, names, some),
      "each listed connection once, a repeated id included",
    );
  });

  it("group targets reach members on both servers, once each", TEST, async () => {
    const g1 = `g1-${sent}`;
    const g2 = `g2-${sent}`;
    // g1 = {a1, b2, a4}, g2 = {b1, a4, b4}: a4 is in both; a4 and b4 are added by another peer
    // (AddToGroup), one on the other server where there is one.
    await a1.invoke("JoinGroup", g1);
    await b2.invoke("JoinGroup", g1);
    await elsewhere(a4).invoke("AddToGroup", a4.id, g1);
    await b1.invoke("JoinGroup", g2);
    await a4.invoke("JoinGroup", g2);
    await elsewhere(b4).invoke("AddToGroup", b4.id, g2);

    const toGroup = text("group");
    assert.deepEqual(
      await delivered(peers, ["a1", "b2", "a4"], toGroup, () => a3.invoke("SendToGroup", g1, toGroup)),
      only(peers, ["a1", "b2", "a4"], toGroup),
    );
    const toGroups = text("groups");
    const members = ["a1", "b2", "a4", "b1", "b4"];
    assert.deepEqual(
      await delivered(peers, members, toGroups, () => b3.invoke("SendToGroups", [g1, g2], toGroups)),
      only(peers, members, toGroups),
      "members of any of the groups, once each (a4 is in both)",
    );
    const except = text("group except");
    assert.deepEqual(
      await delivered(peers, ["b2", "a4"], except, () => b4.invoke("SendToGroupExcept", g1, [a1.id], except)),
      only(peers, ["b2", "a4"], except),
    );
    const othersInGroup = text("others in group");
    assert.deepEqual(
      await delivered(peers, ["b1", "b4"], othersInGroup, () => a4.invoke("SendToOthersInGroup", g2, othersInGroup)),
      only(peers, ["b1", "b4"], othersInGroup),
    );

    await elsewhere(a4).invoke("RemoveFromGroup", a4.id, g1);
    await b2.invoke("LeaveGroup", g1);
    const afterLeaving = text("group after a4 and b2 left");
    assert.deepEqual(
      await delivered(peers, ["a1"], afterLeaving, () => b1.invoke("SendToGroup", g1, afterLeaving)),
      only(peers, ["a1"], afterLeaving),
    );
    await a1.invoke("LeaveGroup", g1);
    const empty = text("empty group");
    assert.deepEqual(
      await delivered(peers, [], empty, () => b1.invoke("SendToGroup", g1, empty)),
      only(peers, [], empty),
    );
  });

  it("user targets reach every connection of those users, on both servers", TEST, async () => {
    const toAlice = text("user alice");
    assert.deepEqual(
      await delivered(peers, ["a1", "b1"], toAlice, () => a3.invoke("SendToUser", "alice", toAlice)),
      only(peers, ["a1", "b1"], toAlice),
    );
    const toBob = text("user bob");
    assert.deepEqual(
      await delivered(peers, ["a2", "b2"], toBob, () => b4.invoke("SendToUser", "bob", toBob)),
      only(peers, ["a2", "b2"], toBob),
    );
    const toNobody = text("user nobody");
    assert.deepEqual(
      await delivered(peers, [], toNobody, () => a1.invoke("SendToUser", "nobody", toNobody)),
      only(peers, [], toNobody),
    );
    const toUsers = text("users");
    assert.deepEqual(
      await delivered(peers, ["a4", "b4", "a1", "b1"], toUsers, () =>
        b3.invoke("SendToUsers", ["carol", "dave", "alice", "nobody"], toUsers),
      ),
      only(peers, ["a4", "b4", "a1", "b1"], toUsers),
    );
  });

  it("POST /scenarios/broadcast on either server reaches every peer", TEST, async () => {
    const everyone = peers.map((peer) => peer.name);
    for (const app of ["A", "B"]) {
      const message = text(`broadcast from ${app}`);
      const result = await delivered(peers, everyone, message, async () => {
        const response = await fetch(`${apps[app].url}/scenarios/broadcast`, {
          method: "POST",
          headers: { "Content-Type": "text/plain" },
          body: message,
        });
        assert.equal(response.status, 200);
      });
      assert.deepEqual(result, only(peers, everyone, message));
    }
  });

  it("AskClient relays a result and a client's error from its own server's peers only", TEST, async () => {
    for (const asker of [a1, b2]) {
      const near = beside(asker);
      assert.equal(await asker.invoke("AskClient", near.id, "why?"), `${near.name} answers why?`);
      assert.equal(await asker.invoke("AskClient", near.id, "throw"), `Error: ${near.name} does not know`);
      const far = elsewhere(asker);
      // The documented limitation of service mode: client results reach this server's connections.
      assert.match(
        await asker.invoke("AskClient", far.id, "why?"),
        new RegExp(`^Connection '${far.id}' is not served by this server`),
      );
    }
  });

  it("Left(connectionId) reaches every other peer once when a connection stops", TEST, async () => {
    const e = await open("e", "B", "WebSockets", "json", { user: "erin" });
    assert.equal(await e.invoke("GetUserIdentifier"), "erin");
    await e.connection.stop();
    await Promise.all(peers.map((peer) => peer.until(() => peer.left.includes(e.id), `receive Left(${e.id})`)));
    const everyone = peers.map((peer) => peer.name);
    const message = text("after e left");
    assert.deepEqual(
      await delivered(peers, everyone, message, () => b1.invoke("SendToAll", message)),
      only(peers, everyone, message),
    );
    assert.deepEqual(
      Object.fromEntries(peers.map((peer) => [peer.name, peer.left.filter((id) => id === e.id).length])),
      Object.fromEntries(everyone.map((name) => [name, 1])),
    );
    assert.deepEqual(e.left, [], "e itself is not told");
  });

  it("every peer is still open", TEST, () => {
    assert.deepEqual(
      Object.fromEntries(peers.map((peer) => [peer.name, peer.closedWith])),
      Object.fromEntries(peers.map((peer) => [peer.name, undefined])),
    );
  });
});

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
