// The official client's TestHub scenarios (FunctionalTests/ts/HubConnectionTests.ts; INTEROP.md
// §4.1–4.2, same numbers), written once for the two suites that run them:
// hubConnection.test.mjs against the interop server itself, and ../service-testhub.test.mjs
// through a SignalR service (an interop server started with `--service`, which redirects the
// clients it negotiates with to the service).
//
// Each function registers tests (node:test `it`) in the caller's current `describe`, for a
// context:
//
//   {
//     baseUrl: () => string,               // where clients negotiate: `${baseUrl()}/testhub`
//     connections: Connections,            // the suite's tracker; the suite stops them after each test
//     token: () => Promise<string>,        // a token from GET /generateJwtToken (for /authorizedhub)
//     test: object,                        // the node:test options of every test
//   }
//
// Where .NET names its exception type in an error text (`InvalidOperationException: ...`), ours
// names `HubException` (INTEROP.md, "How it starts").

import assert from "node:assert/strict";
import { it } from "node:test";

import { PromiseSource, closed, createHttpClient, signalR, within } from "./common.mjs";
import { SETTLE_MS, sleep } from "../service/support.mjs";

const { HttpTransportType } = signalR;

/** ASP.NET Core's `ClaimTypes.NameIdentifier`. */
const NAME_IDENTIFIER = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

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

/**
 * A /testhub connection (not started) with `protocol` over `transport`, tracked by the
 * context's `connections`: `{ connection, httpClient, closed }` (`closed`: what onclose reports).
 */
export function testHubConnection(context, transport, protocol, options = {}) {
  const { connections } = context;
  const httpClient = options.httpClient ?? createHttpClient();
  const connection = connections.build(
    connections
      .builder(`${context.baseUrl()}/testhub`, { transport, httpClient })
      .withHubProtocol(protocol.create()),
  );
  return { connection, httpClient, closed: closed(connection) };
}

/**
 * A /testhub connection (not started) with the JSON protocol over `transport`, its builder
 * passed through `configure` first (e.g. to add automatic reconnect).
 */
export function jsonTestHubConnection(context, transport, configure = (builder) => builder) {
  const { connections } = context;
  const builder = connections.builder(`${context.baseUrl()}/testhub`, { transport, httpClient: createHttpClient() });
  return connections.build(configure(builder));
}

