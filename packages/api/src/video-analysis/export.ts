/**
 * Export pages: every analysis of the caller's space with everything it has, the vector included (the normal
 * answers carry only `{ model, dimensions }`). Keyset-paged in index order, and sized by bytes as well as rows, so
 * no page exceeds the answer budget even at 1,000 analyses of 50 KB with 2,000-dimension vectors.
 */
import { Prisma, queryDriverSql } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { readOnly } from "../read-routing.ts";
import { encodeExportCursor, type ExportInput, type ExportPage } from "./export-schemas.ts";
import { memoryFilterConditions } from "./filters.ts";
import type { Metadata } from "./metadata-schemas.ts";
import { recordedAtText } from "./recorded-at-schemas.ts";
import type { ServiceContext } from "./service-context.ts";
import { columnIndexes, instant, int, json, tagsOf, text } from "./stored-row.ts";
import { EXPORT_PAGE_BYTES } from "../limits.ts";

/** An upper bound of one vector value's text ("-1.2345678e-38,"): page sizes are estimated in SQL from it. */
const BYTES_PER_VALUE = 16;

const COLUMNS = [
  "id",
  "videoId",
  "description",
  "tags",
  "embeddingModel",
  "embedding",
  "recordedAt",
  "recordedAtOffset",
  "metadata",
  "version",
  "createdAt",
  "updatedAt",
  "fetched",
] as const;

/**
 * Oldest first by (createdAt, id): createdAt never changes on update, so a row changed during an export is exported
 * once. The row comparison on exactly the (space, createdAt, id) index's columns makes each page an ordered index
 * range scan that stops at the page's end, whatever the statistics say (an OR of conditions or another tie-breaker
 * let PostgreSQL re-read everything after the cursor for every page: quadratic at a million rows). A restore keeps
 * ids, so a restored copy exports in the same order: ids are letters, digits and dashes, which every collation in
 * use here sorts alike. Byte sizes come from octet_length (no detoasting): rows past the page's budget are never
 * read in full.
 */
function exportPage({ prisma, space, budget, signal }: ServiceContext, input: ExportInput): Promise<ExportPage> {
  const { limit, cursor, since } = input;
  return budget.exclusive(async () => {
    budget.reserveRows(limit);
    const maxBytes = Math.max(1, Math.min(EXPORT_PAGE_BYTES, budget.remainingBytes));
    const filters = [Prisma.sql`a."space" = ${space}`, ...memoryFilterConditions("a", input)];
    // Instants as ISO text: the driver path binds text (a timestamp reads the zone-less UTC time from it).
    if (since) filters.push(Prisma.sql`a."updatedAt" >= ${since.toISOString()}::timestamp(3)`);
    const where = Prisma.join(filters, " AND ");
    const after = cursor
      ? Prisma.sql`AND (a."createdAt", a."id") > (${cursor.createdAt.toISOString()}::timestamp(3), ${cursor.id})`
      : Prisma.empty;
    // On the driver adapter (queryDriverSql), so that a caller who hangs up cancels the page's statement.
    const result = await queryDriverSql(
      prisma,
      Prisma.sql`
          SELECT p."id", p."videoId", p."description", to_json(p."tags") AS "tags", p."embeddingModel", p."embedding"::text AS "embedding",
            p."recordedAt", p."recordedAtOffset", p."metadata", p."version", p."createdAt", p."updatedAt", p."fetched"
          FROM (
            SELECT c.*, (count(*) OVER ())::int AS "fetched",
              sum(c."bytes") OVER (ORDER BY c."createdAt", c."id" ROWS UNBOUNDED PRECEDING) AS "upTo"
            FROM (
              SELECT a."id", a."videoId", a."description", a."tags", a."embeddingModel", a."embedding", a."recordedAt",
                a."recordedAtOffset", a."metadata", a."version", a."createdAt", a."updatedAt",
                octet_length(a."id") + octet_length(a."videoId") + octet_length(a."description") + COALESCE(octet_length(array_to_string(a."tags", '')), 0)
                  + COALESCE(octet_length(a."metadata"::text), 0)
                  + COALESCE(octet_length(a."embeddingModel"), 0) + COALESCE(a."embeddingDims", 0) * ${BYTES_PER_VALUE}::int AS "bytes"
              FROM "VideoAnalysis" a
              WHERE ${where} ${after}
              ORDER BY a."createdAt", a."id"
              LIMIT ${limit + 1}::int
            ) c
          ) p
          -- the first row always (a page must move on), the next ones while they fit
          WHERE p."upTo" <= ${maxBytes}::bigint OR p."upTo" = p."bytes"
          ORDER BY p."createdAt", p."id"
          LIMIT ${limit}::int`,
      signal,
    ).catch(rethrowDatabaseError);
    const at = columnIndexes(result.columns, COLUMNS);
    const nullable = <T>(value: unknown, read: (value: unknown) => T): T | null =>
      value === null ? null : read(value);
    const items: ExportPage["items"] = [];
    const charged: string[] = [];
    for (const v of result.rows) {
      const embeddingModel = nullable(v[at.embeddingModel], text);
      const embedding = nullable(v[at.embedding], text);
      const metadata = nullable(v[at.metadata], json) as Metadata | null;
      const tags = tagsOf(v[at.tags]);
      const item = {
        id: text(v[at.id]),
        videoId: text(v[at.videoId]),
        description: text(v[at.description]),
        tags,
        embedding:
          embeddingModel !== null && embedding !== null
            ? { model: embeddingModel, values: JSON.parse(embedding) as number[] }
            : null,
        recordedAt: recordedAtText(nullable(v[at.recordedAt], instant), nullable(v[at.recordedAtOffset], int)),
        metadata,
        version: int(v[at.version]),
        createdAt: instant(v[at.createdAt]),
        updatedAt: instant(v[at.updatedAt]),
      };
      items.push(item);
      charged.push(item.id, item.videoId, item.description, tags.join(""), embeddingModel ?? "", embedding ?? "");
      charged.push(metadata ? JSON.stringify(metadata) : "");
    }
    budget.charge(items.length, charged);
    const total = cursor ? null : await count(prisma, where, signal);
    const last = items.at(-1);
    const fetched = result.rows[0]?.[at.fetched];
    const more = (fetched === undefined ? 0 : int(fetched)) > items.length;
    return { items, nextCursor: more && last ? encodeExportCursor(last) : null, total };
  });
}

/** The whole space's count (the first page's `total`): a scan of the space, the export's longest statement. */
async function count(prisma: ServiceContext["prisma"], where: Prisma.Sql, signal?: AbortSignal): Promise<number> {
  const { rows } = await queryDriverSql(
    prisma,
    Prisma.sql`SELECT count(*)::int AS "n" FROM "VideoAnalysis" a WHERE ${where}`,
    signal,
  ).catch(rethrowDatabaseError);
  const n = rows[0]?.[0];
  return n === undefined ? 0 : int(n);
}

export const exportService = { export: readOnly(exportPage) };
