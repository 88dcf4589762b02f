/** The context operation: memories found by search (or named by videoId) written as text for a prompt. */
import { type DriverRows, Prisma, queryDriverSql } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { CONTEXT_RELATIVE_SCORE, SEARCH_LIMIT_MAX } from "../limits.ts";
import { memoryFilterConditions } from "./filters.ts";
import { assembleContext, type ContextItem, type ContextPlan } from "./context-text.ts";
import { recordedAtText } from "./recorded-at-schemas.ts";
import type { ContextInput, ContextOutput } from "./search-schemas.ts";
import { type HitColumns, searchHits } from "./search.ts";
import type { ServiceContext } from "./service-context.ts";
import { columnIndexes, int, isoText, tagsOf, text } from "./stored-row.ts";
import { applyWhen } from "./when.ts";

/** A memory as a context writes it (ContextItem without its score), and its id. */
type ContextRow = Omit<ContextItem, "score"> & { id: string };

/**
 * The columns a context writes, not every stored one: its 50 hits' metadata and versions were decoded for nothing.
 * Tags as JSON, read as stored rows read them (storedColumns). The description comes cut to maxChars + 1 characters:
 * a context never writes more than maxChars of one memory, and assembleContext cuts a longer one the same wherever it
 * ends beyond that (PostgreSQL counts characters, at least as many UTF-16 units). So its rows can come with the
 * candidates (up to 3 × 2 × 100 of them) when maxChars is at most CANDIDATE_ROWS_MAX_CHARS: then they carry at most
 * what the second statement's 100 whole descriptions could (DESCRIPTION_MAX_LENGTH each).
 */
function contextHits(maxChars: number): HitColumns<ContextRow> {
  return {
    // maxChars + 1 bound, not written into the text: the statement's text stays one of a few (a named statement).
    sql: Prisma.sql`v."id", v."videoId", v."recordedAt", v."recordedAtOffset", v."createdAt", to_json(v."tags") AS "tags", left(v."description", ${maxChars + 1}::int) AS "description"`,
    read: readContextRows,
    withCandidates: maxChars <= CANDIDATE_ROWS_MAX_CHARS,
  };
}

/** Up to this maxChars a context's rows come with its candidates (contextHits). */
const CANDIDATE_ROWS_MAX_CHARS = 8000;

function readContextRows({ columns, rows }: DriverRows): ContextRow[] {
  const at = columnIndexes(columns, [
    "id",
    "videoId",
    "recordedAt",
    "recordedAtOffset",
    "createdAt",
    "tags",
    "description",
  ]);
  return rows.map((v) => ({
    id: text(v[at.id]),
    videoId: text(v[at.videoId]),
    recordedAt: recordedAtText(
      v[at.recordedAt] === null ? null : isoText(v[at.recordedAt]),
      v[at.recordedAtOffset] === null ? null : int(v[at.recordedAtOffset]),
    ),
    // toISOString's text without a Date (isoText): its first ten characters are the header's day.
    createdAt: isoText(v[at.createdAt]),
    tags: tagsOf(v[at.tags]),
    description: text(v[at.description]),
  }));
}

/**
 * Search results a context draws on: enough to fill maxChars with short memories (a block is rarely under 80
 * characters), at most as many as one search answers.
 */
const contextCandidates = (maxChars: number) => Math.min(SEARCH_LIMIT_MAX, Math.max(10, Math.ceil(maxChars / 80)));

const contextItem = (row: ContextRow, score: number | null): ContextItem => ({
  videoId: row.videoId,
  recordedAt: row.recordedAt,
  createdAt: row.createdAt,
  tags: row.tags,
  description: row.description,
  score,
});

/** Named memories, kept only if they pass the input's tags and memory filters. */
async function planFromVideoIds(
  { prisma, space, signal }: ServiceContext,
  input: ContextInput,
  videoIds: string[],
): Promise<ContextPlan> {
  const conditions = memoryFilterConditions("v", input);
  const filter = conditions.length ? Prisma.sql`AND ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  const columns = contextHits(input.maxChars);
  const result = await queryDriverSql(
    prisma,
    Prisma.sql`
    SELECT ${columns.sql} FROM "VideoAnalysis" v
    WHERE v."space" = ${space} AND v."videoId" = ANY(${videoIds}::text[]) ${filter}`,
    signal,
  ).catch(rethrowDatabaseError);
  const found = new Map(columns.read(result).map((r) => [r.videoId, r]));
  const wanted = new Set(videoIds);
  const items: ContextItem[] = [];
  for (const videoId of wanted) {
    const row = found.get(videoId);
    if (row) items.push(contextItem(row, null));
  }
  return {
    items,
    considered: wanted.size,
    leftOutAs: conditions.length ? "as unknown or outside the filters" : "as unknown",
  };
}

/**
 * The memories that answer the query well enough: at minScore or above and not far below the best one, so a
 * memory matching one word of a question never pads a context beside the one that answers it.
 */
async function bySearch(ctx: ServiceContext, input: ContextInput): Promise<ContextPlan> {
  const { items: hits, considered } = await searchHits(
    ctx,
    {
      query: input.query,
      embedding: input.embedding,
      tags: input.tags,
      recordedAfter: input.recordedAfter,
      recordedBefore: input.recordedBefore,
      metadata: input.metadata,
      limit: contextCandidates(input.maxChars),
      minScore: input.minScore,
    },
    { highlight: false, columns: contextHits(input.maxChars) },
  );
  const floor = (hits[0]?.score ?? 0) * CONTEXT_RELATIVE_SCORE;
  const items = hits.filter((h) => h.score >= floor).map((h) => contextItem(h.row, h.score));
  return { items, considered, leftOutAs: "as weaker matches" };
}

export function context(ctx: ServiceContext, input: ContextInput): Promise<ContextOutput> {
  return ctx.budget.exclusive(async () => {
    const { filters, when } = applyWhen(input);
    const narrowed = { ...input, ...filters };
    const plan = input.videoIds ? await planFromVideoIds(ctx, narrowed, input.videoIds) : await bySearch(ctx, narrowed);
    const output = assembleContext(plan, input.maxChars);
    ctx.budget.charge(output.sources.length, [output.text, ...output.sources.map((s) => s.videoId)]);
    return when ? { ...output, when } : output;
  });
}
