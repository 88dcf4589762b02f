import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { detailError, validationHook } from "../fastapi-errors.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

export { CONTEXT_PATH, SEARCH_PATH, SEARCH_TAG, TAGS_PATH } from "./routes.ts";

/** The retrieval REST routes (search, context, tags) with their OpenAPI registry; mount at "/". */
export function createSearchRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  function serve<R extends RouteConfig>(route: R, handler: RouteHandler<R, AppEnv>) {
    app.openapi({ ...route, hide: true }, handler);
    const { middleware: _, ...documented } = route;
    app.openAPIRegistry.registerPath(documented);
  }
  serve(routes.searchAnalyses, handlers.search);
  serve(routes.buildContext, handlers.context);
  serve(routes.listTags, handlers.tags);
  for (const [path, allow] of routes.allowedMethods) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      return detailError(c, 405, "Method Not Allowed");
    });
  }
  return app;
}
