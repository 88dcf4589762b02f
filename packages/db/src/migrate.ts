import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

/** The same key `prisma migrate deploy` locks, so this runner and Prisma's CLI never migrate at once. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** One connection inside an open transaction. */
export interface SqlTransaction {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
}
export type Transactor = <T>(fn: (tx: SqlTransaction) => Promise<T>) => Promise<T>;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  /** Applied earlier, but the file changed since (Prisma would report the same). */
  edited: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(dir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") };
    }),
  );
}

// Prisma's own table, column for column, so `prisma migrate deploy/status` accept what this runner records.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies pending migrations in one transaction under Prisma's advisory lock: concurrent runners wait for each
 * other and the later ones find nothing to do; a failing migration leaves the database as it was.
 */
export async function applyMigrations(transact: Transactor, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await readMigrations(dir);
  return transact(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
    await tx.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await tx.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `Migration ${failed.migration_name} failed earlier and is not resolved; fix the database, then mark it ` +
          `rolled back (prisma migrate resolve --rolled-back ${failed.migration_name}).`,
      );
    }
    const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r.checksum]));
    const edited = migrations.filter((m) => done.has(m.name) && done.get(m.name) !== m.checksum).map((m) => m.name);
    const pending = migrations.filter((m) => !done.has(m.name));
    for (const m of pending) {
      const id = randomUUID();
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), 0)`,
        [id, m.checksum, m.name],
      );
      try {
        await tx.exec(m.sql);
      } catch (error) {
        throw new MigrationError(`Migration ${m.name} failed: ${(error as Error).message}`, { cause: error });
      }
      await tx.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [
        id,
      ]);
    }
    return { applied: pending.map((m) => m.name), edited };
  });
}

/**
 * Which of `names` (migration directory names) the database has not finished applying: one query, so a readiness
 * probe waits for at most one database timeout. A database never migrated has no table yet (42P01).
 */
export async function pendingMigrations(
  query: <Row>(sql: string) => Promise<Row[]>,
  names: readonly string[],
): Promise<string[]> {
  let rows: { migration_name: string }[];
  try {
    rows = await query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
  } catch (error) {
    if ((error as { code?: unknown }).code === "42P01") return [...names];
    throw error;
  }
  const done = new Set(rows.map((r) => r.migration_name));
  return names.filter((name) => !done.has(name));
}
