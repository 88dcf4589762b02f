/**
 * Every session runs with the HNSW settings searches need (SESSION_SETTINGS), given when its connection opens rather
 * than per statement; an operator's own connection options are kept beside them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Database } from "../src/client.ts";
import { loadDatabaseConfig } from "../src/config.ts";
import { poolOptions } from "../src/postgres.ts";
import { SESSION_SETTINGS } from "../src/session-settings.ts";
import { createTestDatabase, openTestDb, type TestDatabase, testTargets } from "../src/testing.ts";

const targets = await testTargets();
const postgres = targets.find((t) => t.name === "postgres")!;

/** The settings as a session sees them once pgvector is loaded (a vector value loads it, in the same statement). */
async function settingsOf(db: Database): Promise<Record<string, string>> {
  const [row] = await db.prisma.$queryRaw<[{ ef: string; scan: string; plans: string }]>`
    SELECT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan,
      current_setting('plan_cache_mode') AS plans
    FROM (SELECT '[1,2]'::vector AS v) AS loaded`;
  return { "hnsw.ef_search": row.ef, "hnsw.iterative_scan": row.scan, plan_cache_mode: row.plans };
}

for (const target of targets)
  describe.skipIf(!!target.skip)(`session settings (${target.name} database)`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    beforeAll(async () => {
      db = await openTestDb(target.name);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it("every connection searches HNSW with the settings searches need, not pgvector's defaults (40, off), and plans named statements with their values", async () => {
      expect(SESSION_SETTINGS).toEqual({
        "hnsw.ef_search": "150",
        "hnsw.iterative_scan": "relaxed_order",
        plan_cache_mode: "force_custom_plan",
      });
      // Several at once, so that the pool opens several connections.
      const seen = await Promise.all(Array.from({ length: 4 }, () => settingsOf(db)));
      for (const settings of seen) expect(settings).toEqual(SESSION_SETTINGS);
    });

    it("the change-log trigger plans with PostgreSQL's default, not the session's force_custom_plan (its own SET)", async () => {
      const [trigger] = await db.prisma.$queryRaw<[{ config: string[] | null }]>`
        SELECT proconfig AS config FROM pg_proc WHERE proname = 'mm_record_changes'`;
      expect(trigger.config).toEqual(["plan_cache_mode=auto"]);
    });
  });

describe.skipIf(!!postgres.skip)("an operator's connection options (postgres)", () => {
  let database: TestDatabase;
  let db: Database | undefined;
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    const migrated = await createDb(database.url);
    await migrated.migrate();
    await migrated.close();
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("in the URL's options parameter are kept beside the session settings", async () => {
    const url = new URL(database.url);
    url.searchParams.set("options", "-c work_mem=7MB");
    db = await createDb(url.toString());
    const [row] = await db.prisma.$queryRaw<[{ work_mem: string }]>`SELECT current_setting('work_mem') AS work_mem`;
    expect(row.work_mem).toBe("7MB");
    expect(await settingsOf(db)).toEqual(SESSION_SETTINGS);
  });

  it("win over the session settings where both name one", async () => {
    const url = new URL(database.url);
    url.searchParams.set("options", "-c hnsw.ef_search=64");
    db = await createDb(url.toString());
    expect((await settingsOf(db))["hnsw.ef_search"]).toBe("64");
  });

  /**
   * A session opened under the database's own default for a setting (ALTER DATABASE … SET) and an operator's option
   * for it: the setting as the session sees it, and an instant read back through the adapter.
   */
  async function readUnder(setting: string, databaseDefault: string, option: string, instant: string) {
    const admin = await createDb(database.url);
    const name = new URL(database.url).pathname.slice(1);
    await admin.prisma.$executeRawUnsafe(`ALTER DATABASE "${name}" SET ${setting} = '${databaseDefault}'`);
    await admin.close();
    const url = new URL(database.url);
    url.searchParams.set("options", `-c ${setting}=${option}`);
    db = await createDb(url.toString());
    const [row] = await db.prisma.$queryRaw<[{ value: string; at: Date }]>`
      SELECT current_setting(${setting}) AS value, ${instant}::timestamptz AS at`;
    return { value: row.value, at: row.at.toISOString() };
  }

  it("cannot move the session out of UTC, where the adapters read a timestamptz's text as stored (the database's own zone neither)", async () => {
    // A server whose timezone is its host's: the adapters relabel '07:00:00-05' as 07:00 UTC (prisma/orm#26786).
    const read = await readUnder("TimeZone", "America/New_York", "Asia/Kolkata", "2026-01-01T12:00:00.250Z");
    expect(read).toEqual({ value: "UTC", at: "2026-01-01T12:00:00.250Z" });
  });

  it("cannot change the DateStyle the adapters parse timestamps in (ISO), the database's own neither", async () => {
    // In 'SQL, DMY' a timestamp's text is '01/02/2026 12:00:00.25 UTC': the adapters would read 2 January as 1 February.
    const read = await readUnder("DateStyle", "SQL, DMY", "Postgres,DMY", "2026-02-01T12:00:00.250Z");
    expect(read).toEqual({ value: "ISO, DMY", at: "2026-02-01T12:00:00.250Z" });
  });

  it("in PGOPTIONS are kept too (pg reads it only when no options are given)", () => {
    const saved = process.env.PGOPTIONS;
    process.env.PGOPTIONS = "-c work_mem=7MB";
    try {
      const config = loadDatabaseConfig({ DATABASE_URL: database.url });
      if (config.kind !== "postgres") throw new Error("expected a PostgreSQL config");
      expect(poolOptions(config).options).toBe(
        "-c hnsw.ef_search=150 -c hnsw.iterative_scan=relaxed_order -c plan_cache_mode=force_custom_plan -c work_mem=7MB -c TimeZone=UTC -c DateStyle=ISO",
      );
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = saved;
    }
  });
});
