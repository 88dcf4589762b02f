import { createHash } from "node:crypto";
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Database } from "../src/client.ts";
import { MigrationError, MIGRATIONS_DIR, readMigrations } from "../src/migrate.ts";
import { loadMigrationList, NO_FILTERS, withSchemaEngine } from "../src/schema-engine.ts";
import { createTestDatabase, prepareClusterTemplate, type TestTargetName, testTargets } from "../src/testing.ts";

const targets = await testTargets();
const migrationNames = (await readMigrations()).map((m) => m.name);

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  applied_steps_count: number;
}

const migrationRows = (db: Database) =>
  db.prisma.$queryRaw<MigrationRow[]>`
    SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`;

const tableExists = async (db: Database, table: string) =>
  (await db.prisma.$queryRaw<{ t: string | null }[]>`SELECT to_regclass(${`"${table}"`})::text AS t`)[0]?.t != null;

/** A copy of the real migrations directory that a test may extend or edit. */
async function copyMigrations(temp: string): Promise<string> {
  const dir = await mkdtemp(path.join(temp, "migrations-"));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

// Each test opens fresh databases and runs every migration, on the embedded one also Prisma's wasm schema engine:
// about 2 s a test alone, but past 30 s when the whole suite runs beside other work (load 19–28 on 2 cores, three
// times in one day). The bound is for a hang, not for the machine's load.
const MIGRATION_TEST_TIMEOUT_MS = 120_000;

describe.each(targets)("$name", (target) => {
  describe.skipIf(!!target.skip)("migration runner", { timeout: MIGRATION_TEST_TIMEOUT_MS }, () => {
    const name: TestTargetName = target.name;
    const cleanup: (() => Promise<void>)[] = [];
    const temp = mkdtemp(path.join(tmpdir(), "mm-migrate-"));
    // Fresh embedded databases are copies of one initdb'd template (made here, not in the first test's time).
    beforeAll(async () => {
      if (name === "embedded") await prepareClusterTemplate();
    });
    afterAll(async () => {
      for (const fn of cleanup.reverse()) await fn();
      await rm(await temp, { recursive: true, force: true });
    });

    /** A fresh database; embedded ones get a directory so the engine can open them afterwards. */
    async function fresh(): Promise<{ url: string }> {
      const db = await createTestDatabase(
        name,
        name === "embedded" ? await mkdtemp(path.join(await temp, "data-")) : undefined,
      );
      cleanup.push(() => db.drop());
      return db;
    }
    async function open(url: string, migrationsDir?: string): Promise<Database> {
      const db = await createDb(url, migrationsDir ? { migrationsDir } : {});
      cleanup.push(() => db.close());
      return db;
    }
    /** Runs `fn` with the wasm schema engine on this database (for embedded: after `db` closed the directory). */
    async function withEngineOn<T>(url: string, fn: Parameters<typeof withSchemaEngine<T>>[0]): Promise<T> {
      if (name === "postgres") return withSchemaEngine(fn, { adapter: new PrismaPg({ connectionString: url }) });
      const pglite = await PGlite.create(url.slice("file:".length));
      try {
        return await withSchemaEngine(fn, { adapter: new PrismaPGlite(pglite) });
      } finally {
        await pglite.close();
      }
    }

    it("applies every migration once, records it as Prisma does, and Prisma's engine agrees", async () => {
      const { url } = await fresh();
      const db = await open(url);
      expect(await db.pendingMigrations()).toEqual(migrationNames);
      expect(await db.migrate()).toEqual({ applied: migrationNames, edited: [] });

      const rows = await migrationRows(db);
      const expected = await Promise.all(
        migrationNames.map(async (m) => ({
          migration_name: m,
          checksum: createHash("sha256")
            .update(await readFile(path.join(MIGRATIONS_DIR, m, "migration.sql")))
            .digest("hex"),
          finished_at: expect.any(Date) as Date,
          applied_steps_count: 1,
        })),
      );
      expect(rows).toEqual(expected);
      expect(await tableExists(db, "VideoAnalysis")).toBe(true);

      expect(await db.migrate()).toEqual({ applied: [], edited: [] });
      expect(await migrationRows(db)).toHaveLength(migrationNames.length);
      expect(await db.pendingMigrations()).toEqual([]);
      await db.close();

      // What `prisma migrate status` and `prisma migrate deploy` would say about this database.
      const migrationsList = await loadMigrationList();
      const [status, deploy] = await withEngineOn(
        url,
        async (engine) =>
          [
            await engine.diagnoseMigrationHistory({
              migrationsList,
              optInToShadowDatabase: false,
              filters: NO_FILTERS,
            }),
            await engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
          ] as const,
      );
      expect(status).toMatchObject({
        history: null,
        editedMigrationNames: [],
        failedMigrationNames: [],
        hasMigrationsTable: true,
      });
      expect(deploy.appliedMigrationNames).toEqual([]);
    });

    it("keeps the rows a database held before the change log's migration and those after it, and records changes to them", async () => {
      // The database as the release before those migrations left it, holding data written then. The columns below
      // are that schema's: when a later migration changes them, this test's rows move with it.
      const { url } = await fresh();
      const earlier = await mkdtemp(path.join(await temp, "earlier-"));
      const changeLog = migrationNames.findIndex((m) => m.endsWith("_add_change_log"));
      const held = migrationNames.slice(changeLog);
      for (const m of migrationNames.slice(0, changeLog))
        await cp(path.join(MIGRATIONS_DIR, m), path.join(earlier, m), { recursive: true });
      await cp(path.join(MIGRATIONS_DIR, "migration_lock.toml"), path.join(earlier, "migration_lock.toml"));
      const before = await open(url, earlier);
      await before.migrate();
      await before.prisma.$executeRaw`
        INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "tags", "embeddingModel",
          "embeddingDims", "embedding", "version", "createdAt", "updatedAt")
        VALUES ('kept-1', 'old', 'v-old', 'Baking bread with grandma', ARRAY['family'], 'm', 2, '[0.6,0.8]'::vector,
          2, '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')`;
      await before.prisma.$executeRaw`
        INSERT INTO "VideoAnalysisVersion" ("analysisId", "version", "description", "tags", "changedAt")
        VALUES ('kept-1', 1, 'Baking with grandma', ARRAY['family'], '2026-01-01T00:00:00Z')`;
      await before.close();

      const db = await open(url);
      expect(await db.migrate()).toEqual({ applied: held, edited: [] });
      const [row] = await db.prisma.$queryRaw<Record<string, unknown>[]>`
        SELECT "id", "space", "videoId", "description", "tags", "embeddingModel", "embeddingDims",
          "embedding"::text AS "embedding", "version", "createdAt", "updatedAt", "recordedAt", "metadata",
          "searchVector" @@ to_tsquery('mm_english', 'bread') AS "found"
        FROM "VideoAnalysis"`;
      expect(row).toEqual({
        id: "kept-1",
        space: "old",
        videoId: "v-old",
        description: "Baking bread with grandma",
        tags: ["family"],
        embeddingModel: "m",
        embeddingDims: 2,
        embedding: "[0.6,0.8]",
        version: 2,
        createdAt: new Date("2026-01-01T00:00:00Z"),
        updatedAt: new Date("2026-01-02T00:00:00Z"),
        recordedAt: null,
        metadata: null,
        found: true,
      });
      expect(
        await db.prisma.videoAnalysisVersion.findMany({
          select: { analysisId: true, version: true, description: true },
        }),
      ).toEqual([{ analysisId: "kept-1", version: 1, description: "Baking with grandma" }]);
      // A row older than the change log is written like any other, and its change is recorded.
      await db.prisma.$executeRaw`UPDATE "VideoAnalysis" SET "description" = 'Baking rye bread', "version" = 3`;
      expect(await db.prisma.$queryRaw`SELECT "videoId", "kind", "version" FROM "Change"`).toEqual([
        { videoId: "v-old", kind: "updated", version: 3 },
      ]);
    });

    it("lets concurrent runners apply each migration exactly once", async () => {
      const { url } = await fresh();
      // Two handles on one database where the kind allows it (PGlite: one owner per directory).
      const dbs = name === "postgres" ? [await open(url), await open(url)] : [await open(url)];
      const runs = await Promise.all([dbs[0]!.migrate(), dbs.at(-1)!.migrate()]);
      expect(runs.map((r) => r.applied).sort()).toEqual([[], migrationNames]);
      expect((await migrationRows(dbs[0]!)).map((r) => r.migration_name)).toEqual(migrationNames);
    });

    it("rolls back a failing migration completely and names it", async () => {
      const migrationsDir = await copyMigrations(await temp);
      const broken = "29991231000000_broken";
      await mkdir(path.join(migrationsDir, broken));
      await writeFile(
        path.join(migrationsDir, broken, "migration.sql"),
        `CREATE TABLE "Half" ("id" TEXT);\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n`,
      );
      const { url } = await fresh();
      // Handles are opened one at a time: an embedded data directory has a single owner.
      let db = await open(url, migrationsDir);
      // From empty: the whole run is one transaction, so not even the good migrations stay.
      const failure = db.migrate();
      await expect(failure).rejects.toThrow(MigrationError);
      await expect(failure).rejects.toThrow(new RegExp(`${broken} failed: .*NoSuchTable`));
      expect(await tableExists(db, "_prisma_migrations")).toBe(false);
      expect(await tableExists(db, "VideoAnalysis")).toBe(false);
      await db.close();

      // On a migrated database with data: the earlier state is left exactly as it was.
      db = await open(url);
      await db.migrate();
      await db.prisma.videoAnalysis.create({ data: { space: "default", videoId: "v1", description: "kept" } });
      await db.close();
      db = await open(url, migrationsDir);
      await expect(db.migrate()).rejects.toThrow(broken);
      expect((await migrationRows(db)).map((r) => r.migration_name)).toEqual(migrationNames);
      expect(await tableExists(db, "Half")).toBe(false);
      expect(await db.prisma.videoAnalysis.count()).toBe(1);
      expect(await db.pendingMigrations()).toEqual([broken]);
    });

    it("reports migrations edited after they were applied, as Prisma does", async () => {
      const migrationsDir = await copyMigrations(await temp);
      const { url } = await fresh();
      const db = await open(url, migrationsDir);
      await db.migrate();
      await appendFile(path.join(migrationsDir, migrationNames[0]!, "migration.sql"), "\n-- edited\n");
      expect(await db.migrate()).toEqual({ applied: [], edited: [migrationNames[0]] });
      await db.close();

      const migrationsList = await loadMigrationList(migrationsDir);
      const status = await withEngineOn(url, (engine) =>
        engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS }),
      );
      expect(status.editedMigrationNames).toEqual([migrationNames[0]]);
    });
  });
});
