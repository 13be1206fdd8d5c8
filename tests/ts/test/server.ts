// Starts the example binaries on free ports for the tests, and stops them.
//
// CHAT_BIN and INTEROP_BIN name the binaries (scripts/test-ts.sh sets them); without them the
// workspace's debug builds are used (`cargo build -p chat -p interop-server`). Set DEBUG=1 to
// see the servers' stderr.

import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A running server: its base URL (`http://127.0.0.1:PORT`) and how to stop it. */
export interface Server {
  url: string;
  stop(): Promise<void>;
}

const READY = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/;
const STARTUP_MS = 20_000;

/** The binary named by `env`, else the workspace's debug build of `name`. */
function binary(env: string, name: string): string {
  const fromEnv = process.env[env];
  // This file runs bundled from tests/ts/build/, three levels below the workspace.
  return fromEnv ? resolve(fromEnv) : fileURLToPath(new URL(`../../../target/debug/${name}`, import.meta.url));
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts the chat example on a free port. */
export function startChat(): Promise<Server> {
  return start(binary("CHAT_BIN", "chat"));
}

/** Starts interop-server (the official functional-test app's hubs) on a free port. */
export function startInterop(): Promise<Server> {
  return start(binary("INTEROP_BIN", "interop-server"));
}

async function start(bin: string): Promise<Server> {
  const child = spawn(bin, ["--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    if (process.env.DEBUG) process.stderr.write(chunk);
  });
  const exited = new Promise<void>((done) => {
    child.once("exit", () => {
      running.delete(child);
      done();
    });
    child.once("error", () => {
      running.delete(child);
      done();
    });
  });
  const stop = async (): Promise<void> => {
    if (!running.has(child)) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const lines = createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await new Promise<string>((ready, fail) => {
      timer = setTimeout(() => fail(new Error(`${bin} was not ready within ${STARTUP_MS} ms\n${stderr}`)), STARTUP_MS);
      child.once("error", (error) => fail(new Error(`cannot start ${bin}: ${error.message}`)));
      void exited.then(() => fail(new Error(`${bin} exited before it was ready\n${stderr}`)));
      lines.once("line", (line) => {
        const match = READY.exec(line);
        if (match?.[1]) ready(match[1]);
        else fail(new Error(`unexpected first line from ${bin}: ${line}`));
      });
    });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
