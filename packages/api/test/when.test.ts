/**
 * How `when` phrases are read (when.ts, when-names.ts), table-driven against a fixed now: Sunday 6 December 2026,
 * noon UTC. No database: the range is pure calendar arithmetic; search-when.test.ts checks that it filters.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../src/errors.ts";
import { applyWhen, readWhen } from "../src/video-analysis/when.ts";

const NOW = "2026-12-06T12:00:00Z";
const day = (d: string) => `${d}T00:00:00Z`;

describe("when phrases against a fixed now (2026-12-06, a Sunday, UTC)", () => {
  it.each([
    // A year alone, decades (not chrono's)
    ["in 2019", "2019-01-01", "2020-01-01"],
    ["2019", "2019-01-01", "2020-01-01"],
    ["the 90s", "1990-01-01", "2000-01-01"],
    ["in the 2010s", "2010-01-01", "2020-01-01"],
    // Seasons: meteorological, northern hemisphere
    ["last summer", "2026-06-01", "2026-09-01"],
    ["summer 2019", "2019-06-01", "2019-09-01"],
    ["during the summer of 2019", "2019-06-01", "2019-09-01"],
    ["last winter", "2025-12-01", "2026-03-01"],
    ["this winter", "2026-12-01", "2027-03-01"],
    ["autumn", "2026-09-01", "2026-12-01"],
    ["fall 2020", "2020-09-01", "2020-12-01"],
    // Holidays
    ["Christmas 2021", "2021-12-24", "2021-12-27"],
    ["at Christmas", "2025-12-24", "2025-12-27"],
    ["last Christmas", "2025-12-24", "2025-12-27"],
    ["Christmas Eve 2020", "2020-12-24", "2020-12-25"],
    ["New Years Eve 1999", "1999-12-31", "2000-01-01"],
    ["Halloween", "2026-10-31", "2026-11-01"],
    // chrono-node: days, weeks (Monday to Sunday), months, years, ranges
    ["yesterday", "2026-12-05", "2026-12-06"],
    ["two weeks ago", "2026-11-16", "2026-11-23"],
    ["last week", "2026-11-23", "2026-11-30"],
    ["last weekend", "2026-11-28", "2026-11-30"],
    ["3 days ago", "2026-12-03", "2026-12-04"],
    ["July 14 2019", "2019-07-14", "2019-07-15"],
    ["in July 2019", "2019-07-01", "2019-08-01"],
    ["last month", "2026-11-01", "2026-12-01"],
    ["March", "2026-03-01", "2026-04-01"],
    ["three years ago", "2023-01-01", "2024-01-01"],
    ["last year", "2025-01-01", "2026-01-01"],
    ["from June 2019 to August 2019", "2019-06-01", "2019-09-01"],
  ])("%s → [%s, %s)", (phrase, from, to) => {
    expect(readWhen(phrase, NOW)).toEqual({ phrase, from: day(from), to: day(to) });
  });

  it("reads the calendar in now's offset and writes the range in it", () => {
    // 23:30 in New York on the 6th is already the 7th in UTC: "yesterday" is still the 5th there.
    expect(readWhen("yesterday", "2026-12-06T23:30:00-05:00")).toEqual({
      phrase: "yesterday",
      from: "2026-12-05T00:00:00-05:00",
      to: "2026-12-06T00:00:00-05:00",
    });
    expect(readWhen("in 2019", "2026-12-06T12:00:00+02:00")).toMatchObject({
      from: "2019-01-01T00:00:00+02:00",
      to: "2020-01-01T00:00:00+02:00",
    });
  });

  it("reads from the server's clock, in UTC, without now", () => {
    expect(readWhen("yesterday", undefined, () => new Date("2024-02-29T10:00:00Z"))).toMatchObject({
      from: "2024-02-28T00:00:00Z",
      to: "2024-02-29T00:00:00Z",
    });
  });

  it.each(["on my birthday", "blah", "between March and May 2020", "last summer 2019", "next summer"])(
    "a phrase it cannot read as one period is a 400 naming it: %s",
    (phrase) => {
      const error = (() => {
        try {
          readWhen(phrase, NOW);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).issues).toEqual([
        { path: "when", message: expect.stringContaining(`"${phrase}" is not a time I can read`) as string },
      ]);
    },
  );
});

describe("when with recordedAfter and recordedBefore", () => {
  it("without when, the bounds as given", () => {
    expect(applyWhen({ recordedAfter: "2019-01-01T00:00:00Z" })).toEqual({
      filters: { recordedAfter: "2019-01-01T00:00:00Z", recordedBefore: undefined },
    });
  });

  it("intersects: each bound the narrower of the two, and echoes the phrase's own range", () => {
    const { filters, when } = applyWhen({ when: "in 2019", now: NOW, recordedAfter: "2019-07-01T00:00:00+02:00" });
    expect(filters).toEqual({ recordedAfter: "2019-07-01T00:00:00+02:00", recordedBefore: "2020-01-01T00:00:00Z" });
    expect(when).toEqual({ phrase: "in 2019", from: "2019-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z" });
    expect(
      applyWhen({
        when: "in 2019",
        now: NOW,
        recordedAfter: "2018-01-01T00:00:00Z",
        recordedBefore: "2030-01-01T00:00:00Z",
      }).filters,
    ).toEqual({ recordedAfter: "2019-01-01T00:00:00Z", recordedBefore: "2020-01-01T00:00:00Z" });
  });

  it("a 400 naming the phrase and its range when they do not overlap", () => {
    expect(() => applyWhen({ when: "in 2019", now: NOW, recordedAfter: "2020-01-01T00:00:00Z" })).toThrow(
      'when: "in 2019" (2019-01-01T00:00:00Z to 2020-01-01T00:00:00Z) does not overlap the range of recordedAfter',
    );
  });
});
