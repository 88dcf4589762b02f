/** The REST handlers: rename once each way and call the service; its domain errors reach fastapi-errors.ts. */
import type { RouteHandler, z } from "@hono/zod-openapi";
import { type VideoAnalysisRow, videoAnalysisService as service } from "@memory-mirror/api";
import type { AppEnv } from "../../request-variables.ts";
import { etagOf, parseIfMatch } from "../etag.ts";
import { fromRestFilters } from "../filters.ts";
import { heard } from "../hang-ups.ts";
import type {
  analysisResponse,
  createAnalysis,
  deleteAnalysis,
  getAnalysis,
  listAnalyses,
  updateAnalysis,
} from "./routes.ts";

/** An analysis under the original service's names. */
export function toRest(row: VideoAnalysisRow): z.output<typeof analysisResponse> {
  return {
    id: row.id,
    video_id: row.videoId,
    description: row.description,
    tags: row.tags,
    embedding: row.embedding,
    recorded_at: row.recordedAt,
    metadata: row.metadata,
    version: row.version,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export const create: RouteHandler<typeof createAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId, recorded_at: recordedAt, ...fields } = c.req.valid("json");
  const row = await service.create(c.var.ctx, { videoId, recordedAt, ...fields });
  return c.json(toRest(row), 201, { ETag: etagOf(row) });
};

export const list: RouteHandler<typeof listAnalyses, AppEnv> = async (c) => {
  const { order_by: orderBy, limit, cursor, tags, ...filters } = c.req.valid("query");
  const page = await service.list(heard(c), {
    limit,
    cursor,
    tags,
    ...fromRestFilters(filters),
    orderBy: orderBy === "recorded_at" ? "recordedAt" : "createdAt",
  });
  const analyses = page.items.map(toRest);
  return c.json({ analyses, count: analyses.length, next_cursor: page.nextCursor }, 200);
};

export const get: RouteHandler<typeof getAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId } = c.req.valid("param");
  const row = await service.byVideoId(c.get("ctx"), { videoId });
  return c.json(toRest(row), 200, { ETag: etagOf(row) });
};

export const update: RouteHandler<typeof updateAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId } = c.req.valid("param");
  const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
  const { recorded_at: recordedAt, ...fields } = c.req.valid("json");
  const row = await service.update(c.var.ctx, { videoId, recordedAt, ...fields }, { ifMatch });
  return c.json(toRest(row), 200, { ETag: etagOf(row) });
};

export const remove: RouteHandler<typeof deleteAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId } = c.req.valid("param");
  await service.delete(c.var.ctx, { videoId }, { ifMatch: parseIfMatch(c.req.valid("header")["if-match"]) });
  return c.body(null, 204);
};
