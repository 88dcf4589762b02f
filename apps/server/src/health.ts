import type { Database } from "@memory-mirror/db";
import { Hono } from "hono";
import type { AppEnv } from "./request-variables.ts";
import type { Logger } from "./logger.ts";

/**
 * How long readiness waits for the database. Orchestrators probe with 1–2 s timeouts; waiting for a pooled connection
 * for the full DATABASE_TIMEOUT_MS (5 s) made a stuck pool look like a dead server rather than an unready one.
 */
export const READINESS_TIMEOUT_MS = 1500;

type Readiness =
  | { status: "ready" }
  | { status: "migrations pending"; pending: string[] }
  | { status: "database unreachable" }
  | { status: "shutting down" };

/** Liveness (the process runs) and readiness (the database answers, migrations applied, not draining). */
export function createHealthRoutes(db: Database, logger: Logger, isDraining: () => boolean): Hono<AppEnv> {
  // One check at a time: probes arriving while one waits share its answer instead of queueing for connections.
  let inFlight: Promise<Readiness> | undefined;
  let last: Readiness["status"] = "ready";

  async function check(): Promise<Readiness> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), READINESS_TIMEOUT_MS);
    });
    try {
      const pending = await Promise.race([db.pendingMigrations(), late]);
      if (pending === "late") return { status: "database unreachable" };
      return pending.length > 0 ? { status: "migrations pending", pending } : { status: "ready" };
    } catch (error) {
      logger.debug({ err: error }, "readiness check failed");
      return { status: "database unreachable" };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs when readiness changes, not at every probe (a probe a second would fill the log during an outage). */
  function note(readiness: Readiness): Readiness {
    if (readiness.status !== last) {
      if (readiness.status === "ready") logger.info({ was: last }, "ready");
      else logger.warn({ ...readiness, was: last }, "not ready");
      last = readiness.status;
    }
    return readiness;
  }

  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      if (isDraining()) return c.json(note({ status: "shutting down" }), 503);
      inFlight ??= check().finally(() => (inFlight = undefined));
      const readiness = note(await inFlight);
      if (readiness.status !== "ready") return c.json(readiness, 503);
      return c.json({ ...readiness, ...replicaReport(db) }, 200);
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
