/**
 * The single-analysis operations (create, byVideoId, update, upsert, delete) and list, each in exactly one space.
 * Inputs arrive validated (schemas.ts); failures leave as domain errors, so every transport (tRPC, REST, MCP) calls
 * these functions directly and maps errors its own way. The bulk ones are bulk.ts's, retrieval search-service.ts's.
 */
import { randomUUID } from "node:crypto";
import { Prisma, queryDriver, queryDriverSql } from "@memory-mirror/db";
import type { ResponseBudget } from "../budget.ts";
import { readOnly, writes } from "../read-routing.ts";
import { rethrowDatabaseError } from "../database-errors.ts";
import {
  AlreadyExistsError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  VersionConflictError,
} from "../errors.ts";
import { memoryFilterConditions } from "./filters.ts";
import {
  type CreateInput,
  type DeleteInput,
  type Embedding,
  encodeCursor,
  type ListInput,
  type ListPage,
  type UpdateInput,
  type VideoAnalysisRow,
  type VideoIdInput,
} from "./schemas.ts";
import type { UpsertInput, UpsertStatus } from "./upsert-schemas.ts";
import { parseRecordedAt } from "./recorded-at-schemas.ts";
import type { ServiceContext } from "./service-context.ts";
import {
  type PrismaStoredRow,
  type StoredRow,
  storedColumnList,
  storedColumns,
  storedRowOf,
  storedRowsOf,
  toAnalysis,
  vectorLiteral,
} from "./stored-row.ts";
import { type WriteResult, writeAnalyses } from "./write.ts";

/** REST's If-Match: opaque `version.id` tags, one of which the stored analysis must match. */
export interface Precondition {
  ifMatch?: string[];
}

const RETURNING = storedColumns();
const LIST_COLUMNS = storedColumns("a");

/** recordedAt's two columns for a raw statement: the instant in UTC (text, so no driver guesses a zone) and the offset. */
function recordedAtColumns(iso: string | undefined) {
  if (!iso) return { instant: null, offset: null };
  const { instant, offsetMinutes } = parseRecordedAt(iso);
  return { instant: instant.toISOString(), offset: offsetMinutes };
}

/** The three embedding columns for a new value (or for none). */
function embeddingColumns(embedding: Embedding | null | undefined) {
  return embedding
    ? { model: embedding.model, dims: embedding.values.length, vector: vectorLiteral(embedding.values) }
    : { model: null, dims: null, vector: null };
}

const notFound = (videoId: string) => () =>
  new NotFoundError(`No video analysis for videoId ${JSON.stringify(videoId)}`);
const conflict = (videoId: string) => () =>
  new AlreadyExistsError(`A video analysis for videoId ${JSON.stringify(videoId)} already exists`);

function charged(budget: ResponseBudget, row: VideoAnalysisRow): VideoAnalysisRow {
  budget.charge(1, [row.videoId, row.description]);
  return row;
}

/**
 * A create's one statement, run on the driver adapter (queryDriver) as a named statement, without Prisma Client's
 * runtime around `$queryRaw` (request building, parameter round trip, result mapping) and PostgreSQL's parse of the
 * text on every create: measured cheaper in both processes (docs/performance.md, "Create's statement and the
 * change-log trigger"). `now` ($12) is UTC text: a timestamp reads its wall time and ignores the `Z`, as a list
 * cursor's does.
 */
const CREATE = `
  INSERT INTO "VideoAnalysis"
    ("id", "space", "videoId", "description", "tags", "embeddingModel", "embeddingDims", "embedding",
     "recordedAt", "recordedAtOffset", "metadata", "version", "createdAt", "updatedAt")
  VALUES ($1, $2, $3, $4, $5::text[], $6, $7::int, $8::vector, $9::timestamptz(3), $10::smallint, $11::jsonb, 1,
    $12::timestamp(3), $12::timestamp(3))
  RETURNING ${storedColumnList()}`;

