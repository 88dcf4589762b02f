/** The context operation: memories found by search (or named by videoId) written as text for a prompt. */
import { Prisma } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { SEARCH_LIMIT_MAX } from "../limits.ts";
import { type ContextItem, assembleContext } from "./context-text.ts";
import type { ContextInput, ContextOutput } from "./search-schemas.ts";
import { searchHits } from "./search.ts";
import type { ServiceContext } from "./service.ts";

/**
 * Search results a context draws on: enough to fill maxChars with short memories (a block is rarely under 80
 * characters), at most as many as one search answers.
 */
const contextCandidates = (maxChars: number) => Math.min(SEARCH_LIMIT_MAX, Math.max(10, Math.ceil(maxChars / 80)));

async function byVideoIds(
  { prisma, space }: ServiceContext,
  videoIds: string[],
  tagFilter: string[] | undefined,
): Promise<ContextItem[]> {
  const filter = tagFilter?.length ? Prisma.sql`AND v."tags" @> ${tagFilter}::text[]` : Prisma.empty;
  const rows = await prisma.$queryRaw<{ videoId: string; createdAt: Date; description: string }[]>`
    SELECT v."videoId", v."createdAt", v."description" FROM "VideoAnalysis" v
    WHERE v."space" = ${space} AND v."videoId" = ANY(${videoIds}::text[]) ${filter}`.catch(rethrowDatabaseError);
  const found = new Map(rows.map((r) => [r.videoId, r]));
  const items: ContextItem[] = [];
  for (const videoId of new Set(videoIds)) {
    const row = found.get(videoId);
    if (row) items.push({ ...row, score: null });
  }
  return items;
}

export function context(ctx: ServiceContext, input: ContextInput): Promise<ContextOutput> {
  return ctx.budget.exclusive(async () => {
    let items: ContextItem[];
    if (input.videoIds) {
      items = await byVideoIds(ctx, input.videoIds, input.tags);
    } else {
      const hits = await searchHits(
        ctx,
        { query: input.query, embedding: input.embedding, tags: input.tags, limit: contextCandidates(input.maxChars) },
        { highlight: false },
      );
      items = hits.map((h) => ({ ...h.analysis, score: h.score }));
    }
    const output = assembleContext(items, input.maxChars);
    ctx.budget.charge(output.sources.length, [output.text, ...output.sources.map((s) => s.videoId)]);
    return output;
  });
}
