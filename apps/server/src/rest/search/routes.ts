/**
 * Retrieval over REST, in the original service's style (snake_case, FastAPI errors), under its own paths so that no
 * route can shadow a video_id under /api/video-analysis/. Field schemas are the api package's.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  CONTEXT_NEEDS,
  contextVideoIdsField,
  filterTagsField,
  CONTEXT_DEFAULT_CHARS,
  MIN_SCORE_DEFAULT,
  maxCharsField,
  minScoreField,
  queryEmbeddingField,
  queryField,
  SEARCH_LIMIT_DEFAULT,
  SEARCH_NEEDS,
  searchLimitField,
  searchScoresSchema,
  tagsInput,
  nowField,
  WHEN_NEEDS,
  whenField,
  whenRangeSchema,
} from "@memory-mirror/api/schemas";
import { requireBody } from "../fastapi-errors.ts";
import { restFilterBody } from "../filters.ts";
import { httpValidationError, json, queryInteger } from "../shapes.ts";
import { analysisResponse, REST_TAG } from "../video-analysis/routes.ts";

export const SEARCH_PATH = "/api/search";
export const CONTEXT_PATH = "/api/context";
export const TAGS_PATH = "/api/tags";

const invalid = json(
  httpValidationError,
  "Invalid input; `loc` names the field (a query vector of another dimension than the model's names both)",
);

/** The same fields as tRPC's WhenRange, without its component id: one name, one schema in the document. */
const whenRange = z
  .object(whenRangeSchema.shape)
  .optional()
  .meta({ description: "How when was read: the range [from, to) searched (only when when was given)." });

/** What search and context both narrow by: tags, the recording range, metadata, a time phrase and its `now`. */
const retrievalFilters = {
  tags: filterTagsField.optional(),
  ...restFilterBody,
  when: whenField.optional(),
  now: nowField().optional(),
};
const nowNeedsWhen = (b: { now?: unknown; when?: unknown }) => b.now === undefined || b.when !== undefined;

// Unknown keys are ignored, as pydantic does by default.
const searchBody = z
  .object({
    query: queryField.optional(),
    embedding: queryEmbeddingField.optional(),
    ...retrievalFilters,
    limit: searchLimitField.default(SEARCH_LIMIT_DEFAULT),
    min_score: minScoreField("min_score").default(MIN_SCORE_DEFAULT),
  })
  .refine((b) => b.query !== undefined || b.embedding !== undefined, { message: SEARCH_NEEDS, path: ["query"] })
  .refine(nowNeedsWhen, { message: WHEN_NEEDS, path: ["now"] })
  .openapi("SearchRequest");

const searchResponse = z
  .object({
    items: z.array(
      z.object({
        analysis: analysisResponse,
        score: z.number().meta({
          description:
            "How well the memory answers the query, 0–1, comparable across queries: about 0.3 touches it, 0.6 " +
            "covers most of it, 0.9 and above holds all of it.",
        }),
        highlight: z
          .string()
          .nullable()
          .meta({ description: "The matching passage, words marked **like this**; null when no word matched." }),
        // The same fields without the tRPC component's id: one name, one schema in the document.
        scores: z.object(searchScoresSchema.shape),
      }),
    ),
    when: whenRange,
  })
  .openapi("SearchResponse");

const contextBody = z
  .object({
    query: queryField.optional(),
    embedding: queryEmbeddingField.optional(),
    video_ids: contextVideoIdsField("video_ids").optional(),
    ...retrievalFilters,
    max_chars: maxCharsField("max_chars").default(CONTEXT_DEFAULT_CHARS),
    min_score: minScoreField("min_score").default(MIN_SCORE_DEFAULT),
  })
  .refine((b) => b.query !== undefined || b.embedding !== undefined || b.video_ids !== undefined, {
    message: CONTEXT_NEEDS,
    path: ["query"],
  })
  .refine(nowNeedsWhen, { message: WHEN_NEEDS, path: ["now"] })
  .openapi("ContextRequest");

const contextResponse = z
  .object({
    text: z.string().meta({
      description:
        "The memories for a prompt, best first, each under `## <date> · <video_id> · <tags>` (the recording's own " +
        "calendar day, else `stored <day>`; no tags part without tags; a description's own lines starting with `#` " +
        "get a backslash), then a line in parentheses saying how many were considered and left out; when none " +
        "answers, only that line.",
    }),
    sources: z.array(
      z.object({
        video_id: z.string(),
        score: z.number().nullable(),
        chars: z
          .number()
          .int()
          .meta({ description: "Characters of text this memory's block takes (header included)." }),
      }),
    ),
    considered: z.number().int().meta({ description: "Memories the search found or video_ids named." }),
    truncated: z.boolean(),
    when: whenRange,
  })
  .openapi("ContextResponse");

const tagsQuery = z.object({ limit: z.preprocess(queryInteger, tagsInput.unwrap().shape.limit) });
const tagsResponse = z
  .object({
    items: z.array(z.object({ tag: z.string(), count: z.number().int() })).meta({ description: "Most used first." }),
  })
  .openapi("TagsResponse");

export const searchAnalyses = createRoute({
  operationId: "searchVideoAnalyses",
  method: "post",
  path: SEARCH_PATH,
  tags: [REST_TAG],
  summary: "Find memories by words, by embedding, or both; best first",
  description:
    "Words match by English stem, and typos and partial words through the space's own vocabulary; an embedding is " +
    "compared with the stored vectors of the same model (cosine). Results scoring under min_score are left out.",
  middleware: [requireBody] as const,
  request: { body: { required: true, content: { "application/json": { schema: searchBody } } } },
  responses: { 200: json(searchResponse, "The best matches first"), 422: invalid },
});

export const buildContext = createRoute({
  operationId: "buildContext",
  method: "post",
  path: CONTEXT_PATH,
  tags: [REST_TAG],
  summary: "The memories that answer a question as one block of text for a prompt, within max_chars (4000 if absent)",
  middleware: [requireBody] as const,
  request: { body: { required: true, content: { "application/json": { schema: contextBody } } } },
  responses: { 200: json(contextResponse, "The text and where each part came from"), 422: invalid },
});

export const listTags = createRoute({
  operationId: "listTags",
  method: "get",
  path: TAGS_PATH,
  tags: [REST_TAG],
  summary: "Tags in use and how many memories carry each, most used first",
  request: { query: tagsQuery },
  responses: { 200: json(tagsResponse, "Tag counts"), 422: invalid },
});

/** Methods each path answers; others get 405 with Allow. */
export const allowedMethods: [path: string, allow: string][] = [
  [SEARCH_PATH, "POST"],
  [CONTEXT_PATH, "POST"],
  [TAGS_PATH, "GET"],
];
