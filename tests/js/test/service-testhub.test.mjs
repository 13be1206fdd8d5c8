// The SignalR service (examples/signalr-service) with the official client, TestHub through the
// service: one interop server started with `--service` serves its hubs through a
// `signalr-service` of this file's own. Clients negotiate at the interop server, which redirects
// them to the service (`{service}/client/?hub=NAME` with a token carrying their user); the
// official client follows the redirect by itself.
//
// The redirect itself (negotiate at the interop server answers the service's URL and a token;
// the service offers every transport and refuses a client without the redirect's token), then
// hubConnection.test.mjs's scenarios (INTEROP.md §4.1–4.2, same numbers) on every transport ×
// protocol (1–21), and on every transport (22–24, 28, and the user carried in the redirect
// token to /authorizedhub).
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

import {
  Connections,
  PromiseSource,
  TRANSPORTS,
  closed,
  createHttpClient,
  eachTransportAndProtocol,
  signalR,
  transportName,
  within,
} from "./functional/common.mjs";
import {
  SETTLE_MS,
  SETUP,
  TEST,
  negotiateThrough,
  sleep,
  startService,
  startServiceInteropServer,
  tokenFor,
  untilServed,
} from "./service/support.mjs";

const { HttpTransportType } = signalR;

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
