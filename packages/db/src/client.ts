import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { type DatabaseConfig, parseDatabaseUrl } from "./config.ts";
import { withDriverQueries } from "./driver-queries.ts";
import { adapterOptions } from "./prepared-statements.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import {
  applyMigrations,
  type MigrationResult,
  MIGRATIONS_DIR,
  pendingMigrations,
  readMigrations,
  type Transactor,
} from "./migrate.ts";
import { type ListenHandlers, type Listener, listenPostgres } from "./listen.ts";
import { openPostgres } from "./postgres.ts";
import { primaryOnly, type ReadRouting, type ReplicaEvents, replicaRouting } from "./replicas.ts";

export interface Database {
  readonly prisma: PrismaClient;
  readonly config: DatabaseConfig;
  /** Where read-only operations run: a fit replica (DATABASE_REPLICA_URLS) or the primary (see replicas.ts). */
  readonly reads: ReadRouting;
  /** Applies pending migrations; safe to call repeatedly and from several processes at once. */
  migrate(): Promise<MigrationResult>;
  /**
   * Throws if the database is unreachable; returns migrations not yet applied. One query: on PostgreSQL it fails
   * within DATABASE_TIMEOUT_MS, so readiness probes answer in time.
   */
  pendingMigrations(): Promise<string[]>;
  /**
   * Listens for NOTIFY on `channel`: on PostgreSQL through one dedicated connection that reconnects by itself (and
   * calls `connected` again each time, so the caller catches up); the embedded database notifies in process.
   */
  // A function property, not a method: the change feed holds it detached.
  listen: (channel: string, handlers: ListenHandlers) => Listener;
  /** The connection pool's state (PostgreSQL), for metrics; undefined for the embedded database (one connection). */
  connections(): PoolState | undefined;
  /** Disconnects Prisma and closes the driver (and releases the embedded data directory). */
  close(): Promise<void>;
}

export interface PoolState {
  total: number;
  idle: number;
  /** Queries waiting for a free connection. */
  waiting: number;
}

export interface CreateDbOptions {
  migrationsDir?: string;
  /**
   * Embedded in memory only: opens the PGlite instead of `new PGlite()`, which runs initdb (tests open many:
   * openTemplatePGlite from @memory-mirror/db/testing starts them from a copy).
   */
  openInMemory?: (() => Promise<PGlite>) | undefined;
  /** Told when a replica's state changes (logs). */
  replicaEvents?: ReplicaEvents;
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
  const driver = await openDriver(resolved, options);
  // "minimal": no source-code frames in error messages; "colorless" (the default outside production) captures a
  // stack trace for every query just in case it fails, measurable on the hot path. Clients never see these texts.
  const prisma = withDriverQueries(
    new PrismaClient({ adapter: driver.adapter, errorFormat: "minimal" }),
    driver.adapter,
  );
  const reads =
    resolved.kind === "postgres" && resolved.replicas
      ? replicaRouting({
          primary: prisma,
          primaryQuery: driver.query,
          replicas: resolved.replicas,
          poolSize: resolved.poolSize,
          timeoutMs: resolved.timeoutMs,
          cancelOnHangUp: resolved.cancelOnHangUp,
          ...options.replicaEvents,
        })
      : primaryOnly(prisma);
  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  // Readiness probes ask every few seconds; the migration files cannot change under a running process.
  let names: Promise<string[]> | undefined;
  const migrationNames = () => (names ??= readMigrations(migrationsDir).then((list) => list.map((m) => m.name)));
  let closed: Promise<void> | undefined;
  return {
    prisma,
    config: resolved,
    reads,
    migrate: () => applyMigrations(driver.transact, migrationsDir),
    pendingMigrations: async () => pendingMigrations(driver.query, await migrationNames()),
    listen: (channel, handlers) => driver.listen(channel, handlers),
    connections: () => driver.connections?.(),
    close() {
      closed ??= reads
        .close()
        .finally(() => prisma.$disconnect())
        .finally(() => driver.close());
      return closed;
    },
  };
}

interface Driver {
  adapter: NonNullable<ConstructorParameters<typeof PrismaClient>[0]["adapter"]>;
  transact: Transactor;
  // A function property, not a method: it is passed on detached (pendingMigrations), so it must not need `this`.
  query: <Row>(sql: string) => Promise<Row[]>;
  listen(channel: string, handlers: ListenHandlers): Listener;
  connections?(): PoolState;
  close(): Promise<void>;
}

async function openDriver(config: DatabaseConfig, options: CreateDbOptions): Promise<Driver> {
  if (config.kind === "postgres") {
    const driver = openPostgres(config);
    const { pool } = driver;
    return {
      ...driver,
      adapter: new PrismaPg(pool, adapterOptions(config.url)),
      listen: (channel, handlers) => listenPostgres(config.url, channel, handlers, { timeoutMs: config.timeoutMs }),
      connections: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    };
  }
  // Loaded here, not above: a server on PostgreSQL never runs PGlite, and its modules (with the adapter and the
  // extensions) held ~1.4 MB of V8's heap in every such process, ~9 MB of RSS in an empty one (docs/performance.md,
  // "Peak memory under load: what it is made of").
  const [{ openEmbedded }, { PrismaPGlite }] = await Promise.all([
    import("./embedded.ts"),
    import("pglite-prisma-adapter"),
  ]);
  const driver = await openEmbedded(config.dataDir, { openInMemory: options.openInMemory });
  const { pglite } = driver;
  return {
    ...driver,
    adapter: new PrismaPGlite(pglite),
    listen(channel, handlers) {
      const unlisten = pglite.listen(channel, (payload) => handlers.notify(payload));
      void unlisten.then(() => handlers.connected());
      return { close: async () => (await unlisten)() };
    },
  };
}
