/**
 * The bulk operations, each one SQL statement whatever the number of items (up to BULK_MAX_ITEMS), and each in
 * exactly the caller's space (ServiceContext), like service.ts's single-analysis ones.
 */
import type { ResponseBudget } from "../budget.ts";
import { rethrowDatabaseError } from "../database-errors.ts";
import { readOnly, writes } from "../read-routing.ts";
import { isRestoreItem, type UpsertManyInput, type UpsertManyResult, type VideoIdsInput } from "./bulk-schemas.ts";
import type { VideoAnalysisRow } from "./schemas.ts";
import type { ServiceContext } from "./service-context.ts";
import { toAnalysis } from "./stored-row.ts";
import { type WriteItem, writeAnalyses } from "./write.ts";

/**
 * Up to 1,000 upserts in one transaction: all stored or (on any error) none. Items carrying version and timestamps
 * restore an export exactly, which only an admin key may do (the procedure declares it: sendsRestoreItems).
 */
async function upsertMany(ctx: ServiceContext, { items }: UpsertManyInput): Promise<UpsertManyResult> {
  const writes: WriteItem[] = items.map((item) => {
    const { id, version, createdAt, updatedAt, ...content } = item;
    if (!isRestoreItem(item)) return content;
    return {
      ...content,
      restore: { id, version: version as number, createdAt: createdAt as string, updatedAt: updatedAt as string },
    };
  });
  const results = await writeAnalyses(ctx, writes, { mayCreate: true, returnRows: false });
  const counts: UpsertManyResult = { created: 0, updated: 0, unchanged: 0 };
  for (const { status } of results)
    if (status === "created" || status === "updated" || status === "unchanged") counts[status]++;
  return counts;
}

function charge(budget: ResponseBudget, rows: VideoAnalysisRow[]): void {
  budget.charge(
    rows.length,
    rows.flatMap((r) => [r.videoId, r.description]),
  );
}

/**
 * The analyses of these videos in the order asked, null where there is none: one query, the request's lookups
 * (createVideoLookups: `"videoId" = ANY($2)` on the space's unique index), which every load of this tick joins.
 */
function byVideoIds(
  { lookups, budget }: ServiceContext,
  { videoIds }: VideoIdsInput,
): Promise<{
  items: (VideoAnalysisRow | null)[];
}> {
  return budget.exclusive(async () => {
    budget.reserveRows(videoIds.length);
    const rows = await Promise.all(videoIds.map((videoId) => lookups.load(videoId))).catch(rethrowDatabaseError);
    const items = rows.map((row) => (row ? toAnalysis(row) : null));
    charge(
      budget,
      items.filter((i) => i !== null),
    );
    return { items };
  });
}

/** Deletes the analyses of these videos (and their history, by cascade) in one statement. */
async function deleteMany(
  { prisma, space }: ServiceContext,
  { videoIds }: VideoIdsInput,
): Promise<{ deleted: number }> {
  const deleted = await prisma.$executeRaw`
    DELETE FROM "VideoAnalysis" WHERE "space" = ${space} AND "videoId" = ANY(${videoIds}::text[])`.catch(
    rethrowDatabaseError,
  );
  return { deleted };
}

export const bulkService = {
  upsertMany: writes(upsertMany),
  byVideoIds: readOnly(byVideoIds),
  deleteMany: writes(deleteMany),
};
