import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../request-variables.ts";
import { restResource } from "../resource.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

/** The video-analysis REST routes with their OpenAPI registry; mount at "/". */
export function createVideoAnalysisRoutes(): OpenAPIHono<AppEnv> {
  return restResource(routes.allowedMethods, (serve) => {
    serve(routes.createAnalysis, "videoAnalysis.create", handlers.create);
    serve(routes.listAnalyses, "videoAnalysis.list", handlers.list);
    serve(routes.getAnalysis, "videoAnalysis.byVideoId", handlers.get);
    serve(routes.updateAnalysis, "videoAnalysis.update", handlers.update);
    serve(routes.deleteAnalysis, "videoAnalysis.delete", handlers.remove);
  });
}
