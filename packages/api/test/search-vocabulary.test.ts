/**
 * The typo vocabulary (SearchTerm) is exactly the words of the stored descriptions, each counted by the analyses
 * holding it, whatever mix of writes made them: creates, updates, tags-only updates, bulk upserts, restores and
 * deletes, in several spaces, with words shared between analyses and between spaces.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();

interface Counted {
  space: string;
  term: string;
  uses: number;
}

for (const target of targets)
  describe.skipIf(!!target.skip)(`search vocabulary (${target.name} database)`, () => {
    const suite = useTestDatabase(target.name);

    /** The vocabulary as stored, and as counted afresh from the descriptions. */
    async function vocabulary() {
      const { prisma } = suite.db;
      const stored = await prisma.$queryRaw<Counted[]>`
        SELECT "space", "term", "uses" FROM "SearchTerm" ORDER BY 1, 2`;
      const expected = await prisma.$queryRaw<Counted[]>`
        SELECT v."space", w.term, count(*)::int AS "uses"
        FROM "VideoAnalysis" v CROSS JOIN LATERAL "mm_search_words"(v."description") AS w(term)
        GROUP BY 1, 2 ORDER BY 1, 2`;
      return { stored, expected };
    }

    it("counts every word's holders through every kind of write, and forgets a word with its last holder", async () => {
      const a = suite.callerIn("words-a");
      const b = suite.callerIn("words-b");
      await a.videoAnalysis.create({ videoId: "1", description: "The harbour at dawn, the harbour at dusk." });
      await a.videoAnalysis.create({ videoId: "2", description: "Fishing boats in the harbour." });
      await b.videoAnalysis.create({ videoId: "1", description: "A harbour in another space." });
      await a.videoAnalysis.update({ videoId: "2", description: "Fishing boats on the lake." });
      await a.videoAnalysis.update({ videoId: "1", tags: ["sea"] });
      await a.videoAnalysis.upsertMany({
        items: [
          { videoId: "1", description: "The harbour at dawn." },
          { videoId: "3", description: "Lake swimming at dawn." },
          { videoId: "4", description: "Nothing in common." },
        ],
      });
      const { items } = await a.videoAnalysis.export({});
      await a.videoAnalysis.upsertMany({
        items: items
          .filter((item) => item.videoId === "3")
          .map((item) => ({ ...item, description: "Lake rowing at noon.", version: item.version + 1 })),
      });
      let { stored, expected } = await vocabulary();
      expect(stored).toEqual(expected);
      expect(stored).toContainEqual({ space: "words-a", term: "dawn", uses: 1 });
      expect(stored).toContainEqual({ space: "words-a", term: "lake", uses: 2 });
      expect(stored.some((row) => row.term === "swimming" || row.term === "dusk")).toBe(false);

      await a.videoAnalysis.delete({ videoId: "1" });
      await a.videoAnalysis.deleteMany({ videoIds: ["2", "3", "4"] });
      ({ stored, expected } = await vocabulary());
      expect(stored).toEqual(expected);
      // Space a is empty, so its vocabulary is; b's "harbour" is its own.
      expect(stored.filter((row) => row.space === "words-a")).toEqual([]);
      expect(stored).toContainEqual({ space: "words-b", term: "harbour", uses: 1 });
    });
  });
