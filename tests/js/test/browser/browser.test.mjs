// The functional scenarios that only a browser can run (INTEROP.md 36, 43, 45, and the
// browser's side of 38), in headless Chromium against the interop server.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { launchChromium, startInteropWithWwwroot, startOtherOrigin } from "./browser.mjs";

const TEST = { timeout: 30_000 };

let server;
let chromium;

before(async () => {
  server = await startInteropWithWwwroot();
  chromium = await launchChromium();
});

after(async () => {
  await chromium?.close();
  await server?.stop();
});

/** A new page of the interop server's own origin, with the client loaded. */
async function interopPage() {
  const page = await chromium.context.newPage();
  await page.goto(`${server.url}/`);
  return page;
}

describe("browser", () => {
  for (const [protocol, expected] of [
    ["json", "ServerSentEvents"],
    ["messagepack", "LongPolling"],
  ]) {
    it(`transport falls back from WebSockets to ${expected} with ${protocol} (36)`, TEST, async () => {
      const page = await interopPage();
      const found = await page.evaluate(async (protocol) => {
        window.WebSocket = function () {
          throw new Error("WebSockets are turned off in this page");
        };
        const builder = new signalR.HubConnectionBuilder().withUrl("/testhub");
        if (protocol === "messagepack") {
          builder.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
        }
        const connection = builder.build();
        await connection.start();
        const transport = await connection.invoke("GetActiveTransportName");
        const echo = await connection.invoke("Echo", "fell back");
        await connection.stop();
        return { transport, echo };
      }, protocol);
      assert.deepStrictEqual(found, { transport: expected, echo: "fell back" });
      await page.close();
    });
  }

  it("honors withCredentials across origins over SSE and Long Polling (43)", TEST, async () => {
    // Same site (localhost), another origin (port): cookies travel only when asked for.
    const hubBase = server.url.replace("127.0.0.1", "localhost");
    const other = await startOtherOrigin(hubBase);
    try {
      const page = await chromium.context.newPage();
      await page.goto(`${other.url}/`);
      const cookies = await page.evaluate(async (hubBase) => {
        const seen = {};
        const { HttpTransportType } = signalR;
        for (const withCredentials of [true, false]) {
          for (const transport of [HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling]) {
            const connection = new signalR.HubConnectionBuilder()
              .withUrl(`${hubBase}/testhub`, { transport, withCredentials })
              .build();
            await connection.start();
            const key = `${HttpTransportType[transport]} withCredentials=${withCredentials}`;
            seen[key] = await connection.invoke("GetCookie", "testCookie");
            await connection.stop();
          }
        }
        return seen;
      }, hubBase);
      assert.deepStrictEqual(cookies, {
        // The negotiate response's cookie was stored, and is sent back with credentials...
        "ServerSentEvents withCredentials=true": "testValue",
        "LongPolling withCredentials=true": "testValue",
        // ...and not without, although the browser holds it.
        "ServerSentEvents withCredentials=false": null,
        "LongPolling withCredentials=false": null,
      });
      await page.close();
    } finally {
      await other.stop();
    }
  });

  it("can use the SignalR client in a Web Worker (45)", TEST, async () => {
    const page = await interopPage();
    const received = await page.evaluate(async (base) => {
      // A worker from a blob, as the official test does; it loads the web-worker bundle from
      // the server and calls the hub with a lower-case method name.
      const source = `
        let connection = null;
        onmessage = async (event) => {
          if (connection === null) {
            importScripts(event.data + "/lib/signalr-webworker/signalr.js");
            connection = new signalR.HubConnectionBuilder().withUrl(event.data + "/testhub").build();
            connection.on("message", (message) => postMessage("Received message: " + message));
            await connection.start();
            postMessage("connected");
          } else {
            await connection.invoke("invokeWithString", event.data);
          }
        };`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })));
      try {
        return await new Promise((resolve, reject) => {
          worker.onerror = (event) => reject(new Error(`worker error: ${event.message}`));
          worker.onmessage = (event) => {
            if (event.data === "connected") worker.postMessage("Hello World!");
            else resolve(event.data);
          };
          worker.postMessage(base);
        });
      } finally {
        worker.terminate();
      }
    }, server.url);
    assert.strictEqual(received, "Received message: Hello World!");
    await page.close();
  });

  it("sends X-SignalR-User-Agent where the browser lets it (38)", TEST, async () => {
    const page = await interopPage();
    const agents = await page.evaluate(async () => {
      const { HttpTransportType } = signalR;
      const seen = {};
      for (const transport of [
        HttpTransportType.WebSockets,
        HttpTransportType.ServerSentEvents,
        HttpTransportType.LongPolling,
      ]) {
        const connection = new signalR.HubConnectionBuilder().withUrl("/testhub", { transport }).build();
        await connection.start();
        seen[HttpTransportType[transport]] = await connection.invoke("GetHeader", "X-SignalR-User-Agent");
        await connection.stop();
      }
      return seen;
    });
    // WebSocket and EventSource requests cannot carry custom headers; Long Polling's polls can.
    assert.strictEqual(agents.WebSockets, null);
    assert.strictEqual(agents.ServerSentEvents, null);
    assert.match(agents.LongPolling ?? "", /^Microsoft SignalR\/\d+\.\d+ \(/);
    await page.close();
  });
});
