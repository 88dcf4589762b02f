/** The context operation: memories found by search (or named by videoId) written as text for a prompt. */
import { Prisma, queryDriverSql } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { CONTEXT_RELATIVE_SCORE, SEARCH_LIMIT_MAX } from "../limits.ts";
import { memoryFilterConditions } from "./filters.ts";
import { assembleContext, type ContextItem, type ContextPlan } from "./context-text.ts";
import { type PackedRow, packedColumns, packedRows, unpack } from "./context-rows.ts";
import type { ContextInput, ContextOutput } from "./search-schemas.ts";
import { type HitColumns, searchHits } from "./search.ts";
import type { ServiceContext } from "./service-context.ts";
import { applyWhen } from "./when.ts";

/**
 * The columns a context writes, not every stored one, packed into one (context-rows.ts): of its ~100 candidates only
 * those it writes are unpacked. The description comes cut to maxChars + 1 characters: a context never writes more than
 * maxChars of one memory, and assembleContext cuts a longer one the same wherever it ends beyond that (PostgreSQL
 * counts characters, at least as many UTF-16 units). So its rows can come with the candidates (up to 3 × 2 × 100 of
 * them) when maxChars is at most CANDIDATE_ROWS_MAX_CHARS: then they carry at most what the second statement's 100
 * whole descriptions could (DESCRIPTION_MAX_LENGTH each).
 */
function contextHits(maxChars: number): HitColumns<PackedRow> {
  return {
    sql: packedColumns(maxChars + 1),
    read: packedRows,
    withCandidates: maxChars <= CANDIDATE_ROWS_MAX_CHARS,
  };
}

/** Up to this maxChars a context's rows come with its candidates (contextHits). */
const CANDIDATE_ROWS_MAX_CHARS = 8000;

/**
 * Search results a context draws on: enough to fill maxChars with short memories (a block is rarely under 80
 * characters), at most as many as one search answers.
 */
const contextCandidates = (maxChars: number) => Math.min(SEARCH_LIMIT_MAX, Math.max(10, Math.ceil(maxChars / 80)));

/** A row's packed columns are read only when assembleContext reaches its block. */
const contextItem = (row: PackedRow, score: number | null): ContextItem => ({
  videoId: row.videoId,
  score,
  shown: () => unpack(row.shown),
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
