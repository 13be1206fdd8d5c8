// The official client's FunctionalTests/ts/HubConnectionTests.ts, against the interop server:
// INTEROP.md §4.1–4.2, per transport and protocol (§4.3's standalone tests are in
// hubConnection.standalone.test.mjs). Scenario numbers refer to INTEROP.md §4.
//
// Where .NET names its exception type in an error text (`InvalidOperationException: ...`), ours
// names `HubException` (INTEROP.md, "How it starts").

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
const authorizedHubUrl = () => `${server.url}/authorizedhub`;

/** ASP.NET Core's `ClaimTypes.NameIdentifier`. */
const NAME_IDENTIFIER = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

/** A token from `GET /generateJwtToken` (the official tests' getJwtToken). */
async function getJwtToken() {
  const response = await createHttpClient().get(`${server.url}/generateJwtToken`);
  assert.ok(response.statusCode >= 200 && response.statusCode < 300, `status ${response.statusCode}`);
  assert.strictEqual(typeof response.content, "string");
  return response.content;
}

/** How start can fail over Server-Sent Events when the server ends the connection at once. */
const SSE_RACE = "No Connection with that ID: Status code '404'";

/** "message" with one randomly chosen letter upper-cased: client method names ignore case. */
function randomlyCasedMessage() {
  const name = "message";
  const index = Math.floor(Math.random() * (name.length - 1));
  return name.slice(0, index) + name[index].toUpperCase() + name.slice(index + 1);
}

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

for (const { transport, protocol } of eachTransportAndProtocol()) {
  describe(`hubConnection using ${protocol.name} over ${transportName(transport)} transport`, () => {
    /** A started connection to /testhub with this protocol and transport, and its close. */
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
      connection.on(randomlyCasedMessage(), (msg) => received.resolve(msg));
      await connection.start();
      await connection.invoke("InvokeWithString", message);
      assert.strictEqual(await within(received, "Message call"), message);
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

    // xit upstream (flaky there); ours refuses in on_connected, which is deterministic.
    it("closed with error or start fails if hub cannot be created (13)", TEST, async () => {
      const expected =
        "Server returned an error on close: Connection closed with an error. HubException: " +
        "Unable to resolve service for type 'System.Object' while attempting to activate " +
        "'FunctionalTests.UncreatableHub'.";
      const connection = connections.build(
        connections
          .builder(`${server.url}/uncreatable`, { transport, httpClient: createHttpClient() })
          .withHubProtocol(protocol.create()),
      );
      // Either start fails or onclose reports the error; never both.
      const closedWith = closed(connection);
      let error;
      try {
        await connection.start();
        error = await within(closedWith, "onclose");
      } catch (startError) {
        error = startError;
      }
      assert.ok(error instanceof Error, `not an error: ${error}`);
      if (transport === HttpTransportType.ServerSentEvents && error.message === SSE_RACE) {
        // As upstream documents: the handshake POST can reach the server after the refused
        // connection is gone, and start fails with that instead.
        return;
      }
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
      let closeCount = 0;
      connection.onclose(async (error) => {
        errors.push(error);
        if (closeCount++ > 0) {
          done.resolve();
          return;
        }
        // Start and invoke again, from inside onclose.
        try {
          await connection.start();
          assert.strictEqual(await connection.invoke("Echo", message), message);
          await connection.stop();
        } catch (e) {
          done.reject(e);
        }
      });
      await connection.start();
      assert.strictEqual(await connection.invoke("Echo", message), message);
      await connection.stop();
      await within(done, "the second close");
      assert.deepStrictEqual(errors, [undefined, undefined]);
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
      const response = await httpClient.get(`${server.url}/clientresult/${connection.connectionId}`);
      assert.strictEqual(response.content, "10");
      await connection.stop();
    });

    it("can throw result to server (20)", TEST, async () => {
      const { connection, httpClient } = hub();
      connection.on("Result", () => {
        throw new Error("from callback");
      });
      await connection.start();
      const response = await httpClient.get(`${server.url}/clientresult/${connection.connectionId}`);
      assert.strictEqual(response.content, "Error: from callback");
      await connection.stop();
    });

    it("returns result error to server when no result given (21)", TEST, async () => {
      const { connection, httpClient } = hub();
      await connection.start();
      const response = await httpClient.get(`${server.url}/clientresult/${connection.connectionId}`);
      assert.strictEqual(response.content, "Client didn't provide a result.");
      await connection.stop();
    });
  });
}

for (const transport of TRANSPORTS) {
  describe(`hubConnection over ${transportName(transport)} transport`, () => {
    /** A connection to /testhub with the JSON protocol over this transport. */
    function hub(configure = (builder) => builder) {
      const builder = connections.builder(testHubUrl(), { transport, httpClient: createHttpClient() });
      return connections.build(configure(builder));
    }

    /** A connection to /authorizedhub with the JSON protocol over this transport. */
    function authorizedHub(options = {}) {
      return connections.build(
        connections.builder(authorizedHubUrl(), { transport, httpClient: createHttpClient(), ...options }),
      );
    }

    it("can connect to hub with authorization (22)", TEST, async () => {
      const message = "你好，世界！";
      const jwtToken = await getJwtToken();
      const connection = authorizedHub({ accessTokenFactory: () => jwtToken });
      const closedWith = closed(connection);
      await connection.start();
      assert.strictEqual(await connection.invoke("Echo", message), message);
      await connection.stop();
      assert.strictEqual(await closedWith, undefined);
    });

    it("can connect to hub with authorization using async token factory (23)", TEST, async () => {
      const message = "你好，世界！";
      const connection = authorizedHub({ accessTokenFactory: () => getJwtToken() });
      const closedWith = closed(connection);
      await connection.start();
      assert.strictEqual(await connection.invoke("Echo", message), message);
      await connection.stop();
      assert.strictEqual(await closedWith, undefined);
    });

    it("can get error from unauthorized hub connection (24)", TEST, async () => {
      const connection = authorizedHub();
      await assert.rejects(connection.start(), (error) => {
        assert.ok(error instanceof Error);
        assert.strictEqual(
          error.message,
          "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'",
        );
        return true;
      });
    });

    // The newest official hub's GetUserNameIdentifier and GetUserClaim (INTEROP.md §2).
    it("knows the authenticated user on the authorized hub", TEST, async () => {
      const jwtToken = await getJwtToken();
      const connection = authorizedHub({ accessTokenFactory: () => jwtToken });
      await connection.start();
      assert.strictEqual(await connection.invoke("GetUserNameIdentifier"), "testuser");
      assert.strictEqual(await connection.invoke("GetUserClaim", NAME_IDENTIFIER), "testuser");
      assert.strictEqual(await connection.invoke("GetUserClaim", "role"), "");
      await connection.stop();
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

    it("can reconnect (28)", TEST, async () => {
      const connection = hub((builder) => builder.withAutomaticReconnect());
      const reconnecting = new PromiseSource();
      const reconnected = new PromiseSource();
      connection.onreconnecting(() => reconnecting.resolve());
      connection.onreconnected((connectionId) => reconnected.resolve(connectionId));
      await connection.start();
      const initialConnectionId = connection.connection.connectionId;
      // Induce a reconnect.
      connection.serverTimeout();
      await within(reconnecting, "onreconnecting");
      const newConnectionId = await within(reconnected, "onreconnected");
      assert.notStrictEqual(newConnectionId, initialConnectionId);
      assert.strictEqual(await connection.invoke("Echo", "test"), "test");
      await connection.stop();
    });

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
