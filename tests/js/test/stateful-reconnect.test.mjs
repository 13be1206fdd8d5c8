// Stateful reconnect with the official client (`withStatefulReconnect()`), through a TCP relay of
// this file's own that cuts the WebSocket without a close frame while traffic flows both ways:
// calls, broadcasts, a group send and a server stream. Nothing may be lost or arrive twice, the
// connection keeps its id and its groups, and the client never reports reconnecting (the
// reattach is transparent, as with ASP.NET Core). Then: a client that comes back after the
// disconnect timeout gets a fresh connection.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { LOG_LEVEL, MessagePackHubProtocol, signalR, startInteropServer, within } from "./functional/common.mjs";
import { startRelay, statefulConnection, until } from "./relay.mjs";

const CUTS = 10;

for (const { name, create } of [
  { name: "json", create: () => new signalR.JsonHubProtocol() },
  { name: "messagepack", create: () => new MessagePackHubProtocol() },
]) {
  describe(`stateful reconnect over ${name}`, () => {
    let server;
    let relay;
    before(async () => {
      server = await startInteropServer();
      relay = await startRelay(server.url);
    });
    after(async () => {
      await relay?.close();
      await server?.stop();
    });

    it(`survives ${CUTS} cuts while traffic flows both ways, losing and repeating nothing`, { timeout: 60_000 }, async () => {
      const cut = statefulConnection(`${relay.url}/scenarios`, create());
      const other = new signalR.HubConnectionBuilder()
        .withUrl(`${server.url}/scenarios`)
        .withHubProtocol(create())
        .configureLogging(LOG_LEVEL)
        .build();
      const received = [];
      cut.on("Receive", (message) => received.push(message));
      other.on("Receive", () => {});
      let reconnecting = 0;
      cut.onreconnecting(() => (reconnecting += 1));
      let closed = null;
      cut.onclose((error) => (closed = error ?? "closed"));
      try {
        await cut.start();
        await other.start();
        const id = cut.connectionId;
        assert.equal(await cut.invoke("GetConnectionId"), id);
        await cut.invoke("JoinGroup", "room");

        const items = [];
        let streamDone = false;
        cut.stream("Count", 400, 10).subscribe({
          next: (item) => items.push(item),
          complete: () => (streamDone = true),
          error: (error) => assert.fail(`stream failed: ${error}`),
        });

        const expected = [];
        for (let round = 0; round < CUTS; round += 1) {
          await until(() => items.length > round * 30, "the stream to flow");
          // Calls in flight from both sides as the socket goes.
          const calls = [
            cut.invoke("SendToAll", `all ${round}`),
            cut.invoke("SendToCaller", `caller ${round}`),
          ];
          relay.cut();
          calls.push(other.invoke("SendToGroup", "room", `group ${round}`));
          calls.push(other.invoke("SendToConnection", id, `direct ${round}`));
          await Promise.all(calls);
          expected.push(`all ${round}`, `caller ${round}`, `group ${round}`, `direct ${round}`);
          await until(
            () => expected.every((message) => received.includes(message)),
            `round ${round}'s messages (have ${JSON.stringify(received.slice(-4))})`,
          );
        }
        await until(() => streamDone, "the stream to end", 20_000);

        assert.equal(closed, null, `the connection closed: ${closed}`);
        assert.equal(reconnecting, 0, "the client never reported reconnecting");
        assert.ok(relay.accepted() >= CUTS + 1, `the relay carried ${relay.accepted()} sockets`);
        assert.equal(cut.connectionId, id);
        assert.equal(await cut.invoke("GetConnectionId"), id, "the same connection on the server");
        assert.deepEqual(items, Array.from({ length: 400 }, (_, i) => i + 1), "every stream item once, in order");
        assert.deepEqual([...received].sort(), [...expected].sort(), "every message once");
        for (const from of ["all", "caller", "group", "direct"]) {
          const rounds = received.filter((message) => message.startsWith(`${from} `));
          assert.deepEqual(rounds, Array.from({ length: CUTS }, (_, i) => `${from} ${i}`), `${from} in order`);
        }
      } finally {
        await cut.stop();
        await other.stop();
      }
    });
  });
}

describe("stateful reconnect after the disconnect timeout", () => {
  it("the server ends the connection after its disconnect timeout, and the client starts afresh", { timeout: 60_000 }, async () => {
    const server = await startInteropServer();
    const relay = await startRelay(server.url);
    const cut = new signalR.HubConnectionBuilder()
      .withUrl(`${relay.url}/scenarios`, { transport: signalR.HttpTransportType.WebSockets })
      .withStatefulReconnect()
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: () => 500 })
      .configureLogging(LOG_LEVEL)
      .build();
    const other = new signalR.HubConnectionBuilder()
      .withUrl(`${server.url}/scenarios`)
      .configureLogging(LOG_LEVEL)
      .build();
    const left = [];
    other.on("Left", (id) => left.push({ id, at: Date.now() }));
    other.on("Receive", () => {});
    cut.on("Receive", () => {});
    const reconnected = new Promise((resolve) => cut.onreconnected(resolve));
    try {
      await cut.start();
      await other.start();
      const firstId = cut.connectionId;
      // The client cannot get back for longer than the server's disconnect timeout (15 s).
      relay.refuse();
      relay.cut();
      const cutAt = Date.now();
      await until(() => left.some(({ id }) => id === firstId), "the server to end the connection", 30_000);
      const keptFor = left.find(({ id }) => id === firstId).at - cutAt;
      assert.ok(keptFor >= 14_000, `the server kept the connection only ${keptFor} ms`);
      relay.resume();
      const newId = await within(reconnected, "the client's fresh connection", 15_000);
      assert.notEqual(newId, firstId);
      assert.equal(await cut.invoke("GetConnectionId"), newId);
    } finally {
      await cut.stop();
      await other.stop();
      await relay.close();
      await server.stop();
    }
  });
});
