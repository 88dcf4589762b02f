import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { detailError, validationHook } from "../fastapi-errors.ts";
import * as handlers from "./handlers.ts";
import * as routes from "./routes.ts";

/** The video-analysis REST routes with their OpenAPI registry; mount at "/". */
export function createVideoAnalysisRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  /**
   * The app routes without trailing slashes (strict: false strips the request's), while the document keeps the
   * contract's path: the original's collection is `/api/video-analysis/`.
   */
  function serve<R extends RouteConfig>(route: R, handler: RouteHandler<R, AppEnv>) {
    app.openapi({ ...route, path: route.path.replace(/(.)\/$/, "$1"), hide: true }, handler);
    const { middleware: _, ...documented } = route;
    app.openAPIRegistry.registerPath(documented);
  }
  serve(routes.createAnalysis, handlers.create);
  serve(routes.listAnalyses, handlers.list);
  serve(routes.getAnalysis, handlers.get);
  serve(routes.updateAnalysis, handlers.update);
  serve(routes.deleteAnalysis, handlers.remove);

  for (const [path, allow] of routes.allowedMethods) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      return detailError(c, 405, "Method Not Allowed");
    });
  }
  return app;
}
