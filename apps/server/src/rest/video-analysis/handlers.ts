/** The REST handlers: rename once each way and call the service; its domain errors reach fastapi-errors.ts. */
import type { RouteHandler, z } from "@hono/zod-openapi";
import { type VideoAnalysisRow, videoAnalysisService as service } from "@memory-mirror/api";
import type { AppEnv } from "../../app-env.ts";
import type { analysisResponse, createAnalysis, deleteAnalysis, getAnalysis, listAnalyses, updateAnalysis } from "./routes.ts";

/** An analysis under the original service's names. */
export function toRest(row: VideoAnalysisRow): z.output<typeof analysisResponse> {
  return {
    id: row.id,
    video_id: row.videoId,
    description: row.description,
    tags: row.tags,
    embedding: row.embedding,
    version: row.version,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export const create: RouteHandler<typeof createAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId, ...fields } = c.req.valid("json");
  return c.json(toRest(await service.create(c.var.ctx, { videoId, ...fields })), 201);
};

export const list: RouteHandler<typeof listAnalyses, AppEnv> = async (c) => {
  const page = await service.list(c.var.ctx, c.req.valid("query"));
  const analyses = page.items.map(toRest);
  return c.json({ analyses, count: analyses.length, next_cursor: page.nextCursor }, 200);
};

export const get: RouteHandler<typeof getAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId } = c.req.valid("param");
  return c.json(toRest(await service.byVideoId(c.var.ctx, { videoId })), 200);
};

export const update: RouteHandler<typeof updateAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId } = c.req.valid("param");
  return c.json(toRest(await service.update(c.var.ctx, { videoId, ...c.req.valid("json") })), 200);
};

export const remove: RouteHandler<typeof deleteAnalysis, AppEnv> = async (c) => {
  const { video_id: videoId } = c.req.valid("param");
  await service.delete(c.var.ctx, { videoId });
  return c.body(null, 204);
};
