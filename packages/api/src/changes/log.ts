/**
 * The change log (table "Change", written by triggers in the transaction of every write: see the migration
 * *_add_change_log). Within a space ids grow in commit order, so "the changes after id N" is exact.
 */
import { Prisma, type PrismaClient } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import {
  type PrismaStoredRow,
  type StoredRow,
  type StoredTags,
  storedColumns,
  storedRowOf,
  storedTags,
  toAnalysis,
} from "../video-analysis/stored-row.ts";
import { type ChangeEvent, type ChangeEventRow, changeEventSchema } from "./schemas.ts";

/** One change of one space, with the event subscribers receive. */
export interface Change {
  id: bigint;
  space: string;
  videoId: string;
  at: Date;
  tags: string[];
  event: ChangeEventRow;
  /** The event in its wire form, made once however many subscribers receive it (wireEvent). */
  wire?: ChangeEvent;
}

/** The event as clients receive it (ISO timestamps), encoded once per change. */
export function wireEvent(change: Change): ChangeEvent {
  change.wire ??= changeEventSchema.parse(change.event);
  return change.wire;
}

/** A subscriber's filters: all of `tags`, any of `videoIds`. */
export interface ChangeFilter {
  tags?: readonly string[] | undefined;
  videoIds?: ReadonlySet<string> | undefined;
}

export function matches(change: Change, { tags, videoIds }: ChangeFilter): boolean {
  if (videoIds && !videoIds.has(change.videoId)) return false;
  return !tags || tags.every((tag) => change.tags.includes(tag));
}

/** Where to read a space from: after `after`, up to `through` (inclusive) when given. */
export interface SpaceRange {
  space: string;
  after: bigint;
  through?: bigint | undefined;
}

interface ChangeRow {
  id: string;
  space: string;
  videoId: string;
  analysisId: string;
  kind: "created" | "updated" | "deleted";
  version: number;
  /** The trigger copies the analysis's tags, a NULL element included (storedTags). */
  tags: StoredTags;
  at: Date;
}

const ANALYSIS_COLUMNS = storedColumns();

/**
 * The changes of several spaces in one round trip (each an index range of (space, id)), oldest first within each
 * space, at most `limit` per space; each with the analysis as the change left it when that is still its current
 * version.
 */
export async function readChanges(
  prisma: PrismaClient,
  ranges: readonly SpaceRange[],
  limit: number,
  since?: Date,
): Promise<Change[]> {
  if (ranges.length === 0) return [];
  const rows = await prisma
    .$queryRaw<ChangeRow[]>(
      Prisma.sql`
        SELECT c."id"::text AS "id", c."space", c."videoId", c."analysisId", c."kind", c."version", c."tags", c."at"
        FROM unnest(${ranges.map((r) => r.space)}::text[], ${ranges.map((r) => r.after.toString())}::bigint[],
          ${ranges.map((r) => r.through?.toString() ?? null)}::bigint[]) AS r("space", "after", "through")
        CROSS JOIN LATERAL (
          SELECT * FROM "Change" c
          WHERE c."space" = r."space" AND c."id" > r."after" AND (r."through" IS NULL OR c."id" <= r."through")
            AND (${since ?? null}::timestamp(3) IS NULL OR c."at" >= ${since ?? null}::timestamp(3))
          ORDER BY c."id"
          LIMIT ${limit}::int
        ) c
        ORDER BY c."id"`,
    )
    .catch(rethrowDatabaseError);
  const wanted = [...new Set(rows.filter((r) => r.kind !== "deleted").map((r) => r.analysisId))];
  const analyses = wanted.length
    ? await prisma
        .$queryRaw<PrismaStoredRow[]>(
          Prisma.sql`SELECT ${ANALYSIS_COLUMNS} FROM "VideoAnalysis" WHERE "id" = ANY(${wanted}::text[])`,
        )
        .catch(rethrowDatabaseError)
    : [];
  const byId = new Map(analyses.map((a) => [a.id, storedRowOf(a)]));
  return rows.map((row) => {
    const tags = storedTags(row.tags);
    return {
      id: BigInt(row.id),
      space: row.space,
      videoId: row.videoId,
      at: row.at,
      tags,
      event: eventOf(row, tags, byId.get(row.analysisId)),
    };
  });
}

function eventOf(row: ChangeRow, tags: string[], current: StoredRow | undefined): ChangeEventRow {
  const { videoId, version, at } = row;
  if (row.kind === "deleted") return { type: "deleted", videoId, version, at, tags };
  const analysis = current && current.version === version ? toAnalysis(current) : undefined;
  return { type: row.kind, videoId, version, at, tags, ...(analysis ? { analysis } : {}) };
}

/** The newest change id of a space (0 when it has none): where a subscriber that asks for "from now on" starts. */
export async function headOf(prisma: PrismaClient, space: string): Promise<bigint> {
  const [row] = await prisma.$queryRaw<
    { id: string | null }[]
  >`SELECT max("id")::text AS "id" FROM "Change" WHERE "space" = ${space}`.catch(rethrowDatabaseError);
  return BigInt(row?.id ?? 0);
}

/** Every change with an id up to this one may have been pruned: resuming from an older id needs a resync. */
export async function prunedThrough(prisma: PrismaClient): Promise<bigint> {
  const [row] = await prisma.$queryRaw<
    { id: string }[]
  >`SELECT "throughId"::text AS "id" FROM "ChangePruned" WHERE "id" = 1`.catch(rethrowDatabaseError);
  return BigInt(row?.id ?? 0);
}

/** Rows deleted per statement while pruning: short statements, so writers never wait long behind one. */
const PRUNE_BATCH = 10_000;

/**
 * Deletes changes recorded before `cutoff`, oldest first, and remembers the highest id deleted. Safe to run from
 * several processes at once. Returns how many rows went.
 */
export async function pruneChanges(prisma: PrismaClient, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const [row] = await prisma.$queryRaw<{ deleted: number }[]>`
      WITH doomed AS (
        SELECT "id" FROM "Change" WHERE "at" < ${cutoff}::timestamp(3) ORDER BY "at" LIMIT ${PRUNE_BATCH}::int
      ),
      gone AS (DELETE FROM "Change" c USING doomed d WHERE c."id" = d."id" RETURNING c."id"),
      marked AS (
        UPDATE "ChangePruned" SET "throughId" = GREATEST("throughId", (SELECT max("id") FROM gone))
        WHERE "id" = 1 AND EXISTS (SELECT 1 FROM gone)
      )
      SELECT count(*)::int AS "deleted" FROM gone`;
    const deleted = row?.deleted ?? 0;
    total += deleted;
    if (deleted < PRUNE_BATCH) return total;
  }
}
