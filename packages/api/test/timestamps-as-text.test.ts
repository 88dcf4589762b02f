/**
 * Reads answer timestamps as the wire's ISO text made from the adapter's text (stored-row.ts's isoText), where they
 * were a Date parsed and formatted again: every answer must keep the text the Date path wrote, on both databases,
 * for whatever raw SQL can store (milliseconds 000 and 999, microseconds, years 0001 and 9999, recording times in an
 * offset, or none).
 */
import { testTargets } from "@memory-mirror/db/testing";
import { describe, expect, it } from "vitest";
import { formatRecordedAt, recordedAtText } from "../src/video-analysis/recorded-at-schemas.ts";
import { isoText, select } from "../src/video-analysis/stored-row.ts";
import { useTestDatabase } from "./support/test-database.ts";

/** What the reads did before: a Date of the adapter's text, formatted by toISOString (or its error). */
const datePath = (adapterText: string): string => {
  try {
    return new Date(adapterText).toISOString();
  } catch (error) {
    return String(error);
  }
};
const textPath = (adapterText: string): string => {
  try {
    return isoText(adapterText);
  } catch (error) {
    return String(error);
  }
};

describe("isoText writes what new Date(text).toISOString() writes", () => {
  it.each([
    "2026-01-01T00:00:00+00:00",
    "2026-01-01T00:00:00.1+00:00",
    "2026-01-01T00:00:00.01+00:00",
    "2026-01-01T00:00:00.123+00:00",
    "2026-01-01T00:00:00.999+00:00",
    "2026-01-01T00:00:00.1234+00:00",
    "2026-01-01T00:00:00.99999+00:00",
    "2026-01-01T00:00:00.123456+00:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59.999+00:00",
    "2024-02-29T12:00:00.5+00:00",
  ])("in PostgreSQL's shapes in UTC: %s", (adapterText) => {
    expect(isoText(adapterText)).toBe(datePath(adapterText));
    expect(isoText(adapterText)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  // Shapes only another year range or session setting makes (BC, past 9999, a zone the adapters' regex does not
  // rewrite, another DateStyle) take the Date path itself: the same text, or the same failure.
  it.each([
    "10000-01-01T00:00:00+00:00",
    "0001-12-31T00:00:00 BC+00:00",
    "1900-01-01T00:00:00+05:53:20",
    "2026-01-01T05:30:00+05:30",
    "01/01/2026 00:00:00",
  ])("in any other shape, by the Date path: %s", (adapterText) => {
    expect(textPath(adapterText)).toBe(datePath(adapterText));
  });
});

describe("recordedAtText from ISO text writes what formatRecordedAt writes from its Date", () => {
  it.each([
    ["2019-07-14T08:00:00.000Z", 0],
    ["2019-07-14T08:00:00.000Z", null],
    ["2019-07-14T08:00:00.999Z", 0],
    ["2019-07-14T08:00:00.000Z", 120],
    ["2019-07-14T08:00:00.001Z", -330],
    ["1900-01-01T00:00:00.000Z", -840],
  ] as const)("%s at offset %s", (iso, offsetMinutes) => {
    expect(recordedAtText(iso, offsetMinutes)).toBe(
      formatRecordedAt({ instant: new Date(iso), offsetMinutes: offsetMinutes ?? 0 }),
    );
  });
});

/** Stored by raw SQL (the columns round to milliseconds), with what every answer must say for them. */
const EDGES = [
  { videoId: "ms-000", createdAt: "2026-01-01 00:00:00", expected: "2026-01-01T00:00:00.000Z" },
  { videoId: "ms-999", createdAt: "2026-01-01 00:00:00.999", expected: "2026-01-01T00:00:00.999Z" },
  { videoId: "ms-010", createdAt: "2026-01-01 00:00:00.01", expected: "2026-01-01T00:00:00.010Z" },
  { videoId: "us-down", createdAt: "2026-01-01 00:00:00.123456", expected: "2026-01-01T00:00:00.123Z" },
  { videoId: "us-up", createdAt: "2026-01-01 23:59:59.9996", expected: "2026-01-02T00:00:00.000Z" },
  { videoId: "year-0001", createdAt: "0001-01-01 00:00:00", expected: "0001-01-01T00:00:00.000Z" },
  { videoId: "year-9999", createdAt: "9999-12-31 23:59:59.999", expected: "9999-12-31T23:59:59.999Z" },
] as const;
const RECORDED = [
  { videoId: "ms-000", at: "2019-07-14 08:00:00+00", offset: 0, expected: "2019-07-14T08:00:00Z" },
  { videoId: "ms-999", at: "2019-07-14 08:00:00.999+00", offset: 120, expected: "2019-07-14T10:00:00.999+02:00" },
  { videoId: "ms-010", at: "2019-07-14 08:00:00.0104+00", offset: 0, expected: "2019-07-14T08:00:00.010Z" },
  { videoId: "us-down", at: "1900-01-01 00:00:00.0006+00", offset: -330, expected: "1899-12-31T18:30:00.001-05:30" },
  { videoId: "us-up", at: "2019-07-14 08:00:00.5+02", offset: null, expected: "2019-07-14T06:00:00.500Z" },
] as const;

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`timestamps answered as text on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "stamps");

    it("every read answers the Date path's text for edge values stored by raw SQL", async () => {
      const { prisma } = suite.db;
      for (const { videoId } of EDGES)
        await suite.caller.videoAnalysis.create({ videoId, description: `timestamp edge ${videoId}` });
      for (const { videoId, createdAt } of EDGES)
        await prisma.$executeRaw`UPDATE "VideoAnalysis" SET "createdAt" = ${createdAt}::timestamp,
          "updatedAt" = ${createdAt}::timestamp WHERE "space" = 'stamps' AND "videoId" = ${videoId}`;
      for (const { videoId, at, offset } of RECORDED)
        await prisma.$executeRaw`UPDATE "VideoAnalysis" SET "recordedAt" = ${at}::timestamptz,
          "recordedAtOffset" = ${offset}::smallint WHERE "space" = 'stamps' AND "videoId" = ${videoId}`;

      const stored = await prisma.videoAnalysis.findMany({ where: { space: "stamps" }, select });
      const videoIds = EDGES.map((edge) => edge.videoId);
      const { caller } = suite;
      const answers = {
        byVideoId: await Promise.all(videoIds.map((videoId) => caller.videoAnalysis.byVideoId({ videoId }))),
        byVideoIds: (await caller.videoAnalysis.byVideoIds({ videoIds })).items,
        list: (await caller.videoAnalysis.list({ limit: 100 })).items,
        listByRecording: (await caller.videoAnalysis.list({ limit: 100, orderBy: "recordedAt" })).items,
        search: (await caller.videoAnalysis.search({ query: "timestamp edge", minScore: 0, limit: 50 })).items.map(
          (hit) => hit.analysis,
        ),
        export: (await caller.videoAnalysis.export({})).items,
      };
      for (const [read, items] of Object.entries(answers)) {
        expect(items, read).toHaveLength(EDGES.length);
        for (const item of items) {
          if (!item) throw new Error(`${read} answered null`);
          const edge = EDGES.find((e) => e.videoId === item.videoId);
          const recorded = RECORDED.find((r) => r.videoId === item.videoId);
          const row = stored.find((r) => r.videoId === item.videoId);
          // What the Date path answered: Prisma Client's Dates, formatted as the codec did.
          expect({ read, createdAt: item.createdAt, updatedAt: item.updatedAt }).toEqual({
            read,
            createdAt: row?.createdAt.toISOString(),
            updatedAt: row?.updatedAt.toISOString(),
          });
          expect({ read, recordedAt: item.recordedAt }).toEqual({
            read,
            recordedAt: row?.recordedAt
              ? formatRecordedAt({ instant: row.recordedAt, offsetMinutes: row.recordedAtOffset ?? 0 })
              : null,
          });
          expect({ read, createdAt: item.createdAt, recordedAt: item.recordedAt }).toEqual({
            read,
            createdAt: edge?.expected,
            recordedAt: recorded?.expected ?? null,
          });
        }
      }
    });
  });
