/** The original service's REST API: guards, routes, and FastAPI-shaped errors, as one app to mount at "/". */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.ts";
import { type GuardDeps, transportGuards } from "../guards.ts";
import type { Logger } from "../logger.ts";
import { restProblem } from "../problems.ts";
import { BULK_PREFIX, bulkScope } from "./bulk/routes.ts";
import { createBulkRoutes } from "./bulk/index.ts";
import { restErrorHandler } from "./fastapi-errors.ts";
import { REST_PREFIX } from "./video-analysis/routes.ts";
import { createVideoAnalysisRoutes } from "./video-analysis/index.ts";

export function createRestApi(deps: GuardDeps, logger: Logger): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Reads need the read scope, everything else write (as queries and mutations do over tRPC).
  const guards = transportGuards(deps, { render: restProblem, scope: (c) => (c.req.method === "GET" ? "read" : "write") });
  app.use(REST_PREFIX, ...guards);
  app.use(`${REST_PREFIX}/*`, ...guards);
  app.use(`${BULK_PREFIX}/*`, ...transportGuards(deps, { render: restProblem, scope: (c) => bulkScope(c.req.path) }));
  app.route("/", createBulkRoutes());
  app.route("/", createVideoAnalysisRoutes());
  app.onError(restErrorHandler(logger));
  return app;
}
