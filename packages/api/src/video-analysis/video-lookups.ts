/** The request's lookups by videoId: the one query for "rows of these videoIds". */
import { type PrismaClient, queryDriver } from "@memory-mirror/db";
import DataLoader from "dataloader";
import { BULK_MAX_ITEMS } from "../limits.ts";
import { type StoredRow, storedColumnList, storedRowsOf } from "./stored-row.ts";

/** The lookup's statement (bench/layer-servers.ts runs this very text through @memory-mirror/api/bench). */
export const LOOKUP = `SELECT ${storedColumnList()} FROM "VideoAnalysis" WHERE "space" = $1 AND "videoId" = ANY($2::text[])`;

export type VideoLookups = DataLoader<string, StoredRow | null>;

/**
 * Lookups by videoId within one request go to the database together: a tRPC batch of 50 byVideoId calls, or one
 * byVideoIds of 1,000, becomes one `= ANY($2)` query instead of one statement each. No cache: every load reads the
 * database, so a write earlier in the same request is always seen.
 *
 * `"videoId" = ANY($2)` is the one form for "rows of these videoIds" (deleteMany and context's named memories use
 * it too). Measured on PostgreSQL 15 with 1,000,000 analyses (990,000 in the space asked), against a LATERAL probe
 * per key and Prisma's `IN ($2, $3, …)`: with fresh statistics all three use the (space, videoId) unique index and
 * ANY was the fastest (LATERAL took 1.1–1.6× its time, IN up to 1.35× at 1,000 keys); with statistics
 * from before the space existed all three chose another index, and LATERAL was the worst (23× ANY's time at 50 keys).
 *
 * The statement runs on the client's driver adapter (queryDriver), not through `$queryRaw`: Prisma Client's runtime
 * around this one statement was a fifth of a single lookup's CPU (docs/performance.md). Named on PostgreSQL (a name
 * of its own, prepared-statements.ts): parsing it on every lookup was a fifth of its backend's CPU.
 */
export function createVideoLookups(prisma: PrismaClient, space: string): VideoLookups {
  return new DataLoader<string, StoredRow | null>(
    async (videoIds) => {
      const rows = storedRowsOf(
        await queryDriver(prisma, LOOKUP, [space, videoIds], undefined, { prepared: "lookup" }),
      );
      const byVideoId = new Map(rows.map((row) => [row.videoId, row]));
      return videoIds.map((videoId) => byVideoId.get(videoId) ?? null);
    },
    { cache: false, maxBatchSize: BULK_MAX_ITEMS },
  );
}
