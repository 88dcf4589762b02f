export { createDb, type CreateDbOptions, type Database } from "./client.ts";
export {
  databaseConfigFrom,
  DatabaseConfigError,
  databaseEnv,
  DEFAULT_POOL_SIZE,
  DEFAULT_TIMEOUT_MS,
  describeDatabase,
  integerVariable,
  loadDatabaseConfig,
  parseDatabaseUrl,
  redact,
  type DatabaseConfig,
  type ReplicaConfig,
} from "./config.ts";
export {
  type ReadOptions,
  type ReadRouting,
  type ReadRoutingStatus,
  type ReplicaState,
  type ReplicaStatus,
} from "./replicas.ts";
export {
  type DriverArg,
  type DriverQueryOptions,
  type DriverRows,
  queryDriver,
  queryDriverSql,
} from "./driver-queries.ts";
export { QueryVector } from "./query-vector.ts";
export { databaseErrorKind, DatabaseTimeoutError, type DatabaseErrorKind } from "./errors.ts";
export type { ListenHandlers, Listener } from "./listen.ts";
export { MigrationError, MIGRATIONS_DIR, type MigrationResult } from "./migrate.ts";
export { Prisma, PrismaClient } from "./generated/prisma/client.ts";
