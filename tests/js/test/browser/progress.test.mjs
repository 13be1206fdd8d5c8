// The progress demo (examples/progress) in headless Chromium: the page connects, the button
// starts the server's lengthy task, and the bar that task drives through the hub context goes
// 5 % at a time to 100 %, then the page hears the task is done. A screenshot of the page with the
// full bar is taken and checked; with env PROGRESS_SCREENSHOT=FILE it is kept there too (how the
// committed examples/progress/screenshot.png was made).

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

import { startServer } from "../server.mjs";
import { launchChromium } from "./browser.mjs";

const PROGRESS_BIN = process.env.PROGRESS_BIN
  ? resolve(process.env.PROGRESS_BIN)
  : fileURLToPath(new URL("../../../../target/debug/progress", import.meta.url));

/** Width and height of a PNG, from its IHDR chunk; throws if `png` is not one. */
function pngSize(png) {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.subarray(0, 8).equals(signature), "a PNG");
  assert.equal(png.subarray(12, 16).toString("latin1"), "IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("the progress demo", () => {
  it("drives the page's bar to 100 % from the server's task", { timeout: 60_000 }, async () => {
    const server = await startServer({
      name: "progress",
      bin: PROGRESS_BIN,
      args: ["--port", "0", "--step-ms", "50"],
      build: "cargo build -p progress",
      binEnv: "PROGRESS_BIN",
    });
    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      await page.setViewportSize({ width: 800, height: 400 });
      await page.goto(server.url);
      await page.waitForFunction(() => document.getElementById("status").textContent === "ready");
      // Every value the bar shows, recorded as the page shows it (however slow this test is).
      await page.evaluate(() => {
        window.seen = [];
        const bar = document.getElementById("bar");
        new MutationObserver(() => {
          const fill = document.getElementById("fill").getBoundingClientRect().width;
          const width = bar.getBoundingClientRect().width;
          window.seen.push({ value: Number(bar.getAttribute("aria-valuenow")), fill, width });
        }).observe(bar, { attributes: true, attributeFilter: ["aria-valuenow"] });
      });
      await page.click("#start");

      await page.waitForFunction(() => document.getElementById("bar").getAttribute("aria-valuenow") === "100");
      const screenshot = await page.screenshot();
      assert.deepEqual(pngSize(screenshot), { width: 800, height: 400 });
      const bar = await page.locator("#bar").screenshot();
      const size = pngSize(bar);
      assert.ok(size.width >= 100 && size.height >= 10, `the bar's screenshot: ${JSON.stringify(size)}`);
      if (process.env.PROGRESS_SCREENSHOT) writeFileSync(process.env.PROGRESS_SCREENSHOT, screenshot);

      await page.waitForFunction(() => document.getElementById("status").textContent === "done");
      assert.equal(await page.isEnabled("#start"), true, "the button is back");
      const seen = await page.evaluate(() => window.seen);
      const values = seen.map(({ value }) => value);
      assert.deepEqual(values.filter((value) => value > 0), Array.from({ length: 20 }, (_, i) => (i + 1) * 5));
      const last = seen.at(-1);
      assert.ok(Math.abs(last.fill - (last.width - 2)) <= 1, `the full bar is full: ${JSON.stringify(last)}`);
    } finally {
      await chromium.close();
      await server.stop();
    }
  });
});
