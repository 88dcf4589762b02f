/** queryDriver: one statement on a client's driver adapter (the lookups' path; their rows: packages/api's tests). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDriver, queryDriverSql } from "../src/driver-queries.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { databaseErrorKind } from "../src/errors.ts";
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
  });
