// INTEROP.md's own hub, `/scenarios`, with the official client: who receives what for every
// target (connections, groups, users), `Left` on disconnect, `POST /scenarios/broadcast`, and a
// client result relayed between two connections. Every transport × protocol of the matrix.
//
// Each combination opens four connections: A and B of user alice (B with the token as an
// `access_token` query parameter, A through accessTokenFactory), C of user bob, and D anonymous.
// Every check clears their inboxes, performs one call, then sends a marker to all from A and
// waits for it everywhere: what each connection received before the marker is what the call
// delivered to it (a connection's messages arrive in the order the server sent them).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  Connections,
  PromiseSource,
  eachTransportAndProtocol,
  signalR,
  startInteropServer,
  transportName,
  within,
} from "./common.mjs";

const TEST = { timeout: 15_000 };

let server;

before(async () => {
  server = await startInteropServer();
});
after(async () => {
  await server?.stop();
});

const scenariosUrl = () => `${server.url}/scenarios`;

/** A token for `user` from `GET /generateJwtToken` (no `user`: the default user). */
async function tokenFor(user) {
  const query = user === undefined ? "" : `?user=${encodeURIComponent(user)}`;
  const response = await fetch(`${server.url}/generateJwtToken${query}`);
  assert.equal(response.status, 200);
  return response.text();
}

/** One connection of a scenario and what it has received. */
class Peer {
  constructor(name, connection) {
    this.name = name;
    this.connection = connection;
    /** `Receive` messages since the last `clear`. */
    this.inbox = [];
    /** `Left` connection ids, all of them. */
    this.left = [];
    this.waiters = [];
    connection.on("Receive", (message) => {
      this.inbox.push(message);
      this.notify();
    });
    connection.on("Left", (id) => {
      this.left.push(id);
      this.notify();
    });
  }

  notify() {
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.done()) waiter.source.resolve();
      else this.waiters.push(waiter);
    }
  }

  /** Resolves once `done()` holds (checked after each message), or fails after 5 s. */
  until(done, what) {
    if (done()) return Promise.resolve();
    const source = new PromiseSource();
    this.waiters.push({ done, source });
    return within(source.promise, `${this.name}: ${what}`);
  }

  clear() {
    this.inbox = [];
  }

  invoke(method, ...args) {
    return this.connection.invoke(method, ...args);
  }
}

let markers = 0;

/**
 * Runs `action` and answers what each peer received from it: the `Receive` messages that
 * arrived before a marker sent to all afterwards, by peer name.
 */
async function received(peers, action) {
  for (const peer of peers) peer.clear();
  await action();
  const marker = `marker-${++markers}`;
  await peers[0].invoke("SendToAll", marker);
  await Promise.all(
    peers.map((peer) => peer.until(() => peer.inbox.includes(marker), `receive ${marker}`)),
  );
  return Object.fromEntries(
    peers.map((peer) => [peer.name, peer.inbox.slice(0, peer.inbox.indexOf(marker))]),
  );
}

/** `{ A: [message] or [], ... }`: `message` once for each peer named in `receivers`. */
function only(peers, receivers, message) {
  return Object.fromEntries(
    peers.map((peer) => [peer.name, receivers.includes(peer.name) ? [message] : []]),
  );
}

