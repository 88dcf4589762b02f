import type { Database } from "@memory-mirror/db";
import { Hono } from "hono";
import type { AppEnv } from "./app-env.ts";
import type { Logger } from "./logger.ts";

/** Liveness (the process runs) and readiness (the database answers, migrations applied, not draining). */
export function createHealthRoutes(db: Database, logger: Logger, isDraining: () => boolean): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      if (isDraining()) return c.json({ status: "shutting down" }, 503);
      try {
        const pending = await db.pendingMigrations();
        if (pending.length > 0) return c.json({ status: "migrations pending", pending }, 503);
        return c.json({ status: "ready", ...replicaReport(db) });
      } catch (error) {
        logger.warn({ err: error }, "readiness check: database unreachable");
        return c.json({ status: "database unreachable" }, 503);
      }
    });
}

/**
 * Each replica's state, lag and share of reads, when there are replicas. Never a reason to be unready: reads fall
 * back to the primary.
 */
function replicaReport(db: Database) {
  const { primaryReads, replicas } = db.reads.status();
  if (replicas.length === 0) return {};
  const total = primaryReads + replicas.reduce((sum, replica) => sum + replica.reads, 0);
  const share = (reads: number) => (total === 0 ? 0 : +(reads / total).toFixed(4));
  return {
    reads: {
      primary: { reads: primaryReads, share: share(primaryReads) },
      replicas: replicas.map(({ name, state, lagMs, reads, failures }) => ({
        name,
        state,
        lagMs,
        reads,
        share: share(reads),
        failures,
      })),
    },
  };
}
