/** Bulk and history handlers: rename once each way and call the service (errors reach fastapi-errors.ts). */
import type { RouteHandler } from "@hono/zod-openapi";
import { bulkService, historyService } from "@memory-mirror/api";
import type { AppEnv } from "../../request-variables.ts";
import { toRest } from "../video-analysis/handlers.ts";
import type { bulkDelete, bulkGet, bulkUpsert, getHistory } from "./routes.ts";

export const upsert: RouteHandler<typeof bulkUpsert, AppEnv> = async (c) => {
  const items = c.req
    .valid("json")
    .items.map(({ video_id: videoId, recorded_at: recordedAt, ...fields }) => ({ videoId, recordedAt, ...fields }));
  return c.json(await bulkService.upsertMany(c.var.ctx, { items }), 200);
};

export const get: RouteHandler<typeof bulkGet, AppEnv> = async (c) => {
  const { items } = await bulkService.byVideoIds(c.var.ctx, { videoIds: c.req.valid("json").video_ids });
  return c.json({ analyses: items.map((row) => (row ? toRest(row) : null)) }, 200);
};

export const remove: RouteHandler<typeof bulkDelete, AppEnv> = async (c) =>
  c.json(await bulkService.deleteMany(c.var.ctx, { videoIds: c.req.valid("json").video_ids }), 200);

export const history: RouteHandler<typeof getHistory, AppEnv> = async (c) => {
  const { video_id: videoId } = c.req.valid("param");
  const { limit, cursor } = c.req.valid("query");
  const page = await historyService.history(c.var.ctx, { videoId, limit, cursor });
  const versions = page.items.map((v) => ({
    version: v.version,
    description: v.description,
    tags: v.tags,
    embedding_model: v.embeddingModel,
    recorded_at: v.recordedAt,
    metadata: v.metadata,
    changed_at: v.changedAt.toISOString(),
  }));
  return c.json({ versions, count: versions.length, next_cursor: page.nextCursor }, 200);
};
