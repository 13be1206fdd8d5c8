// The SignalR service (examples/signalr-service) with the official client, /scenarios over two
// interop servers behind one service: both started with `--service` against a
// `signalr-service` of this file's own. Clients negotiate at an interop server, which redirects
// them to the service (`{service}/client/?hub=scenarios` with a token carrying their user); the
// official client follows the redirect by itself.
//
// Eight peers, half negotiated at each server, on every transport and both protocols, with and
// without a user (token as a header or in the query); the service places every client round
// robin over all server connections of its hub, whichever server redirected it, so which server
// serves a peer is observed (AskClient, a client result, reaches the caller's own server's
// connections only) rather than chosen. Each delivery check (all, others, all except, caller,
// connections, groups, users, POST /scenarios/broadcast, Left) waits for the message where it
// belongs, then SETTLE_MS more, and compares every peer's inbox exactly.
//
// The other service tests: service-testhub.test.mjs (TestHub through the service),
// service-faults.test.mjs (servers killed, the service restarted, bad input on /server/);
// their harness is ./service/support.mjs.
//
// Needs `cargo build -p signalr-service -p interop-server` (or env SERVICE_BIN, INTEROP_BIN).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { Connections, MessagePackHubProtocol, signalR, within } from "./functional/common.mjs";
import { Peer, delivered, only } from "./redis/support.mjs";
import {
  SETUP,
  TEST,
  startService,
  startServiceInteropServer,
  tokenFor,
  untilServed,
  untilServesClients,
} from "./service/support.mjs";

const { HttpTransportType } = signalR;

