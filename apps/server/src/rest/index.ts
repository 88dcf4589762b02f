/** The original service's REST API: body limit, routes, and FastAPI-shaped errors, as one app to mount at "/". */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env.ts";
import type { Logger } from "../logger.ts";
import { detailError, restErrorHandler } from "./fastapi-errors.ts";
import { REST_PREFIX } from "./video-analysis/routes.ts";
import { createVideoAnalysisRoutes } from "./video-analysis/index.ts";

export function createRestApi({ logger, maxBodyBytes }: { logger: Logger; maxBodyBytes: number }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.use(
    `${REST_PREFIX}/*`,
    bodyLimit({ maxSize: maxBodyBytes, onError: (c) => detailError(c, 413, `Request body is larger than ${maxBodyBytes} bytes`) }),
  );
  app.route("/", createVideoAnalysisRoutes());
  app.onError(restErrorHandler(logger));
  return app;
}
