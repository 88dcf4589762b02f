/**
 * Lookups by videoId read their rows through the driver adapter (queryDriver), not Prisma Client: every column must
 * come back as Prisma reads it (the typed `select` of stored-row.ts), on both databases.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { describe, expect, it } from "vitest";
import { select } from "../src/video-analysis/stored-row.ts";
import { createVideoLookups } from "../src/video-analysis/video-lookups.ts";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`lookups through the driver adapter on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "rows");

    const prismaRow = (videoId: string) =>
      suite.db.prisma.videoAnalysis.findUnique({ where: { space_videoId: { space: "rows", videoId } }, select });

    it("reads every column as Prisma Client does: dates, offsets, JSON, tags and the embedding's model", async () => {
      await suite.caller.videoAnalysis.create({
        videoId: "full",
        description: 'Ünïcode and "quotes"; a cat.',
        tags: ["b", "a"],
        embedding: { model: "marengo-2.7", values: [0.25, -1, 3e-7] },
        recordedAt: "2019-07-14T10:00:00.123+02:00",
        metadata: { title: "Été", people: ["Ana", "Bo"], nested: { n: 1.5, yes: true, none: null } },
      });
      await suite.caller.videoAnalysis.update({ videoId: "full", description: "version 2" });
      await suite.caller.videoAnalysis.create({ videoId: "bare", description: "nothing else" });

      const lookups = createVideoLookups(suite.db.prisma, "rows");
      const [full, bare, missing] = await Promise.all([
        lookups.load("full"),
        lookups.load("bare"),
        lookups.load("missing"),
      ]);
      expect(full).toEqual(await prismaRow("full"));
      expect(full?.createdAt).toBeInstanceOf(Date);
      expect(full).toMatchObject({ version: 2, embeddingDims: 3, recordedAtOffset: 120, tags: ["a", "b"] });
      expect(bare).toEqual(await prismaRow("bare"));
      expect(bare).toMatchObject({ metadata: null, recordedAt: null, embeddingModel: null, embeddingDims: null });
      expect(missing).toBeNull();
    });

    it("keeps to its space: the same videoId elsewhere is not found", async () => {
      await suite.callerIn("other-space").videoAnalysis.create({ videoId: "elsewhere", description: "d" });
      expect(await createVideoLookups(suite.db.prisma, "rows").load("elsewhere")).toBeNull();
      expect(await createVideoLookups(suite.db.prisma, "other-space").load("elsewhere")).toMatchObject({
        videoId: "elsewhere",
      });
    });
  });