for (const { transport, protocol } of eachTransportAndProtocol()) {
  describe(`/scenarios over ${transportName(transport)} with ${protocol.name}`, () => {
    const connections = new Connections();
    /** A, B (alice), C (bob), D (anonymous). */
    let peers;
    let A, B, C, D;
    let group = 0;
    const tag = `${transportName(transport)}-${protocol.name}`;
    /** Unique per call, so that no message can be confused with another check's. */
    const text = (what) => `${what} (${tag})`;

    /** A started peer; `options` are the HttpConnection options (token, query). */
    async function open(name, { accessTokenFactory, query = "" } = {}) {
      const builder = connections
        .builder(`${scenariosUrl()}${query}`, { transport, ...(accessTokenFactory && { accessTokenFactory }) })
        .withHubProtocol(protocol.create());
      const peer = new Peer(name, connections.build(builder));
      await peer.connection.start();
      peer.id = peer.connection.connectionId;
      return peer;
    }

    before(async () => {
      const alice = await tokenFor("alice");
      const bob = await tokenFor("bob");
      A = await open("A", { accessTokenFactory: () => alice });
      B = await open("B", { query: `?access_token=${encodeURIComponent(alice)}` });
      C = await open("C", { accessTokenFactory: () => bob });
      D = await open("D");
      peers = [A, B, C, D];
      C.connection.on("Ask", (question) => `C answers ${question}`);
      D.connection.on("Ask", () => {
        throw new Error("D does not know");
      });
    });
    after(() => connections.stopAll());

    it("knows each connection's id and user", TEST, async () => {
      for (const peer of peers) assert.equal(await peer.invoke("GetConnectionId"), peer.id);
      assert.deepEqual(
        await Promise.all(peers.map((peer) => peer.invoke("GetUserIdentifier"))),
        ["alice", "alice", "bob", null],
      );
    });

    it("SendToAll reaches everyone once", TEST, async () => {
      const message = text("all");
      assert.deepEqual(
        await received(peers, () => C.invoke("SendToAll", message)),
        only(peers, ["A", "B", "C", "D"], message),
      );
    });

    it("SendToOthers reaches everyone but the caller", TEST, async () => {
      const message = text("others");
      assert.deepEqual(
        await received(peers, () => B.invoke("SendToOthers", message)),
        only(peers, ["A", "C", "D"], message),
      );
    });

    it("SendToCaller reaches the caller only", TEST, async () => {
      const message = text("caller");
      assert.deepEqual(
        await received(peers, () => C.invoke("SendToCaller", message)),
        only(peers, ["C"], message),
      );
    });

    it("SendToConnection and SendToConnections reach those connections", TEST, async () => {
      const one = text("connection");
      assert.deepEqual(
        await received(peers, () => D.invoke("SendToConnection", B.id, one)),
        only(peers, ["B"], one),
      );
      const some = text("connections");
      assert.deepEqual(
        await received(peers, () => B.invoke("SendToConnections", [A.id, D.id], some)),
        only(peers, ["A", "D"], some),
      );
    });

    it("SendToAllExcept skips the excluded connections", TEST, async () => {
      const message = text("all except");
      assert.deepEqual(
        await received(peers, () => A.invoke("SendToAllExcept", [B.id, C.id], message)),
        only(peers, ["A", "D"], message),
      );
    });

    it("group targets reach their members, once each", TEST, async () => {
      const g1 = `g1-${tag}-${++group}`;
      const g2 = `g2-${tag}-${group}`;
      // g1 = {A, B}, g2 = {B, D}; C is in no group.
      await A.invoke("JoinGroup", g1);
      await B.invoke("JoinGroup", g1);
      await B.invoke("JoinGroup", g2);
      await D.invoke("JoinGroup", g2);

      const toGroup = text("group");
      assert.deepEqual(
        await received(peers, () => C.invoke("SendToGroup", g1, toGroup)),
        only(peers, ["A", "B"], toGroup),
      );

      const toGroups = text("groups");
      assert.deepEqual(
        await received(peers, () => C.invoke("SendToGroups", [g1, g2], toGroups)),
        only(peers, ["A", "B", "D"], toGroups),
      );

      const except = text("group except");
      assert.deepEqual(
        await received(peers, () => C.invoke("SendToGroupExcept", g1, [A.id], except)),
        only(peers, ["B"], except),
      );

      const othersInGroup = text("others in group");
      assert.deepEqual(
        await received(peers, () => B.invoke("SendToOthersInGroup", g2, othersInGroup)),
        only(peers, ["D"], othersInGroup),
      );

      await B.invoke("LeaveGroup", g1);
      const afterLeaving = text("group after B left");
      assert.deepEqual(
        await received(peers, () => D.invoke("SendToGroup", g1, afterLeaving)),
        only(peers, ["A"], afterLeaving),
      );
      await A.invoke("LeaveGroup", g1);
      const empty = text("empty group");
      assert.deepEqual(
        await received(peers, () => D.invoke("SendToGroup", g1, empty)),
        only(peers, [], empty),
      );
    });

    it("user targets reach every connection of those users", TEST, async () => {
      const toAlice = text("user alice");
      assert.deepEqual(
        await received(peers, () => D.invoke("SendToUser", "alice", toAlice)),
        only(peers, ["A", "B"], toAlice),
      );
      const toBob = text("user bob");
      assert.deepEqual(
        await received(peers, () => A.invoke("SendToUser", "bob", toBob)),
        only(peers, ["C"], toBob),
      );
      const toNobody = text("user nobody");
      assert.deepEqual(
        await received(peers, () => A.invoke("SendToUser", "nobody", toNobody)),
        only(peers, [], toNobody),
      );
      const toUsers = text("users");
      assert.deepEqual(
        await received(peers, () => D.invoke("SendToUsers", ["alice", "bob", "nobody"], toUsers)),
        only(peers, ["A", "B", "C"], toUsers),
      );
    });

    it("POST /scenarios/broadcast reaches every connection", TEST, async () => {
      const message = text("broadcast");
      const result = await received(peers, async () => {
        const response = await fetch(`${server.url}/scenarios/broadcast`, {
          method: "POST",
          headers: { "Content-Type": "text/plain" },
          body: message,
        });
        assert.equal(response.status, 200);
      });
      assert.deepEqual(result, only(peers, ["A", "B", "C", "D"], message));
    });

    it("AskClient relays a client result and a client's error", TEST, async () => {
      assert.equal(await A.invoke("AskClient", C.id, "why?"), "C answers why?");
      const failure = await B.invoke("AskClient", D.id, "how?");
      // The official client answers a throwing handler with `${error}`, relayed verbatim.
      assert.equal(failure, "Error: D does not know");
      // B has no `Ask` handler: the client answers so itself.
      assert.equal(await C.invoke("AskClient", B.id, "anyone?"), "Client didn't provide a result.");
    });

    it("Left(connectionId) reaches the others when a connection stops", TEST, async () => {
      const E = await open("E", { accessTokenFactory: () => tokenFor("erin") });
      assert.equal(await E.invoke("GetUserIdentifier"), "erin");
      await E.connection.stop();
      await Promise.all(
        peers.map((peer) => peer.until(() => peer.left.includes(E.id), `receive Left(${E.id})`)),
      );
      // Once each, counted after a marker round trip so that a late duplicate would show. (Only
      // E's id is counted: connections of the previous combination may still be announced as
      // they finish closing on the server.)
      const message = text("after E left");
      assert.deepEqual(
        await received(peers, () => A.invoke("SendToAll", message)),
        only(peers, ["A", "B", "C", "D"], message),
      );
      const count = (peer) => peer.left.filter((id) => id === E.id).length;
      assert.deepEqual(
        Object.fromEntries(peers.map((peer) => [peer.name, count(peer)])),
        { A: 1, B: 1, C: 1, D: 1 },
      );
      assert.deepEqual(E.left, [], "E itself is not told");
    });
  });
}