describe("/scenarios over two interop servers behind one service", () => {
  const connections = new Connections();
  let service;
  /** Interop servers by name: A, B. */
  const apps = {};
  /** a1–a4 negotiated at A, b1–b4 at B (which server serves each is the service's choice). */
  let peers;
  let a1, a2, a3, a4, b1, b2, b3, b4;
  /** Peers by the server that serves them: two lists of peers (or one, if not spread). */
  let servedTogether;
  /** Every AskClient answer between two peers of different servers. */
  const crossAnswers = [];
  let sent = 0;
  /** A message no other check sends. */
  const text = (what) => `${what} #${++sent}`;

  /** Opens a /scenarios peer negotiated at interop server `app`; `user` by token, or none. */
  async function open(name, app, transport, protocol, { user, tokenInQuery = false } = {}) {
    const appUrl = apps[app].url;
    const options = { transport: HttpTransportType[transport] };
    let query = "";
    if (user !== undefined) {
      const token = await tokenFor(appUrl, user);
      if (tokenInQuery) query = `?access_token=${encodeURIComponent(token)}`;
      else options.accessTokenFactory = () => token;
    }
    let builder = connections.builder(`${appUrl}/scenarios${query}`, options);
    if (protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
    const peer = new Peer(name, connections.build(builder));
    peer.negotiatedAt = app;
    peer.connection.on("Ask", (question) => {
      if (question === "throw") throw new Error(`${name} does not know`);
      return `${name} answers ${question}`;
    });
    await within(peer.connection.start(), `${name}: start`, 10_000);
    peer.id = peer.connection.connectionId;
    return peer;
  }

  /** Whether `asker` and `target` are served by the same interop server. */
  async function sameServer(asker, target) {
    const answer = await asker.invoke("AskClient", target.id, "same?");
    if (answer === `${target.name} answers same?`) return true;
    crossAnswers.push({ asker: asker.name, target: target.name, answer });
    return false;
  }

  /** A peer served by another server than `peer` (any other peer if all share one). */
  const elsewhere = (peer) =>
    servedTogether.find((group) => !group.includes(peer))?.[0] ?? peers.find((other) => other !== peer);
  /** Another peer served by the same server as `peer`. */
  const beside = (peer) => servedTogether.find((group) => group.includes(peer)).find((other) => other !== peer);

  before(async () => {
    service = await startService();
    apps.A = await startServiceInteropServer(service, "interop A");
    apps.B = await startServiceInteropServer(service, "interop B");
    await untilServed(apps.A.url, "/scenarios");
    await untilServed(apps.B.url, "/scenarios");
    // Both servers' connections are up (their /testhub ones, opened with /scenarios' ones).
    await untilServesClients(apps.A.url);
    await untilServesClients(apps.B.url);
    a1 = await open("a1", "A", "WebSockets", "json", { user: "alice" });
    a2 = await open("a2", "A", "ServerSentEvents", "json", { user: "bob" });
    a3 = await open("a3", "A", "LongPolling", "messagepack");
    a4 = await open("a4", "A", "WebSockets", "messagepack", { user: "carol", tokenInQuery: true });
    b1 = await open("b1", "B", "WebSockets", "json", { user: "alice" });
    b2 = await open("b2", "B", "LongPolling", "json", { user: "bob", tokenInQuery: true });
    b3 = await open("b3", "B", "WebSockets", "messagepack");
    b4 = await open("b4", "B", "ServerSentEvents", "json", { user: "dave" });
    peers = [a1, a2, a3, a4, b1, b2, b3, b4];
    // Group the peers by serving server: a client result reaches only its own server's peers.
    servedTogether = [];
    for (const peer of peers) {
      let group;
      for (const candidate of servedTogether) {
        if (await sameServer(candidate[0], peer)) {
          group = candidate;
          break;
        }
      }
      if (group) group.push(peer);
      else servedTogether.push([peer]);
    }
  }, SETUP);

  after(async () => {
    await connections.stopAll();
    await Promise.allSettled(Object.values(apps).map((app) => app.stop()));
    await service?.stop();
  });

  it("the peers are served by both interop servers, whichever one redirected them", TEST, async (t) => {
    t.diagnostic(
      `served together: ${servedTogether.map((group) => `{${group.map((peer) => peer.name).join(", ")}}`).join(" ")}`,
    );
    assert.equal(servedTogether.length, 2, "two interop servers serve the peers");
    // Within a server every pair answers; across servers none does, with the documented reason.
    for (const group of servedTogether) {
      for (const asker of group) {
        for (const target of group) {
          if (asker !== target) assert.ok(await sameServer(asker, target), `${asker.name} reaches ${target.name}`);
        }
      }
    }
    const [one, two] = servedTogether;
    for (const asker of one) {
      for (const target of two) {
        assert.equal(await sameServer(asker, target), false, `${asker.name} does not reach ${target.name}`);
        assert.equal(await sameServer(target, asker), false, `${target.name} does not reach ${asker.name}`);
      }
    }
    for (const { asker, target, answer } of crossAnswers) {
      const id = peers.find((peer) => peer.name === target).id;
      assert.match(answer, new RegExp(`^Connection '${id}' is not served by this server`), `${asker} asks ${target}`);
    }
  });

  it("knows each connection's id and user", TEST, async () => {
    for (const peer of peers) assert.equal(await peer.invoke("GetConnectionId"), peer.id);
    assert.deepEqual(
      await Promise.all(peers.map((peer) => peer.invoke("GetUserIdentifier"))),
      ["alice", "bob", null, "carol", "alice", "bob", null, "dave"],
    );
  });

  it("SendToAll, SendToOthers, SendToAllExcept and SendToCaller reach peers on both servers", TEST, async () => {
    const everyone = peers.map((peer) => peer.name);
    const all = text("all");
    assert.deepEqual(await delivered(peers, everyone, all, () => a3.invoke("SendToAll", all)), only(peers, everyone, all));
    const others = text("others");
    const notB2 = everyone.filter((name) => name !== "b2");
    assert.deepEqual(
      await delivered(peers, notB2, others, () => b2.invoke("SendToOthers", others)),
      only(peers, notB2, others),
    );
    const except = text("all except");
    const rest = everyone.filter((name) => name !== "a2" && name !== "b4");
    assert.deepEqual(
      await delivered(peers, rest, except, () => b1.invoke("SendToAllExcept", [a2.id, b4.id], except)),
      only(peers, rest, except),
    );
    for (const caller of [a4, b4]) {
      const message = text(`caller ${caller.name}`);
      assert.deepEqual(
        await delivered(peers, [caller.name], message, () => caller.invoke("SendToCaller", message)),
        only(peers, [caller.name], message),
      );
    }
  });

  it("SendToConnection and SendToConnections reach peers on the same and the other server", TEST, async () => {
    for (const sender of [a1, b3]) {
      for (const target of [beside(sender), elsewhere(sender)]) {
        const message = text(`${sender.name} to ${target.name}`);
        assert.deepEqual(
          await delivered(peers, [target.name], message, () => sender.invoke("SendToConnection", target.id, message)),
          only(peers, [target.name], message),
        );
      }
    }
    const some = text("connections");
    const targets = [beside(a2), elsewhere(a2), b2];
    const names = [...new Set(targets.map((peer) => peer.name))];
    assert.deepEqual(
      await delivered(peers, names, some, () =>
        a2.invoke("SendToConnections", [...targets.map((peer) => peer.id), targets[0].id], some),
      ),
      only(peers, names, some),
      "each listed connection once, a repeated id included",
    );
  });

  it("group targets reach members on both servers, once each", TEST, async () => {
    const g1 = `g1-${sent}`;
    const g2 = `g2-${sent}`;
    // g1 = {a1, b2, a4}, g2 = {b1, a4, b4}: a4 is in both; a4 and b4 are added by another peer
    // (AddToGroup), one on the other server where there is one.
    await a1.invoke("JoinGroup", g1);
    await b2.invoke("JoinGroup", g1);
    await elsewhere(a4).invoke("AddToGroup", a4.id, g1);
    await b1.invoke("JoinGroup", g2);
    await a4.invoke("JoinGroup", g2);
    await elsewhere(b4).invoke("AddToGroup", b4.id, g2);

    const toGroup = text("group");
    assert.deepEqual(
      await delivered(peers, ["a1", "b2", "a4"], toGroup, () => a3.invoke("SendToGroup", g1, toGroup)),
      only(peers, ["a1", "b2", "a4"], toGroup),
    );
    const toGroups = text("groups");
    const members = ["a1", "b2", "a4", "b1", "b4"];
    assert.deepEqual(
      await delivered(peers, members, toGroups, () => b3.invoke("SendToGroups", [g1, g2], toGroups)),
      only(peers, members, toGroups),
      "members of any of the groups, once each (a4 is in both)",
    );
    const except = text("group except");
    assert.deepEqual(
      await delivered(peers, ["b2", "a4"], except, () => b4.invoke("SendToGroupExcept", g1, [a1.id], except)),
      only(peers, ["b2", "a4"], except),
    );
    const othersInGroup = text("others in group");
    assert.deepEqual(
      await delivered(peers, ["b1", "b4"], othersInGroup, () => a4.invoke("SendToOthersInGroup", g2, othersInGroup)),
      only(peers, ["b1", "b4"], othersInGroup),
    );

    await elsewhere(a4).invoke("RemoveFromGroup", a4.id, g1);
    await b2.invoke("LeaveGroup", g1);
    const afterLeaving = text("group after a4 and b2 left");
    assert.deepEqual(
      await delivered(peers, ["a1"], afterLeaving, () => b1.invoke("SendToGroup", g1, afterLeaving)),
      only(peers, ["a1"], afterLeaving),
    );
    await a1.invoke("LeaveGroup", g1);
    const empty = text("empty group");
    assert.deepEqual(
      await delivered(peers, [], empty, () => b1.invoke("SendToGroup", g1, empty)),
      only(peers, [], empty),
    );
  });

  it("user targets reach every connection of those users, on both servers", TEST, async () => {
    const toAlice = text("user alice");
    assert.deepEqual(
      await delivered(peers, ["a1", "b1"], toAlice, () => a3.invoke("SendToUser", "alice", toAlice)),
      only(peers, ["a1", "b1"], toAlice),
    );
    const toBob = text("user bob");
    assert.deepEqual(
      await delivered(peers, ["a2", "b2"], toBob, () => b4.invoke("SendToUser", "bob", toBob)),
      only(peers, ["a2", "b2"], toBob),
    );
    const toNobody = text("user nobody");
    assert.deepEqual(
      await delivered(peers, [], toNobody, () => a1.invoke("SendToUser", "nobody", toNobody)),
      only(peers, [], toNobody),
    );
    const toUsers = text("users");
    assert.deepEqual(
      await delivered(peers, ["a4", "b4", "a1", "b1"], toUsers, () =>
        b3.invoke("SendToUsers", ["carol", "dave", "alice", "nobody"], toUsers),
      ),
      only(peers, ["a4", "b4", "a1", "b1"], toUsers),
    );
  });

  it("POST /scenarios/broadcast on either server reaches every peer", TEST, async () => {
    const everyone = peers.map((peer) => peer.name);
    for (const app of ["A", "B"]) {
      const message = text(`broadcast from ${app}`);
      const result = await delivered(peers, everyone, message, async () => {
        const response = await fetch(`${apps[app].url}/scenarios/broadcast`, {
          method: "POST",
          headers: { "Content-Type": "text/plain" },
          body: message,
        });
        assert.equal(response.status, 200);
      });
      assert.deepEqual(result, only(peers, everyone, message));
    }
  });

  it("AskClient relays a result and a client's error from its own server's peers only", TEST, async () => {
    for (const asker of [a1, b2]) {
      const near = beside(asker);
      assert.equal(await asker.invoke("AskClient", near.id, "why?"), `${near.name} answers why?`);
      assert.equal(await asker.invoke("AskClient", near.id, "throw"), `Error: ${near.name} does not know`);
      const far = elsewhere(asker);
      // The documented limitation of service mode: client results reach this server's connections.
      assert.match(
        await asker.invoke("AskClient", far.id, "why?"),
        new RegExp(`^Connection '${far.id}' is not served by this server`),
      );
    }
  });

  it("Left(connectionId) reaches every other peer once when a connection stops", TEST, async () => {
    const e = await open("e", "B", "WebSockets", "json", { user: "erin" });
    assert.equal(await e.invoke("GetUserIdentifier"), "erin");
    await e.connection.stop();
    await Promise.all(peers.map((peer) => peer.until(() => peer.left.includes(e.id), `receive Left(${e.id})`)));
    const everyone = peers.map((peer) => peer.name);
    const message = text("after e left");
    assert.deepEqual(
      await delivered(peers, everyone, message, () => b1.invoke("SendToAll", message)),
      only(peers, everyone, message),
    );
    assert.deepEqual(
      Object.fromEntries(peers.map((peer) => [peer.name, peer.left.filter((id) => id === e.id).length])),
      Object.fromEntries(everyone.map((name) => [name, 1])),
    );
    assert.deepEqual(e.left, [], "e itself is not told");
  });

  it("every peer is still open", TEST, () => {
    assert.deepEqual(
      Object.fromEntries(peers.map((peer) => [peer.name, peer.closedWith])),
      Object.fromEntries(peers.map((peer) => [peer.name, undefined])),
    );
  });
});
