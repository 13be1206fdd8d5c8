// Two pages of the chat example in headless Chromium exchange messages through the page's
// generated client (examples/chat/web/main.ts, bundled into the served static/app.js).
//
// The browser is Debian's chromium (env CHROMIUM, default /usr/bin/chromium), driven by
// playwright-core without a browser download of its own.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium, type BrowserContext, type Page } from "playwright-core";

import { startChat, type Server } from "./server.js";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// A closed network: no background requests to Google's hosts; no sandbox when running as root.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let server: Server;
let profile: string;
let browser: BrowserContext;

before(async () => {
  server = await startChat();
  profile = mkdtempSync(join(tmpdir(), "chat-chromium-"));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A chat page, once its client has connected. */
async function openChat(): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(server.url);
  await page.locator("#status", { hasText: "connected" }).waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error(`the chat page did not connect: ${errors.join("; ")}`);
  });
  return page;
}

async function say(page: Page, user: string, text: string): Promise<void> {
  await page.fill("#user", user);
  await page.fill("#text", text);
  await page.click("#send button");
}

test("two chat pages exchange messages through the generated client", async () => {
  const ann = await openChat();
  const bob = await openChat();

  await say(ann, "ann", "hello from the first page");
  await bob.locator("#messages li", { hasText: "ann: hello from the first page" }).waitFor({ timeout: 10_000 });
  await ann.locator("#messages li", { hasText: "ann: hello from the first page" }).waitFor({ timeout: 10_000 });
  // The input is cleared once the hub has answered the generated proxy's invocation (which
  // comes after the broadcast).
  await ann.waitForFunction(() => document.querySelector<HTMLInputElement>("#text")?.value === "", null, {
    timeout: 10_000,
  });

  await say(bob, "bob", "and back from the second");
  await ann.locator("#messages li", { hasText: "bob: and back from the second" }).waitFor({ timeout: 10_000 });

  // The page runs the bundle (no global `signalR` from a script tag): the generated client it is.
  assert.equal(await ann.evaluate(() => typeof (globalThis as { signalR?: unknown }).signalR), "undefined");
  assert.deepEqual(await bob.locator("#messages li").allTextContents(), [
    "ann: hello from the first page",
    "bob: and back from the second",
  ]);
});