describe("/scenarios identity", () => {
  const connections = new Connections();
  after(() => connections.stopAll());

  /** The user `/scenarios` sees for a WebSockets + JSON connection built with `options`. */
  async function userOf(options, query = "") {
    const builder = connections.builder(`${scenariosUrl()}${query}`, {
      transport: signalR.HttpTransportType.WebSockets,
      ...options,
    });
    const connection = connections.build(builder);
    await connection.start();
    try {
      return await connection.invoke("GetUserIdentifier");
    } finally {
      await connection.stop();
    }
  }

  it("GET /generateJwtToken issues a token for testuser by default", TEST, async () => {
    const token = await tokenFor();
    assert.equal(await userOf({ accessTokenFactory: () => token }), "testuser");
  });

  it("takes the token from an Authorization header or the access_token parameter", TEST, async () => {
    const token = await tokenFor("dave");
    assert.equal(await userOf({ headers: { Authorization: `Bearer ${token}` } }), "dave");
    assert.equal(await userOf({}, `?access_token=${encodeURIComponent(token)}`), "dave");
  });

  it("treats a connection without a token, or with one it did not issue, as anonymous", TEST, async () => {
    assert.equal(await userOf({}), null);
    assert.equal(await userOf({ accessTokenFactory: () => "not-a-token" }), null);
  });
});
