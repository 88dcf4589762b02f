/**
 * The log's `time` field is formatted once per second (iso-time.ts): every line must still carry exactly what pino's
 * own isoTime writes, `Date#toISOString` of the moment, whatever order the moments come in.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { isoTime, isoTimeAt } from "../src/iso-time.ts";

const expected = (ms: number) => `,"time":"${new Date(ms).toISOString()}"`;

describe("the log's time field", () => {
  it("is toISOString's text for every millisecond across second, minute, day and year boundaries", () => {
    for (const boundary of [Date.UTC(2026, 11, 7, 8, 59, 59, 990), Date.UTC(2026, 11, 31, 23, 59, 59, 990), 0, 1000])
      for (let ms = boundary; ms < boundary + 1_030; ms++) expect(isoTimeAt(ms)).toBe(expected(ms));
  });

  it("is toISOString's text for moments out of order (a clock set back) and far apart", () => {
    const moments = [
      Date.UTC(2026, 0, 1, 0, 0, 1, 5),
      Date.UTC(2026, 0, 1, 0, 0, 0, 999),
      Date.UTC(2026, 0, 1, 0, 0, 1, 7),
    ];
    for (let i = 0; i < 2000; i++) moments.push(Math.floor(Math.random() * 253_402_300_799_999));
    for (const ms of moments) expect(isoTimeAt(ms)).toBe(expected(ms));
  });

  it("keeps toISOString's own text outside four-digit years", () => {
    for (const ms of [-1, -1001, -62_198_755_200_000, 253_402_300_800_000, 8_640_000_000_000_000])
      expect(isoTimeAt(ms)).toBe(expected(ms));
  });

  it("has the shape of pino's isoTime now", () => {
    const before = Date.now();
    const time = isoTime();
    const after = Date.now();
    expect(time).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
    const at = Date.parse(time.slice(9, -1));
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(pino.stdTimeFunctions.isoTime().length).toBe(time.length);
  });
});
