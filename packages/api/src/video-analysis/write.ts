/**
 * The one write path of update, upsert and upsertMany: a single SQL statement per call that locks the stored rows,
 * decides per item (create, update, unchanged, conflict, missing), keeps the replaced version in the history, prunes
 * it to HISTORY_LIMIT, and writes — never a query per item. It runs in a transaction so that the rare rows another
 * transaction created after the statement's snapshot can be written by a second statement, atomically with the rest.
 */
import { Prisma, type PrismaClient } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { UnavailableError } from "../errors.ts";
import { HISTORY_LIMIT_DEFAULT } from "./bulk-schemas.ts";
import type { Embedding } from "./schemas.ts";

/** One analysis to write. Fields left undefined keep what is stored (or their default on create). */
export interface WriteItem {
  videoId: string;
  description?: string;
  tags?: string[];
  /** null removes the embedding. */
  embedding?: Embedding | null;
  expectedVersion?: number;
  /** REST If-Match: opaque `version.id` tags; the write happens only if the stored analysis matches one. */
  ifMatch?: string[];
  /** Restore (admin only, checked by the caller): the exact version and timestamps to store. */
  restore?: { version: number; createdAt: string; updatedAt: string };
}

export type WriteStatus = "created" | "updated" | "unchanged" | "conflict" | "missing";

/** An analysis's columns as the statement returns them (the shape of service.ts's rows, vector excluded). */
export interface WrittenRow {
  id: string;
  videoId: string;
  description: string;
  tags: string[];
  embeddingModel: string | null;
  embeddingDims: number | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface WriteResult {
  status: WriteStatus;
  /** The stored analysis before this write, when there was one: what a conflict names. */
  current: { id: string; version: number } | null;
  /** The analysis after the write (only with `returnRows`). */
  row?: WrittenRow;
}

export interface WriteContext {
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

type Action = "create" | "update" | "unchanged" | "conflict" | "missing" | "retry";
interface PlanRow extends Partial<WrittenRow> {
  i: number;
  action: Action;
  oldId: string | null;
  oldVersion: number | null;
}

// Rows created concurrently are retried once each; more rounds mean they keep being deleted and recreated.
const MAX_ROUNDS = 5;
// A deadlock between two bulk writes (each waits for a row the other locked) or a serialization failure: the
// whole transaction is retried; rows are locked in videoId order, which keeps this rare.
const MAX_ATTEMPTS = 4;
// Bulk writes of 1,000 items on a busy embedded database can wait for the single connection a while.
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 60_000 } as const;

export async function writeAnalyses(ctx: WriteContext, items: readonly WriteItem[], options: WriteOptions): Promise<WriteResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.prisma.$transaction((tx) => writeRounds(tx, ctx, items, options), TRANSACTION_OPTIONS);
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && isTransient(error)) continue;
      rethrowDatabaseError(error);
    }
  }
}

async function writeRounds(tx: Prisma.TransactionClient, ctx: WriteContext, items: readonly WriteItem[], options: WriteOptions) {
  const results = new Array<WriteResult>(items.length);
  let pending = items.map((item, i) => ({ item, i }));
  for (let round = 0; pending.length > 0; round++) {
    if (round === MAX_ROUNDS) throw new UnavailableError({ cause: new Error("rows kept changing under an upsert") });
    const rows = await tx.$queryRaw<PlanRow[]>(statement(ctx, pending, options));
    const retry: typeof pending = [];
    for (const row of rows) {
      const entry = pending[row.i] as (typeof pending)[number];
      if (row.action === "retry") {
        retry.push(entry);
        continue;
      }
      const current = row.oldId !== null && row.oldVersion !== null ? { id: row.oldId, version: row.oldVersion } : null;
      const status: WriteStatus = row.action === "create" ? "created" : row.action === "update" ? "updated" : row.action;
      results[entry.i] = { status, current, ...(options.returnRows ? { row: writtenRow(row) } : {}) };
    }
    pending = retry;
  }
  return results;
}

function writtenRow(row: PlanRow): WrittenRow {
  const { id, videoId, description, tags, embeddingModel, embeddingDims, version, createdAt, updatedAt } = row;
  return { id, videoId, description, tags, embeddingModel, embeddingDims, version, createdAt, updatedAt } as WrittenRow;
}

