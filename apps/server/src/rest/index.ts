/** The original service's REST API: guards, routes, and FastAPI-shaped errors, as one app to mount at "/". */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.ts";
import { type GuardDeps, transportGuards } from "../guards.ts";
import type { Logger } from "../logger.ts";
import { restProblem } from "../problems.ts";
import { BULK_PREFIX, bulkScope } from "./bulk/routes.ts";
import { createBulkRoutes } from "./bulk/index.ts";
import { restErrorHandler } from "./fastapi-errors.ts";
import { CHANGES_PATH } from "./changes/routes.ts";
import { createChangesRoutes } from "./changes/index.ts";
import { limitStreams, type StreamSlots } from "../streams.ts";
import { REST_PREFIX } from "./video-analysis/routes.ts";
import { createVideoAnalysisRoutes } from "./video-analysis/index.ts";
import { createSearchRoutes } from "./search/index.ts";
import { CONTEXT_PATH, SEARCH_PATH, TAGS_PATH } from "./search/routes.ts";

export function createRestApi(deps: GuardDeps, logger: Logger, streams: StreamSlots): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Reads need the read scope, everything else write (as queries and mutations do over tRPC).
  const guards = transportGuards(deps, {
    render: restProblem,
    scope: (c) => (c.req.method === "GET" ? "read" : "write"),
  });
  app.use(REST_PREFIX, ...guards);
  app.use(`${REST_PREFIX}/*`, ...guards);
  app.use(`${BULK_PREFIX}/*`, ...transportGuards(deps, { render: restProblem, scope: (c) => bulkScope(c.req.path) }));
  app.route("/", createBulkRoutes());
  // Retrieval only reads, though search and context are POSTs (their inputs are too large for a query string).
  const readGuards = transportGuards(deps, { render: restProblem, scope: () => "read" });
  for (const path of [SEARCH_PATH, CONTEXT_PATH, TAGS_PATH]) app.use(path, ...readGuards);
  app.use(CHANGES_PATH, ...readGuards, limitStreams(streams, restProblem));
  app.route("/", createVideoAnalysisRoutes());
  app.route("/", createChangesRoutes());
  app.route("/", createSearchRoutes());
  app.onError(restErrorHandler(logger));
  return app;
}
