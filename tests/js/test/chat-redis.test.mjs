// Two chat processes on one Redis share one room: the README's scale-out example, with the
// official JavaScript client connected to each.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { MODES, buildConnection, nextCall, unique } from "./client.mjs";
import { freePort, startRedis } from "./redis/support.mjs";
import { startChatServer } from "./server.mjs";

const TEST = { timeout: 20_000 };

describe("two chat processes on one Redis", () => {
  let redis;
  let servers = [];
  before(async () => {
    redis = await startRedis(await freePort());
    servers = await Promise.all([startChatServer({ redis: redis.url }), startChatServer({ redis: redis.url })]);
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.stop();
  });

  it("a message sent on one process reaches clients of both", TEST, async () => {
    const [first, second] = servers.map((server) => buildConnection(server.url, MODES[0]));
    await Promise.all([first.start(), second.start()]);
    try {
      const text = unique("across");
      const accept = (_, t) => t === text;
      const atFirst = nextCall(first, "ReceiveMessage", { accept });
      const atSecond = nextCall(second, "ReceiveMessage", { accept });
      await first.invoke("SendMessage", "ada", text);
      assert.deepStrictEqual(await atSecond, ["ada", text]);
      assert.deepStrictEqual(await atFirst, ["ada", text]);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
