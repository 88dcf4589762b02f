/** queryDriver: one statement on a client's driver adapter (the lookups' path; their rows: packages/api's tests). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDriver, queryDriverSql } from "../src/driver-queries.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { databaseErrorKind } from "../src/errors.ts";
import { MAX_PREPARED_TEXTS, markPrepared, statementName } from "../src/prepared-statements.ts";
import { openTestDb, testTargets } from "../src/testing.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`queryDriver on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    beforeAll(async () => {
      db = await openTestDb(target.name);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it("binds text and text lists, and gives rows in the statement's column order", async () => {
      const result = await queryDriver(db.prisma, `SELECT $1::text AS "a", cardinality($2::text[]) AS "n"`, [
        "x",
        ["p", "q", "r"],
      ]);
      expect(result).toEqual({ columns: ["a", "n"], rows: [["x", 3]] });
    });

    it("runs a Prisma.sql statement built from parts: its text, whole numbers and text lists bound in order", async () => {
      const where = Prisma.join([Prisma.sql`${"x"}::text = 'x'`, Prisma.sql`${2}::int > 1`], " AND ");
      const result = await queryDriverSql(
        db.prisma,
        Prisma.sql`SELECT ${"y"}::text AS "a", ${41}::int + 1 AS "n", cardinality(${["p", "q"]}::text[]) AS "c"
          WHERE ${where}`,
      );
      expect(result).toEqual({ columns: ["a", "n", "c"], rows: [["y", 42, 2]] });
    });

    it("binds a fraction as it is (a search's similarity threshold)", async () => {
      const result = await queryDriverSql(
        db.prisma,
        Prisma.sql`SELECT ${0.45}::float8 AS "f", ${1.5}::float8 * 2 AS "g"`,
      );
      expect(result).toEqual({ columns: ["f", "g"], rows: [[0.45, 3]] });
    });

    it("refuses a parameter the driver would write its own way (a Date), before any statement", () => {
      expect(() => queryDriverSql(db.prisma, Prisma.sql`SELECT ${new Date(0)}::timestamp`)).toThrow(
        /a object parameter is not text/,
      );
      expect(() => queryDriverSql(db.prisma, Prisma.sql`SELECT ${Number.NaN}::float8`)).toThrow(/a number parameter/);
    });

    it("a failed statement's error carries the database's words (for logs), its kind read as before", async () => {
      const error = await queryDriver(db.prisma, `SELECT 1 FROM "NoSuchTable"`, []).catch((e: unknown) => e);
      expect(String(error)).toMatch(/"NoSuchTable" does not exist/);
      expect((error as Error).cause).toMatchObject({ name: "DriverAdapterError" });
      expect(databaseErrorKind(error)).toBeUndefined();
    });

    // The named statement's own row in pg_prepared_statements, while it runs (an unnamed statement has none).
    const ownRow = (n: number) => Prisma.sql`
      SELECT ${n}::int AS "n", count(*)::int AS "named", coalesce(sum(generic_plans), 0)::int AS "generic"
      FROM pg_prepared_statements WHERE statement = current_query() AND NOT from_sql`;

    it("runs a prepared statement named on PostgreSQL, planned with each run's values (never a generic plan)", async () => {
      const named = target.name === "postgres" ? 1 : 0; // the embedded database runs every statement unnamed
      // One after the other, past the five runs after which "auto" would try a generic plan.
      for (let n = 1; n <= 12; n++) {
        const result = await queryDriverSql(db.prisma, ownRow(n), undefined, { prepared: true });
        expect(result.rows).toEqual([[n, named, 0]]);
      }
      // Not asked to be prepared (another text: a connection may hold the one above named), it runs unnamed.
      expect((await queryDriverSql(db.prisma, Prisma.sql`${ownRow(0)} LIMIT 1`)).rows).toEqual([[0, 0, 0]]);
    });
  });

describe("prepared statements' names", () => {
  const query = (sql: string) => ({ sql, args: [], argTypes: [] });

  it("one name per text, and no more than MAX_PREPARED_TEXTS texts named: the rest run unnamed", () => {
    const texts = Array.from({ length: MAX_PREPARED_TEXTS + 5 }, (_, i) => `SELECT ${i} AS "prepared-names"`);
    // statementName's type says string (PrismaPg's option); an unnamed query's is undefined.
    const names: (string | undefined)[] = texts.map((sql) => {
      const marked = query(sql);
      markPrepared(marked);
      return statementName(marked);
    });
    const given = names.filter((name) => name !== undefined);
    expect(given.length).toBeGreaterThan(0);
    expect(given.length).toBeLessThanOrEqual(MAX_PREPARED_TEXTS);
    expect(new Set(given).size).toBe(given.length);
    // The same text again: the same name (a connection that parsed it skips the parse).
    const again = query(texts[0]!);
    markPrepared(again);
    expect(statementName(again)).toBe(names[0]);
    // A query not marked has no name, whatever its text.
    expect(statementName(query(texts[0]!))).toBeUndefined();
  });
});
