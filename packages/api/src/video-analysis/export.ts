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
import type { ServiceContext } from "./service-context.ts";
import { columnIndexes, int, storedColumnList, storedRowsOf, text, toAnalysis } from "./stored-row.ts";
import { EXPORT_PAGE_BYTES } from "../limits.ts";

/** An upper bound of one vector value's text ("-1.2345678e-38,"): page sizes are estimated in SQL from it. */
const BYTES_PER_VALUE = 16;

/**
 * A page's columns: the stored row's (stored-row.ts decodes them as for every other answer) and, beside them, the
 * vector as pgvector's text and how many rows the page's statement fetched.
 */
const COLUMNS = `${storedColumnList("p")}, p."embedding"::text AS "embedding", p."fetched"`;

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
          SELECT ${Prisma.raw(COLUMNS)}
          FROM (
            SELECT c.*, (count(*) OVER ())::int AS "fetched",
              sum(c."bytes") OVER (ORDER BY c."createdAt", c."id" ROWS UNBOUNDED PRECEDING) AS "upTo"
            FROM (
              SELECT a."id", a."videoId", a."description", a."tags", a."embeddingModel", a."embeddingDims", a."embedding", a."recordedAt",
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
    const at = columnIndexes(result.columns, ["embedding", "fetched"]);
    const items: ExportPage["items"] = [];
    const charged: string[] = [];
    for (const [i, row] of storedRowsOf(result).entries()) {
      const vector = result.rows[i]![at.embedding];
      const embedding = vector === null ? null : text(vector);
      const { embeddingModel } = row;
      // The answer's analysis, with the vector itself where it carries { model, dimensions }.
      const item = {
        ...toAnalysis(row),
        embedding:
          embeddingModel !== null && embedding !== null
            ? { model: embeddingModel, values: JSON.parse(embedding) as number[] }
            : null,
      };
      items.push(item);
      charged.push(item.id, item.videoId, item.description, item.tags.join(""), embeddingModel ?? "", embedding ?? "");
      charged.push(item.metadata ? JSON.stringify(item.metadata) : "");
    }
    budget.charge(items.length, charged);
    const total = cursor ? null : await count(prisma, where, signal);
    const last = items.at(-1);
    const fetched = result.rows[0]?.[at.fetched];
    const more = (fetched === undefined ? 0 : int(fetched)) > items.length;
    return {
      items,
      nextCursor: more && last ? encodeExportCursor({ createdAt: new Date(last.createdAt), id: last.id }) : null,
      total,
    };
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
