// The interop server's JSON Web Tokens (examples/interop-server/src/identity.rs, issue #15):
// HS256 tokens signed with its `--jwt-secret`, and RS256 tokens signed by a key of its `--jwks`
// file, against `/authorizedhub` with the official client over every transport. Good tokens
// connect and `Echo` works; expired, wrong-audience, wrong-issuer and wrong-signature tokens
// make negotiate answer 401, and the client's start fail with that.
//
// The tokens are made here with Node's crypto: an RSA key pair generated for this run (its
// public half written to a JWKS file for the server), a second pair the server does not know,
// and HMAC with the secret given to the server.

import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";

import {
  Connections,
  INTEROP_BIN,
  TRANSPORTS,
  createHttpClient,
  transportName,
} from "./functional/common.mjs";
import { startServer } from "./server.mjs";

const TEST = { timeout: 15_000 };

/** What the server must be given and check (identity.rs's ISSUER and AUDIENCE). */
const ISSUER = "signalr-rs-interop";
const AUDIENCE = "signalr-interop";

/** The HS256 secret this run gives the server, and the server's built-in one. */
const SECRET = "the jwt test's own secret";
const DEFAULT_SECRET = "interop-server signing key, for tests only";

/** The official client's error when negotiate answers 401. */
const UNAUTHORIZED = "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'";

/** The key the JWKS holds, one it does not, and the JWKS's key id. */
const KID = "jwt-test-key";
const trusted = generateKeyPairSync("rsa", { modulusLength: 2048 });
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });

const base64url = (text) => Buffer.from(text).toString("base64url");
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Valid claims for `user`, with `changes` applied (a property set to undefined is left out). */
function claims(changes = {}, user = "jwt-user") {
  return { sub: user, iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 60, ...changes };
}

