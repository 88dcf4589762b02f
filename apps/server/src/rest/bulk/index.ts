import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { detailError, validationHook } from "../fastapi-errors.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

/** The bulk and history REST routes with their OpenAPI registry; mount at "/" behind the REST guards. */
export function createBulkRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  function serve<R extends RouteConfig>(route: R, handler: RouteHandler<R, AppEnv>) {
    app.openapi({ ...route, hide: true }, handler);
    const { middleware: _, ...documented } = route;
    app.openAPIRegistry.registerPath(documented);
  }
  serve(routes.bulkUpsert, handlers.upsert);
  serve(routes.bulkGet, handlers.get);
  serve(routes.bulkDelete, handlers.remove);
  serve(routes.getHistory, handlers.history);
  for (const [path, allow] of routes.allowedMethods) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      return detailError(c, 405, "Method Not Allowed");
    });
  }
  return app;
}
