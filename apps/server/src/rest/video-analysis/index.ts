import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { restResource } from "../resource.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

/** The video-analysis REST routes with their OpenAPI registry; mount at "/". */
export function createVideoAnalysisRoutes(): OpenAPIHono<AppEnv> {
  return restResource(routes.allowedMethods, (serve) => {
    serve(routes.createAnalysis, handlers.create);
    serve(routes.listAnalyses, handlers.list);
    serve(routes.getAnalysis, handlers.get);
    serve(routes.updateAnalysis, handlers.update);
    serve(routes.deleteAnalysis, handlers.remove);
  });
}
