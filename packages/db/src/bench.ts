/**
 * For apps/server/bench only; not API. The service's PostgreSQL pool (its timeouts and session settings) without
 * Prisma around it: the ladder's "pool" rung (layer-servers.ts) queries it as @prisma/adapter-pg does, and pool.ts
 * sets it beside a plain pool of the same options.
 */
export { openPostgres, poolOptions } from "./postgres.ts";
