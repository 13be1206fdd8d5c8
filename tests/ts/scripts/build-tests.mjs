// Bundles each test/*.test.ts into build/*.test.mjs for `node --test` (Node runs no TypeScript
// by itself here); packages stay imports, resolved from this project's node_modules.

import { readdirSync } from "node:fs";
import { build } from "esbuild";

const entryPoints = readdirSync("test")
  .filter((name) => name.endsWith(".test.ts"))
  .map((name) => `test/${name}`);

await build({
  entryPoints,
  outdir: "build",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  // Not tsconfig.json: its `paths` (for folders outside this project) would make esbuild
  // bundle the packages instead of importing them.
  tsconfigRaw: {},
  sourcemap: "inline",
  logLevel: "warning",
});
