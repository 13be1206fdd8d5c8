// Exact error texts of failed invocations (PROTOCOL.md §7), with and without detailed errors,
// and the connection staying usable afterwards.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { MODES, withConnections } from "./client.mjs";
import { startChatServer } from "./server.mjs";

const TEST = { timeout: 10_000 };

const UNKNOWN_METHOD = "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.";
const HUB_ERROR = "An unexpected error occurred invoking 'Join' on the server. HubException: A name is required.";

/** Each case: what to invoke, and the exact error text without / with detailed errors. */
const CASES = [
  {
    title: "unknown method",
    method: "Nope",
    args: [],
    plain: UNKNOWN_METHOD,
    detailed: UNKNOWN_METHOD,
  },
  {
    title: "wrong argument count",
    method: "Echo",
    args: ["a", "b"],
    plain: "Failed to invoke 'Echo' due to an error on the server.",
    detailed:
      "Failed to invoke 'Echo' due to an error on the server. " +
      "InvalidDataException: Invocation provides 2 argument(s) but target expects 1.",
  },
  {
    title: "wrong argument type",
    method: "Roll",
    args: ["six"],
    plain: "Failed to invoke 'Roll' due to an error on the server.",
    detailed:
      "Failed to invoke 'Roll' due to an error on the server. " +
      "InvalidDataException: Error binding arguments. Make sure that the types of the provided " +
      "values match the types of the hub method being invoked.",
  },
  {
    title: "method failing with a HubError",
    method: "Join",
    args: [""],
    plain: HUB_ERROR,
    detailed: HUB_ERROR,
  },
  {
    title: "method failing with an internal error",
    method: "Roll",
    args: [0],
    plain: "An unexpected error occurred invoking 'Roll' on the server.",
    detailed:
      "An unexpected error occurred invoking 'Roll' on the server. InvalidDie: a die needs at least one side",
  },
];

/** Invokes and asserts the rejection's exact message. */
async function assertInvokeFails(connection, method, args, expected) {
  await assert.rejects(connection.invoke(method, ...args), (error) => {
    assert.ok(error instanceof Error, `rejected with a non-Error: ${error}`);
    assert.strictEqual(error.message, expected);
    return true;
  });
}

for (const detailedErrors of [false, true]) {
  describe(`invocation errors ${detailedErrors ? "with" : "without"} --detailed-errors`, () => {
    let server;
    before(async () => {
      server = await startChatServer({ detailedErrors });
    });
    after(async () => {
      await server?.stop();
    });

    for (const mode of MODES) {
      describe(`over ${mode.name}`, () => {
        for (const { title, method, args, plain, detailed } of CASES) {
          it(`${title}: ${method}(${args.map((a) => JSON.stringify(a)).join(", ")})`, TEST, async () => {
            await withConnections(server.url, mode, 1, async (connection) => {
              await assertInvokeFails(connection, method, args, detailedErrors ? detailed : plain);
              // The connection survives the error.
              assert.strictEqual(await connection.invoke("Echo", "still here"), "still here");
            });
          });
        }

        it("one connection survives every error in a row", TEST, async () => {
          await withConnections(server.url, mode, 1, async (connection) => {
            for (const { method, args, plain, detailed } of CASES) {
              await assertInvokeFails(connection, method, args, detailedErrors ? detailed : plain);
            }
            assert.strictEqual(await connection.invoke("Echo", "after all"), "after all");
            assert.strictEqual(await connection.invoke("Join", "ada"), "Welcome, ada!");
          });
        });
      });
    }
  });
}