/** The statement for these items; `i` is each item's position in `pending`, so answers come back in that order. */
function statement(ctx: WriteContext, pending: { item: WriteItem }[], { mayCreate, returnRows }: WriteOptions): Prisma.Sql {
  const historyLimit = ctx.historyLimit ?? HISTORY_LIMIT_DEFAULT;
  const input = pending.map(({ item }, i) => ({
    i,
    videoId: item.videoId,
    description: item.description ?? null,
    tags: item.tags ?? null,
    setEmbedding: item.embedding !== undefined,
    embeddingModel: item.embedding?.model ?? null,
    embeddingDims: item.embedding?.values.length ?? null,
    // pgvector reads a JSON array of numbers as its own text form.
    embedding: item.embedding?.values ?? null,
    expectedVersion: item.expectedVersion ?? null,
    ifMatch: item.ifMatch ?? null,
    version: item.restore?.version ?? null,
    createdAt: item.restore?.createdAt ?? null,
    updatedAt: item.restore?.updatedAt ?? null,
  }));
  const now = new Date();
  const answer = returnRows
    ? Prisma.sql`, p."id", p."videoId", p."description", p."tags", p."embeddingModel", p."embeddingDims",
        CASE WHEN p."action" = 'unchanged' THEN p."oldVersion" ELSE p."version" END AS "version",
        p."createdAt",
        CASE WHEN p."action" = 'unchanged' THEN p."oldUpdatedAt" ELSE p."updatedAt" END AS "updatedAt"`
    : Prisma.empty;
  // Every CTE is materialized: each runs once, in this order of dependence, whatever the planner prefers.
  return Prisma.sql`
    WITH input AS MATERIALIZED (
      SELECT * FROM json_to_recordset(${JSON.stringify(input)}::json) AS x(
        "i" int, "videoId" text, "description" text, "tags" text[], "setEmbedding" boolean, "embeddingModel" text,
        "embeddingDims" int, "embedding" text, "expectedVersion" int, "ifMatch" text[], "version" int,
        "createdAt" timestamp(3), "updatedAt" timestamp(3))
    ),
    -- The stored rows, locked in videoId order (READ COMMITTED: the latest committed version of each), so the
    -- version read here is the one replaced below, and concurrent writers of one video queue up.
    old AS MATERIALIZED (
      SELECT a."id", a."videoId", a."description", a."tags", a."embeddingModel", a."embeddingDims", a."embedding",
        a."version", a."createdAt", a."updatedAt"
      FROM "VideoAnalysis" a
      WHERE a."space" = ${ctx.space} AND a."videoId" = ANY(${pending.map((p) => p.item.videoId)}::text[])
      ORDER BY a."videoId" COLLATE "C"
      FOR UPDATE
    ),
    merged AS MATERIALIZED (
      SELECT i."i", i."videoId", i."expectedVersion", i."ifMatch", i."version" IS NOT NULL AS "restore",
        o."id" AS "oldId", o."version" AS "oldVersion", o."description" AS "oldDescription", o."tags" AS "oldTags",
        o."embeddingModel" AS "oldModel", o."embeddingDims" AS "oldDims", o."embedding" AS "oldEmbedding",
        o."createdAt" AS "oldCreatedAt", o."updatedAt" AS "oldUpdatedAt",
        COALESCE(o."id", gen_random_uuid()::text) AS "id",
        COALESCE(i."description", o."description") AS "description",
        COALESCE(i."tags", o."tags", '{}') AS "tags",
        CASE WHEN i."setEmbedding" THEN i."embeddingModel" ELSE o."embeddingModel" END AS "embeddingModel",
        CASE WHEN i."setEmbedding" THEN i."embeddingDims" ELSE o."embeddingDims" END AS "embeddingDims",
        CASE WHEN i."setEmbedding" THEN i."embedding"::vector ELSE o."embedding" END AS "embedding",
        COALESCE(i."version", o."version" + 1, 1) AS "version",
        COALESCE(i."createdAt", o."createdAt", ${now}::timestamp(3)) AS "createdAt",
        -- strictly forward, even within the millisecond of the previous write
        COALESCE(i."updatedAt", GREATEST(${now}::timestamp(3), o."updatedAt" + interval '1 millisecond'), ${now}::timestamp(3)) AS "updatedAt"
      FROM input i LEFT JOIN old o ON o."videoId" = i."videoId"
    ),
    plan AS MATERIALIZED (
      SELECT m.*, CASE
        WHEN m."oldId" IS NULL AND NOT ${mayCreate}::boolean THEN 'missing'
        WHEN (m."expectedVersion" IS NOT NULL AND m."expectedVersion" IS DISTINCT FROM m."oldVersion")
          OR (m."ifMatch" IS NOT NULL AND (m."oldId" IS NULL OR NOT (m."oldVersion"::text || '.' || m."oldId") = ANY(m."ifMatch")))
          THEN 'conflict'
        WHEN m."oldId" IS NULL THEN 'create'
        -- the same content is no change: no new version, updatedAt kept
        WHEN m."description" IS NOT DISTINCT FROM m."oldDescription" AND m."tags" IS NOT DISTINCT FROM m."oldTags"
          AND m."embeddingModel" IS NOT DISTINCT FROM m."oldModel" AND m."embedding" IS NOT DISTINCT FROM m."oldEmbedding"
          AND (NOT m."restore" OR (m."version" = m."oldVersion" AND m."createdAt" = m."oldCreatedAt" AND m."updatedAt" = m."oldUpdatedAt"))
          THEN 'unchanged'
        ELSE 'update' END AS "action"
      FROM merged m
    ),
    -- In videoId order too; a row created concurrently since the snapshot conflicts and is retried.
    ins AS (
      INSERT INTO "VideoAnalysis"
        ("id", "space", "videoId", "description", "tags", "embeddingModel", "embeddingDims", "embedding", "version", "createdAt", "updatedAt")
      SELECT p."id", ${ctx.space}, p."videoId", p."description", p."tags", p."embeddingModel", p."embeddingDims", p."embedding",
        p."version", p."createdAt", p."updatedAt"
      FROM plan p WHERE p."action" = 'create' ORDER BY p."videoId" COLLATE "C"
      ON CONFLICT ("space", "videoId") DO NOTHING
      RETURNING "videoId"
    ),
    -- The replaced version joins the history, unless a restore goes back to an equal or lower version.
    hist AS (
      INSERT INTO "VideoAnalysisVersion" ("analysisId", "version", "description", "tags", "embeddingModel", "embeddingDims", "changedAt")
      SELECT p."oldId", p."oldVersion", p."oldDescription", COALESCE(p."oldTags", '{}'), p."oldModel", p."oldDims", p."oldUpdatedAt"
      FROM plan p WHERE p."action" = 'update' AND ${historyLimit}::int > 0 AND p."oldVersion" < p."version"
    ),
    -- Keeps the newest HISTORY_LIMIT earlier versions (the one inserted above is among them), and drops any that a
    -- restore made no longer earlier.
    pruned AS (
      DELETE FROM "VideoAnalysisVersion" h USING plan p
      WHERE p."action" = 'update' AND h."analysisId" = p."oldId"
        AND (h."version" <= p."version" - 1 - ${historyLimit}::int OR h."version" >= p."version")
    ),
    upd AS (
      UPDATE "VideoAnalysis" a
      SET "description" = p."description", "tags" = p."tags", "embeddingModel" = p."embeddingModel",
        "embeddingDims" = p."embeddingDims", "embedding" = p."embedding", "version" = p."version",
        "createdAt" = p."createdAt", "updatedAt" = p."updatedAt"
      FROM plan p WHERE a."id" = p."oldId" AND p."action" = 'update'
    )
    SELECT p."i", CASE WHEN p."action" = 'create' AND ins."videoId" IS NULL THEN 'retry' ELSE p."action" END AS "action",
      p."oldId", p."oldVersion" ${answer}
    FROM plan p LEFT JOIN ins ON ins."videoId" = p."videoId"
    ORDER BY p."i"`;
}

/** SQLSTATEs worth retrying the whole transaction for: deadlock, serialization failure; Prisma's P2034 for both. */
const TRANSIENT = new Set(["40P01", "40001", "P2034"]);

function isTransient(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === null || typeof next !== "object" || seen.has(next)) continue;
    seen.add(next);
    const e = next as { code?: unknown; originalCode?: unknown; kind?: unknown; cause?: unknown; meta?: unknown };
    if (typeof e.code === "string" && TRANSIENT.has(e.code)) return true;
    if (typeof e.originalCode === "string" && TRANSIENT.has(e.originalCode)) return true;
    if (e.kind === "TransactionWriteConflict") return true;
    queue.push(e.cause);
    if (e.meta && typeof e.meta === "object") queue.push(...Object.values(e.meta));
  }
  return false;
}
