// Byte arrays and date-times as .NET clients expect them (issue #18, "What it must show" item 4),
// against the interop server's `/types` hub (examples/interop-server/src/types_demo.rs), whose
// methods use `signalr_runtime::types::{Binary, DateTime}`: the official client receives a base64
// string and an ISO 8601 string in JSON, a `Uint8Array` and a `Date` in MessagePack, from one
// Rust type each; what it sends back in either protocol reads into the same types.
//
// Every scenario runs over WebSockets, Server-Sent Events and Long Polling with JSON, and over
// WebSockets and Long Polling with MessagePack (Server-Sent Events carry text only).

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import {
  Connections,
  eachTransportAndProtocol,
  startInteropServer,
  transportName,
  within,
} from "./functional/common.mjs";

const TEST = { timeout: 15_000 };

/** `BYTES` of types_demo.rs: zero, high bits, and base64's `+`, `/` and padding. */
const BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfb, 0xfe, 0xff, 0x3e];
const BYTES_BASE64 = "AAF/gPv+/z4=";
const BYTES_HEX = "00017f80fbfeff3e";

/** `Date()` of the hub: 2024-02-29T12:34:56.789Z. */
const DATE_MILLIS = 1_709_210_096_789;
const DATE_ISO = "2024-02-29T12:34:56.789Z";

/**
 * `Dates()` of the hub (`DATES_MILLIS`), with the ISO form the runtime writes in JSON (only the
 * fractional digits needed) and the MessagePack timestamp form that carries each.
 */
const DATES = [
  { millis: 0, iso: "1970-01-01T00:00:00Z" }, // 32-bit
  { millis: 1_709_210_096_000, iso: "2024-02-29T12:34:56Z" }, // 32-bit
  { millis: 1_709_210_096_789, iso: "2024-02-29T12:34:56.789Z" }, // 64-bit: a fraction
  { millis: 4_294_967_296_500, iso: "2106-02-07T06:28:16.5Z" }, // 64-bit: past 32 bits
  { millis: -1_500, iso: "1969-12-31T23:59:58.5Z" }, // 96-bit: before 1970
  { millis: 32_503_680_000_000, iso: "3000-01-01T00:00:00Z" }, // 96-bit: past 2514
];

let server;
const connections = new Connections();

before(async () => {
  server = await startInteropServer();
});
afterEach(() => connections.stopAll());
after(async () => {
  await server?.stop();
});

/** Asserts that `value` is a `Uint8Array` holding exactly `bytes`. */
function assertBytes(value, bytes) {
  assert.ok(value instanceof Uint8Array, `expected a Uint8Array, got ${Object.prototype.toString.call(value)}`);
  assert.deepEqual(Array.from(value), bytes);
}

/** Asserts that `value` is a `Date` at `millis`. */
function assertDate(value, millis) {
  assert.ok(value instanceof Date, `expected a Date, got ${Object.prototype.toString.call(value)}`);
  assert.equal(value.getTime(), millis);
}

