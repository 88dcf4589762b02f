/**
 * Test databases for every suite: the embedded database always, a PostgreSQL server when one answers.
 * MM_REQUIRE_POSTGRES=1 (set by CI) turns a missing server into a failure instead of a skip.
 * Each PostgreSQL test database is created fresh and dropped afterwards, so runs never collide.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type CreateDbOptions, type Database } from "./client.ts";
import { openTemplatePGlite, writeClusterTemplate } from "./template.ts";

export { prepareClusterTemplate } from "./template.ts";
// Whether a statement text runs named (packages/api's tests of the searches', lookup's and list's statements).
export { isPrepared } from "./prepared-statements.ts";
export { type FaultMode, type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
export { Locker } from "./locker.ts";

export type TestTargetName = "embedded" | "postgres";
export interface TestTarget {
  name: TestTargetName;
  /** Why this target's tests are skipped; undefined when it runs. */
  skip: string | undefined;
}

export const TEST_POSTGRES_URL = process.env.MM_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const requirePostgres = process.env.MM_REQUIRE_POSTGRES === "1";
/** A hot standby of TEST_POSTGRES_URL's server (`pnpm db:standby` starts one on this port). */
export const TEST_REPLICA_URL = process.env.MM_TEST_REPLICA_URL ?? "postgresql://postgres@127.0.0.1:5433/test";
const requireReplica = process.env.MM_REQUIRE_REPLICA === "1";

let probe: Promise<string | undefined> | undefined;

/** Resolves to undefined when PostgreSQL answers, else to the reason it does not. */
function probePostgres(): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ name: string }>(
        "SELECT name FROM pg_available_extensions WHERE name IN ('vector', 'pg_trgm', 'unaccent')",
      );
      const missing = ["vector", "pg_trgm", "unaccent"].filter((name) => !rows.some((r) => r.name === name));
      if (missing.length > 0) {
        return `PostgreSQL at ${TEST_POSTGRES_URL} lacks the extension(s) ${missing.join(", ")} (pgvector: ../shared/scripts/install-pgvector)`;
      }
      return undefined;
    } catch (error) {
      return `PostgreSQL at ${TEST_POSTGRES_URL} is not reachable (${(error as Error).message})`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}

/** The databases to run a suite against; use with describe.each and describe.skipIf(target.skip). */
export async function testTargets(): Promise<TestTarget[]> {
  const reason = await probePostgres();
  if (reason && requirePostgres) throw new Error(`${reason}; MM_REQUIRE_POSTGRES=1 makes this a failure`);
  if (reason) console.warn(`Skipping the PostgreSQL tests: ${reason}. Set MM_REQUIRE_POSTGRES=1 to fail instead.`);
  return [
    { name: "embedded", skip: undefined },
    { name: "postgres", skip: reason },
  ];
}

export interface TestDatabase {
  /** A DATABASE_URL naming this database (for servers and child processes). */
  url: string;
  /** What to pass createDb with the URL: an in-memory embedded database starts from this process's template. */
  options: CreateDbOptions;
  /** Drops the database (PostgreSQL); embedded in-memory databases just vanish. */
  drop(): Promise<void>;
}

/**
 * A new, empty database of this kind. Embedded ones live in memory unless `dataDir` is given; either way they
 * start from a copy of one initdb'd cluster per process (template.ts) instead of running initdb each time, and a
 * `dataDir` is written ready to open, so a child process opening it skips initdb too.
 */
export async function createTestDatabase(name: TestTargetName, dataDir?: string): Promise<TestDatabase> {
  if (name === "embedded" && dataDir) {
    await writeClusterTemplate(dataDir);
    return { url: `file:${dataDir}`, options: {}, drop: async () => {} };
  }
  if (name === "embedded")
    return { url: "memory:", options: { openInMemory: openTemplatePGlite }, drop: async () => {} };
  const database = `mm_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${database}"`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    options: {},
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`),
  };
}

/**
 * The NOTICEs PostgreSQL sends while running one statement (`$1`… placeholders) on a connection of its own: each is
 * flushed to the client at once, mid-statement, so a hot statement should send none.
 */
export async function noticesOf(url: string, sql: string, values: readonly unknown[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  const notices: string[] = [];
  client.on("notice", (notice) => notices.push(notice.message ?? notice.name));
  await client.connect();
  try {
    await client.query(sql, [...values]);
  } finally {
    await client.end();
  }
  return notices;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database of this kind, opened; `dispose` closes and drops it. */
export async function openTestDb(name: TestTargetName): Promise<Database & { url: string; dispose(): Promise<void> }> {
  const target = await createTestDatabase(name);
  const db = await createDb(target.url, target.options);
  await db.migrate();
  return Object.assign(db, {
    url: target.url,
    async dispose() {
      await db.close();
      await target.drop();
    },
  });
}

/**
 * Why the replica tests are skipped (no hot standby of the test server answers at TEST_REPLICA_URL), or undefined
 * when they run. MM_REQUIRE_REPLICA=1 (set by CI) turns a missing standby into a failure.
 */
export async function replicaSkip(): Promise<string | undefined> {
  const postgres = await probePostgres();
  let reason = postgres;
  if (!reason) {
    const client = new pg.Client({ connectionString: TEST_REPLICA_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>("SELECT pg_is_in_recovery() AS standby");
      if (!rows[0]?.standby) reason = `${TEST_REPLICA_URL} answers but is not a standby (not in recovery)`;
    } catch (error) {
      reason = `no hot standby answers at ${TEST_REPLICA_URL} (${(error as Error).message}); pnpm db:standby starts one`;
    } finally {
      await client.end().catch(() => {});
    }
  }
  if (reason && requireReplica) throw new Error(`${reason}; MM_REQUIRE_REPLICA=1 makes this a failure`);
  if (reason) console.warn(`Skipping the replica tests: ${reason}. Set MM_REQUIRE_REPLICA=1 to fail instead.`);
  return reason;
}

/**
 * The URL of a test database (createTestDatabase) on the standby, once the standby has replayed its creation and
 * migrations (the primary's WAL position at the call).
 */
export async function replicaOf(databaseUrl: string, timeoutMs = 30_000): Promise<string> {
  const url = new URL(TEST_REPLICA_URL);
  url.pathname = new URL(databaseUrl).pathname;
  const primary = new pg.Client({ connectionString: databaseUrl });
  await primary.connect();
  const target = await primary
    .query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn")
    .finally(() => primary.end());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const standby = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
    try {
      await standby.connect();
      const { rows } = await standby.query<{ caught: boolean }>(
        "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught",
        [target.rows[0]!.lsn],
      );
      if (rows[0]?.caught) return url.toString();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await standby.end().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`the standby did not replay ${databaseUrl}'s creation in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
