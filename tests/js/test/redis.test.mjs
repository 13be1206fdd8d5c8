// The Redis backplane (REDIS-BACKPLANE.md) with the official client: several interop-server
// processes started with `--redis` on one redis-server of this file's own act as one server.
//
// "three servers on one Redis": servers A, B and C, six peers spread over them on every
// transport and both protocols (so that both protocol entries of the backplane's payloads are
// used), and who receives `Receive(message)` for every `/scenarios` target, `POST
// /scenarios/broadcast`, `Left`, group changes for a connection on another server, and client
// results relayed between servers. Each check waits for the message where it belongs, then
// SETTLE_MS more, and compares every peer's inbox exactly (no stray copy, no duplicate).
//
// "Redis faults": its own redis-server and two servers; redis-server killed while traffic flows
// (connections stay up, calls do not hang), restarted on the same port (delivery resumes within a
// bound), and garbage published on the hub's channels (ignored, servers keep working).
//
// Needs redis-server (env REDIS_SERVER, else PATH) and an interop-server with `--redis`.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";

import {
  CHANNELS,
  Connections,
  SETTLE_MS,
  answerOf,
  answers,
  delivered,
  freePort,
  only,
  openPeer,
  outcome,
  redisCli,
  sleep,
  startRedis,
  startRedisInteropServer,
  subscriberCounts,
  within,
} from "./redis/support.mjs";
import { INTEROP_BIN } from "./functional/common.mjs";

const TEST = { timeout: 20_000 };
const SETUP = { timeout: 60_000 };

