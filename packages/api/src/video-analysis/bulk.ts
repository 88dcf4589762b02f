/**
 * The bulk operations, each one SQL statement whatever the number of items (up to BULK_MAX_ITEMS), and each in
 * exactly the caller's space (ServiceContext), like service.ts's single-analysis ones.
 */
import { Prisma } from "@memory-mirror/db";
import type { ResponseBudget } from "../budget.ts";
import { rethrowDatabaseError } from "../database-errors.ts";
import { readOnly, writes } from "../read-routing.ts";
import { isRestoreItem, type UpsertManyInput, type UpsertManyResult, type VideoIdsInput } from "./bulk-schemas.ts";
import type { VideoAnalysisRow } from "./schemas.ts";
import { type ServiceContext, toAnalysis } from "./service.ts";
import { type StoredRow, storedColumns } from "./stored-row.ts";
import { type WriteItem, writeAnalyses } from "./write.ts";

const COLUMNS = storedColumns("a");

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
 * The stored rows of these videos, one unique-index probe per key. Prisma's `videoId IN (…)` let PostgreSQL, with
 * stale statistics, filter the caller's whole space instead (15 ms at 100,000 analyses, growing with the space);
 * the LATERAL subquery (LIMIT keeps it from being flattened into a join) cannot.
 */
const probe = (space: string, videoIds: readonly string[], columns: Prisma.Sql) => Prisma.sql`
  SELECT ${columns}
  FROM unnest(${[...new Set(videoIds)]}::text[]) AS k("videoId")
  CROSS JOIN LATERAL (SELECT v.* FROM "VideoAnalysis" v WHERE v."space" = ${space} AND v."videoId" = k."videoId" LIMIT 1) a`;

/** The analyses of these videos in the order asked, null where there is none: one query. */
function byVideoIds(
  { prisma, space, budget }: ServiceContext,
  { videoIds }: VideoIdsInput,
): Promise<{ items: (VideoAnalysisRow | null)[] }> {
  return budget.exclusive(async () => {
    budget.reserveRows(videoIds.length);
    const rows = await prisma.$queryRaw<StoredRow[]>(probe(space, videoIds, COLUMNS)).catch(rethrowDatabaseError);
    const byId = new Map(rows.map((row) => [row.videoId, toAnalysis(row)]));
    const items = videoIds.map((id) => byId.get(id) ?? null);
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
  const deleted = await prisma
    .$executeRaw(
      Prisma.sql`DELETE FROM "VideoAnalysis" WHERE "id" = ANY(ARRAY(${probe(space, videoIds, Prisma.sql`a."id"`)}))`,
    )
    .catch(rethrowDatabaseError);
  return { deleted };
}

export const bulkService = {
  upsertMany: writes(upsertMany),
  byVideoIds: readOnly(byVideoIds),
  deleteMany: writes(deleteMany),
};
