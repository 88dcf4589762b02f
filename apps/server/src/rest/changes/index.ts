import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../request-variables.ts";
import { restResource } from "../resource.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

/** GET /api/changes (server-sent events) and POST /api/changes/token, with their OpenAPI registry; mount at "/". */
export function createChangesRoutes(): OpenAPIHono<AppEnv> {
  return restResource(routes.allowedMethods, (serve) => {
    serve(routes.streamChanges, "videoAnalysis.onChange", handlers.stream);
    serve(routes.mintStreamToken, "videoAnalysis.streamToken", handlers.mint);
  });
}
