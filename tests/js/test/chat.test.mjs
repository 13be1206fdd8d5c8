// The chat hub's methods and server-to-client calls, seen through the official JavaScript client.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  MODES,
  buildConnection,
  nextCall,
  recordCalls,
  signalR,
  unique,
  withConnections,
  within,
} from "./client.mjs";
import { startChatServer } from "./server.mjs";

const TEST = { timeout: 10_000 };

let server;
before(async () => {
  server = await startChatServer();
});
after(async () => {
  await server?.stop();
});

for (const mode of MODES) {
  describe(`chat hub over ${mode.name}`, () => {
    it("Echo returns a non-ASCII string unchanged", TEST, async () => {
      await withConnections(server.url, mode, 1, async (connection) => {
        const text = "你好，世界！ héllo 🚀";
        assert.strictEqual(await connection.invoke("Echo", text), text);
      });
    });

    it("matches method names case-insensitively", TEST, async () => {
      await withConnections(server.url, mode, 1, async (connection) => {
        assert.strictEqual(await connection.invoke("echo", "x"), "x");
        assert.strictEqual(await connection.invoke("ECHO", "y"), "y");
      });
    });

    it("SendMessage reaches the sender's handler registered under another casing", TEST, async () => {
      await withConnections(server.url, mode, 1, async (connection) => {
        const text = unique("hello");
        const received = nextCall(connection, "receivemessage", { accept: (_, t) => t === text });
        assert.strictEqual(await connection.send("SendMessage", "ada", text), undefined);
        assert.deepStrictEqual(await received, ["ada", text]);
      });
    });

    it("SendMessage is broadcast to every connection", TEST, async () => {
      await withConnections(server.url, mode, 2, async (sender, other) => {
        const text = unique("broadcast");
        const accept = (_, t) => t === text;
        const atSender = nextCall(sender, "receivemessage", { accept });
        const atOther = nextCall(other, "ReceiveMessage", { accept });
        await sender.send("SendMessage", "grace", text);
        assert.deepStrictEqual(await atSender, ["grace", text]);
        assert.deepStrictEqual(await atOther, ["grace", text]);
      });
    });

    it("Join welcomes the caller and tells only the others", TEST, async () => {
      await withConnections(server.url, mode, 2, async (caller, other) => {
        const atCaller = recordCalls(caller, "userjoined");
        const atOther = nextCall(other, "USERJOINED");
        assert.strictEqual(await caller.invoke("Join", "ada"), "Welcome, ada!");
        assert.deepStrictEqual(await atOther, ["ada"]);
        // Messages to one connection arrive in order: once this round trip is done, a
        // UserJoined sent to the caller would have arrived.
        assert.strictEqual(await caller.invoke("Echo", "sync"), "sync");
        assert.deepStrictEqual(atCaller, []);
      });
    });

    it("Roll(6) returns an integer from 1 to 6", TEST, async () => {
      await withConnections(server.url, mode, 1, async (connection) => {
        for (let i = 0; i < 20; i++) {
          const face = await connection.invoke("Roll", 6);
          assert.ok(Number.isInteger(face), `not an integer: ${JSON.stringify(face)}`);
          assert.ok(face >= 1 && face <= 6, `out of range: ${face}`);
        }
      });
    });

    if (mode.negotiated) {
      it("connectionId is the id the hub sees", TEST, async () => {
        await withConnections(server.url, mode, 1, async (connection) => {
          assert.equal(typeof connection.connectionId, "string");
          assert.notStrictEqual(connection.connectionId, "");
          assert.strictEqual(await connection.invoke("GetConnectionId"), connection.connectionId);
        });
      });
    } else {
      it("connectionId is null, but the hub still has an id", TEST, async () => {
        await withConnections(server.url, mode, 1, async (connection) => {
          assert.strictEqual(connection.connectionId, null);
          const id = await connection.invoke("GetConnectionId");
          assert.equal(typeof id, "string");
          assert.notStrictEqual(id, "");
        });
      });
    }

    it("stop() fires onclose without an error and ends Disconnected", TEST, async () => {
      const connection = buildConnection(server.url, mode);
      try {
        const closed = new Promise((resolve) => connection.onclose(resolve));
        await connection.start();
        assert.strictEqual(connection.state, signalR.HubConnectionState.Connected);
        await connection.stop();
        assert.strictEqual(await within(closed, "onclose"), undefined);
        assert.strictEqual(connection.state, signalR.HubConnectionState.Disconnected);
      } finally {
        await connection.stop();
      }
    });
  });
}
