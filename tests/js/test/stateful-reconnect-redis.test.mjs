// Stateful reconnect across the Redis backplane: a connection on server A whose socket is cut
// receives, once and in order, what a peer on server B sent it (directly, through its group, and
// to everyone) while it had no socket, after it reattaches to A.
//
// Needs redis-server (env REDIS_SERVER, else PATH) and an interop-server with `--redis`.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { freePort, startRedis, startRedisInteropServer } from "./redis/support.mjs";
import { LOG_LEVEL, signalR } from "./functional/common.mjs";
import { startRelay, statefulConnection, until } from "./relay.mjs";

const ROUNDS = 5;

describe("stateful reconnect across servers on Redis", () => {
  let redis;
  let serverA;
  let serverB;
  let relay;
  before(async () => {
    redis = await startRedis(await freePort());
    serverA = await startRedisInteropServer(redis.url, "A");
    serverB = await startRedisInteropServer(redis.url, "B");
    relay = await startRelay(serverA.url);
  });
  after(async () => {
    await relay?.close();
    await serverA?.stop();
    await serverB?.stop();
    await redis?.stop();
  });

  it("what another server sent while the socket was down arrives once after the reattach", { timeout: 60_000 }, async () => {
    const cut = statefulConnection(`${relay.url}/scenarios`, new signalR.JsonHubProtocol());
    const other = new signalR.HubConnectionBuilder()
      .withUrl(`${serverB.url}/scenarios`)
      .configureLogging(LOG_LEVEL)
      .build();
    const received = [];
    cut.on("Receive", (message) => received.push(message));
    other.on("Receive", () => {});
    let trouble = null;
    cut.onreconnecting(() => (trouble = "reconnecting"));
    cut.onclose((error) => (trouble = `closed: ${error}`));
    try {
      await cut.start();
      await other.start();
      const id = cut.connectionId;
      await cut.invoke("JoinGroup", "room");
      const expected = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        // The client's next socket reaches server A only after everything below was sent.
        relay.delay(500);
        relay.cut();
        for (const [method, ...args] of [
          ["SendToConnection", id, `direct ${round}`],
          ["SendToGroup", "room", `group ${round}`],
          ["SendToAll", `all ${round}`],
        ]) {
          await other.invoke(method, ...args);
          expected.push(args.at(-1));
        }
        await until(() => expected.every((message) => received.includes(message)), `round ${round}`);
      }
      relay.delay(0);
      assert.equal(trouble, null);
      assert.ok(relay.accepted() >= ROUNDS + 1, `the relay carried ${relay.accepted()} sockets`);
      assert.deepEqual(received, expected, "every message once, in order");
      assert.equal(await cut.invoke("GetConnectionId"), id);
    } finally {
      await cut.stop();
      await other.stop();
    }
  });
});
