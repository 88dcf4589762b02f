/** queryDriver: one statement on a client's driver adapter (the lookups' path; their rows: packages/api's tests). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDriver, queryDriverSql } from "../src/driver-queries.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { databaseErrorKind } from "../src/errors.ts";
import { loadDatabaseConfig } from "../src/config.ts";
import { createDb, type Database } from "../src/client.ts";
import { PREPARED_TEXTS, type PreparedKind, statementNames } from "../src/prepared-statements.ts";
import {
  createTestDatabase,
  openTestDb,
  replicaOf,
  replicaSkip,
  type TestDatabase,
  testTargets,
} from "../src/testing.ts";

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

    // The named statement's own row in pg_prepared_statements, while it runs (an unnamed statement has none). Its
    // text names the target: the process's registry counts a text's sightings on either database.
    const ownRow = (n: number) => Prisma.sql`${Prisma.raw(`/* ${target.name} */`)}
      SELECT ${n}::int AS "n", count(*)::int AS "named", coalesce(sum(generic_plans), 0)::int AS "generic"
      FROM pg_prepared_statements WHERE statement = current_query() AND NOT from_sql`;

    it("runs a prepared statement named on PostgreSQL from its second run, planned with each run's values (never a generic plan)", async () => {
      const postgres = target.name === "postgres"; // the embedded database runs every statement unnamed
      // One after the other, past the five runs after which "auto" would try a generic plan. The first sighting of a
      // text runs unnamed (one-off texts take no name), every later one named.
      for (let n = 1; n <= 12; n++) {
        const result = await queryDriverSql(db.prisma, ownRow(n), undefined, { prepared: "search" });
        expect(result.rows).toEqual([[n, postgres && n > 1 ? 1 : 0, 0]]);
      }
    });

    it("an unmarked query goes through the name generator (its name undefined) and runs unnamed", async () => {
      // Another text (a connection may hold the one above named); statementName gives it undefined, which adapter-pg
      // must keep passing to pg as no name.
      for (let n = 1; n <= 3; n++)
        expect((await queryDriverSql(db.prisma, Prisma.sql`${ownRow(n)} LIMIT 1`)).rows).toEqual([[n, 0, 0]]);
    });
  });

