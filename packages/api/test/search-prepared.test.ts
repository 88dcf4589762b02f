/**
 * On PostgreSQL a search's candidate and highlight statements run as named statements once their text is seen a
 * second time (prepared-statements.ts in packages/db): parsed once per connection instead of on every search. Guards
 * the `prepared` option on both statements and the adapter's name generator, which no answer would reveal missing.
 */
import { isPrepared, testTargets } from "@memory-mirror/db/testing";
import { describe, expect, it } from "vitest";
import { useOneConnection } from "./support/one-connection.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres")!;

describe.skipIf(!!postgres.skip)("a search's statements run named on PostgreSQL once seen twice", () => {
  const { caller, named } = useOneConnection("prepared");

  it("the candidate and highlight statements have names from the second search on, on the connection that ran them", async () => {
    await caller().videoAnalysis.create({ videoId: "beach", description: "A dog chases waves on the beach." });
    const search = () => caller().videoAnalysis.search({ query: "dog beech", limit: 5 });
    // The first search's texts may already have been seen by other files' searches (the suite shares one process's
    // registry), so only the later runs are asserted; the first sighting's rule: packages/db's driver-queries.test.ts.
    expect((await search()).items.map((i) => i.analysis.videoId)).toEqual(["beach"]);
    for (let run = 2; run <= 3; run++) {
      expect((await search()).items[0]?.highlight).toMatch(/\*\*dog\*\*/i);
      const statements = await named();
      // The candidate statement (its fuzzy words' CTE) and the highlight statement, each its own name.
      expect(statements.filter((sql) => sql.includes("fuzzy_hits AS MATERIALIZED"))).toHaveLength(1);
      expect(statements.filter((sql) => sql.includes(`AS "highlight"`))).toHaveLength(1);
      expect(statements.every(isPrepared)).toBe(true);
    }
  });
});
