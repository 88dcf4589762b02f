/**
 * Searches and contexts read their statements' rows through the driver adapter (queryDriverSql), not `$queryRaw`:
 * every score (float4 ts_rank_cd, float8 similarities and cosine), the vocabulary's stand-ins and the counts must come
 * back exactly as Prisma Client read them, on both databases, or rankings and answers would drift.
 */
import { Prisma, QueryVector } from "@memory-mirror/db";
import { testTargets } from "@memory-mirror/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { ResponseBudget } from "../src/budget.ts";
import { candidateStatement, findCandidates, type VectorPlan } from "../src/video-analysis/search-candidates.ts";
import { parseQuery } from "../src/video-analysis/search-query.ts";
import { searchInput } from "../src/video-analysis/search-schemas.ts";
import { storedColumnList } from "../src/video-analysis/stored-row.ts";
import { createVideoLookups } from "../src/video-analysis/video-lookups.ts";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();

const MEMORIES = [
  { videoId: "beach", description: "A family walks on the beach at sunset; the dog chases waves.", x: 1 },
  { videoId: "birthday", description: "Birthday party in the garden: cake, candles and a dog asleep.", x: 0.5 },
  { videoId: "kitchen", description: "Baking sourdough bread in the kitchen, flour everywhere.", x: -1 },
  { videoId: "plain", description: "Nothing about dogs or beaches here, only a parking lot.", x: 0 },
];

for (const target of targets)
  describe.skipIf(!!target.skip)(`search rows through the driver adapter on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "search-rows");
    const ctx = () => ({
      prisma: suite.db.prisma,
      space: "search-rows",
      budget: new ResponseBudget({ maxRows: 1000, maxBytes: 1 << 20 }),
      lookups: createVideoLookups(suite.db.prisma, "search-rows"),
    });
    const embedding = (x: number) => ({ model: "rows-model", values: [x, 1 - Math.abs(x), 0.25] });

    // Both tests read these memories: either runs alone (`-t`).
    beforeAll(async () => {
      for (const m of MEMORIES)
        await suite.caller.videoAnalysis.create({
          videoId: m.videoId,
          description: m.description,
          tags: ["t"],
          embedding: embedding(m.x),
          recordedAt: "2019-07-14T10:00:00.123+02:00",
        });
    });

    it("reads every candidate's scores, stand-ins and counts as $queryRaw does", async () => {
      const cases: { query?: string; vector?: number }[] = [
        { query: "dog beach" },
        { query: "birthdy sourdouh" }, // typos: stand-ins from the vocabulary, trigram scores
        { query: '"sourdough bread" kitchen' },
        { vector: 0.8 },
        { query: "dog", vector: -0.5 },
      ];
      for (const { query, vector } of cases) {
        const input = searchInput.parse({
          ...(query ? { query } : {}),
          ...(vector !== undefined ? { embedding: embedding(vector) } : {}),
        });
        const parsed = query ? parseQuery(query) : null;
        const plan: VectorPlan =
          vector === undefined
            ? { kind: "none" }
            : { kind: "exact", model: "rows-model", dims: 3, vector: new QueryVector(embedding(vector).values) };
        for (const rowColumns of [null, Prisma.raw(storedColumnList("v"))]) {
          // Prisma Client binds the query vector as the text it always was.
          const statement = candidateStatement(ctx(), input, parsed, plan, 50, rowColumns);
          const asText = statement.values.map((value) => (value instanceof QueryVector ? value.text() : value));
          const expected = await suite.db.prisma.$queryRaw<Record<string, unknown>[]>(
            new Prisma.Sql(statement.strings, asText),
          );
          const { candidates, result } = await findCandidates(ctx(), input, parsed, plan, 50, rowColumns);
          expect(candidates.length).toBeGreaterThan(0);
          const byId = new Map(expected.map((row) => [row.id, row]));
          for (const candidate of candidates) {
            const row = byId.get(candidate.id);
            expect(row, `${query ?? ""} ${vector ?? ""}`).toBeDefined();
            expect(candidate).toEqual({
              id: row!.id,
              videoId: row!.videoId,
              text: row!.text,
              trigram: row!.trigram,
              vector: row!.vector,
              coverage: row!.coverage,
              terms: row!.terms,
              vectorHits: row!.vectorHits,
            });
          }
          if (query?.includes("birthdy")) expect(candidates.some((c) => c.terms?.includes("birthday"))).toBe(true);
          if (vector !== undefined) expect(candidates.every((c) => typeof c.vector === "number")).toBe(true);
          expect(result.rows).toHaveLength(expected.length);
        }
      }
    });

    it("answers searches and contexts with the rows Prisma Client reads: dates, offsets, tags, highlights", async () => {
      const search = await suite.caller.videoAnalysis.search({ query: "dog beach", limit: 10 });
      const stored = await suite.db.prisma.videoAnalysis.findMany({ where: { space: "search-rows" } });
      const beach = search.items.find((i) => i.analysis.videoId === "beach");
      const row = stored.find((s) => s.videoId === "beach")!;
      expect(beach?.analysis).toMatchObject({
        id: row.id,
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
        recordedAt: "2019-07-14T10:00:00.123+02:00",
        tags: ["t"],
        embedding: { model: "rows-model", dimensions: 3 },
        metadata: null,
      });
      expect(beach?.highlight).toContain("**beach**");
      const lone = await suite.caller.videoAnalysis.search({ embedding: embedding(1), limit: 2 });
      expect(lone.items[0]?.analysis).toMatchObject({
        videoId: "beach",
        createdAt: row.createdAt.toISOString(),
        tags: ["t"],
      });

      const byQuery = await suite.caller.videoAnalysis.context({ query: "dog beach", maxChars: 2000 });
      const named = await suite.caller.videoAnalysis.context({ videoIds: ["beach"], maxChars: 2000 });
      for (const context of [byQuery, named]) {
        expect(context.text).toContain("## 2019-07-14 · beach · t\nA family walks on the beach at sunset");
      }
      const [{ n }] = await suite.db.prisma.$queryRaw<[{ n: number }]>(
        Prisma.sql`SELECT count(*)::int AS n FROM "VideoAnalysis" WHERE "space" = 'search-rows'`,
      );
      expect(n).toBe(MEMORIES.length);
    });
  });
