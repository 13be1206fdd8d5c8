// Headless Chromium for the browser-only functional scenarios: Debian's `chromium` driven by
// playwright-core (no browser download). The interop server serves a `wwwroot` made here with
// the official client's browser and web-worker bundles, as the official app serves its own.
//
// The browser comes from env CHROMIUM, else /usr/bin/chromium (`apt-get install chromium`).

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { chromium } from "playwright-core";

import { INTEROP_BIN } from "../functional/common.mjs";
import { startServer } from "../server.mjs";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

// Flags for a closed network: no background requests to Google's hosts, no sandbox as root.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const require = createRequire(import.meta.url);
const signalrDist = dirname(dirname(require.resolve("@microsoft/signalr/dist/browser/signalr.js")));
const msgpackBrowser = require.resolve("@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.js");

/** An empty page that loads the client and its MessagePack protocol as globals. */
const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>signalr interop</title>
<script src="/lib/signalr/signalr.js"></script>
<script src="/lib/signalr-protocol-msgpack/signalr-protocol-msgpack.js"></script>
</head><body></body></html>
`;

/** Writes the official app's `wwwroot` layout into a fresh temporary folder. */
function makeWwwroot() {
  const root = mkdtempSync(join(tmpdir(), "signalr-wwwroot-"));
  const place = (from, to) => {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    copyFileSync(from, join(root, to));
  };
  place(join(signalrDist, "browser", "signalr.js"), "lib/signalr/signalr.js");
  place(join(signalrDist, "webworker", "signalr.js"), "lib/signalr-webworker/signalr.js");
  place(msgpackBrowser, "lib/signalr-protocol-msgpack/signalr-protocol-msgpack.js");
  writeFileSync(join(root, "index.html"), INDEX_HTML);
  return root;
}

/** The interop server with a wwwroot of the client's bundles: `{ url, stop }`. */
export async function startInteropWithWwwroot() {
  const wwwroot = makeWwwroot();
  const server = await startServer({
    name: "interop",
    bin: INTEROP_BIN,
    args: ["--port", "0", "--wwwroot", wwwroot],
    build: "cargo build -p interop-server",
    binEnv: "INTEROP_BIN",
  });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      rmSync(wwwroot, { recursive: true, force: true });
    },
  };
}

/**
 * A page server of another origin (another port of `localhost`: same site, other origin),
 * serving INDEX_HTML with the client loaded from `interopUrl`.
 */
export async function startOtherOrigin(interopUrl) {
  const html = INDEX_HTML.replaceAll('src="/lib/', `src="${interopUrl}/lib/`);
  const server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  return {
    url: `http://localhost:${server.address().port}`,
    stop: () =>
      new Promise((resolveClose) => {
        server.close(resolveClose);
        // The browser keeps its connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}

/** Launches headless Chromium with a fresh profile: `{ browser, close }`. */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM`);
  }
  const profile = mkdtempSync(join(tmpdir(), "signalr-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
