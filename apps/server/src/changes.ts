/** The change log's upkeep: changes older than CHANGES_RETENTION are pruned in the background. */
import { pruneChanges } from "@memory-mirror/api";
import type { PrismaClient } from "@memory-mirror/db";
import type { Logger } from "./logger.ts";

/** Every process prunes (harmless together); often enough that the log never holds much past its retention. */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Prunes now and then every few minutes; returns the function that stops it. */
export function startPruning(prisma: PrismaClient, retentionMs: number, logger: Logger): () => void {
  let running: Promise<void> | undefined;
  const prune = () => {
    running ??= pruneChanges(prisma, new Date(Date.now() - retentionMs))
      .then((deleted) => {
        if (deleted > 0) logger.info({ deleted }, "pruned the change log");
      })
      .catch((error: unknown) => logger.warn({ err: error }, "could not prune the change log; trying again later"))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(prune, 1000);
  const timer = setInterval(prune, Math.min(PRUNE_EVERY_MS, retentionMs));
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
