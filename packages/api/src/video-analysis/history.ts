/** The earlier versions of an analysis (written by write.ts whenever a change replaces one). */
import { Prisma } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { readOnly } from "../read-routing.ts";
import { NotFoundError } from "../errors.ts";
import { encodeHistoryCursor, type HistoryInput, type HistoryPage } from "./history-schemas.ts";
import type { Metadata } from "./metadata-schemas.ts";
import { recordedAtText } from "./recorded-at-schemas.ts";
import type { ServiceContext } from "./service-context.ts";
import { type StoredTags, storedTags } from "./stored-row.ts";
import { HISTORY_LIMIT_DEFAULT } from "../limits.ts";

interface Version {
  version: number;
  description: string;
  tags: StoredTags;
  embeddingModel: string | null;
  recordedAt: Date | null;
  recordedAtOffset: number | null;
  metadata: Metadata | null;
  changedAt: Date;
}
/** The LEFT JOIN answers one row of nulls for an analysis without history. */
type Row = { [K in keyof Version]: Version[K] | null };

/**
 * Newest first, a page at a time, in one query that also tells a missing analysis (NOT_FOUND) from one without
 * history. Versions beyond HISTORY_LIMIT are never answered, even before the next write prunes them (the limit
 * may have been lowered since).
 */
function history(
  { prisma, space, budget, historyLimit }: ServiceContext,
  { videoId, limit, cursor }: HistoryInput,
): Promise<HistoryPage> {
  const keep = historyLimit ?? HISTORY_LIMIT_DEFAULT;
  return budget.exclusive(async () => {
    budget.reserveRows(limit);
    const rows = await prisma
      .$queryRaw<Row[]>(
        Prisma.sql`
          SELECT h."version", h."description", h."tags", h."embeddingModel", h."recordedAt", h."recordedAtOffset",
            h."metadata", h."changedAt"
          FROM "VideoAnalysis" a
          LEFT JOIN LATERAL (
            SELECT v."version", v."description", v."tags", v."embeddingModel", v."recordedAt", v."recordedAtOffset",
              v."metadata", v."changedAt"
            FROM "VideoAnalysisVersion" v
            WHERE v."analysisId" = a."id" AND v."version" >= a."version" - ${keep}::int
              AND (${cursor ?? null}::int IS NULL OR v."version" < ${cursor ?? null}::int)
            ORDER BY v."version" DESC
            LIMIT ${limit + 1}::int
          ) h ON true
          WHERE a."space" = ${space} AND a."videoId" = ${videoId}`,
      )
      .catch(rethrowDatabaseError);
    if (rows.length === 0) throw new NotFoundError(`No video analysis for videoId ${JSON.stringify(videoId)}`);
    const versions = rows.filter((r): r is Version => r.version !== null).sort((a, b) => b.version - a.version);
    const items = versions.slice(0, limit).map((v) => ({
      version: v.version,
      description: v.description,
      tags: storedTags(v.tags),
      embeddingModel: v.embeddingModel,
      recordedAt: recordedAtText(v.recordedAt && v.recordedAt.toISOString(), v.recordedAtOffset),
      metadata: v.metadata,
      changedAt: v.changedAt,
    }));
    budget.charge(
      items.length,
      items.map((i) => i.description),
    );
    const last = items.at(-1);
    return { items, nextCursor: versions.length > limit && last ? encodeHistoryCursor(last.version) : null };
  });
}

export const historyService = { history: readOnly(history) };
