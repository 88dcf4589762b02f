import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.ts";
import { detailError, validationHook } from "./fastapi-errors.ts";

/** Serves one route and puts it in the OpenAPI document. */
export type Serve = <R extends RouteConfig>(route: R, handler: RouteHandler<R, AppEnv>) => void;

/**
 * One REST resource as an app to mount at "/": the routes `register` serves, with their OpenAPI registry, and 405
 * with `Allow` for any other method on their paths (FastAPI's answer).
 */
export function restResource(
  allowedMethods: readonly (readonly [path: string, allow: string])[],
  register: (serve: Serve) => void,
): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // The app routes without trailing slashes (strict: false strips the request's), while the document keeps the
  // contract's path: the original's collection is `/api/video-analysis/`.
  register((route, handler) => {
    app.openapi({ ...route, path: route.path.replace(/(.)\/$/, "$1"), hide: true }, handler);
    const { middleware: _, ...documented } = route;
    app.openAPIRegistry.registerPath(documented);
  });
  for (const [path, allow] of allowedMethods) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      return detailError(c, 405, "Method Not Allowed");
    });
  }
  return app;
}