async function create({ prisma, space }: ServiceContext, input: CreateInput): Promise<VideoAnalysisRow> {
  const now = new Date().toISOString();
  const e = embeddingColumns(input.embedding);
  const r = recordedAtColumns(input.recordedAt);
  const metadata = input.metadata ? JSON.stringify(input.metadata) : null;
  const args = [randomUUID(), space, input.videoId, input.description, input.tags ?? [], e.model, e.dims, e.vector];
  try {
    const written = await queryDriver(prisma, CREATE, [...args, r.instant, r.offset, metadata, now], undefined, {
      prepared: "write",
    });
    return toAnalysis(storedRowsOf(written)[0] as StoredRow);
  } catch (error) {
    rethrowDatabaseError(error, { conflict: conflict(input.videoId) });
  }
}

async function byVideoId({ lookups, budget }: ServiceContext, { videoId }: VideoIdInput): Promise<VideoAnalysisRow> {
  const row = await lookups.load(videoId).catch(rethrowDatabaseError);
  if (!row) throw notFound(videoId)();
  return charged(budget, toAnalysis(row));
}

/** A stale expectedVersion or If-Match, named with what is stored now. */
function versionConflict(
  videoId: string,
  current: WriteResult["current"],
  expectedVersion?: number,
): VersionConflictError {
  const now = current ? `is at version ${current.version}` : "has no analysis";
  const expected = expectedVersion !== undefined ? `, not version ${expectedVersion} (expectedVersion)` : " (If-Match)";
  return new VersionConflictError(
    `Version conflict: videoId ${JSON.stringify(videoId)} ${now}${expected}; read it again`,
    current,
  );
}

/**
 * Changes what the input names and, when that changes anything, counts a new version (the replaced one goes to the
 * history) and moves updatedAt strictly forward, even within the millisecond of the previous write. Writing what
 * is already stored changes nothing. See write.ts.
 */
async function update(
  ctx: ServiceContext,
  input: UpdateInput,
  { ifMatch }: Precondition = {},
): Promise<VideoAnalysisRow> {
  const { videoId, expectedVersion } = input;
  const [result] = await writeAnalyses(ctx, [{ ...input, ifMatch }], { mayCreate: false, returnRows: true });
  if (!result || result.status === "missing") throw notFound(videoId)();
  if (result.status === "conflict") throw versionConflict(videoId, result.current, expectedVersion);
  return toAnalysis(result.row as StoredRow);
}

/** Creates the analysis or brings it to this content; the same content again is `unchanged` (no new version). */
async function upsert(
  ctx: ServiceContext,
  input: UpsertInput,
): Promise<{ analysis: VideoAnalysisRow; status: UpsertStatus }> {
  const [result] = await writeAnalyses(ctx, [input], { mayCreate: true, returnRows: true });
  if (!result?.row || result.status === "conflict" || result.status === "missing") {
    throw versionConflict(input.videoId, result?.current ?? null, input.expectedVersion);
  }
  return { analysis: toAnalysis(result.row), status: result.status };
}

const deleteRaceLost = () =>
  new ConflictError("The analysis changed while this delete ran (a concurrent write collided with it); try again");

/** Deletes the analysis and (by cascade) its history, if still at expectedVersion / If-Match when given. */
async function remove(
  { prisma, space }: ServiceContext,
  { videoId, expectedVersion }: DeleteInput,
  { ifMatch }: Precondition = {},
): Promise<VideoAnalysisRow> {
  // One statement with or without a condition (an absent one is NULL, so it holds).
  const rows = await prisma.$queryRaw<PrismaStoredRow[]>`
    DELETE FROM "VideoAnalysis"
    WHERE "space" = ${space} AND "videoId" = ${videoId}
      AND (${expectedVersion ?? null}::int IS NULL OR "version" = ${expectedVersion ?? null}::int)
      AND (${ifMatch ?? null}::text[] IS NULL OR ("version"::text || '.' || "id") = ANY(${ifMatch ?? null}::text[]))
    RETURNING ${RETURNING}`.catch((error: unknown) => rethrowDatabaseError(error, { conflict: deleteRaceLost }));
  if (rows[0]) return toAnalysis(storedRowOf(rows[0]));
  // Nothing deleted: only now is it worth a second query to say why.
  const current = await prisma.videoAnalysis
    .findUnique({ where: { space_videoId: { space, videoId } }, select: { id: true, version: true } })
    .catch(rethrowDatabaseError);
  if (!current) throw notFound(videoId)();
  throw versionConflict(videoId, current, expectedVersion);
}

