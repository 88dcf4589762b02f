/**
 * The database's upkeep in the background, stopped with the server: changes older than CHANGES_RETENTION, and
 * expired rate-limit counts when they live in the database (RATE_LIMIT_STORE=database).
 */
import { pruneChanges } from "@memory-mirror/api";
import type { PrismaClient } from "@memory-mirror/db";
import type { Logger } from "./logger.ts";

/** Every process prunes (harmless together); often enough that the log never holds much past its retention. */
const PRUNE_EVERY_MS = 10 * 60_000;
/**
 * A count past its minute is already ignored by the limiter; rows an hour past it are deleted. rate-limiter-flexible
 * would do this on a timer of its own that nothing stops, so a stopped server's timer later ran on a closed pool.
 */
const RATE_LIMIT_ROWS_KEPT_MS = 60 * 60_000;

export interface UpkeepOptions {
  retentionMs: number;
  /** Whether the rate limits' counts are kept in the database (their table is pruned too). */
  rateLimitsInDatabase: boolean;
}

/** Prunes now and then every few minutes; returns the function that stops it. */
export function startUpkeep(prisma: PrismaClient, options: UpkeepOptions, logger: Logger): () => void {
  let running: Promise<void> | undefined;
  const prune = () => {
    running ??= pruneOnce(prisma, options, logger).finally(() => (running = undefined));
  };
  const first = setTimeout(prune, 1000);
  const timer = setInterval(prune, Math.min(PRUNE_EVERY_MS, options.retentionMs));
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

async function pruneOnce(prisma: PrismaClient, options: UpkeepOptions, logger: Logger): Promise<void> {
  try {
    const deleted = await pruneChanges(prisma, new Date(Date.now() - options.retentionMs));
    if (deleted > 0) logger.info({ deleted }, "pruned the change log");
  } catch (error) {
    logger.warn({ err: error }, "could not prune the change log; trying again later");
  }
  if (!options.rateLimitsInDatabase) return;
  try {
    await prisma.rateLimit.deleteMany({ where: { expire: { lt: new Date(Date.now() - RATE_LIMIT_ROWS_KEPT_MS) } } });
  } catch (error) {
    logger.warn({ err: error }, "could not prune expired rate-limit counts; trying again later");
  }
}
