/**
 * A context reads what it shows of each memory packed into one text column (context-rows.ts), unpacked only for the
 * memories it may write, where it read seven columns through the driver adapter. On both databases, for whatever raw
 * SQL can store (BC and five-digit years, microseconds, recording offsets or none, NULL tags, the separator itself in
 * tags and descriptions), unpacking must give what the separate columns read as before gave, or fail as they did.
 */
import { Prisma, queryDriverSql } from "@memory-mirror/db";
import { testTargets } from "@memory-mirror/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { adapterTimestamp, adapterTimestamptz, packedColumns, unpack } from "../src/video-analysis/context-rows.ts";
import { recordedAtText } from "../src/video-analysis/recorded-at-schemas.ts";
import { int, isoText, tagsOf, text } from "../src/video-analysis/stored-row.ts";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();
const SPACE = "context-rows";

/** Stored by raw SQL over rows made by create: createdAt (timestamp), recordedAt (timestamptz), offset, tags. */
const ROWS = [
  { videoId: "plain", createdAt: "2026-03-14 23:59:59.999", recordedAt: null, offset: null },
  { videoId: "micro", createdAt: "1969-12-31 23:59:59.123456", recordedAt: "2019-07-14 08:00:00.5+02", offset: 120 },
  { videoId: "year-1", createdAt: "0001-01-01 00:00:00", recordedAt: "1900-01-01 00:00:00.0006+00", offset: -330 },
  { videoId: "bc", createdAt: "0044-03-15 12:00:00 BC", recordedAt: "0044-03-15 12:00:00+00 BC", offset: 0 },
  { videoId: "year-5", createdAt: "12345-06-07 08:09:10.5", recordedAt: "12345-06-07 08:00:00+00", offset: 60 },
  { videoId: "no-offset", createdAt: "2026-01-01 00:00:00.01", recordedAt: "2019-07-14 23:59:59.999+00", offset: null },
] as const;

/** What a context read of a row before: its seven columns through the adapter (the reader context.ts had), or the error. */
function readAlone(v: unknown[]) {
  const [recordedAt, offset, createdAt, tags, description] = v;
  try {
    return {
      recordedAt: recordedAtText(
        recordedAt === null ? null : isoText(recordedAt),
        offset === null ? null : int(offset),
      ),
      createdAt: isoText(createdAt),
      tags: tagsOf(tags),
      description: text(description),
    };
  } catch (error) {
    return String(error);
  }
}
function readPacked(shown: unknown) {
  try {
    return unpack(text(shown));
  } catch (error) {
    return String(error);
  }
}

