/**
 * queryDriver with its caller's abort signal: a statement whose caller gave up must stop taking the database's time.
 * On PostgreSQL a running or waiting statement is cancelled (a CancelRequest to its backend) and its connection goes
 * back to the pool usable; on both databases a statement not started when the signal aborted never starts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDb, type Database } from "../src/client.ts";
import { loadDatabaseConfig } from "../src/config.ts";
import { queryDriver } from "../src/driver-queries.ts";
import { databaseErrorKind } from "../src/errors.ts";
import { createTestDatabase, Locker, openTestDb, type TestDatabase, testTargets } from "../src/testing.ts";

const targets = await testTargets();
const postgres = targets.find((t) => t.name === "postgres");

/**
 * How long a cancelled statement may still show in pg_stat_activity: a cancel request takes milliseconds on this
 * host. Far below the statement_timeout these tests run with (DATABASE_TIMEOUT_MS 20 s), so only a cancel passes.
 */
const GONE_WITHIN_MS = 3000;
/** What the locker holds (in its transaction) to keep a statement on "held" waiting. */
const HOLD = `LOCK TABLE "held" IN ACCESS EXCLUSIVE MODE`;

for (const target of targets)
  describe.skipIf(!!target.skip)(`a statement whose signal aborted first, ${target.name}`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    beforeAll(async () => {
      db = await openTestDb(target.name);
      await db.prisma.$executeRawUnsafe(`CREATE SEQUENCE "cancel_probe"`);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it("never starts: the sequence it would advance is untouched, and the next statement runs", async () => {
      const error = await queryDriver(
        db.prisma,
        `SELECT nextval('cancel_probe') AS "n"`,
        [],
        AbortSignal.abort(),
      ).catch((e: unknown) => e);
      expect(databaseErrorKind(error)).toBe("cancelled");
      const { rows } = await queryDriver(db.prisma, `SELECT is_called FROM "cancel_probe"`, []);
      expect(rows).toEqual([[false]]);
    });
  });

/**
 * A PostgreSQL test database behind a pool of one (the connection a cancelled statement gives back is the one the
 * next statement gets), with `env`'s settings, and a second connection (`locker`) holding the table "held".
 */
function poolOfOne(env: Record<string, string> = {}) {
  let database: TestDatabase | undefined;
  let db: Database | undefined;
  let locker: Locker | undefined;
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("poolOfOne opens in beforeAll: read it inside hooks and tests");
    return value;
  };
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    const config = { DATABASE_URL: database.url, DATABASE_TIMEOUT_MS: "20000", DATABASE_POOL_SIZE: "1", ...env };
    db = await createDb(loadDatabaseConfig(config));
    await db.migrate();
    locker = await Locker.open(database.url);
    await locker.query(`CREATE TABLE "held" ("n" int); INSERT INTO "held" VALUES (1)`);
  });
  afterAll(async () => {
    await locker?.end();
    await db?.close();
    await database?.drop();
  });
  return {
    get db() {
      return opened(db);
    },
    get locker() {
      return opened(locker);
    },
    /** Backends of this database (but the locker's) whose current statement contains `text`, running or waiting. */
    async running(text: string): Promise<number> {
      const client = opened(locker);
      await client.query("SELECT pg_stat_clear_snapshot()");
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1`,
        [`%${text}%`],
      );
      return rows[0]?.n ?? 0;
    },
  };
}

describe.skipIf(!postgres || !!postgres.skip)("a statement whose caller gives up while it runs, postgres", () => {
  const suite = poolOfOne();
  const running = (text: string) => suite.running(text);
  beforeAll(async () => {
    // What the queued statement would advance, had any of it run.
    await suite.locker.query(`CREATE SEQUENCE "cancel_probe_queued"`);
  });

  async function cancelledWhileShown(sql: string, marker: string) {
    const hangUp = new AbortController();
    const call = queryDriver(suite.db.prisma, sql, [], hangUp.signal).catch((e: unknown) => e);
    await vi.waitFor(async () => expect(await running(marker)).toBe(1), { timeout: 10_000 });
    const abortedAt = performance.now();
    hangUp.abort();
    const error = await call;
    expect(databaseErrorKind(error), String(error)).toBe("cancelled");
    await vi.waitFor(async () => expect(await running(marker)).toBe(0), { timeout: GONE_WITHIN_MS });
    return performance.now() - abortedAt;
  }

  it("a statement waiting on a lock is cancelled on the server, and the pool's connection serves the next one", async () => {
    // ACCESS EXCLUSIVE blocks even a plain SELECT: the statement provably waits on the server.
    await suite.locker.whileLocked([HOLD], () =>
      cancelledWhileShown(`SELECT "n" AS "waiting_on_held" FROM "held"`, "waiting_on_held"),
    );
    expect((await queryDriver(suite.db.prisma, `SELECT "n" FROM "held"`, [])).rows).toEqual([[1]]);
    expect(suite.db.connections()?.total).toBe(1);
  });

  it("a running statement is cancelled on the server", async () => {
    await cancelledWhileShown(`SELECT 1 AS "sleeping" FROM pg_sleep(15)`, "pg_sleep(15)");
    expect((await queryDriver(suite.db.prisma, `SELECT 2 AS "two"`, [])).rows).toEqual([[2]]);
  });

  it("a statement still waiting for a pooled connection leaves the pool's queue, and never runs", async () => {
    let holder: Promise<unknown> | undefined;
    await suite.locker.whileLocked([HOLD], async () => {
      // The pool's only connection waits on the lock (no signal: it is not the one that gives up).
      holder = queryDriver(suite.db.prisma, `SELECT "n" AS "holder" FROM "held"`, []);
      await vi.waitFor(async () => expect(await running("holder")).toBe(1), { timeout: 10_000 });
      const hangUp = new AbortController();
      const queued = queryDriver(suite.db.prisma, `SELECT nextval('cancel_probe_queued')`, [], hangUp.signal).catch(
        (e: unknown) => e,
      );
      await vi.waitFor(() => expect(suite.db.connections()?.waiting).toBe(1));
      hangUp.abort();
      expect(databaseErrorKind(await queued)).toBe("cancelled");
    });
    expect((await holder)?.valueOf()).toMatchObject({ rows: [[1]] });
    // The connection that came late went back to the pool, unused: nothing of the queued statement ran.
    expect((await queryDriver(suite.db.prisma, `SELECT 3 AS "three"`, [])).rows).toEqual([[3]]);
    expect(suite.db.connections()).toMatchObject({ total: 1, waiting: 0 });
    expect((await queryDriver(suite.db.prisma, `SELECT is_called FROM "cancel_probe_queued"`, [])).rows).toEqual([
      [false],
    ]);
  });
});

describe.skipIf(!postgres || !!postgres.skip)("DATABASE_CANCEL_ON_HANGUP=off (a pooler in front), postgres", () => {
  const suite = poolOfOne({ DATABASE_CANCEL_ON_HANGUP: "off" });
  const waiting = () => suite.running("left_running");

  it("a hang-up sends no cancel request: the statement runs on, and the call ends when it does", async () => {
    let call: Promise<unknown> | undefined;
    await suite.locker.whileLocked([HOLD], async () => {
      const hangUp = new AbortController();
      call = queryDriver(suite.db.prisma, `SELECT "n" AS "left_running" FROM "held"`, [], hangUp.signal).catch(
        (e: unknown) => e,
      );
      await vi.waitFor(async () => expect(await waiting()).toBe(1), { timeout: 10_000 });
      hangUp.abort();
      // Where a cancel is gone within milliseconds (the tests above), the statement still waits on the lock.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await waiting()).toBe(1);
    });
    expect(await call).toMatchObject({ rows: [[1]] });
    expect(suite.db.connections()).toMatchObject({ total: 1, waiting: 0 });
  });
});
