// Code written against the proxies generated from interop-server's contract, run with the official
// client against the running server, on JSON and on MessagePack.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

import * as json from "../generated/interop-json/index.js";
import * as msgpack from "../generated/interop-msgpack/index.js";
import { startInterop, type Server } from "./server.js";

let server: Server;
before(async () => {
  server = await startInterop();
});
after(() => server.stop());

/** A queue of the values a client handler received, to await one at a time. */
class Received<T> {
  private readonly values: T[] = [];
  private readonly waiting: Array<(value: T) => void> = [];
  count = 0;

  push = (value: T): void => {
    this.count += 1;
    const waiter = this.waiting.shift();
    if (waiter) waiter(value);
    else this.values.push(value);
  };

  next(): Promise<T> {
    const value = this.values.shift();
    if (value !== undefined) return Promise.resolve(value);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** Items of a stream until it completes. */
function collect<T>(stream: signalR.IStreamResult<T>): Promise<T[]> {
  const items: T[] = [];
  return new Promise((resolve, reject) => {
    stream.subscribe({ next: (item) => items.push(item), complete: () => resolve(items), error: reject });
  });
}

function connect(protocol: "json" | "messagepack"): signalR.HubConnection {
  const builder = new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}/testhub`)
    .configureLogging(signalR.LogLevel.Error);
  if (protocol === "messagepack") builder.withHubProtocol(new MessagePackHubProtocol());
  return builder.build();
}

for (const protocol of ["json", "messagepack"] as const) {
  describe(`generated proxies over ${protocol}`, () => {
    let connection: signalR.HubConnection;
    // Both folders have the same proxies; they differ in how bytes and dates are typed.
    let hub: json.TestProxy;
    const messages = new Received<string>();
    const objects = new Received<json.CustomObject>();
    const cancellations = new Received<true>();
    let answer = 42;
    let unregister: () => void;

    before(async () => {
      connection = connect(protocol);
      hub = new json.TestProxy(connection);
      unregister = json.registerTestClient(connection, {
        message: messages.push,
        customObject: objects.push,
        streamCanceled: () => cancellations.push(true),
        // A client result, answered later than the call.
        result: () => new Promise<number>((resolve) => setTimeout(() => resolve(answer), 10)),
      });
      await connection.start();
    });
    after(() => connection.stop());

    test("invoke returns the typed result", async () => {
      assert.equal(await hub.echo("hello, typed world"), "hello, typed world");
      assert.equal(await hub.getCallerConnectionId(), connection.connectionId);
      assert.equal(await hub.getHeader("x-not-sent"), null);
      await assert.rejects(hub.throwException("boom"), /boom/);
    });

    test("send reaches the hub, which calls the client's handler", async () => {
      await hub.send.invokeWithString("sent, not invoked");
      assert.equal(await messages.next(), "sent, not invoked");
      await hub.sendCustomObject({ Name: "typed", Value: 7 });
      assert.deepEqual(await objects.next(), { Name: "typed", Value: 7 });
    });

    test("stream yields typed items", async () => {
      assert.deepEqual(await collect(hub.stream()), ["a", "b", "c"]);
      assert.deepEqual(await collect(hub.emptyStream()), []);
    });

    test("disposing a stream's subscription cancels it on the hub", async () => {
      const subscription = hub.infiniteStream().subscribe({ next: () => {}, complete: () => {}, error: () => {} });
      subscription.dispose();
      assert.equal(await cancellations.next(), true);
    });

    test("an upload stream is a typed Subject", async () => {
      const subject = new signalR.Subject<string>();
      const result = hub.streamingConcat(subject);
      for (const part of ["up", "lo", "ad"]) subject.next(part);
      subject.complete();
      assert.equal(await result, "upload");
    });

    test("a client result comes from the registered handler", async () => {
      answer = 1234;
      const response = await fetch(`${server.url}/clientresult/${connection.connectionId}`);
      assert.equal(await response.text(), "1234");
    });

    test("bytes and dates have the protocol's types", async () => {
      if (protocol === "json") {
        const sample: json.ComplexObject = await hub.sendComplexObject();
        assert.equal(sample.ByteArray, "AQID");
        assert.equal(sample.DateTime, "2000-01-01T00:00:00Z");
        assert.deepEqual(sample.IntArray, [1, 2, 3]);
      } else {
        const typed = new msgpack.TestProxy(connection);
        const sample: msgpack.ComplexObject = await typed.sendComplexObject();
        assert.ok(sample.ByteArray instanceof Uint8Array);
        assert.deepEqual([...sample.ByteArray], [1, 2, 3]);
        assert.ok(sample.DateTime instanceof Date);
        assert.equal(sample.DateTime.toISOString(), "2000-01-01T00:00:00.000Z");
        const sent: msgpack.ComplexObject = {
          String: "round trip",
          IntArray: [4, 5],
          ByteArray: new Uint8Array([9, 8, 7]),
          Guid: "00010203-0405-0607-0706-050403020100",
          DateTime: new Date("2002-04-01T10:20:15Z"),
        };
        const back = await typed.echoComplexObject(sent);
        assert.deepEqual([...back.ByteArray], [9, 8, 7]);
        assert.equal(back.DateTime.getTime(), sent.DateTime.getTime());
      }
    });

    test("the function returned by registration unregisters every handler", async () => {
      const before = messages.count;
      unregister();
      await hub.send.invokeWithString("nobody listens");
      // The hub's call to the client travels before the answer to this invocation.
      assert.equal(await hub.echo("flush"), "flush");
      assert.equal(messages.count, before);
      const response = await fetch(`${server.url}/clientresult/${connection.connectionId}`);
      assert.notEqual(await response.text(), String(answer));
    });
  });
}