for (const target of targets)
  describe.skipIf(!!target.skip)(`a context's packed columns on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, SPACE);
    /** Readable rows: those a context can write (a BC or five-digit year, or NULL tags, fail every read, before and after). */
    const described = (videoId: string, readable: boolean) =>
      `Packed ${videoId}\u0001after the separator\n# heading\u0001 and 😀 ${readable ? "readable" : "broken"}.`;
    const TAGS: Record<string, string[] | null> = {
      plain: ["beach"],
      micro: ["a\u0001b", "tab\there"],
      "year-1": [],
      bc: ["línea"],
      "year-5": ["x"],
      "no-offset": ["q\u0001"],
    };

    beforeAll(async () => {
      for (const { videoId, createdAt, recordedAt, offset } of ROWS) {
        await suite.caller.videoAnalysis.create({ videoId, description: "placeholder" });
        await suite.db.prisma.$executeRaw`UPDATE "VideoAnalysis" SET "createdAt" = ${createdAt}::timestamp,
          "recordedAt" = ${recordedAt}::timestamptz, "recordedAtOffset" = ${offset}::smallint,
          "tags" = ${TAGS[videoId]}::text[], "description" = ${described(videoId, videoId !== "bc" && videoId !== "year-5")}
          WHERE "space" = ${SPACE} AND "videoId" = ${videoId}`;
      }
      // A NULL tags column and a NULL tag: only raw SQL stores them.
      await suite.caller.videoAnalysis.create({ videoId: "null-tags", description: "Packed null tags, broken." });
      await suite.db.prisma.$executeRaw`UPDATE "VideoAnalysis" SET "tags" = NULL
        WHERE "space" = ${SPACE} AND "videoId" = 'null-tags'`;
      await suite.caller.videoAnalysis.create({ videoId: "null-tag", description: "Packed null tag, readable." });
      await suite.db.prisma.$executeRaw`UPDATE "VideoAnalysis" SET "tags" = ARRAY['kept', NULL]::text[]
        WHERE "space" = ${SPACE} AND "videoId" = 'null-tag'`;
    });

    it("unpacks what the separate columns read, or fails as they did, and rewrites timestamps as the adapter does", async () => {
      const { columns, rows } = await queryDriverSql(
        suite.db.prisma,
        Prisma.sql`SELECT v."recordedAt" AS "r", v."recordedAtOffset" AS "o", v."createdAt" AS "c",
          to_json(v."tags") AS "t", left(v."description", 30) AS "d", ${packedColumns(30)}
          FROM "VideoAnalysis" v WHERE v."space" = ${SPACE} ORDER BY v."videoId"`,
      );
      expect(rows).toHaveLength(ROWS.length + 2);
      const shownAt = columns.indexOf("shown");
      for (const row of rows) {
        const videoId = row[columns.indexOf("videoId")];
        expect({ videoId, read: readPacked(row[shownAt]) }).toEqual({ videoId, read: readAlone(row.slice(0, 5)) });
        // The packed timestamps are PostgreSQL's text, which the adapter was given and rewrote: the same text now.
        const [recordedAt, , createdAt] = text(row[shownAt]).split("\u0001");
        expect(adapterTimestamp(createdAt ?? "")).toBe(row[2]);
        if (row[0] !== null) expect(adapterTimestamptz(recordedAt ?? "")).toBe(row[0]);
      }
      // The edges are what they should be: BC and five-digit years fail (Date cannot read the adapter's text, as before),
      // NULL tags fail; the rest read, the separator kept in place.
      const read = (id: string) => readPacked(rows.find((r) => r[columns.indexOf("videoId")] === id)?.[shownAt]);
      expect(read("bc")).toMatch(/RangeError/);
      expect(read("null-tags")).toMatch(/TypeError/);
      expect(read("null-tag")).toMatchObject({ tags: ["kept"] });
      expect(read("year-5")).toMatch(/RangeError/);
      expect(read("micro")).toMatchObject({
        createdAt: "1969-12-31T23:59:59.123Z",
        recordedAt: "2019-07-14T08:00:00.500+02:00",
        tags: ["a\u0001b", "tab\there"],
        description: described("micro", true).slice(0, 30),
      });
      expect(read("no-offset")).toMatchObject({ recordedAt: "2019-07-14T23:59:59.999Z", tags: ["q\u0001"] });
      expect(read("plain")).toMatchObject({ recordedAt: null, createdAt: "2026-03-14T23:59:59.999Z" });
    });

    it("writes those memories' headers and texts in a context, by search and by videoId", async () => {
      const readable = ["micro", "no-offset", "null-tag", "plain", "year-1"];
      // A header is one line: oneLine writes the tags' control characters as spaces.
      const expected = [
        "## 2019-07-14 · micro · a b, tab here",
        "## 2019-07-14 · no-offset · q ",
        "## stored 2026-03-14 · plain · beach",
        "## 1899-12-31 · year-1",
        expect.stringMatching(/^## stored \d{4}-\d{2}-\d{2} · null-tag · kept$/),
      ];
      const headers = (text: string) => text.split("\n").filter((line) => line.startsWith("## "));
      const bySearch = await suite.caller.videoAnalysis.context({ query: "readable", maxChars: 4000 });
      const byName = await suite.caller.videoAnalysis.context({ videoIds: readable, maxChars: 4000 });
      for (const context of [bySearch, byName]) {
        expect(context.sources.map((s) => s.videoId).sort()).toEqual(readable);
        expect(headers(context.text)).toHaveLength(readable.length);
        expect(headers(context.text)).toEqual(expect.arrayContaining(expected));
        expect(context.text).toContain(
          `## 2019-07-14 · micro · a b, tab here\n${described("micro", true).replace("\n#", "\n\\#")}`,
        );
      }
    });

    it("unpacks only the memories whose blocks it reaches: one it never reaches cannot fail it", async () => {
      // A long memory is cut (its block ends the context) before bc, whose BC createdAt fails every read of it.
      await suite.caller.videoAnalysis.create({ videoId: "long", description: "Stones by the river. ".repeat(40) });
      const context = await suite.caller.videoAnalysis.context({ videoIds: ["long", "bc"], maxChars: 300 });
      expect(context.sources.map((s) => s.videoId)).toEqual(["long"]);
      expect(context.truncated).toBe(true);
      expect(context.text).toMatch(/…\n\n\(1 of 2 memories considered included; 1 left out for lack of room\.\)$/);
      await expect(suite.caller.videoAnalysis.context({ videoIds: ["bc", "long"], maxChars: 300 })).rejects.toThrow(
        /Invalid time value/,
      );
      await suite.caller.videoAnalysis.delete({ videoId: "long" });
    });
  });
