import { createDb, type Database, parseDatabaseUrl, queryDriver } from "@memory-mirror/db";
import { createTestDatabase, type TestDatabase } from "@memory-mirror/db/testing";
import { afterAll, beforeAll } from "vitest";
import { ANONYMOUS, createCaller, createContext } from "../../src/index.ts";

/**
 * A PostgreSQL test database behind a pool of one connection, for tests that read what the very connection their
 * calls ran on holds: which statements run named (`pg_prepared_statements`). Call it first in the describe block;
 * read `db` only inside hooks and tests.
 */
export function useOneConnection(space: string) {
  let target: TestDatabase | undefined;
  let db: Database | undefined;
  const opened = (): Database => {
    if (!db) throw new Error("the test database opens in beforeAll: read it inside hooks and tests");
    return db;
  };
  beforeAll(async () => {
    target = await createTestDatabase("postgres");
    db = await createDb(parseDatabaseUrl(target.url, { poolSize: 1 }));
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  return {
    get db() {
      return opened();
    },
    /** A caller acting in the suite's space, anonymous, with limits no test here reaches. */
    caller: () =>
      createCaller(() =>
        createContext({
          prisma: opened().prisma,
          principal: ANONYMOUS,
          space,
          limits: { maxRows: 1000, maxBytes: 1 << 20 },
        }),
      ),
    /** The statements the connection holds as named (not those prepared with SQL's PREPARE). */
    named: async (): Promise<string[]> =>
      (
        await queryDriver(opened().prisma, `SELECT statement FROM pg_prepared_statements WHERE NOT from_sql`, [])
      ).rows.map(([statement]) => String(statement)),
  };
}
