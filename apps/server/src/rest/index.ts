/** The original service's REST API: guards, routes, and FastAPI-shaped errors, as one app to mount at "/". */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../request-variables.ts";
import { type GuardDeps, transportGuards } from "../guards.ts";
import type { Logger } from "../logger.ts";
import { restProblem } from "../problems.ts";
import { BULK_PREFIX } from "./bulk/routes.ts";
import { createBulkRoutes } from "./bulk/index.ts";
import { restErrorHandler } from "./fastapi-errors.ts";
import { CHANGES_PATH, STREAM_TOKEN_PATH } from "./changes/routes.ts";
import { createChangesRoutes } from "./changes/index.ts";
import { limitStreams, type StreamSlots } from "../streams.ts";
import { REST_PREFIX } from "./video-analysis/routes.ts";
import { createVideoAnalysisRoutes } from "./video-analysis/index.ts";
import { createSearchRoutes } from "./search/index.ts";
import { CONTEXT_PATH, SEARCH_PATH, TAGS_PATH } from "./search/routes.ts";

export function createRestApi(deps: GuardDeps, logger: Logger, streams: StreamSlots): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Who calls, in which space, at what rate; each route then requires what its procedure declares (resource.ts).
  // Each path once: Hono's `/x/*` matches `/x` too, and listing both ran the guards twice for a list or a create
  // (two slots of the caller's share and two rate-limit counts per call: with KEY_CONCURRENCY=1, always a 429).
  const guards = transportGuards(deps, { render: restProblem, calls: 1, streamPath: CHANGES_PATH });
  for (const path of [
    `${REST_PREFIX}/*`,
    `${BULK_PREFIX}/*`,
    SEARCH_PATH,
    CONTEXT_PATH,
    TAGS_PATH,
    CHANGES_PATH,
    STREAM_TOKEN_PATH,
  ])
    app.use(path, ...guards);
  app.use(CHANGES_PATH, limitStreams(streams, restProblem));
  app.route("/", createBulkRoutes());
  app.route("/", createVideoAnalysisRoutes());
  app.route("/", createChangesRoutes());
  app.route("/", createSearchRoutes());
  app.onError(restErrorHandler(logger));
  return app;
}