for (const { transport, protocol } of eachTransportAndProtocol()) {
  const msgpack = protocol.name === "messagepack";

  describe(`Binary and DateTime over ${transportName(transport)} with ${protocol.name}`, () => {
    /** A started connection to `/types`. */
    async function connect() {
      const connection = connections.build(
        connections.builder(`${server.url}/types`, { transport }).withHubProtocol(protocol.create()),
      );
      await within(connection.start(), "start");
      return connection;
    }

    it(`receives bytes as ${msgpack ? "a Uint8Array" : "a base64 string"}`, TEST, async () => {
      const connection = await connect();
      const bytes = await within(connection.invoke("Bytes"), "Bytes");
      if (msgpack) {
        assertBytes(bytes, BYTES);
      } else {
        assert.equal(bytes, BYTES_BASE64);
        assert.deepEqual(Array.from(Buffer.from(bytes, "base64")), BYTES);
      }
    });

    it(`receives date-times as ${msgpack ? "Dates" : "ISO 8601 strings"}`, TEST, async () => {
      const connection = await connect();
      const date = await within(connection.invoke("Date"), "Date");
      const dates = await within(connection.invoke("Dates"), "Dates");
      assert.equal(dates.length, DATES.length);
      if (msgpack) {
        assertDate(date, DATE_MILLIS);
        dates.forEach((value, index) => assertDate(value, DATES[index].millis));
      } else {
        assert.equal(date, DATE_ISO);
        assert.deepEqual(
          dates,
          DATES.map(({ iso }) => iso),
        );
        dates.forEach((value, index) => assert.equal(new Date(value).getTime(), DATES[index].millis));
      }
    });

    it("receives both inside an object, with the base64 serde helper on a plain Vec<u8>", TEST, async () => {
      const connection = await connect();
      const record = await within(connection.invoke("Record"), "Record");
      assert.deepEqual(Object.keys(record).sort(), ["at", "data", "name", "plain"]);
      assert.equal(record.name, "types");
      if (msgpack) {
        assertBytes(record.data, BYTES);
        assertDate(record.at, -1_500);
        assertBytes(record.plain, Array.from(Buffer.from("plain")));
      } else {
        assert.deepEqual(record, {
          name: "types",
          data: BYTES_BASE64,
          at: "1969-12-31T23:59:58.5Z",
          plain: Buffer.from("plain").toString("base64"),
        });
      }
    });

    it("sends back what it received, and the server reads the exact values", TEST, async () => {
      const connection = await connect();
      const bytes = await within(connection.invoke("Bytes"), "Bytes");
      const dates = await within(connection.invoke("Dates"), "Dates");
      const record = await within(connection.invoke("Record"), "Record");

      assert.deepEqual(await within(connection.invoke("EchoBytes", bytes), "EchoBytes"), bytes);
      for (const [index, date] of dates.entries()) {
        const echoed = await within(connection.invoke("EchoDate", date), "EchoDate");
        if (msgpack) {
          assertDate(echoed, DATES[index].millis);
        } else {
          assert.equal(echoed, DATES[index].iso);
        }
        const inspection = await within(connection.invoke("Inspect", bytes, date), "Inspect");
        assert.deepEqual(inspection, {
          hex: BYTES_HEX,
          unixMillis: DATES[index].millis,
          iso: DATES[index].iso,
        });
      }
      assert.deepEqual(await within(connection.invoke("EchoRecord", record), "EchoRecord"), record);
    });

    it("sends its own values: " + (msgpack ? "Uint8Array and Date" : "base64 and Date (ISO via JSON)"), TEST, async () => {
      const connection = await connect();
      // JavaScript writes a Date in JSON as `toISOString()`, always with milliseconds.
      const bytes = msgpack ? new Uint8Array([9, 8, 7, 0, 255]) : Buffer.from([9, 8, 7, 0, 255]).toString("base64");
      for (const { millis, iso } of DATES) {
        const inspection = await within(connection.invoke("Inspect", bytes, new Date(millis)), "Inspect");
        assert.deepEqual(inspection, { hex: "09080700ff", unixMillis: millis, iso });
        const echoed = await within(connection.invoke("EchoDate", new Date(millis)), "EchoDate");
        if (msgpack) {
          assertDate(echoed, millis);
        } else {
          assert.equal(echoed, iso);
        }
      }
      const echoedBytes = await within(connection.invoke("EchoBytes", bytes), "EchoBytes");
      if (msgpack) {
        assertBytes(echoedBytes, [9, 8, 7, 0, 255]);
      } else {
        assert.equal(echoedBytes, bytes);
      }
    });

    it("accepts the other protocol's forms too: strings in MessagePack, numbers in JSON", TEST, async () => {
      const connection = await connect();
      // A base64 string and an ISO string with an offset in either protocol; an array of
      // numbers for the bytes.
      for (const bytes of [BYTES_BASE64, BYTES]) {
        const inspection = await within(
          connection.invoke("Inspect", bytes, "2024-02-29T14:34:56.789+02:00"),
          "Inspect",
        );
        assert.deepEqual(inspection, { hex: BYTES_HEX, unixMillis: DATE_MILLIS, iso: DATE_ISO });
      }
      // What the server answers is its own form again.
      const echoed = await within(connection.invoke("EchoBytes", BYTES), "EchoBytes");
      if (msgpack) {
        assertBytes(echoed, BYTES);
      } else {
        assert.equal(echoed, BYTES_BASE64);
      }
    });

    it("refuses what is neither, and instants a .NET DateTime cannot hold", TEST, async () => {
      const connection = await connect();
      const refused = (method) =>
        `Failed to invoke '${method}' due to an error on the server. InvalidDataException: Error binding arguments. ` +
        "Make sure that the types of the provided values match the types of the hub method being invoked.";
      const refuses = (method, ...args) =>
        assert.rejects(within(connection.invoke(method, ...args), method), { message: refused(method) });
      await refuses("EchoBytes", "not base64!");
      await refuses("EchoBytes", [1, 256]);
      await refuses("EchoDate", "yesterday");
      // The year 10000: a timestamp in MessagePack, "+010000-01-01T00:00:00.000Z" in JSON.
      await refuses("EchoDate", new Date(Date.UTC(10000, 0, 1)));
      // The connection is still usable.
      assert.deepEqual(await within(connection.invoke("Inspect", BYTES_BASE64, DATE_ISO), "Inspect"), {
        hex: BYTES_HEX,
        unixMillis: DATE_MILLIS,
        iso: DATE_ISO,
      });
    });
  });
}
