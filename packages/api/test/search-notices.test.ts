/**
 * A text search's candidate statement sends PostgreSQL no NOTICE: each is flushed to the client mid-statement and
 * wakes it once more per search. An empty tsquery (no stand-in: every word known) and plainto_tsquery of a stop word
 * both sent one; the statement now avoids both (docs/performance.md, "The text search's statement: where its CPU
 * goes").
 */
import { noticesOf, testTargets } from "@memory-mirror/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { ResponseBudget } from "../src/budget.ts";
import { candidateStatement } from "../src/video-analysis/search-candidates.ts";
import { parseQuery } from "../src/video-analysis/search-query.ts";
import { searchInput } from "../src/video-analysis/search-schemas.ts";
import { createVideoLookups } from "../src/video-analysis/video-lookups.ts";
import { useTestDatabase } from "./support/test-database.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres")!;
const SPACE = "search-notices";

describe.skipIf(!!postgres.skip)("the text search's candidate statement on PostgreSQL", () => {
  const suite = useTestDatabase("postgres", SPACE);

  beforeAll(async () => {
    await suite.caller.videoAnalysis.create({
      videoId: "birthday",
      description: "Birthday party in the garden: cake, candles and a dog asleep.",
    });
    await suite.caller.videoAnalysis.create({ videoId: "beach", description: "The dog runs on the beach at sunset." });
  });

  it("sends no NOTICE, whether every word is known, one has a typo or one is a stop word", async () => {
    const ctx = {
      prisma: suite.db.prisma,
      space: SPACE,
      budget: new ResponseBudget({ maxRows: 1000, maxBytes: 1 << 20 }),
      lookups: createVideoLookups(suite.db.prisma, SPACE),
    };
    for (const query of ["birthday cake", "birthdy cake", "the dog on the beach", '"the garden" dog']) {
      const statement = candidateStatement(ctx, searchInput.parse({ query }), parseQuery(query), { kind: "none" }, 50);
      expect(await noticesOf(suite.db.url, statement.text, statement.values), query).toEqual([]);
    }
    // The statement still finds what it did: the known words, and the typo's stand-in.
    const found = await suite.caller.videoAnalysis.search({ query: "birthdy dog" });
    expect(found.items.map((i) => i.analysis.videoId)).toEqual(["birthday", "beach"]);
  });
});
