/**
 * REST for bulk work and history, in the original service's style: snake_case, FastAPI errors.
 * `POST /api/bulk/upsert|get|delete` take up to 1,000 items; `GET /api/video-analysis/{video_id}/history` pages
 * the earlier versions. Field schemas are the api package's, built under the REST names.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  BULK_MAX_ITEMS,
  descriptionField,
  embeddingField,
  HISTORY_PAGE_DEFAULT,
  HISTORY_PAGE_MAX,
  historyEntrySchema,
  historyInput,
  metadataField,
  recordedAtField,
  tagsField,
  upsertManyOutput,
  videoIdField,
} from "@memory-mirror/api/schemas";
import { requireBody } from "../fastapi-errors.ts";
import { httpError, httpValidationError, json, queryInteger } from "../shapes.ts";
import { analysisResponse, REST_PREFIX, REST_TAG } from "../video-analysis/routes.ts";

export const BULK_PREFIX = "/api/bulk";

const items = <T extends z.ZodType>(item: T, name: string) =>
  z
    .array(item)
    .min(1, `${name} must hold at least one item`)
    .max(BULK_MAX_ITEMS, `${name} must hold at most ${BULK_MAX_ITEMS} items per call`);

const upsertItem = z
  .object({
    video_id: videoIdField("video_id"),
    description: descriptionField(),
    tags: tagsField.optional(),
    embedding: embeddingField.nullable().optional(),
    recorded_at: recordedAtField("recorded_at").nullable().optional(),
    metadata: metadataField().nullable().optional(),
  })
  .openapi("BulkUpsertItem");

const upsertBody = z
  .object({ items: items(upsertItem, "items") })
  // One video_id twice has no single meaning: 422 naming the second one.
  .superRefine(({ items: list }, ctx) => {
    const seen = new Map<string, number>();
    list.forEach(({ video_id: id }, index) => {
      const first = seen.get(id);
      if (first === undefined) seen.set(id, index);
      else
        ctx.addIssue({
          code: "custom",
          path: ["items", index, "video_id"],
          message: `video_id ${JSON.stringify(id)} appears twice (items ${first} and ${index})`,
        });
    });
  })
  .openapi("BulkUpsert");

const videoIdsBody = z.object({ video_ids: items(videoIdField("video_id"), "video_ids") }).openapi("BulkVideoIds");

const historyQuery = z.object({
  limit: z.preprocess(queryInteger, historyInput.shape.limit),
  cursor: historyInput.shape.cursor.unwrap().unwrap().optional(),
});

const history = historyEntrySchema.shape;
const versionResponse = z
  .object({
    version: history.version,
    description: history.description,
    tags: history.tags,
    embedding_model: history.embeddingModel,
    recorded_at: history.recordedAt,
    metadata: history.metadata,
    changed_at: history.changedAt,
  })
  .openapi("VideoAnalysisVersionResponse");

const invalid = json(httpValidationError, "Invalid input; `loc` names the field");
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { "application/json": { schema } } });

export const bulkUpsert = createRoute({
  operationId: "bulkUpsertVideoAnalyses",
  method: "post",
  path: `${BULK_PREFIX}/upsert`,
  tags: [REST_TAG],
  summary: "Create or update up to 1,000 analyses at once, atomically and idempotently",
  description:
    "All items are stored or none: one invalid item is a 422 naming it. An item with the content already stored " +
    "is `unchanged` (no new version), so retrying the same call changes nothing. Omitted `tags`/`embedding`/`recorded_at`/`metadata` keep the stored ones.",
  middleware: [requireBody] as const,
  request: { body: body(upsertBody) },
  responses: {
    200: json(
      z.object(upsertManyOutput.shape).openapi("BulkUpsertResult"),
      "How many were created, updated and unchanged",
    ),
    422: invalid,
  },
});

export const bulkGet = createRoute({
  operationId: "bulkGetVideoAnalyses",
  method: "post",
  path: `${BULK_PREFIX}/get`,
  tags: [REST_TAG],
  summary: "Get the analyses of up to 1,000 videos, in the order asked (null where none)",
  middleware: [requireBody] as const,
  request: { body: body(videoIdsBody) },
  responses: {
    200: json(
      z.object({ analyses: z.array(analysisResponse.nullable()) }).openapi("BulkGetResult"),
      "One entry per video_id asked",
    ),
    413: json(httpError, "The answer would exceed MAX_RESPONSE_BYTES"),
    422: invalid,
  },
});

export const bulkDelete = createRoute({
  operationId: "bulkDeleteVideoAnalyses",
  method: "post",
  path: `${BULK_PREFIX}/delete`,
  tags: [REST_TAG],
  summary: "Delete the analyses (and their history) of up to 1,000 videos",
  middleware: [requireBody] as const,
  request: { body: body(videoIdsBody) },
  responses: {
    200: json(z.object({ deleted: z.number().int() }).openapi("BulkDeleteResult"), "How many existed and were deleted"),
    422: invalid,
  },
});

export const getHistory = createRoute({
  operationId: "getVideoAnalysisHistory",
  method: "get",
  path: `${REST_PREFIX}/{video_id}/history`,
  tags: [REST_TAG],
  summary: "Earlier versions of a video's analysis, newest first",
  description: `Pages with \`limit\` (1–${HISTORY_PAGE_MAX}, default ${HISTORY_PAGE_DEFAULT}) and \`cursor\` (the previous \`next_cursor\`). The current version is never among them.`,
  request: { params: z.object({ video_id: videoIdField("video_id") }), query: historyQuery },
  responses: {
    200: json(
      z
        .object({ versions: z.array(versionResponse), count: z.number().int(), next_cursor: z.string().nullable() })
        .openapi("VideoAnalysisHistory"),
      "One page of earlier versions",
    ),
    404: json(httpError, "No analysis for this video_id"),
    422: invalid,
  },
});

/** Methods each bulk path answers; others get 405 with Allow. */
export const allowedMethods: [path: string, allow: string][] = [
  [`${BULK_PREFIX}/upsert`, "POST"],
  [`${BULK_PREFIX}/get`, "POST"],
  [`${BULK_PREFIX}/delete`, "POST"],
  [`${REST_PREFIX}/:video_id/history`, "GET"],
];