/** An HS256 token of `payload` signed with `secret`. */
function hs256(payload, secret = SECRET) {
  const input = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** An RS256 token of `payload` signed with `privateKey`, its header naming `kid`. */
function rs256(payload, { privateKey = trusted.privateKey, kid = KID } = {}) {
  const header = { alg: "RS256", typ: "JWT", kid };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

/** Tokens the server must accept, each for its own user. */
const GOOD = [
  { name: "HS256", user: "hs-user", token: () => hs256(claims({}, "hs-user")) },
  { name: "RS256 (JWKS)", user: "rs-user", token: () => rs256(claims({}, "rs-user")) },
];

/** Tokens the server must refuse. */
const BAD = [
  { name: "an expired HS256 token", token: () => hs256(claims({ exp: nowSeconds() - 5 })) },
  { name: "an expired RS256 token", token: () => rs256(claims({ exp: nowSeconds() - 5 })) },
  { name: "a wrong-audience HS256 token", token: () => hs256(claims({ aud: "another-app" })) },
  { name: "a wrong-audience RS256 token", token: () => rs256(claims({ aud: "another-app" })) },
  { name: "a wrong-issuer HS256 token", token: () => hs256(claims({ iss: "someone-else" })) },
  { name: "a wrong-issuer RS256 token", token: () => rs256(claims({ iss: "someone-else" })) },
  { name: "an HS256 token without an audience", token: () => hs256(claims({ aud: undefined })) },
  { name: "a wrong-signature HS256 token (the default secret)", token: () => hs256(claims(), DEFAULT_SECRET) },
  { name: "a wrong-signature RS256 token (a key not in the JWKS)", token: () => rs256(claims(), { privateKey: stranger.privateKey }) },
  { name: "an RS256 token with an unknown kid", token: () => rs256(claims(), { kid: "another-key" }) },
  {
    name: "a wrong-signature RS256 token (the signature of another token)",
    token: () => {
      const [header, payload] = rs256(claims({}, "mallory")).split(".");
      return `${header}.${payload}.${rs256(claims()).split(".")[2]}`;
    },
  },
];

let server;
let folder;
const connections = new Connections();

before(async () => {
  folder = mkdtempSync(join(tmpdir(), "jwt-test-"));
  const jwk = { ...trusted.publicKey.export({ format: "jwk" }), kid: KID, alg: "RS256", use: "sig" };
  const jwks = join(folder, "jwks.json");
  writeFileSync(jwks, JSON.stringify({ keys: [jwk] }));
  server = await startServer({
    name: "interop",
    bin: INTEROP_BIN,
    args: ["--port", "0", "--jwt-secret", SECRET, "--jwks", jwks],
    build: "cargo build -p interop-server",
    binEnv: "INTEROP_BIN",
  });
});
afterEach(() => connections.stopAll());
after(async () => {
  await server?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const hubUrl = () => `${server.url}/authorizedhub`;

/** The status of a negotiate POST to /authorizedhub with `token` as the bearer. */
async function negotiateStatus(token) {
  const response = await fetch(`${hubUrl()}/negotiate?negotiateVersion=1`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}

for (const transport of TRANSPORTS) {
  describe(`JWT over ${transportName(transport)}`, () => {
    /** A connection to /authorizedhub over this transport, sending `token`. */
    function connection(token) {
      return connections.build(
        connections.builder(hubUrl(), { transport, httpClient: createHttpClient(), accessTokenFactory: () => token }),
      );
    }

    for (const { name, user, token } of GOOD) {
      it(`a valid ${name} token connects and Echo works`, TEST, async () => {
        const hub = connection(token());
        await hub.start();
        assert.equal(await hub.invoke("Echo", "hello with a token"), "hello with a token");
        assert.equal(await hub.invoke("GetUserNameIdentifier"), user);
        await hub.stop();
      });
    }

    for (const { name, token } of BAD) {
      it(`${name} is refused with 401`, TEST, async () => {
        const hub = connection(token());
        await assert.rejects(hub.start(), (error) => {
          assert.ok(error instanceof Error);
          assert.equal(error.message, UNAUTHORIZED);
          return true;
        });
      });
    }
  });
}

describe("JWT negotiate", () => {
  it("answers 200 to each valid token and 401 to each bad one", TEST, async () => {
    for (const { name, token } of GOOD) assert.equal(await negotiateStatus(token()), 200, name);
    for (const { name, token } of BAD) assert.equal(await negotiateStatus(token()), 401, name);
  });

  it("accepts the tokens of GET /generateJwtToken, signed with --jwt-secret", TEST, async () => {
    const response = await fetch(`${server.url}/generateJwtToken?user=issued`);
    assert.equal(response.status, 200);
    const token = await response.text();
    const [headerPart, payloadPart, signature] = token.split(".");
    const [header, payload] = [headerPart, payloadPart].map((part) => JSON.parse(Buffer.from(part, "base64url")));
    assert.equal(header.alg, "HS256");
    assert.equal(payload.sub, "issued");
    assert.equal(payload.nameid, "issued");
    assert.equal(payload.iss, ISSUER);
    assert.equal(payload.aud, AUDIENCE);
    assert.ok(payload.exp > nowSeconds(), `exp ${payload.exp}`);
    const expected = createHmac("sha256", SECRET).update(`${headerPart}.${payloadPart}`).digest("base64url");
    assert.equal(signature, expected, "signed with the secret given by --jwt-secret");
    assert.equal(await negotiateStatus(token), 200);
  });

  // No leeway: a token is refused from the second after its `exp` (jsonwebtoken's default
  // would accept it for another 60 s).
  it("refuses a token as soon as it expires", TEST, async () => {
    const exp = nowSeconds() + 1;
    const token = hs256(claims({ exp }));
    assert.equal(await negotiateStatus(token), 200);
    await new Promise((resolve) => setTimeout(resolve, (exp + 1) * 1000 - Date.now() + 100));
    assert.equal(await negotiateStatus(token), 401);
  });
});
