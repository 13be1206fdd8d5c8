// The negative type test: application code with mistakes against the generated proxies
// (negative/mistakes.ts) must fail `tsc --strict` at exactly the marked lines, with the marked codes.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

/** tests/ts, whichever folder this runs from (bundled into tests/ts/build/). */
const project = fileURLToPath(new URL("..", import.meta.url));

test("type mistakes against the generated proxies fail tsc where marked", () => {
  const tsc = spawnSync(`${project}/node_modules/.bin/tsc`, ["-p", "tsconfig.negative.json", "--pretty", "false"], {
    cwd: project,
    encoding: "utf8",
  });
  assert.notEqual(tsc.status, 0, "tsc accepted the mistakes");

  const found = new Set<string>();
  for (const match of tsc.stdout.matchAll(/^negative\/mistakes\.ts\((\d+),\d+\): error (TS\d+)/gm)) {
    found.add(`${match[1]} ${match[2]}`);
  }
  const expected = new Set<string>();
  const lines = readFileSync(`${project}/negative/mistakes.ts`, "utf8").split("\n");
  lines.forEach((line, index) => {
    const mark = /^\s*\/\/ error (TS\d+)$/.exec(line);
    // The mistake is on the line after its mark; lines count from 1.
    if (mark) expected.add(`${index + 2} ${mark[1]}`);
  });
  assert.ok(expected.size >= 10, "the marks were not read");
  assert.deepEqual([...found].sort(), [...expected].sort(), tsc.stdout);
});
