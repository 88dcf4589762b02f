/**
 * Lookups by videoId and list pages read their rows through the driver adapter (queryDriver), not Prisma Client:
 * every column must come back as Prisma reads it (the typed `select` of stored-row.ts; timestamps as the ISO text
 * its Dates write), on both databases.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { describe, expect, it } from "vitest";
import { select, storedRowOf, toAnalysis } from "../src/video-analysis/stored-row.ts";
import { createVideoLookups } from "../src/video-analysis/video-lookups.ts";
import { fullAnalysis } from "./fixtures/full-analysis.ts";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`lookups through the driver adapter on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "rows");

    const prismaRow = (videoId: string) =>
      suite.db.prisma.videoAnalysis.findUnique({ where: { space_videoId: { space: "rows", videoId } }, select });

    it("reads every column as Prisma Client does: dates, offsets, JSON, tags and the embedding's model", async () => {
      await suite.caller.videoAnalysis.create(fullAnalysis);
      await suite.caller.videoAnalysis.update({ videoId: "full", description: "version 2" });
      await suite.caller.videoAnalysis.create({ videoId: "bare", description: "nothing else" });

      const lookups = createVideoLookups(suite.db.prisma, "rows");
      const [full, bare, missing] = await Promise.all([
        lookups.load("full"),
        lookups.load("bare"),
        lookups.load("missing"),
      ]);
      const fullRow = await prismaRow("full");
      expect(full).toEqual(fullRow && storedRowOf(fullRow));
      expect(full?.createdAt).toBe(fullRow?.createdAt.toISOString());
      expect(full).toMatchObject({ version: 2, embeddingDims: 3, recordedAtOffset: 120, tags: ["a", "b"] });
      const bareRow = await prismaRow("bare");
      expect(bare).toEqual(bareRow && storedRowOf(bareRow));
      expect(bare).toMatchObject({ metadata: null, recordedAt: null, embeddingModel: null, embeddingDims: null });
      expect(missing).toBeNull();
    });

    it("a list page answers every column as Prisma Client reads it, page after page on both orders", async () => {
      await suite.callerIn("rows-list").videoAnalysis.create({
        videoId: "listed",
        description: "listed",
        tags: ["z", "y"],
        embedding: { model: "m", values: [1, 2] },
        recordedAt: "2020-01-02T03:04:05.006-05:30",
        metadata: { a: [1, "b"] },
      });
      for (const videoId of ["p1", "p2", "p3"])
        await suite.callerIn("rows-list").videoAnalysis.create({ videoId, description: videoId });
      const listed = await suite.db.prisma.videoAnalysis.findUnique({
        where: { space_videoId: { space: "rows-list", videoId: "listed" } },
        select,
      });
      const wire = (row: ReturnType<typeof toAnalysis>) => JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
      for (const orderBy of ["createdAt", "recordedAt"] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: Awaited<ReturnType<ReturnType<typeof suite.callerIn>["videoAnalysis"]["list"]>> = await suite
            .callerIn("rows-list")
            .videoAnalysis.list({ limit: 1, orderBy, cursor });
          seen.push(...page.items.map((item) => item.videoId));
          const found = page.items.find((item) => item.videoId === "listed");
          if (found) expect(found).toEqual(wire(toAnalysis(storedRowOf(listed!))));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen.toSorted()).toEqual(["listed", "p1", "p2", "p3"]);
      }
    });

    it("a NULL among the tags (raw SQL only) is left out: the analysis is still found, listed, searched and answered", async () => {
      await suite
        .callerIn("rows-null")
        .videoAnalysis.create({ videoId: "null-tag", description: "a lighthouse at dusk", tags: ["kept"] });
      await suite.db.prisma.$executeRaw`UPDATE "VideoAnalysis" SET "tags" = ARRAY[NULL, 'kept', NULL]::text[]
        WHERE "space" = 'rows-null' AND "videoId" = 'null-tag'`;
      const caller = suite.callerIn("rows-null");
      expect(await caller.videoAnalysis.byVideoId({ videoId: "null-tag" })).toMatchObject({ tags: ["kept"] });
      expect((await caller.videoAnalysis.list({})).items).toMatchObject([{ videoId: "null-tag", tags: ["kept"] }]);
      const found = await caller.videoAnalysis.search({ query: "lighthouse" });
      expect(found.items.map((hit) => hit.analysis.tags)).toEqual([["kept"]]);
      const context = await caller.videoAnalysis.context({ query: "lighthouse", maxChars: 2000 });
      expect(context.sources.map((source) => source.videoId)).toEqual(["null-tag"]);
      expect(context.text).toContain("· null-tag · kept\n");
    });

    it("keeps to its space: the same videoId elsewhere is not found", async () => {
      await suite.callerIn("other-space").videoAnalysis.create({ videoId: "elsewhere", description: "d" });
      expect(await createVideoLookups(suite.db.prisma, "rows").load("elsewhere")).toBeNull();
      expect(await createVideoLookups(suite.db.prisma, "other-space").load("elsewhere")).toMatchObject({
        videoId: "elsewhere",
      });
    });
  });
