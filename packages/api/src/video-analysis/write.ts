/**
 * The one write path of update, upsert and upsertMany: a single SQL statement per call that locks the stored rows,
 * decides per item (create, update, unchanged, conflict, missing), keeps the replaced version in the history, prunes
 * it to HISTORY_LIMIT, and writes — never a query per item, and atomic as any one statement is.
 *
 * A row another transaction creates after the statement's snapshot cannot be locked or updated by it: its INSERT
 * then fails with a unique violation, which rolls the whole statement back, and the call runs again with a fresh
 * snapshot that sees the row (a deadlock between two bulk writes is retried the same way). No transaction is
 * needed: Prisma's interactive transactions cost as much as the statement itself.
 */
import { databaseErrorKind, Prisma, type PrismaClient } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { ConflictError } from "../errors.ts";
import { parseRecordedAt } from "./recorded-at-schemas.ts";
import type { Embedding } from "./schemas.ts";
import { type PrismaStoredRow, type StoredRow, storedRowOf } from "./stored-row.ts";
import { HISTORY_LIMIT_DEFAULT } from "../limits.ts";

/** One analysis to write. Fields left undefined keep what is stored (or their default on create). */
export interface WriteItem {
  videoId: string;
  description?: string;
  tags?: string[];
  /** null removes the embedding. */
  embedding?: Embedding | null;
  /** ISO-8601 with its offset (recordedAtField); null removes it. */
  recordedAt?: string | null;
  /** Replaces the whole object (checked by metadataField); null removes it. */
  metadata?: Record<string, unknown> | null;
  expectedVersion?: number;
  /** REST If-Match: opaque `version.id` tags; the write happens only if the stored analysis matches one. */
  ifMatch?: string[];
  /** Restore (admin only: upsertMany declares it, sendsRestoreItems): the exact version and timestamps to store, and the id to keep. */
  restore?: { version: number; createdAt: string; updatedAt: string; id?: string };
}

type WriteStatus = "created" | "updated" | "unchanged" | "conflict" | "missing";

export interface WriteResult {
  status: WriteStatus;
  /** The stored analysis before this write, when there was one: what a conflict names. */
  current: { id: string; version: number } | null;
  /** The analysis after the write (only with `returnRows`). */
  row?: StoredRow;
}

interface WriteContext {
  prisma: PrismaClient;
  space: string;
  historyLimit?: number;
}

export interface WriteOptions {
  /** upsert: create what does not exist; update: report it missing. */
  mayCreate: boolean;
  /** Single-item calls answer the analysis; bulk calls only count, so no descriptions travel back. */
  returnRows: boolean;
}

type Action = "create" | "update" | "unchanged" | "conflict" | "missing";
interface PlanRow extends Partial<PrismaStoredRow> {
  i: number;
  action: Action;
  oldId: string | null;
  oldVersion: number | null;
}

/**
 * Runs a race lost to a concurrent creation or a deadlock again: each run sees more of what the others committed,
 * so a handful settles even 64 writers of one new video; beyond that the caller gets a CONFLICT (or for a deadlock a
 * 503 WriteConflictError saying the write was rolled back and may be sent again).
 */
const MAX_ATTEMPTS = 8;
const RACE_LOST = {
  update:
    "The analysis changed while this update ran (concurrent writes kept colliding with it); read it again and retry",
  upsert: "Other writes kept creating or changing these analyses while this write ran; try again",
};

export async function writeAnalyses(
  ctx: WriteContext,
  items: readonly WriteItem[],
  options: WriteOptions,
): Promise<WriteResult[]> {
  const sql = statement(ctx, items, options);
  for (let attempt = 1; ; attempt++) {
    try {
      const rows = await ctx.prisma.$queryRaw<PlanRow[]>(sql);
      return rows.map((row) => ({
        status: row.action === "create" ? "created" : row.action === "update" ? "updated" : row.action,
        current: row.oldId !== null && row.oldVersion !== null ? { id: row.oldId, version: row.oldVersion } : null,
        ...(options.returnRows ? { row: writtenRow(row) } : {}),
      }));
    } catch (error) {
      const kind = databaseErrorKind(error);
      if (attempt < MAX_ATTEMPTS && (kind === "unique_violation" || kind === "transient")) continue;
      rethrowDatabaseError(error, {
        conflict: () => new ConflictError(RACE_LOST[options.mayCreate ? "upsert" : "update"]),
        attempts: attempt,
      });
    }
  }
}

