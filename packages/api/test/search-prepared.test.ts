/**
 * On PostgreSQL a search's candidate and highlight statements run as named statements once their text is seen a
 * second time (prepared-statements.ts in packages/db): parsed once per connection instead of on every search. Guards
 * the `prepared` option on both statements and the adapter's name generator, which no answer would reveal missing.
 */
import { createDb, type Database, parseDatabaseUrl, queryDriver } from "@memory-mirror/db";
import { createTestDatabase, isPrepared, type TestDatabase, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, createCaller, createContext } from "../src/index.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres")!;

describe.skipIf(!!postgres.skip)("a search's statements run named on PostgreSQL once seen twice", () => {
  let target: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    target = await createTestDatabase("postgres");
    // One connection: pg_prepared_statements below reads the very connection the searches ran on.
    db = await createDb(parseDatabaseUrl(target.url, { poolSize: 1 }));
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  const caller = () =>
    createCaller(() =>
      createContext({
        prisma: db.prisma,
        principal: ANONYMOUS,
        space: "prepared",
        limits: { maxRows: 1000, maxBytes: 1 << 20 },
      }),
    );
  /** The named statements the connection holds (not those prepared with SQL's PREPARE). */
  const named = async () =>
    (await queryDriver(db.prisma, `SELECT statement FROM pg_prepared_statements WHERE NOT from_sql`, [])).rows.map(
      ([statement]) => String(statement),
    );

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
