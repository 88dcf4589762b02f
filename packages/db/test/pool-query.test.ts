/**
 * The pool's `query` (postgres.ts's boundQueries) copies each statement's config to add its own query_timeout: what
 * the driver adapter passes must reach pg whole (its row mode, its values or the ones given beside it), and the
 * caller's object must stay as it made it (the adapter's, or a config a caller keeps and sends again).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadDatabaseConfig } from "../src/config.ts";
import { openPostgres, type PostgresDriver } from "../src/postgres.ts";
import { TEST_POSTGRES_URL, testTargets } from "../src/testing.ts";

const postgres = (await testTargets()).find((target) => target.name === "postgres");

describe.skipIf(!!postgres?.skip)("the pool's query", () => {
  let driver: PostgresDriver;
  beforeAll(() => {
    const config = loadDatabaseConfig({ DATABASE_URL: TEST_POSTGRES_URL, DATABASE_TIMEOUT_MS: "5000" });
    if (config.kind !== "postgres") throw new Error("expected a PostgreSQL config");
    driver = openPostgres(config);
  });
  afterAll(() => driver?.close());
  const text = `SELECT $1::text AS "a", 2 AS "b"`;

  it("sends the caller's config whole (row mode, values) and leaves it as the caller made it", async () => {
    const config = { text, values: ["x"], rowMode: "array" as const };
    // Recorded, and passed through: what pg's client is given.
    const sent = vi.spyOn(pg.Client.prototype, "query");
    const result = await driver.pool.query(config);
    const request = sent.mock.calls[0]?.[0] as unknown as Record<string, unknown>;
    sent.mockRestore();
    expect(result.rows).toEqual([["x", 2]]);
    expect(config).toStrictEqual({ text, values: ["x"], rowMode: "array" });
    // A copy with the pool's bound on it, within DATABASE_TIMEOUT_MS.
    expect(request).not.toBe(config);
    expect(request).toMatchObject({ text, values: ["x"], rowMode: "array" });
    expect(request.query_timeout).toBeGreaterThan(0);
    expect(request.query_timeout).toBeLessThanOrEqual(5000);
    // Sent again, the same object gives the same answer (nothing of the first call's left on it).
    expect((await driver.pool.query(config)).rows).toEqual([["x", 2]]);
  });

  it("takes values given beside the config over the config's own, without writing them into it", async () => {
    const config = { text, values: ["x"] };
    const result = await driver.pool.query(config, ["y"]);
    expect(result.rows).toEqual([{ a: "y", b: 2 }]);
    expect(config).toStrictEqual({ text, values: ["x"] });
  });
});
