import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../request-variables.ts";
import { restResource } from "../resource.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

/** The bulk and history REST routes with their OpenAPI registry; mount at "/" behind the REST guards. */
export function createBulkRoutes(): OpenAPIHono<AppEnv> {
  return restResource(routes.allowedMethods, (serve) => {
    serve(routes.bulkUpsert, "videoAnalysis.upsertMany", handlers.upsert);
    serve(routes.bulkGet, "videoAnalysis.byVideoIds", handlers.get);
    serve(routes.bulkDelete, "videoAnalysis.deleteMany", handlers.remove);
    serve(routes.getHistory, "videoAnalysis.history", handlers.history);
  });
}
