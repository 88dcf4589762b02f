/** GET /api/changes: the caller's space's changes as server-sent events, for consumers in any language. */
import { createRoute, z } from "@hono/zod-openapi";
import { CHANGE_VIDEO_IDS_MAX, changeIdField, tagsField, videoIdField } from "@memory-mirror/api/schemas";
import { httpError, httpValidationError, json } from "../shapes.ts";
import { analysisResponse, REST_TAG } from "../video-analysis/routes.ts";

export const CHANGES_PATH = "/api/changes";
export const STREAM_TOKEN_PATH = "/api/changes/token";

/** A repeated query parameter arrives as an array, a single one as a string. */
const many = (value: unknown) => (typeof value === "string" ? [value] : value);

const changesQuery = z.object({
  tags: z.preprocess(many, tagsField.optional()).meta({
    description: "Only changes to analyses carrying every one of these tags (repeat the parameter for several).",
  }),
  video_id: z
    .preprocess(
      many,
      z
        .array(videoIdField("video_id"))
        .max(CHANGE_VIDEO_IDS_MAX, `at most ${CHANGE_VIDEO_IDS_MAX} video_id parameters`)
        .optional(),
    )
    .meta({ description: "Only changes to these videos (repeat the parameter for several)." }),
  last_event_id: changeIdField("last_event_id")
    .optional()
    .meta({ description: "Resume after this event id, as the Last-Event-ID header does (the header wins)." }),
  token: z
    .string()
    .optional()
    .meta({
      description:
        "A stream token (POST /api/changes/token) instead of the Authorization header, for EventSource; read by the " +
        "authentication before this route.",
    }),
});

const at = z.string().meta({ description: "When the change was recorded (ISO 8601)." });
export const restChangeEvent = z
  .union([
    z.object({
      type: z.enum(["created", "updated"]),
      video_id: z.string(),
      version: z.number().int(),
      at,
      tags: z.array(z.string()),
      analysis: analysisResponse.optional().meta({
        description: "The analysis as this change left it; absent when a later change already replaced it.",
      }),
    }),
    z.object({
      type: z.literal("deleted"),
      video_id: z.string(),
      version: z.number().int(),
      at,
      tags: z.array(z.string()),
    }),
    z.object({ type: z.literal("ready"), at }),
    z.object({ type: z.literal("resync"), at, reason: z.string() }),
  ])
  .openapi("ChangeEventResponse");

export const streamChanges = createRoute({
  operationId: "streamChanges",
  method: "get",
  path: CHANGES_PATH,
  tags: [REST_TAG],
  summary: "Changes to the analyses of your space as they happen (server-sent events), resumable",
  description:
    "A `text/event-stream`: each event is `id: <change id>` and `data: <JSON>` as below, in commit order. " +
    'A stream without Last-Event-ID starts with `{"type":"ready"}` carrying its starting id; `: ping` comments ' +
    "keep it alive. Reconnect with `Last-Event-ID: <last id>` (EventSource does it by itself) to receive every " +
    'change after it exactly once; an id older than the retention (CHANGES_RETENTION) gets `{"type":"resync"}` ' +
    "first: read the current state again. Deleted videos' events carry no analysis. The stream may end (server " +
    "stopping, or a client reading too slowly): reconnect with the last id. 429 past MAX_STREAMS_PER_KEY or " +
    "MAX_STREAMS open streams.",
  request: {
    query: changesQuery,
    headers: z.object({
      "last-event-id": changeIdField("Last-Event-ID").optional().meta({ description: "Resume after this event." }),
    }),
  },
  responses: {
    200: { description: "Server-sent events", content: { "text/event-stream": { schema: restChangeEvent } } },
    422: json(httpValidationError, "Invalid filters or event id; `loc` names the parameter"),
    429: json(z.object({ detail: z.string() }), "Too many open streams"),
  },
});

export const mintStreamToken = createRoute({
  operationId: "mintStreamToken",
  method: "post",
  path: STREAM_TOKEN_PATH,
  tags: [REST_TAG],
  summary: "A 60-second token that opens change streams for browsers' EventSource, which cannot send headers",
  description:
    "Authenticated as every call (a key with read scope; not with AUTH=off's anonymous caller). The token opens " +
    "streams of this key in the space this call acted in, as `GET /api/changes?token=…` (or the tRPC " +
    "subscription's URL with `&token=`), if opened before `expires_at`; an open stream outlives it. It is no API " +
    "key: every other request refuses it. Mint a fresh one for each (re)connection.",
  responses: {
    200: json(
      z.object({ token: z.string(), expires_at: z.string().meta({ description: "ISO 8601" }) }),
      "The token, and until when it opens streams",
    ),
    403: json(httpError, "No key (AUTH=off's anonymous caller) or no read scope"),
  },
});

export const allowedMethods: [path: string, allow: string][] = [
  [CHANGES_PATH, "GET"],
  [STREAM_TOKEN_PATH, "POST"],
];
