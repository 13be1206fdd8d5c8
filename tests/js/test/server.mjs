// Starts and stops example servers (here the `chat` example) for the interop tests.
//
// The binary comes from env CHAT_BIN (resolved against the current directory), else from the
// workspace's debug build: build it first with `cd /work/main && cargo build -p chat`.
// Set env DEBUG to see the server's stderr (and its tracing output, e.g. with RUST_LOG=debug).

import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The chat binary: this file is tests/js/test/server.mjs, the workspace target dir is ../../../target. */
export const CHAT_BIN = process.env.CHAT_BIN
  ? resolve(process.env.CHAT_BIN)
  : fileURLToPath(new URL("../../../target/debug/chat", import.meta.url));

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const READY_LINE = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/;

/** Servers not stopped yet, killed when the test process exits whatever happens. */
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts the chat server on a free port.
 *
 * @param {{ detailedErrors?: boolean, redis?: string }} [options] `redis`: the backplane's URL.
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>} `url` is the base URL
 *   (`http://127.0.0.1:PORT`, the hub is at `${url}/chat`); `stop` kills the server.
 */
export async function startChatServer({ detailedErrors = false, redis } = {}) {
  const args = ["--port", "0"];
  if (detailedErrors) args.push("--detailed-errors");
  if (redis) args.push("--redis", redis);
  return startServer({ name: "chat", bin: CHAT_BIN, args, build: "cargo build -p chat", binEnv: "CHAT_BIN" });
}

/**
 * Starts an example server binary that takes `--port 0` and prints
 * `listening on http://127.0.0.1:PORT` once ready.
 *
 * @param {{ name: string, bin: string, args: string[], build: string, binEnv: string }} server
 *   `name` for messages, the binary and its arguments, and how to build it / which env var
 *   overrides its path (for error messages).
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>} `url` is the base URL
 *   (`http://127.0.0.1:PORT`); `stop` kills the server.
 */
export async function startServer({ name, bin, args, build, binEnv }) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const exited = new Promise((resolveExit) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolveExit({ code, signal });
    });
    // A spawn failure (e.g. ENOENT) emits "error" and maybe never "exit".
    child.once("error", () => {
      running.delete(child);
      resolveExit({ code: null, signal: null });
    });
  });

  // Always drain stderr (a full pipe would block the server); keep its tail for error reports.
  let stderrTail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    if (process.env.DEBUG) process.stderr.write(chunk);
  });

  const describeServer = () =>
    `${bin} ${args.join(" ")}` + (stderrTail ? `\n--- server stderr ---\n${stderrTail}` : "");

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || !running.has(child)) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const lines = createInterface({ input: child.stdout });
  let timer;
  try {
    const url = await new Promise((resolveUrl, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${name} server did not print "listening on http://127.0.0.1:PORT" within ` +
                `${STARTUP_TIMEOUT_MS / 1000} s: ${describeServer()}`,
            ),
          ),
        STARTUP_TIMEOUT_MS,
      );
      child.once("error", (error) =>
        reject(
          new Error(
            `cannot start the ${name} server ${bin} (${error.message}); ` +
              `build it with \`${build}\` or set ${binEnv}`,
          ),
        ),
      );
      exited.then(({ code, signal }) =>
        reject(
          new Error(
            `${name} server exited before it was ready (code ${code}, signal ${signal}): ${describeServer()}`,
          ),
        ),
      );
      lines.once("line", (line) => {
        const match = READY_LINE.exec(line);
        if (match) resolveUrl(match[1]);
        else reject(new Error(`unexpected first line from the ${name} server: ${JSON.stringify(line)}`));
      });
    });
    // Keep draining stdout after the ready line.
    lines.on("line", (line) => {
      if (process.env.DEBUG) process.stderr.write(`[${name} stdout] ${line}\n`);
    });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
