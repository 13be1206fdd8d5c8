// Bundles the chat page (examples/chat/web/main.ts, with the generated client and
// @microsoft/signalr) into examples/chat/static/app.js; `--check` fails when the committed bundle
// differs from a fresh build instead of writing it.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const outfile = `${root}examples/chat/static/app.js`;
const check = process.argv.includes("--check");

const result = await build({
  entryPoints: [`${root}examples/chat/web/main.ts`],
  outfile,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "eof",
  // The page's folder has no node_modules of its own: packages come from this project.
  nodePaths: [fileURLToPath(new URL("../node_modules", import.meta.url))],
  tsconfigRaw: {},
  write: false,
  logLevel: "warning",
});

const bundle = result.outputFiles[0].text;
if (check) {
  let committed = "";
  try {
    committed = readFileSync(outfile, "utf8");
  } catch {}
  if (committed !== bundle) {
    console.error(`${outfile} is stale: rebuild it with \`cd tests/ts && npm run build:chat\``);
    process.exit(1);
  }
} else {
  writeFileSync(outfile, bundle);
}