/** Where the page after `cursor` starts, in the order asked (the cursor must come from a list in that order). */
function after(cursor: ListInput["cursor"], orderBy: ListInput["orderBy"]): Prisma.Sql {
  if (!cursor) return Prisma.empty;
  if (cursor.orderBy !== orderBy) {
    throw new InvalidInputError([
      { path: "cursor", message: `cursor comes from a list ordered by ${cursor.orderBy}, not by ${orderBy}` },
    ]);
  }
  if (cursor.orderBy === "createdAt")
    // The instant as ISO text: the driver path binds text (a timestamp reads the zone-less UTC time from it).
    return Prisma.sql`AND (a."createdAt", a."id") < (${cursor.createdAt.toISOString()}::timestamp(3), ${cursor.id})`;
  // Oldest recording first, then the ones without: after a dated row come later dates, then every undated row.
  if (cursor.recordedAt === null) return Prisma.sql`AND a."recordedAt" IS NULL AND a."id" > ${cursor.id}`;
  const at = cursor.recordedAt.toISOString();
  return Prisma.sql`AND ((a."recordedAt", a."id") > (${at}::timestamptz, ${cursor.id}) OR a."recordedAt" IS NULL)`;
}

/**
 * A page by keyset: newest stored first on (createdAt, id), or by recording time, oldest first and undated last, on
 * (recordedAt, id) — each the order of an index on the space, so a page never sorts the space. id breaks ties.
 * `tags` keeps the analyses carrying all of them (`@>`, GIN); the time range and metadata filters are filters.ts's.
 */
function list({ prisma, space, budget, signal }: ServiceContext, input: ListInput): Promise<ListPage> {
  const { limit, cursor, orderBy } = input;
  return budget.exclusive(async () => {
    budget.reserveRows(limit);
    const conditions = [Prisma.sql`a."space" = ${space}`, ...memoryFilterConditions("a", input)];
    const order =
      orderBy === "createdAt"
        ? Prisma.sql`a."createdAt" DESC, a."id" DESC`
        : Prisma.sql`a."recordedAt" ASC NULLS LAST, a."id" ASC`;
    // On the driver adapter (queryDriverSql), as the lookups: Prisma Client's runtime around this one statement and
    // its row mapping cost more than the rest of reading the page (docs/performance.md). Named, as the lookup: its
    // filters, order and cursor make 80 texts at most, out of the list's own names (prepared-statements.ts).
    const rows = storedRowsOf(
      await queryDriverSql(
        prisma,
        Prisma.sql`SELECT ${LIST_COLUMNS} FROM "VideoAnalysis" a
          WHERE ${Prisma.join(conditions, " AND ")} ${after(cursor, orderBy)}
          ORDER BY ${order} LIMIT ${limit + 1}::int`,
        signal,
        { prepared: "list" },
      ).catch(rethrowDatabaseError),
    );
    const page = rows.slice(0, limit);
    const items = page.map(toAnalysis);
    budget.charge(
      items.length,
      items.flatMap((i) => [i.videoId, i.description]),
    );
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor(
            orderBy === "createdAt"
              ? { orderBy, createdAt: new Date(last.createdAt), id: last.id }
              : { orderBy, recordedAt: last.recordedAt === null ? null : new Date(last.recordedAt), id: last.id },
          )
        : null;
    return { items, nextCursor };
  });
}

/** The operations by the names every transport gives them. */
export const videoAnalysisService = {
  create: writes(create),
  byVideoId: readOnly(byVideoId),
  update: writes(update),
  upsert: writes(upsert),
  delete: writes(remove),
  list: readOnly(list),
};
