import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../request-variables.ts";
import { restResource } from "../resource.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

/** The retrieval REST routes (search, context, tags) with their OpenAPI registry; mount at "/". */
export function createSearchRoutes(): OpenAPIHono<AppEnv> {
  return restResource(routes.allowedMethods, (serve) => {
    serve(routes.searchAnalyses, "videoAnalysis.search", handlers.search);
    serve(routes.buildContext, "videoAnalysis.context", handlers.context);
    serve(routes.listTags, "videoAnalysis.tags", handlers.tags);
  });
}
