// A graceful shutdown tells clients to reconnect (Close with allowReconnect), and the official
// client with automatic reconnect comes back once the server restarts on the same port.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import * as signalR from "@microsoft/signalr";

import { CHAT_BIN, startChatServer, startServer } from "./server.mjs";

const LOG_LEVEL = process.env.DEBUG ? signalR.LogLevel.Trace : signalR.LogLevel.None;

describe("graceful shutdown and automatic reconnect", () => {
  it("reconnects to the restarted server with a new connection id", { timeout: 30_000 }, async () => {
    let server = await startChatServer();
    const port = new URL(server.url).port;
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(`${server.url}/chat`, { transport: signalR.HttpTransportType.WebSockets })
      .withAutomaticReconnect([0, 250, 500, 1000, 1000, 1000, 1000, 1000, 1000, 1000])
      .configureLogging(LOG_LEVEL)
      .build();
    try {
      await connection.start();
      const firstId = connection.connectionId;
      const reconnecting = new Promise((resolve) => connection.onreconnecting(resolve));
      const reconnected = new Promise((resolve) => connection.onreconnected(resolve));
      const closed = new Promise((resolve) => connection.onclose(resolve));

      // SIGTERM: the chat example shuts down gracefully.
      await server.stop();
      await reconnecting;
      assert.equal(connection.state, signalR.HubConnectionState.Reconnecting);

      server = await startServer({
        name: "chat",
        bin: CHAT_BIN,
        args: ["--port", port],
        build: "cargo build -p chat",
        binEnv: "CHAT_BIN",
      });
      const newId = await Promise.race([
        reconnected,
        closed.then((error) => assert.fail(`closed instead of reconnecting: ${error}`)),
      ]);
      assert.equal(typeof newId, "string");
      assert.notEqual(newId, firstId);
      assert.equal(await connection.invoke("Echo", "back again"), "back again");
    } finally {
      await connection.stop();
      await server.stop();
    }
  });
});
