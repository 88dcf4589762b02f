/**
 * On PostgreSQL the lookup by videoId and a list page run as named statements once their text is seen a second time
 * (prepared-statements.ts in packages/db, each kind's own names): parsed once per connection instead of on every
 * request. Guards the `prepared` option on both, which no answer would reveal missing.
 */
import { isPrepared, testTargets } from "@memory-mirror/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { LOOKUP } from "../src/video-analysis/video-lookups.ts";
import { useOneConnection } from "./support/one-connection.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres")!;

describe.skipIf(!!postgres.skip)("the lookup's and a list page's statements run named on PostgreSQL", () => {
  const { caller, named } = useOneConnection("prepared-reads");
  beforeAll(async () => {
    await caller().videoAnalysis.create({ videoId: "beach", description: "A dog chases waves on the beach." });
  });

  it("the lookup by videoId has its name from the second lookup on", async () => {
    for (let run = 1; run <= 3; run++) {
      expect((await caller().videoAnalysis.byVideoId({ videoId: "beach" })).videoId).toBe("beach");
      // The first sighting runs unnamed (one-off texts take no name: packages/db's driver-queries.test.ts).
      if (run > 1) expect(await named()).toContain(LOOKUP);
    }
    expect(isPrepared(LOOKUP)).toBe(true);
  });

  it("a list page's statement has its name from the second page of the same shape on", async () => {
    const listStatement = (statements: string[]) =>
      statements.filter((sql) => sql.includes(`ORDER BY a."createdAt" DESC`));
    for (let run = 1; run <= 3; run++) {
      expect((await caller().videoAnalysis.list({ limit: 10 })).items.map((i) => i.videoId)).toEqual(["beach"]);
      if (run > 1) expect(listStatement(await named())).toHaveLength(1);
    }
    expect(listStatement(await named()).every(isPrepared)).toBe(true);
  });
});