describe("three servers on one Redis", () => {
  const connections = new Connections();
  let redis;
  /** Servers by name: A, B, C. */
  const servers = {};
  /** Every peer; by name too. */
  let peers;
  let A1, A2, B1, B2, C1, C2;
  let sent = 0;
  /** A message no other check sends. */
  const text = (what) => `${what} #${++sent}`;

  before(async () => {
    redis = await startRedis(await freePort());
    for (const name of ["A", "B", "C"]) servers[name] = await startRedisInteropServer(redis.url, name);
    const open = (name, server, transport, protocol, user) =>
      openPeer(connections, { name, serverUrl: servers[server].url, transport, protocol, user });
    // Users: alice on A and B, bob on A and C, carol on C; B2 is anonymous.
    A1 = await open("A1", "A", "WebSockets", "json", "alice");
    A2 = await open("A2", "A", "LongPolling", "messagepack", "bob");
    B1 = await open("B1", "B", "ServerSentEvents", "json", "alice");
    B2 = await open("B2", "B", "WebSockets", "messagepack");
    C1 = await open("C1", "C", "WebSockets", "json", "bob");
    C2 = await open("C2", "C", "WebSockets", "json", "carol");
    peers = [A1, A2, B1, B2, C1, C2];
    B1.connection.on("Ask", (question) => `B1 answers ${question}`);
    B2.connection.on("Ask", () => {
      throw new Error("B2 does not know");
    });
  }, SETUP);

  after(async () => {
    await connections.stopAll();
    await Promise.allSettled(Object.values(servers).map((server) => server.stop()));
    await redis?.stop();
  }, SETUP);

  it("every server subscribes the hub's documented channels", TEST, async () => {
    const counts = await subscriberCounts(redis.port, [
      CHANNELS.all,
      CHANNELS.groups,
      CHANNELS.connection(A1.id),
      CHANNELS.connection(B2.id),
    ]);
    assert.deepEqual(counts, {
      [CHANNELS.all]: 3,
      [CHANNELS.groups]: 3,
      [CHANNELS.connection(A1.id)]: 1,
      [CHANNELS.connection(B2.id)]: 1,
    });
  });

  it("knows each connection's id and user on its own server", TEST, async () => {
    for (const peer of peers) assert.equal(await peer.invoke("GetConnectionId"), peer.id);
    assert.deepEqual(
      await Promise.all(peers.map((peer) => peer.invoke("GetUserIdentifier"))),
      ["alice", "bob", "alice", null, "bob", "carol"],
    );
  });

  it("SendToAll, SendToOthers, SendToAllExcept and SendToCaller across servers", TEST, async () => {
    const all = text("all");
    assert.deepEqual(
      await delivered(peers, ["A1", "A2", "B1", "B2", "C1", "C2"], all, () => B1.invoke("SendToAll", all)),
      only(peers, ["A1", "A2", "B1", "B2", "C1", "C2"], all),
    );
    const others = text("others");
    assert.deepEqual(
      await delivered(peers, ["A1", "A2", "B1", "C1", "C2"], others, () => B2.invoke("SendToOthers", others)),
      only(peers, ["A1", "A2", "B1", "C1", "C2"], others),
    );
    const except = text("all except");
    assert.deepEqual(
      await delivered(peers, ["A1", "A2", "B2", "C2"], except, () =>
        A1.invoke("SendToAllExcept", [B1.id, C1.id], except),
      ),
      only(peers, ["A1", "A2", "B2", "C2"], except),
    );
    const caller = text("caller");
    assert.deepEqual(
      await delivered(peers, ["A2"], caller, () => A2.invoke("SendToCaller", caller)),
      only(peers, ["A2"], caller),
    );
  });

  it("SendToConnection and SendToConnections reach connections on other servers", TEST, async () => {
    const remote = text("connection on C");
    assert.deepEqual(
      await delivered(peers, ["C1"], remote, () => A1.invoke("SendToConnection", C1.id, remote)),
      only(peers, ["C1"], remote),
    );
    const msgpack = text("connection on B with messagepack");
    assert.deepEqual(
      await delivered(peers, ["B2"], msgpack, () => C2.invoke("SendToConnection", B2.id, msgpack)),
      only(peers, ["B2"], msgpack),
    );
    const local = text("connection on the same server");
    assert.deepEqual(
      await delivered(peers, ["A2"], local, () => A1.invoke("SendToConnection", A2.id, local)),
      only(peers, ["A2"], local),
    );
    const some = text("connections on B and C");
    assert.deepEqual(
      await delivered(peers, ["B1", "C2"], some, () => A2.invoke("SendToConnections", [B1.id, C2.id], some)),
      only(peers, ["B1", "C2"], some),
    );
  });

  it("group targets reach members on every server", TEST, async () => {
    const g1 = `g1-${sent}`;
    const g2 = `g2-${sent}`;
    // g1 = {A1, B1, C1}, g2 = {A2, B1, C2}: B1 is in both, B2 in neither.
    for (const peer of [A1, B1, C1]) await peer.invoke("JoinGroup", g1);
    for (const peer of [A2, B1, C2]) await peer.invoke("JoinGroup", g2);

    const toGroup = text("group");
    assert.deepEqual(
      await delivered(peers, ["A1", "B1", "C1"], toGroup, () => B2.invoke("SendToGroup", g1, toGroup)),
      only(peers, ["A1", "B1", "C1"], toGroup),
    );
    const toGroups = text("groups");
    // Across a backplane a send to several groups is published once per group, as ASP.NET Core's
    // Redis backplane does (its wire format has no way to say "once"): B1, in both, gets it twice.
    const perGroup = { ...only(peers, ["A1", "A2", "B1", "C1", "C2"], toGroups), B1: [toGroups, toGroups] };
    assert.deepEqual(
      await delivered(peers, ["A1", "A2", "B1", "C1", "C2"], toGroups, () =>
        B2.invoke("SendToGroups", [g1, g2], toGroups),
      ),
      perGroup,
      "members of any of the groups, once per group they are in (B1 is in both)",
    );
    const except = text("group except");
    assert.deepEqual(
      await delivered(peers, ["B1", "C1"], except, () => C2.invoke("SendToGroupExcept", g1, [A1.id], except)),
      only(peers, ["B1", "C1"], except),
    );
    const othersInGroup = text("others in group");
    assert.deepEqual(
      await delivered(peers, ["A2", "C2"], othersInGroup, () => B1.invoke("SendToOthersInGroup", g2, othersInGroup)),
      only(peers, ["A2", "C2"], othersInGroup),
    );

    await B1.invoke("LeaveGroup", g1);
    const afterLeaving = text("group after B1 left");
    assert.deepEqual(
      await delivered(peers, ["A1", "C1"], afterLeaving, () => A2.invoke("SendToGroup", g1, afterLeaving)),
      only(peers, ["A1", "C1"], afterLeaving),
    );
    for (const peer of [A1, C1]) await peer.invoke("LeaveGroup", g1);
    const empty = text("empty group");
    assert.deepEqual(
      await delivered(peers, [], empty, () => A2.invoke("SendToGroup", g1, empty)),
      only(peers, [], empty),
    );
  });

  it("user targets reach the user's connections on every server", TEST, async () => {
    const toAlice = text("user alice");
    assert.deepEqual(
      await delivered(peers, ["A1", "B1"], toAlice, () => C2.invoke("SendToUser", "alice", toAlice)),
      only(peers, ["A1", "B1"], toAlice),
    );
    const toBob = text("user bob");
    assert.deepEqual(
      await delivered(peers, ["A2", "C1"], toBob, () => B1.invoke("SendToUser", "bob", toBob)),
      only(peers, ["A2", "C1"], toBob),
    );
    const toNobody = text("user nobody");
    assert.deepEqual(
      await delivered(peers, [], toNobody, () => A1.invoke("SendToUser", "nobody", toNobody)),
      only(peers, [], toNobody),
    );
    const toUsers = text("users");
    assert.deepEqual(
      await delivered(peers, ["A2", "C1", "C2"], toUsers, () =>
        B2.invoke("SendToUsers", ["bob", "carol", "nobody"], toUsers),
      ),
      only(peers, ["A2", "C1", "C2"], toUsers),
    );
  });

  it("POST /scenarios/broadcast on A reaches connections on A, B and C", TEST, async () => {
    const message = text("broadcast");
    const result = await delivered(peers, ["A1", "A2", "B1", "B2", "C1", "C2"], message, async () => {
      const response = await fetch(`${servers.A.url}/scenarios/broadcast`, {
        method: "POST",
        headers: { "Content-Type": "text/plain" },
        body: message,
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(response.status, 200);
    });
    assert.deepEqual(result, only(peers, ["A1", "A2", "B1", "B2", "C1", "C2"], message));
  });

  it("Left(id) of a connection on B reaches connections on A and C", TEST, async () => {
    const E = await openPeer(connections, {
      name: "E",
      serverUrl: servers.B.url,
      transport: "WebSockets",
      protocol: "json",
      user: "erin",
    });
    assert.equal(await E.invoke("GetUserIdentifier"), "erin");
    await E.connection.stop();
    const told = await Promise.allSettled(
      peers.map((peer) => peer.until(() => peer.left.includes(E.id), `receive Left(${E.id})`)),
    );
    await sleep(SETTLE_MS);
    // Once each (only E's id is counted: it is the only connection that ends here).
    const count = (peer) => peer.left.filter((id) => id === E.id).length;
    assert.deepEqual(
      Object.fromEntries(peers.map((peer) => [peer.name, count(peer)])),
      { A1: 1, A2: 1, B1: 1, B2: 1, C1: 1, C2: 1 },
      told.filter((r) => r.status === "rejected").map((r) => r.reason.message).join("; "),
    );
    assert.deepEqual(E.left, [], "E itself is not told");
  });

  it("AddToGroup and RemoveFromGroup for connections on other servers", TEST, async () => {
    const group = `remote-${sent}`;
    // A1 (on A) adds C1 (on C); C2 (on C) adds B2 (on B, messagepack).
    await A1.invoke("AddToGroup", C1.id, group);
    await C2.invoke("AddToGroup", B2.id, group);
    const both = text("remote group");
    assert.deepEqual(
      await delivered(peers, ["C1", "B2"], both, () => B1.invoke("SendToGroup", group, both)),
      only(peers, ["C1", "B2"], both),
    );

    await A1.invoke("RemoveFromGroup", C1.id, group);
    const one = text("remote group without C1");
    assert.deepEqual(
      await delivered(peers, ["B2"], one, () => B1.invoke("SendToGroup", group, one)),
      only(peers, ["B2"], one),
    );

    await C2.invoke("RemoveFromGroup", B2.id, group);
    const none = text("remote group emptied");
    assert.deepEqual(
      await delivered(peers, [], none, () => B1.invoke("SendToGroup", group, none)),
      only(peers, [], none),
    );
  });

  it("AskClient relays a client result from another server, a client's error, and an unknown id", TEST, async () => {
    // A1 (on A, json) asks B1 (on B, Server-Sent Events, json).
    assert.equal(await answerOf(A1.invoke("AskClient", B1.id, "q")), "B1 answers q");
    // A2 (on A, Long Polling, messagepack) asks B2 (on B, messagepack), whose handler throws.
    assert.equal(await answerOf(A2.invoke("AskClient", B2.id, "q")), "Error: B2 does not know");
    // C1 has no `Ask` handler: the client answers so itself.
    assert.equal(await answerOf(B1.invoke("AskClient", C1.id, "q")), "Client didn't provide a result.");
    // On the same server, for comparison.
    assert.equal(await answerOf(B2.invoke("AskClient", B1.id, "local")), "B1 answers local");
    assert.equal(
      await answerOf(A1.invoke("AskClient", "no-such-id", "q")),
      "Connection 'no-such-id' does not exist.",
    );
  });

  it("every connection is still open", TEST, async () => {
    assert.deepEqual(
      Object.fromEntries(peers.map((peer) => [peer.name, peer.closedWith])),
      Object.fromEntries(peers.map((peer) => [peer.name, undefined])),
    );
  });
});

describe("Redis faults", () => {
  const connections = new Connections();
  let redis;
  let redisPort;
  const servers = {};
  /**
   * a on server A (WebSockets, json), b on server B (WebSockets, messagepack); `traffic` on A
   * (WebSockets, json) sends the background traffic, on a connection of its own because a
   * connection's invocations run one after the other and a hung send would hold up a's calls.
   */
  let a, b, traffic, peers;
  let probes = 0;
  const group = "faults";

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    for (const name of ["A", "B"]) servers[name] = await startRedisInteropServer(redis.url, name);
    a = await openPeer(connections, { name: "a", serverUrl: servers.A.url, transport: "WebSockets" });
    b = await openPeer(connections, {
      name: "b",
      serverUrl: servers.B.url,
      transport: "WebSockets",
      protocol: "messagepack",
    });
    traffic = await openPeer(connections, { name: "traffic", serverUrl: servers.A.url, transport: "WebSockets" });
    peers = [a, b];
    await b.invoke("JoinGroup", group);
  }, SETUP);

  after(async () => {
    await connections.stopAll();
    await Promise.allSettled(Object.values(servers).map((server) => server.stop()));
    await redis?.stop();
  }, SETUP);

  /**
   * Sends `send(marker)` every 200 ms (without waiting for the calls) until `receiver` gets one of
   * the markers; answers the milliseconds that took, or fails after `boundMs`.
   */
  async function pollUntilDelivered(receiver, what, send, boundMs = 10_000) {
    const started = Date.now();
    const markers = new Set();
    let timer;
    const arrived = receiver.until(() => receiver.inbox.some((m) => markers.has(m)), what, boundMs);
    const tick = () => {
      const marker = `${what} probe ${++probes}`;
      markers.add(marker);
      send(marker).catch(() => {});
      timer = setTimeout(tick, 200);
    };
    tick();
    try {
      await arrived;
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - started;
  }

  it("while redis-server is down: connections stay up, calls answer, SendToAll does not hang", { timeout: 40_000 }, async (t) => {
    // Traffic: sends to all, one call after the other, until told to stop.
    let flowing = true;
    const calls = [];
    const loop = (async () => {
      for (let i = 0; flowing; i++) {
        calls.push(await outcome(traffic.connection.invoke("SendToAll", `traffic ${i}`), 10_000));
        await sleep(50);
      }
    })();
    let sendToAll, sendToGroup;
    try {
      await b.until(
        () => b.inbox.filter((m) => m.startsWith("traffic")).length >= 5,
        "receive traffic before the kill",
      );

      await redis.kill("SIGKILL");
      await sleep(500);

      assert.equal(await a.invoke("GetConnectionId"), a.id);
      assert.equal(await b.invoke("GetConnectionId"), b.id);
      // A newcomer is served too, without waiting for Redis (its subscriptions follow later).
      const joining = Date.now();
      const newcomer = await within(
        openPeer(connections, { name: "newcomer", serverUrl: servers.B.url, transport: "WebSockets" }),
        "a new connection while redis-server is down",
        5_000,
      );
      assert.equal(await newcomer.invoke("GetConnectionId"), newcomer.id);
      const joinedMs = Date.now() - joining;
      t.diagnostic(`a new connection started and answered ${joinedMs} ms into the outage`);
      assert.ok(joinedMs < 1_500, `a new connection took ${joinedMs} ms while redis-server was down`);
      sendToAll = await outcome(a.connection.invoke("SendToAll", "while redis is down"), 10_000);
      sendToGroup = await outcome(b.connection.invoke("SendToGroup", group, "group while redis is down"), 10_000);
      t.diagnostic(`SendToAll with redis down: ${JSON.stringify(sendToAll)}`);
      t.diagnostic(`SendToGroup with redis down: ${JSON.stringify(sendToGroup)}`);
    } finally {
      flowing = false;
    }
    await within(loop, "the traffic loop to finish", 12_000);
    t.diagnostic(`last traffic calls: ${JSON.stringify(calls.slice(-3))} (${calls.length} calls in all)`);

    assert.ok(sendToAll.settled, `SendToAll with redis down did not complete within 10 s`);
    assert.ok(sendToGroup.settled, `SendToGroup with redis down did not complete within 10 s`);
    assert.ok(calls.every((call) => call.settled), "a traffic call hung for 10 s");
    assert.deepEqual(
      [a, b, traffic].map((peer) => [peer.name, peer.closedWith]),
      [["a", undefined], ["b", undefined], ["traffic", undefined]],
      "no connection closed while redis-server was down",
    );
    assert.ok(await answers(servers.A.url), "server A answers HTTP");
    assert.ok(await answers(servers.B.url), "server B answers HTTP");
  });

  it("once redis-server restarts on the same port, delivery across servers resumes within 10 s", { timeout: 45_000 }, async (t) => {
    if (redis.alive()) await redis.kill("SIGKILL");
    redis = await startRedis(redisPort);
    const all = await pollUntilDelivered(b, "all after restart", (m) => a.connection.invoke("SendToAll", m));
    t.diagnostic(`SendToAll from A reached B ${all} ms after redis-server was ready again`);
    assert.ok(all <= 10_000);
    // The channels subscribed on the fly are back too: b's connection and its group.
    const connection = await pollUntilDelivered(b, "connection after restart", (m) =>
      a.connection.invoke("SendToConnection", b.id, m),
    );
    const inGroup = await pollUntilDelivered(b, "group after restart", (m) =>
      a.connection.invoke("SendToGroup", group, m),
    );
    t.diagnostic(`then SendToConnection in ${connection} ms, SendToGroup in ${inGroup} ms`);
    // Every server is subscribed again to the channels it subscribes at startup (given 5 s).
    const expected = { [CHANNELS.all]: 2, [CHANNELS.groups]: 2 };
    let counts;
    for (const deadline = Date.now() + 5_000; ; await sleep(100)) {
      counts = await subscriberCounts(redisPort, Object.keys(expected));
      if (Date.now() > deadline || Object.keys(expected).every((c) => counts[c] === expected[c])) break;
    }
    assert.deepEqual(counts, expected);
    assert.deepEqual(
      [a, b, traffic].map((peer) => [peer.name, peer.closedWith]),
      [["a", undefined], ["b", undefined], ["traffic", undefined]],
    );
  });

  it("garbage published on the hub's channels is ignored", TEST, async () => {
    // Plain text, then bytes that start like an Invocation (array(2), array(0)) but go on with
    // 0xc1, which MessagePack never uses.
    const receivers = async (args, input) => Number(await redisCli(redisPort, args, input));
    assert.equal(await receivers(["PUBLISH", CHANNELS.all, "garbage"]), 2);
    assert.equal(await receivers(["-x", "PUBLISH", CHANNELS.all], Buffer.from([0x92, 0x90, 0xc1])), 2);
    assert.equal(await receivers(["-x", "PUBLISH", CHANNELS.groups], Buffer.from([0x95, 0xc1])), 2);
    assert.equal(await receivers(["PUBLISH", CHANNELS.connection(b.id), "garbage"]), 1);
    await sleep(SETTLE_MS);

    assert.ok(await answers(servers.A.url), "server A answers HTTP");
    assert.ok(await answers(servers.B.url), "server B answers HTTP");
    const message = `after garbage ${++probes}`;
    assert.deepEqual(
      await delivered(peers, ["a", "b"], message, () => b.invoke("SendToAll", message)),
      only(peers, ["a", "b"], message),
    );
    const direct = `to b after garbage ${++probes}`;
    assert.deepEqual(
      await delivered(peers, ["b"], direct, () => a.invoke("SendToConnection", b.id, direct)),
      only(peers, ["b"], direct),
    );
    assert.deepEqual(
      [a, b, traffic].map((peer) => [peer.name, peer.closedWith]),
      [["a", undefined], ["b", undefined], ["traffic", undefined]],
    );
  });
});

describe("Redis unreachable at start-up", () => {
  it("the server refuses to start and says which Redis it could not reach", TEST, async () => {
    // A port nobody listens on: bound, read, released.
    const url = `redis://127.0.0.1:${await freePort()}`;
    const child = spawn(INTEROP_BIN, ["--port", "0", "--redis", url], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise((resolveExit) => child.on("exit", resolveExit));
    assert.equal(code, 1, "exit code");
    assert.equal(stdout, "", "it never listened");
    assert.match(stderr, new RegExp(`interop-server: Redis at ${url}: .*refused`, "i"));
  });
});
