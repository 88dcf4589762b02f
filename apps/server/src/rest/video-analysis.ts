/**
 * The original (FastAPI) service's REST API, contract-compatible, as a thin layer over the tRPC procedures:
 * handlers translate names (video_id ↔ videoId) and errors, and call the procedures through createCaller, so the
 * business rules stay in packages/api. Request schemas are built from the api package's field schemas.
 */
import { createRoute, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import {
  createCaller,
  createContext,
  descriptionSchema,
  listInput,
  type RouterOutputs,
  videoAnalysisSchema,
  videoIdSchema,
} from "@memory-mirror/api";
import type { PrismaClient } from "@memory-mirror/db";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app.ts";
import type { Logger } from "../logger.ts";
import {
  detailError,
  fromProcedureError,
  issuesToDetail,
  type Location,
  validationError,
} from "./fastapi-errors.ts";

export const REST_PREFIX = "/api/video-analysis";
const TAG = "REST (compatible with the original service)";

// --- Schemas: the api package's field schemas under the REST names -------------------------------------------

const analysis = videoAnalysisSchema.shape;

const analysisResponse = z
  .object({
    id: analysis.id,
    video_id: analysis.videoId,
    description: analysis.description,
    created_at: analysis.createdAt,
    updated_at: analysis.updatedAt,
  })
  .openapi("VideoAnalysisResponse");

// Unknown keys are ignored, as pydantic does by default: old clients sending extra fields keep working.
const createBody = z.object({ video_id: videoIdSchema, description: descriptionSchema }).openapi("VideoAnalysisCreate");
const updateBody = z.object({ description: descriptionSchema }).openapi("VideoAnalysisUpdate");
const videoIdParam = z.object({ video_id: videoIdSchema });

const listFields = listInput.unwrap().shape;
/** Query strings carry text: digits become a number for the shared limit schema, anything else fails it. */
const queryInteger = (value: unknown) => (typeof value === "string" && /^\s*[+-]?\d{1,16}\s*$/.test(value) ? Number(value) : value);
const listQuery = z.object({
  limit: z.preprocess(queryInteger, listFields.limit),
  // A query value is never null: document and accept the string side only.
  cursor: listFields.cursor.unwrap().unwrap().optional(),
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

const httpError = z.object({ detail: z.string() }).openapi("HTTPError");
const validationErrorSchema = z
  .object({
    loc: z.array(z.union([z.string(), z.number().int()])),
    msg: z.string(),
    type: z.string(),
  })
  .openapi("ValidationError");
const httpValidationError = z.object({ detail: z.array(validationErrorSchema) }).openapi("HTTPValidationError");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const notFound = json(httpError, "No analysis for this video_id: `{\"detail\": \"Video analysis not found\"}`");
const invalid = json(httpValidationError, "Invalid input; `loc` names the field, e.g. `[\"body\", \"description\"]`");

// --- Routes ---------------------------------------------------------------------------------------------------

/** A POST or PUT without a body is "body: Field required", never an empty object that happens to validate. */
const requireBody = createMiddleware<AppEnv>(async (c, next) => {
  const text = await c.req.text();
  if (text.trim() === "") return validationError(c, [{ loc: ["body"], msg: "Field required", type: "missing" }]);
  await next();
});

const createAnalysis = createRoute({
  operationId: "createVideoAnalysis",
  method: "post",
  path: `${REST_PREFIX}/`,
  tags: [TAG],
  summary: "Store the analysis of a video",
  middleware: [requireBody] as const,
  request: { body: { required: true, content: { "application/json": { schema: createBody } } } },
  responses: {
    201: json(analysisResponse, "Stored"),
    409: json(httpError, "This video_id already has an analysis"),
    422: invalid,
  },
});

const listAnalyses = createRoute({
  operationId: "listVideoAnalyses",
  method: "get",
  path: `${REST_PREFIX}/`,
  tags: [TAG],
  summary: "List analyses, newest first",
  description: "Pages with `limit` and the `next_cursor` of the previous answer passed as `cursor`.",
  request: { query: listQuery },
  responses: { 200: json(listResponse, "One page of analyses"), 422: invalid },
});

const getAnalysis = createRoute({
  operationId: "getVideoAnalysis",
  method: "get",
  path: `${REST_PREFIX}/{video_id}`,
  tags: [TAG],
  summary: "Get the analysis of a video",
  request: { params: videoIdParam },
  responses: { 200: json(analysisResponse, "The analysis"), 404: notFound, 422: invalid },
});

const updateAnalysis = createRoute({
  operationId: "updateVideoAnalysis",
  method: "put",
  path: `${REST_PREFIX}/{video_id}`,
  tags: [TAG],
  summary: "Replace the description of a video's analysis",
  middleware: [requireBody] as const,
  request: { params: videoIdParam, body: { required: true, content: { "application/json": { schema: updateBody } } } },
  responses: { 200: json(analysisResponse, "Updated; `updated_at` moved forward"), 404: notFound, 422: invalid },
});

const deleteAnalysis = createRoute({
  operationId: "deleteVideoAnalysis",
  method: "delete",
  path: `${REST_PREFIX}/{video_id}`,
  tags: [TAG],
  summary: "Delete the analysis of a video",
  request: { params: videoIdParam },
  responses: { 204: { description: "Deleted; empty body" }, 404: notFound, 422: invalid },
});

// --- Translation ----------------------------------------------------------------------------------------------

type Analysis = RouterOutputs["videoAnalysis"]["byVideoId"];

const toRest = (a: Analysis): z.output<typeof analysisResponse> => ({
  id: a.id,
  video_id: a.videoId,
  description: a.description,
  created_at: a.createdAt,
  updated_at: a.updatedAt,
});

/** Where each procedure input field arrives in a REST request, for the `loc` of a 422. */
type Locations = (field: PropertyKey | undefined) => Location;
const inBody: Locations = () => "body";
const inQuery: Locations = () => "query";
const videoIdInPath: Locations = (field) => (field === "videoId" ? "path" : "body");

/** A procedure's failure with what is needed to explain it in REST terms (see onError). */
class ProcedureCallError extends Error {
  constructor(
    readonly error: unknown,
    readonly input: unknown,
    readonly locations: Locations,
  ) {
    super("procedure failed", { cause: error });
  }
}

const hookTargets: Partial<Record<string, Location>> = { json: "body", param: "path", query: "query" };

async function rawValue(c: { req: { json(): Promise<unknown>; param(): unknown; queries(): unknown } }, location: Location) {
  if (location === "body") return c.req.json().catch(() => undefined);
  return location === "path" ? c.req.param() : c.req.queries();
}

export interface RestDeps {
  prisma: PrismaClient;
  logger: Logger;
  maxBodyBytes: number;
}

/** The REST routes as a Hono app to mount at "/", with their OpenAPI registry (see openapi.ts). */
export function createRestApi({ prisma, logger, maxBodyBytes }: RestDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // Failed request validation → FastAPI's 422 detail naming each field.
    defaultHook: async (result, c) => {
      if (result.success) return;
      const location = hookTargets[result.target] ?? "body";
      const raw = await rawValue(c, location);
      return validationError(c, issuesToDetail(result.error.issues, raw, () => location));
    },
  });

  // The context holds only the Prisma client, so one caller serves every request.
  const api = createCaller(createContext({ prisma })).videoAnalysis;
  async function call<T>(input: unknown, locations: Locations, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new ProcedureCallError(error, input, locations);
    }
  }

  app.use(
    `${REST_PREFIX}/*`,
    bodyLimit({ maxSize: maxBodyBytes, onError: (c) => detailError(c, 413, `Request body is larger than ${maxBodyBytes} bytes`) }),
  );

  /** Registers a route at its documented path and, undocumented, with/without the trailing slash. */
  function both<R extends RouteConfig>(route: R, register: (r: R) => void) {
    register(route);
    const alias = route.path.endsWith("/") ? route.path.slice(0, -1) : `${route.path}/`;
    register({ ...route, path: alias, hide: true });
  }

  both(createAnalysis, (route) =>
    app.openapi(route, async (c) => {
      const body = c.req.valid("json");
      const input = { videoId: body.video_id, description: body.description };
      const created = await call(input, inBody, () => api.create(input));
      return c.json(toRest(created), 201);
    }),
  );

  both(listAnalyses, (route) =>
    app.openapi(route, async (c) => {
      const { limit } = c.req.valid("query");
      // The validated cursor is already decoded; the procedure takes the opaque string the client sent.
      const input = { limit, cursor: c.req.query("cursor") };
      const page = await call(input, inQuery, () => api.list(input));
      const analyses = page.items.map(toRest);
      return c.json({ analyses, count: analyses.length, next_cursor: page.nextCursor }, 200);
    }),
  );

  both(getAnalysis, (route) =>
    app.openapi(route, async (c) => {
      const input = { videoId: c.req.valid("param").video_id };
      return c.json(toRest(await call(input, videoIdInPath, () => api.byVideoId(input))), 200);
    }),
  );

  both(updateAnalysis, (route) =>
    app.openapi(route, async (c) => {
      const input = { videoId: c.req.valid("param").video_id, description: c.req.valid("json").description };
      return c.json(toRest(await call(input, videoIdInPath, () => api.update(input))), 200);
    }),
  );

  both(deleteAnalysis, (route) =>
    app.openapi(route, async (c) => {
      const input = { videoId: c.req.valid("param").video_id };
      await call(input, videoIdInPath, () => api.delete(input));
      return c.body(null, 204);
    }),
  );

  // Known paths with another method: 405 with Allow, as FastAPI answers.
  const allowed: [string, string][] = [
    [`${REST_PREFIX}/`, "GET, POST"],
    [REST_PREFIX, "GET, POST"],
    [`${REST_PREFIX}/:video_id`, "GET, PUT, DELETE"],
    [`${REST_PREFIX}/:video_id/`, "GET, PUT, DELETE"],
  ];
  for (const [path, allow] of allowed) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      return detailError(c, 405, "Method Not Allowed");
    });
  }

  app.onError((error, c) => {
    if (error instanceof ProcedureCallError) {
      const answer = fromProcedureError(c, error.error, error.input, error.locations);
      if (answer) return answer;
      logger.error({ err: error.error, reqId: c.var.requestId }, "REST call failed");
      return detailError(c, 500, "Internal Server Error");
    }
    if (error instanceof HTTPException) {
      // Hono's JSON validator found no parseable JSON: FastAPI's answer is a 422 of type json_invalid.
      if (error.status === 400 && /JSON/i.test(error.message)) {
        return validationError(c, [{ loc: ["body"], msg: "JSON decode error", type: "json_invalid" }]);
      }
      if (error.status === 415) return detailError(c, 415, "Unsupported Media Type: send the body as application/json");
      return detailError(c, error.status as ContentfulStatusCode, error.message || "Bad Request");
    }
    logger.error({ err: error, reqId: c.var.requestId }, "unhandled REST error");
    return detailError(c, 500, "Internal Server Error");
  });

  return app;
}