/** Scenarios 1–21: /testhub (and 13's /uncreatable) with `protocol` over `transport`. */
export function transportAndProtocolScenarios(context, { transport, protocol }) {
  const TEST = context.test;
  const hub = (options) => testHubConnection(context, transport, protocol, options);
  const clientResultUrl = (connection) => `${context.baseUrl()}/clientresult/${connection.connectionId}`;

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

  /** Starts a connection and expects `call(connection)` to reject with `message`. */
  function rejectsWith(name, call, message) {
    it(name, TEST, async () => {
      const { connection } = hub();
      await connection.start();
      await assert.rejects(call(connection), { message });
    });
  }

  rejectsWith(
    "throws an exception when invoking streaming method with invoke (7)",
    (connection) => connection.invoke("EmptyStream"),
    "The client attempted to invoke the streaming 'EmptyStream' method with a non-streaming invocation.",
  );

  rejectsWith(
    "throws an exception when receiving a streaming result for method called with invoke (8)",
    (connection) => connection.invoke("Stream"),
    "The client attempted to invoke the streaming 'Stream' method with a non-streaming invocation.",
  );

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

  rejectsWith(
    "throws an exception when invoking hub method with stream (10)",
    (connection) => collect(connection.stream("Echo", "42")),
    "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
  );

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

  // xit upstream (flaky there); ours refuses in on_connected, which is deterministic.
  it("closed with error or start fails if hub cannot be created (13)", TEST, async () => {
    const expected =
      "Server returned an error on close: Connection closed with an error. HubException: " +
      "Unable to resolve service for type 'System.Object' while attempting to activate " +
      "'FunctionalTests.UncreatableHub'.";
    const { connections } = context;
    const connection = connections.build(
      connections
        .builder(`${context.baseUrl()}/uncreatable`, { transport, httpClient: createHttpClient() })
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

  const json = protocol.name === "json";

  /** Starts a connection, expects `call(connection)` to answer `complexObject`, and stops. */
  function answersComplexObject(name, complexObject, call) {
    it(name, TEST, async () => {
      const { connection, closed } = hub();
      await connection.start();
      const value = await call(connection);
      if (!json) {
        assert.ok(value.ByteArray instanceof Uint8Array, "ByteArray is a Uint8Array");
        assert.ok(value.DateTime instanceof Date, "DateTime is a Date");
        value.ByteArray = new Uint8Array(value.ByteArray);
      }
      assert.deepStrictEqual(value, complexObject);
      await connection.stop();
      assert.strictEqual(await closed, undefined);
    });
  }

  const sentObject = {
    ByteArray: json ? "aGVsbG8=" : new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]),
    DateTime: json ? "2002-04-01T10:20:15Z" : new Date(Date.UTC(2002, 3, 1, 10, 20, 15)),
    Guid: "00010203-0405-0607-0706-050403020100",
    IntArray: [0x01, 0x02, 0x03, 0xff],
    String: "Hello, World!",
  };
  answersComplexObject("can handle different types (14)", sentObject, (connection) =>
    connection.invoke("EchoComplexObject", sentObject),
  );

  answersComplexObject(
    "can receive different types (15)",
    {
      ByteArray: json ? "AQID" : new Uint8Array([0x1, 0x2, 0x3]),
      DateTime: json ? "2000-01-01T00:00:00Z" : new Date(Date.UTC(2000, 0, 1)),
      Guid: "00010203-0405-0607-0706-050403020100",
      IntArray: [0x01, 0x02, 0x03],
      String: "hello world",
    },
    (connection) => connection.invoke("SendComplexObject"),
  );

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
      // Start and invoke again, from inside onclose.
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

  /** Streams "Hello ", "world", "!" to StreamingConcat, then ends the stream with `end(subject)`. */
  async function streamingConcat(connection, end) {
    const subject = new signalR.Subject();
    const result = connection.invoke("StreamingConcat", subject);
    subject.next("Hello ");
    subject.next("world");
    subject.next("!");
    end(subject);
    return result;
  }

  it("can stream from client to server (17)", TEST, async () => {
    const { connection } = hub();
    await connection.start();
    assert.strictEqual(await streamingConcat(connection, (subject) => subject.complete()), "Hello world!");
    await connection.stop();
  });

  it("can stream from client to server and close with error (18)", TEST, async () => {
    const { connection } = hub();
    await connection.start();
    await assert.rejects(
      streamingConcat(connection, (subject) => subject.error(new Error("Something bad"))),
      {
        message: "An unexpected error occurred invoking 'StreamingConcat' on the server. HubException: Something bad",
      },
    );
    await connection.stop();
  });

  /** Starts a connection with `handler` (if any) for Result and expects /clientresult to answer `expected`. */
  function clientResult(name, handler, expected) {
    it(name, TEST, async () => {
      const { connection, httpClient } = hub();
      if (handler) connection.on("Result", handler);
      await connection.start();
      const response = await httpClient.get(clientResultUrl(connection));
      assert.strictEqual(response.content, expected);
      await connection.stop();
    });
  }

  clientResult("can return result to server (19)", () => 10, "10");

  clientResult(
    "can throw result to server (20)",
    () => {
      throw new Error("from callback");
    },
    "Error: from callback",
  );

  clientResult("returns result error to server when no result given (21)", undefined, "Client didn't provide a result.");
}

/**
 * Scenarios 22–24 on /authorizedhub with the JSON protocol over `transport`, then the user
 * test: `user.name` is its test name, `user.token()` a token for `user.expected`, which the
 * hub's GetUserNameIdentifier and GetUserClaim must answer.
 */
export function authorizationScenarios(context, transport, user) {
  const TEST = context.test;
  const { connections } = context;

  /** A connection to /authorizedhub with the JSON protocol over this transport. */
  function authorizedHub(options = {}) {
    return connections.build(
      connections.builder(`${context.baseUrl()}/authorizedhub`, {
        transport,
        httpClient: createHttpClient(),
        ...options,
      }),
    );
  }

  /**
   * Connects with a token from the context (fetched before the connection is built when
   * `prefetch`, else by an async accessTokenFactory), echoes, stops cleanly.
   */
  function echoesWithToken(name, prefetch) {
    it(name, TEST, async () => {
      const message = "你好，世界！";
      const jwtToken = prefetch ? await context.token() : undefined;
      const connection = authorizedHub({ accessTokenFactory: prefetch ? () => jwtToken : () => context.token() });
      const closedWith = closed(connection);
      await connection.start();
      assert.strictEqual(await connection.invoke("Echo", message), message);
      await connection.stop();
      assert.strictEqual(await closedWith, undefined);
    });
  }

  echoesWithToken("can connect to hub with authorization (22)", true);
  echoesWithToken("can connect to hub with authorization using async token factory (23)", false);

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
  it(user.name, TEST, async () => {
    const jwtToken = await user.token();
    const connection = authorizedHub({ accessTokenFactory: () => jwtToken });
    await connection.start();
    assert.strictEqual(await connection.invoke("GetUserNameIdentifier"), user.expected);
    assert.strictEqual(await connection.invoke("GetUserClaim", NAME_IDENTIFIER), user.expected);
    assert.strictEqual(await connection.invoke("GetUserClaim", "role"), "");
    await connection.stop();
  });
}

/** Scenario 28 on /testhub with the JSON protocol over `transport`. */
export function reconnectScenario(context, transport) {
  it("can reconnect (28)", context.test, async () => {
    const connection = jsonTestHubConnection(context, transport, (builder) => builder.withAutomaticReconnect());
    const reconnecting = new PromiseSource();
    const reconnected = new PromiseSource();
    connection.onreconnecting(() => reconnecting.resolve());
    connection.onreconnected((connectionId) => reconnected.resolve(connectionId));
    await connection.start();
    const initialConnectionId = connection.connectionId;
    // Induce a reconnect: it negotiates again (through a service: at the interop server, which
    // redirects it again).
    connection.serverTimeout();
    await within(reconnecting, "onreconnecting");
    const newConnectionId = await within(reconnected, "onreconnected");
    assert.notStrictEqual(newConnectionId, initialConnectionId);
    assert.strictEqual(await connection.invoke("GetCallerConnectionId"), newConnectionId);
    assert.strictEqual(await connection.invoke("Echo", "test"), "test");
    await connection.stop();
  });
}
