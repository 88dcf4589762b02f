/** The retrieval REST handlers: rename once each way and call the service; domain errors reach fastapi-errors.ts. */
import type { RouteHandler } from "@hono/zod-openapi";
import { searchService } from "@memory-mirror/api";
import type { AppEnv } from "../../request-variables.ts";
import { fromRestFilters } from "../filters.ts";
import { heard } from "../hang-ups.ts";
import { toRest } from "../video-analysis/handlers.ts";
import type { buildContext, listTags, searchAnalyses } from "./routes.ts";

export const search: RouteHandler<typeof searchAnalyses, AppEnv> = async (c) => {
  const { min_score: minScore, recorded_after, recorded_before, metadata, ...rest } = c.req.valid("json");
  const filters = fromRestFilters({ recorded_after, recorded_before, metadata });
  const { items, when } = await searchService.search(heard(c), { ...rest, ...filters, minScore });
  const hits = items.map(({ analysis, ...hit }) => ({ analysis: toRest(analysis), ...hit }));
  return c.json(when ? { items: hits, when } : { items: hits }, 200);
};

export const context: RouteHandler<typeof buildContext, AppEnv> = async (c) => {
  const { video_ids, max_chars, min_score, recorded_after, recorded_before, metadata, ...rest } = c.req.valid("json");
  const filters = fromRestFilters({ recorded_after, recorded_before, metadata });
  const output = await searchService.context(heard(c), {
    ...rest,
    ...filters,
    videoIds: video_ids,
    maxChars: max_chars,
    minScore: min_score,
  });
  return c.json(
    { ...output, sources: output.sources.map(({ videoId, ...source }) => ({ video_id: videoId, ...source })) },
    200,
  );
};

export const tags: RouteHandler<typeof listTags, AppEnv> = async (c) =>
  c.json(await searchService.tags(heard(c), c.req.valid("query")), 200);