function writtenRow(row: PlanRow): StoredRow {
  const { id, videoId, description, tags, embeddingModel, embeddingDims, version, createdAt, updatedAt } = row;
  const { recordedAt, recordedAtOffset, metadata } = row;
  return storedRowOf({
    ...{ id, videoId, description, tags, embeddingModel, embeddingDims, recordedAt, recordedAtOffset, metadata },
    ...{ version, createdAt, updatedAt },
  } as PrismaStoredRow);
}

/** The statement for these items; `i` is each item's position, so answers come back in the order given. */
function statement(
  ctx: WriteContext,
  items: readonly WriteItem[],
  { mayCreate, returnRows }: WriteOptions,
): Prisma.Sql {
  const historyLimit = ctx.historyLimit ?? HISTORY_LIMIT_DEFAULT;
  // Undefined fields are left out of the JSON, and json_to_recordset reads a missing key as NULL.
  const input = items.map((item, i) => {
    const recorded = item.recordedAt ? parseRecordedAt(item.recordedAt) : undefined;
    return {
      i,
      videoId: item.videoId,
      description: item.description,
      tags: item.tags,
      setEmbedding: item.embedding !== undefined || undefined,
      embeddingModel: item.embedding?.model,
      embeddingDims: item.embedding?.values.length,
      // pgvector reads a JSON array of numbers as its own text form.
      embedding: item.embedding?.values,
      setRecordedAt: item.recordedAt !== undefined || undefined,
      recordedAt: recorded?.instant.toISOString(),
      recordedAtOffset: recorded?.offsetMinutes,
      setMetadata: item.metadata !== undefined || undefined,
      metadata: item.metadata ?? undefined,
      expectedVersion: item.expectedVersion,
      ifMatch: item.ifMatch,
      version: item.restore?.version,
      id: item.restore?.id,
      createdAt: item.restore?.createdAt,
      updatedAt: item.restore?.updatedAt,
    };
  });
  const now = new Date();
  const sameContent = Prisma.sql`m."description" IS NOT DISTINCT FROM m."oldDescription" AND m."tags" IS NOT DISTINCT FROM m."oldTags"
          AND m."embeddingModel" IS NOT DISTINCT FROM m."oldModel" AND m."embedding" IS NOT DISTINCT FROM m."oldEmbedding"
          AND m."recordedAt" IS NOT DISTINCT FROM m."oldRecordedAt"
          AND m."recordedAtOffset" IS NOT DISTINCT FROM m."oldRecordedAtOffset"
          AND m."metadata" IS NOT DISTINCT FROM m."oldMetadata"`;
  const answer = returnRows
    ? Prisma.sql`, p."id", p."videoId", p."description", p."tags", p."embeddingModel", p."embeddingDims",
        p."recordedAt", p."recordedAtOffset", p."metadata",
        CASE WHEN p."action" = 'unchanged' THEN p."oldVersion" ELSE p."storedVersion" END AS "version",
        p."storedCreatedAt" AS "createdAt",
        CASE WHEN p."action" = 'unchanged' THEN p."oldUpdatedAt" ELSE p."storedUpdatedAt" END AS "updatedAt"`
    : Prisma.empty;
  // Every CTE is materialized: each runs once, in this order of dependence, whatever the planner prefers.
  return Prisma.sql`
    WITH input AS MATERIALIZED (
      SELECT * FROM json_to_recordset(${JSON.stringify(input)}::json) AS x(
        "i" int, "videoId" text, "description" text, "tags" text[], "setEmbedding" boolean, "embeddingModel" text,
        "embeddingDims" int, "embedding" text, "setRecordedAt" boolean, "recordedAt" timestamptz(3),
        "recordedAtOffset" smallint, "setMetadata" boolean, "metadata" jsonb, "expectedVersion" int, "ifMatch" text[], "version" int, "id" text,
        "createdAt" timestamp(3), "updatedAt" timestamp(3))
    ),
    -- The stored rows, locked one key after the other in sorted order (READ COMMITTED: the latest committed
    -- version of each), so the version read here is the one replaced below, and concurrent writers of one video
    -- queue up. The LATERAL subquery (LIMIT keeps it from being flattened into a join) makes each key one
    -- unique-index probe whatever the statistics say: with stale ones PostgreSQL hash-joined the keys against the
    -- whole space, a cost that grew with the space on every call.
    old AS MATERIALIZED (
      SELECT a.*
      FROM unnest(${[...new Set(items.map((item) => item.videoId))].sort()}::text[]) AS k("videoId")
      CROSS JOIN LATERAL (
        SELECT v."id", v."videoId", v."description", v."tags", v."embeddingModel", v."embeddingDims", v."embedding",
          v."recordedAt", v."recordedAtOffset", v."metadata", v."version", v."createdAt", v."updatedAt"
        FROM "VideoAnalysis" v
        WHERE v."space" = ${ctx.space} AND v."videoId" = k."videoId"
        LIMIT 1
        FOR UPDATE
      ) a
    ),
    merged AS MATERIALIZED (
      SELECT i."i", i."videoId", i."expectedVersion", i."ifMatch", i."version" IS NOT NULL AS "restore",
        o."id" AS "oldId", o."version" AS "oldVersion", o."description" AS "oldDescription",
        -- A NULL element (raw SQL only) is no tag to any reader (storedTags): a write keeps, compares and records the
        -- tags without it, so the row it writes, and the version it files in the history, are what readers saw.
        array_remove(o."tags", NULL) AS "oldTags",
        o."embeddingModel" AS "oldModel", o."embeddingDims" AS "oldDims", o."embedding" AS "oldEmbedding",
        o."recordedAt" AS "oldRecordedAt", o."recordedAtOffset" AS "oldRecordedAtOffset", o."metadata" AS "oldMetadata",
        o."createdAt" AS "oldCreatedAt", o."updatedAt" AS "oldUpdatedAt",
        -- A restore keeps its id unless another analysis (another space) has it; otherwise a new one. A scalar
        -- subquery with LIMIT stays one primary-key probe (NOT EXISTS could become a scan of the whole table).
        COALESCE(o."id",
          CASE WHEN i."id" IS NOT NULL AND (SELECT x."id" FROM "VideoAnalysis" x WHERE x."id" = i."id" LIMIT 1) IS NULL THEN i."id" END,
          gen_random_uuid()::text) AS "id",
        COALESCE(i."description", o."description") AS "description",
        COALESCE(i."tags", array_remove(o."tags", NULL), '{}') AS "tags",
        CASE WHEN i."setEmbedding" IS TRUE THEN i."embeddingModel" ELSE o."embeddingModel" END AS "embeddingModel",
        CASE WHEN i."setEmbedding" IS TRUE THEN i."embeddingDims" ELSE o."embeddingDims" END AS "embeddingDims",
        CASE WHEN i."setEmbedding" IS TRUE THEN i."embedding"::vector ELSE o."embedding" END AS "embedding",
        CASE WHEN i."setRecordedAt" IS TRUE THEN i."recordedAt" ELSE o."recordedAt" END AS "recordedAt",
        CASE WHEN i."setRecordedAt" IS TRUE THEN i."recordedAtOffset" ELSE o."recordedAtOffset" END AS "recordedAtOffset",
        CASE WHEN i."setMetadata" IS TRUE THEN i."metadata" ELSE o."metadata" END AS "metadata",
        COALESCE(i."version", o."version" + 1, 1) AS "version",
        COALESCE(i."createdAt", o."createdAt", ${now}::timestamp(3)) AS "createdAt",
        -- strictly forward, even within the millisecond of the previous write
        COALESCE(i."updatedAt", GREATEST(${now}::timestamp(3), o."updatedAt" + interval '1 millisecond'), ${now}::timestamp(3)) AS "updatedAt"
      FROM input i LEFT JOIN old o ON o."videoId" = i."videoId"
    ),
    decided AS MATERIALIZED (
      SELECT m.*, CASE
        WHEN m."oldId" IS NULL AND NOT ${mayCreate}::boolean THEN 'missing'
        WHEN (m."expectedVersion" IS NOT NULL AND m."expectedVersion" IS DISTINCT FROM m."oldVersion")
          OR (m."ifMatch" IS NOT NULL AND (m."oldId" IS NULL OR NOT (m."oldVersion"::text || '.' || m."oldId") = ANY(m."ifMatch")))
          THEN 'conflict'
        WHEN m."oldId" IS NULL THEN 'create'
        -- the same content is no change: no new version, updatedAt kept
        WHEN ${sameContent}
          AND (NOT m."restore" OR (m."version" = m."oldVersion" AND m."createdAt" = m."oldCreatedAt" AND m."updatedAt" = m."oldUpdatedAt"))
          THEN 'unchanged'
        ELSE 'update' END AS "action",
        -- A restore may not rewrite the stored version's content in place (version, updatedAt and ETag would stay
        -- and the replaced text would vanish): it becomes the next version, and the replaced one joins the history.
        (m."restore" AND m."oldId" IS NOT NULL AND m."version" = m."oldVersion" AND NOT (${sameContent})) AS "rewrite"
      FROM merged m
    ),
    plan AS MATERIALIZED (
      SELECT d.*,
        CASE WHEN d."rewrite" THEN d."oldVersion" + 1 ELSE d."version" END AS "storedVersion",
        CASE WHEN d."rewrite" THEN d."oldCreatedAt" ELSE d."createdAt" END AS "storedCreatedAt",
        CASE WHEN d."rewrite" THEN GREATEST(${now}::timestamp(3), d."oldUpdatedAt" + interval '1 millisecond')
          ELSE d."updatedAt" END AS "storedUpdatedAt"
      FROM decided d
    ),
    -- In videoId order too. A row created concurrently since the snapshot fails the statement (unique violation),
    -- which then runs again: ON CONFLICT DO NOTHING would leave that item neither created nor updated.
    ins AS (
      INSERT INTO "VideoAnalysis"
        ("id", "space", "videoId", "description", "tags", "embeddingModel", "embeddingDims", "embedding",
         "recordedAt", "recordedAtOffset", "metadata", "version", "createdAt", "updatedAt")
      SELECT p."id", ${ctx.space}, p."videoId", p."description", p."tags", p."embeddingModel", p."embeddingDims", p."embedding",
        p."recordedAt", p."recordedAtOffset", p."metadata", p."storedVersion", p."storedCreatedAt", p."storedUpdatedAt"
      FROM plan p WHERE p."action" = 'create' ORDER BY p."videoId" COLLATE "C"
    ),
    -- The replaced version joins the history, unless a restore goes back to an equal or lower version.
    hist AS (
      INSERT INTO "VideoAnalysisVersion" ("analysisId", "version", "description", "tags", "embeddingModel", "embeddingDims",
        "recordedAt", "recordedAtOffset", "metadata", "changedAt")
      SELECT p."oldId", p."oldVersion", p."oldDescription", COALESCE(p."oldTags", '{}'), p."oldModel", p."oldDims",
        p."oldRecordedAt", p."oldRecordedAtOffset", p."oldMetadata", p."oldUpdatedAt"
      FROM plan p WHERE p."action" = 'update' AND ${historyLimit}::int > 0 AND p."oldVersion" < p."storedVersion"
    ),
    -- Keeps the newest HISTORY_LIMIT earlier versions (the one inserted above is among them), and drops any that a
    -- restore made no longer earlier.
    pruned AS (
      DELETE FROM "VideoAnalysisVersion" h USING plan p
      WHERE p."action" = 'update' AND h."analysisId" = p."oldId"
        AND (h."version" <= p."storedVersion" - 1 - ${historyLimit}::int OR h."version" >= p."storedVersion")
    ),
    upd AS (
      UPDATE "VideoAnalysis" a
      SET "description" = p."description", "tags" = p."tags", "embeddingModel" = p."embeddingModel",
        "embeddingDims" = p."embeddingDims", "embedding" = p."embedding", "recordedAt" = p."recordedAt",
        "recordedAtOffset" = p."recordedAtOffset", "metadata" = p."metadata", "version" = p."storedVersion",
        "createdAt" = p."storedCreatedAt", "updatedAt" = p."storedUpdatedAt"
      FROM plan p WHERE a."id" = p."oldId" AND p."action" = 'update'
    )
    SELECT p."i", p."action", p."oldId", p."oldVersion" ${answer}
    FROM plan p
    ORDER BY p."i"`;
}