describe("prepared statements' names", () => {
  const query = (sql: string) => ({ sql, args: [], argTypes: [] });
  // Its own registry: the process's is shared with every statement this file runs.
  const sighted = (
    names: ReturnType<typeof statementNames>,
    sql: string,
    kind: PreparedKind = "search",
  ): string | undefined => {
    const marked = query(sql);
    names.mark(marked, kind);
    // statementName's type says string (PrismaPg's option); an unnamed query's is undefined.
    const name: string | undefined = names.name(marked);
    return name;
  };

  it("a text gets its name when seen a second time, the same one after: one-off texts never take a slot", () => {
    const names = statementNames();
    const oneOffs = Array.from({ length: PREPARED_TEXTS.search * 4 }, (_, i) => `SELECT ${i} AS "one-off"`);
    for (const sql of oneOffs) expect(sighted(names, sql)).toBeUndefined();
    expect(names.isPrepared(oneOffs[0]!)).toBe(false);
    // A common text after the sweep still gets a name: the one-offs took none.
    const common = `SELECT 'common'`;
    expect(sighted(names, common)).toBeUndefined();
    expect(sighted(names, common)).toBe("mm_statement_1");
    expect(sighted(names, common)).toBe("mm_statement_1");
    expect(names.isPrepared(common)).toBe(true);
    // A query not marked has no name, whatever its text.
    expect(names.name(query(common))).toBeUndefined();
  });

  it("no more than a kind's PREPARED_TEXTS texts named: the rest run unnamed, and the other kind keeps its own", () => {
    const names = statementNames();
    const max = PREPARED_TEXTS.search;
    const texts = Array.from({ length: max + 5 }, (_, i) => `SELECT ${i} AS "prepared-names"`);
    for (const sql of texts) sighted(names, sql);
    const given = texts.map((sql) => sighted(names, sql));
    expect(given.slice(0, max)).toEqual(texts.slice(0, max).map((_, i) => `mm_statement_${i + 1}`));
    expect(given.slice(max)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // The searches' names all taken, the lookup's text still gets its own.
    const lookup = `SELECT 'lookup'`;
    sighted(names, lookup, "lookup");
    expect(sighted(names, lookup, "lookup")).toBe(`mm_statement_${max + 1}`);
  });

  it("a list page's many texts (filters, cursors) take no name from the searches or the lookup", () => {
    // Budgets where the pages' names alone would fill the others' if they shared one count.
    const names = statementNames({ search: 2, lookup: 1, list: 3, write: 1 });
    const pages = Array.from({ length: 8 }, (_, i) => `SELECT ${i} AS "page"`);
    for (const sql of pages) sighted(names, sql, "list");
    const given = pages.map((sql) => sighted(names, sql, "list"));
    expect(given).toEqual([
      "mm_statement_1",
      "mm_statement_2",
      "mm_statement_3",
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const search = `SELECT 'search'`;
    sighted(names, search);
    expect(sighted(names, search)).toBe("mm_statement_4");
    // Every page seen twice before the lookup's second sighting (a UI paging through filters after start).
    const lookup = `SELECT 'lookup'`;
    sighted(names, lookup, "lookup");
    expect(sighted(names, lookup, "lookup")).toBe("mm_statement_5");
  });
});

const replicaSkipped = await replicaSkip();
const postgresSkipped = targets.find((t) => t.name === "postgres")?.skip;

describe.skipIf(!!postgresSkipped || !!replicaSkipped)(
  "named statements and pgbouncer=true, on the primary and a replica",
  () => {
    // The statement's own row in pg_prepared_statements, and which server ran it.
    const ownRow = Prisma.sql`
    SELECT count(*)::int AS "named", pg_is_in_recovery() AS "replica"
    FROM pg_prepared_statements WHERE statement = current_query() AND NOT from_sql`;
    let database: TestDatabase | undefined;
    let url: string;
    let replica: string;
    beforeAll(async () => {
      database = await createTestDatabase("postgres");
      url = database.url;
      replica = await replicaOf(url);
    });
    afterAll(async () => {
      await database?.drop();
    });

    const withPgBouncer = (value: string) => {
      const parsed = new URL(value);
      parsed.searchParams.set("pgbouncer", "true");
      return parsed.toString();
    };

    /** The named count of the third run of one text on the primary (`primary`) and on the replica. */
    async function thirdRuns(primaryUrl: string, replicaUrl: string): Promise<{ primary: number; replica: number }> {
      // As the server reads them: pgbouncer=true must pass the URLs' validation too.
      const db: Database = await createDb(
        loadDatabaseConfig({
          DATABASE_URL: primaryUrl,
          DATABASE_POOL_SIZE: "1",
          DATABASE_REPLICA_URLS: replicaUrl,
          REPLICA_MAX_LAG_MS: "60000",
          REPLICA_CHECK_INTERVAL_MS: "50",
        }),
      );
      try {
        const run = async (on: "primary" | "replica") => {
          const client = await db.reads.read("k", (c) => Promise.resolve(c), { primary: on === "primary" });
          const { rows } = await queryDriverSql(client, ownRow, undefined, { prepared: "search" });
          return rows[0] as [number, boolean];
        };
        // Until the replica is known healthy, reads go to the primary.
        const deadline = Date.now() + 20_000;
        while (!(await run("replica"))[1]) {
          if (Date.now() > deadline) throw new Error("the replica never served a read");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await run("replica");
        const onReplica = await run("replica");
        expect(onReplica[1]).toBe(true);
        await run("primary");
        await run("primary");
        const onPrimary = await run("primary");
        expect(onPrimary[1]).toBe(false);
        return { primary: onPrimary[0], replica: onReplica[0] };
      } finally {
        await db.close();
      }
    }

    it("named on both without pgbouncer=true", async () => {
      expect(await thirdRuns(url, replica)).toEqual({ primary: 1, replica: 1 });
    });

    it("unnamed where the URL says pgbouncer=true (PgBouncer in transaction mode), named elsewhere", async () => {
      expect(await thirdRuns(withPgBouncer(url), replica)).toEqual({ primary: 0, replica: 1 });
      expect(await thirdRuns(url, withPgBouncer(replica))).toEqual({ primary: 1, replica: 0 });
    });
  },
);
