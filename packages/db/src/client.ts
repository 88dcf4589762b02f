import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import lockfile from "proper-lockfile";
import { type DatabaseConfig, DatabaseConfigError, parseDatabaseUrl } from "./config.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import {
  applyMigrations,
  type MigrationResult,
  MIGRATIONS_DIR,
  pendingMigrations,
  readMigrations,
  type Transactor,
} from "./migrate.ts";
import { openPostgres } from "./postgres.ts";

export interface Database {
  readonly prisma: PrismaClient;
  readonly config: DatabaseConfig;
  /** Applies pending migrations; safe to call repeatedly and from several processes at once. */
  migrate(): Promise<MigrationResult>;
  /**
   * Throws if the database is unreachable; returns migrations not yet applied. One query: on PostgreSQL it fails
   * within DATABASE_TIMEOUT_MS, so readiness probes answer in time.
   */
  pendingMigrations(): Promise<string[]>;
  /** Disconnects Prisma and closes the driver (and releases the embedded data directory). */
  close(): Promise<void>;
}

export interface CreateDbOptions {
  migrationsDir?: string;
}

/**
 * Opens the database DATABASE_URL names (see parseDatabaseUrl). Does not migrate: call `migrate()`.
 * On PostgreSQL every statement fails within `timeoutMs` (connection wait included) when the server refuses,
 * drops or stalls, and recovers by itself when it returns; the errors classify as "unavailable" (databaseErrorKind).
 */
export async function createDb(
  config: DatabaseConfig | string | undefined,
  options: CreateDbOptions = {},
): Promise<Database> {
  const resolved = typeof config === "object" ? config : parseDatabaseUrl(config);
  const driver = resolved.kind === "embedded" ? await openEmbedded(resolved.dataDir) : postgresDriver(resolved);
  const prisma = new PrismaClient({ adapter: driver.adapter });
  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  // Readiness probes ask every few seconds; the migration files cannot change under a running process.
  let names: Promise<string[]> | undefined;
  const migrationNames = () => (names ??= readMigrations(migrationsDir).then((list) => list.map((m) => m.name)));
  let closed: Promise<void> | undefined;
  return {
    prisma,
    config: resolved,
    migrate: () => applyMigrations(driver.transact, migrationsDir),
    pendingMigrations: async () => pendingMigrations(driver.query, await migrationNames()),
    close() {
      closed ??= prisma.$disconnect().finally(() => driver.close());
      return closed;
    },
  };
}

interface Driver {
  adapter: NonNullable<ConstructorParameters<typeof PrismaClient>[0]["adapter"]>;
  transact: Transactor;
  query<Row>(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

async function openEmbedded(dataDir: string | undefined): Promise<Driver> {
  let release: (() => Promise<void>) | undefined;
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    // PGlite has no lock of its own, and two processes writing one data directory corrupt it.
    try {
      release = await lockfile.lock(dataDir, { lockfilePath: path.join(dataDir, ".memory-mirror.lock") });
    } catch (error) {
      if ((error as { code?: string }).code !== "ELOCKED") throw error;
      throw new DatabaseConfigError(
        `The embedded database in ${dataDir} is in use by another process or connection (a running server?). ` +
          `Stop it first, or use a PostgreSQL server (DATABASE_URL=postgresql://…) to run several processes on one database.`,
      );
    }
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir);
  } catch (error) {
    await release?.();
    throw error;
  }
  return {
    adapter: new PrismaPGlite(pglite),
    transact: (fn) =>
      pglite.transaction((tx) =>
        fn({
          query: async (sql, params) => (await tx.query(sql, params)).rows as never,
          exec: async (sql) => void (await tx.exec(sql)),
        }),
      ),
    query: async (sql) => (await pglite.query(sql)).rows as never,
    async close() {
      await pglite.close();
      await release?.();
    },
  };
}

function postgresDriver(config: Extract<DatabaseConfig, { kind: "postgres" }>): Driver {
  const driver = openPostgres(config);
  return { ...driver, adapter: new PrismaPg(driver.pool) };
}
