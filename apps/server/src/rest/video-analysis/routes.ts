/**
 * The REST contract of the original (FastAPI) service: paths, snake_case bodies and answers, statuses. Field schemas
 * are the api package's, built under the REST names so their messages say `video_id`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  cursorField,
  descriptionField,
  embeddingField,
  limitField,
  metadataField,
  recordedAtField,
  tagsField,
  videoAnalysisSchema,
  videoIdField,
} from "@memory-mirror/api/schemas";
import { etagHeader, ifMatchHeaders } from "../etag.ts";
import { requireBody } from "../fastapi-errors.ts";
import { restFilterQuery } from "../filters.ts";
import { httpError, httpValidationError, json, queryInteger } from "../shapes.ts";

export const REST_PREFIX = "/api/video-analysis";
export const REST_TAG = "REST (compatible with the original service)";
/** Why these two paths end in a slash (linters flag it): the original service's routes did, and its clients call them. */
const TRAILING_SLASH =
  "The path ends in a slash as the original FastAPI service's did, so its clients work unchanged; the path without " +
  "the slash answers the same.";

const analysis = videoAnalysisSchema.shape;

export const analysisResponse = z
  .object({
    id: analysis.id,
    video_id: analysis.videoId,
    description: analysis.description,
    tags: analysis.tags,
    embedding: analysis.embedding,
    recorded_at: analysis.recordedAt,
    metadata: analysis.metadata,
    version: analysis.version,
    created_at: analysis.createdAt,
    updated_at: analysis.updatedAt,
  })
  .openapi("VideoAnalysisResponse");

// Unknown keys are ignored, as pydantic does by default: old clients sending extra fields keep working.
const createBody = z
  .object({
    video_id: videoIdField("video_id"),
    description: descriptionField(),
    tags: tagsField.optional(),
    embedding: embeddingField.optional(),
    recorded_at: recordedAtField("recorded_at").optional(),
    metadata: metadataField().optional(),
  })
  .openapi("VideoAnalysisCreate");
const updateBody = z
  .object({
    description: descriptionField(),
    tags: tagsField.optional(),
    embedding: embeddingField.nullable().optional(),
    recorded_at: recordedAtField("recorded_at").nullable().optional(),
    metadata: metadataField().nullable().optional(),
  })
  .openapi("VideoAnalysisUpdate");
const videoIdParam = z.object({ video_id: videoIdField("video_id") });

/** `tags=a,b` (or `tags=a&tags=b`): analyses carrying all of them. */
const queryList = (value: unknown) => (typeof value === "string" ? value.split(",") : value);
const listQuery = z.object({
  limit: z.preprocess(queryInteger, limitField),
  cursor: cursorField.optional(),
  tags: z
    .preprocess(queryList, tagsField.optional())
    .meta({ description: "Comma-separated: only analyses carrying all of them." }),
  ...restFilterQuery,
  order_by: z
    .enum(["created_at", "recorded_at"], { error: "order_by must be created_at or recorded_at" })
    .default("created_at")
    .meta({
      description:
        "created_at: newest stored first (the default); recorded_at: by recording time, oldest first, undated last.",
    }),
});

const listResponse = z
  .object({
    analyses: z.array(analysisResponse),
    count: z.number().int().meta({ description: "Number of analyses in this response (not in the table)." }),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor` to get the next page; null on the last page." }),
  })
  .openapi("VideoAnalysisList");

const notFound = json(httpError, 'No analysis for this video_id: `{"detail": "Video analysis not found"}`');
const invalid = json(httpValidationError, 'Invalid input; `loc` names the field, e.g. `["body", "description"]`');
const withEtag = <T extends z.ZodType>(schema: T, description: string) => ({
  ...json(schema, description),
  headers: etagHeader,
});
const stale = json(httpError, "If-Match names a version that is no longer current; `detail` names the current one");

export const createAnalysis = createRoute({
  operationId: "createVideoAnalysis",
  method: "post",
  path: `${REST_PREFIX}/`,
  tags: [REST_TAG],
  summary: "Store the analysis of a video",
  description: TRAILING_SLASH,
  middleware: [requireBody] as const,
  request: { body: { required: true, content: { "application/json": { schema: createBody } } } },
  responses: {
    201: withEtag(analysisResponse, "Stored"),
    409: json(httpError, "This video_id already has an analysis"),
    422: invalid,
  },
});

export const listAnalyses = createRoute({
  operationId: "listVideoAnalyses",
  method: "get",
  path: `${REST_PREFIX}/`,
  tags: [REST_TAG],
  summary: "List analyses, newest first",
  description: `Pages with \`limit\` and the \`next_cursor\` of the previous answer passed as \`cursor\`. ${TRAILING_SLASH}`,
  request: { query: listQuery },
  responses: { 200: json(listResponse, "One page of analyses"), 422: invalid },
});

export const getAnalysis = createRoute({
  operationId: "getVideoAnalysis",
  method: "get",
  path: `${REST_PREFIX}/{video_id}`,
  tags: [REST_TAG],
  summary: "Get the analysis of a video",
  request: { params: videoIdParam },
  responses: { 200: withEtag(analysisResponse, "The analysis"), 404: notFound, 422: invalid },
});

export const updateAnalysis = createRoute({
  operationId: "updateVideoAnalysis",
  method: "put",
  path: `${REST_PREFIX}/{video_id}`,
  tags: [REST_TAG],
  summary: "Replace the description of a video's analysis",
  middleware: [requireBody] as const,
  request: {
    params: videoIdParam,
    headers: ifMatchHeaders,
    body: { required: true, content: { "application/json": { schema: updateBody } } },
  },
  responses: {
    200: withEtag(analysisResponse, "Updated; when anything changed, a new version and `updated_at` moved forward"),
    404: notFound,
    412: stale,
    422: invalid,
  },
});

export const deleteAnalysis = createRoute({
  operationId: "deleteVideoAnalysis",
  method: "delete",
  path: `${REST_PREFIX}/{video_id}`,
  tags: [REST_TAG],
  summary: "Delete the analysis of a video",
  request: { params: videoIdParam, headers: ifMatchHeaders },
  responses: {
    204: { description: "Deleted (with its history); empty body" },
    404: notFound,
    412: stale,
    422: invalid,
  },
});

/** Methods each known path answers; others get 405 with Allow, as FastAPI answers. */
export const allowedMethods: [path: string, allow: string][] = [
  [REST_PREFIX, "GET, POST"],
  [`${REST_PREFIX}/:video_id`, "GET, PUT, DELETE"],
];
