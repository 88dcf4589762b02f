/**
 * What one long query of unusual words may cost: only the first searchTuning.maxFuzzyWords content words are looked
 * up in the vocabulary (at 30,000 vocabulary words, on PostgreSQL and the embedded database).
 */
import { testTargets } from "@memory-mirror/db/testing";
import { Prisma } from "@memory-mirror/db";
import { beforeAll, describe, expect, it } from "vitest";
import { searchInput } from "../src/video-analysis/search-schemas.ts";
import { candidateStatement } from "../src/video-analysis/search-candidates.ts";
import { parseQuery } from "../src/video-analysis/search-query.ts";
import { searchTuning } from "../src/video-analysis/search-tuning.ts";
import { createVideoLookups } from "../src/video-analysis/video-lookups.ts";
import { ResponseBudget } from "../src/budget.ts";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();

/** 24 words nobody writes, about 1,000 characters: the shape of the query that starved everyone. */
const LONG_QUERY = Array.from(
  { length: 24 },
  (_, i) =>
    `${["zyx", "qua", "pht", "xel", "vro", "ghu"][i % 6]}${"abcdefghijklmnopqrstuvwxyz".slice(i, i + 2)}` +
    "orinthquaslepticmorvandulix".repeat(2).slice(i % 5, 34 + (i % 7)),
).join(" ");

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Loops"?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode, parent?: PlanNode): { node: PlanNode; parent?: PlanNode }[] {
  return [{ node: plan, parent }, ...(plan.Plans ?? []).flatMap((child) => nodes(child, plan))];
}

for (const target of targets)
  describe.skipIf(!!target.skip)(`a long query of unusual words (${target.name} database)`, () => {
    const suite = useTestDatabase(target.name);

    async function plan(space: string, analyze: boolean) {
      const { prisma } = suite.db;
      const ctx = {
        prisma,
        space,
        budget: new ResponseBudget({ maxRows: 1000, maxBytes: 1 << 20 }),
        lookups: createVideoLookups(prisma, space),
      };
      const input = searchInput.parse({ query: LONG_QUERY });
      const statement = candidateStatement(ctx, input, parseQuery(LONG_QUERY), { kind: "none" }, 50);
      const options = Prisma.raw(analyze ? "ANALYZE, FORMAT JSON" : "FORMAT JSON");
      const [row] = await prisma.$queryRaw<[{ "QUERY PLAN": [{ Plan: PlanNode }] }]>`EXPLAIN (${options}) ${statement}`;
      return row["QUERY PLAN"][0].Plan;
    }

    beforeAll(async () => {
      const { prisma } = suite.db;
      // The vocabulary as 30,000 memories' words would make it (its triggers' work is not what is measured here).
      await prisma.$executeRaw`
        INSERT INTO "SearchTerm" ("space", "term", "uses")
        SELECT 'big', 'w' || md5(i::text), 1 FROM generate_series(1, 30000) AS i`;
      await prisma.$executeRaw`
        INSERT INTO "SearchTerm" ("space", "term", "uses")
        SELECT 'small', 'w' || md5(i::text), 1 FROM generate_series(1, 2000) AS i`;
      await prisma.$executeRaw`ANALYZE "SearchTerm"`;
      // A memory in each space, so that the statement runs its lookups (with nothing to find, it stops early).
      for (const space of ["big", "small"])
        await suite.callerIn(space).videoAnalysis.create({ videoId: "v", description: "A walk by the sea." });
    }, 120_000);

    /** The vocabulary lookups the statement ran (one plan node per fuzzy word; those not looked up never run). */
    async function lookupsRun(space: string) {
      return nodes(await plan(space, true))
        .map(({ node }) => node)
        .filter((node) => node["Relation Name"] === "SearchTerm" && (node["Actual Loops"] ?? 0) > 0);
    }

    it("looks up at most maxFuzzyWords of a 24-word query's words in the vocabulary", async () => {
      expect(LONG_QUERY.length).toBeGreaterThan(900);
      for (const space of ["big", "small"]) {
        const ran = await lookupsRun(space);
        // 24 content words typed, the first maxFuzzyWords of them looked up, once each.
        expect(ran).toHaveLength(searchTuning.maxFuzzyWords);
        for (const node of ran) expect(node["Actual Loops"]).toBe(1);
      }
    });

    it("at 30,000 vocabulary words each word is looked up through the trigram index, not a scan of the space", async () => {
      // Joined to its word as a LATERAL row, the lookup read every word of the space (130–190 ms per word).
      const ran = await lookupsRun("big");
      expect(ran).toHaveLength(searchTuning.maxFuzzyWords);
      for (const node of ran) {
        expect(node["Node Type"]).not.toBe("Seq Scan");
        expect(nodes(node).map(({ node: n }) => n["Index Name"])).toContain("SearchTerm_term_idx");
      }
    });
  });
