import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import { accessOf, type ProcedurePath, requireAccess } from "@memory-mirror/api";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../request-variables.ts";
import { detailError, validationHook } from "./fastapi-errors.ts";

/**
 * Serves one route and puts it in the OpenAPI document. `procedure` names the operation the route performs: the
 * caller needs what that procedure declares (its scopes), whatever the HTTP method (HEAD is a GET).
 */
export type Serve = <R extends RouteConfig>(
  route: R,
  procedure: ProcedurePath,
  handler: RouteHandler<R, AppEnv>,
) => void;

/**
 * Enforces a procedure's declared access, before the route reads its input. Its input-dependent scopes
 * (inputScopes: restoring versions) need no check here: no REST body can carry such input (the bulk upsert's items
 * have no version or timestamps).
 */
function accessGuard(procedure: ProcedurePath): MiddlewareHandler<AppEnv> {
  const access = accessOf(procedure);
  return async (c, next) => {
    requireAccess(c.get("ctx").principal, access);
    await next();
  };
}

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
  register((route, procedure, handler) => {
    const middleware = [accessGuard(procedure), ...[route.middleware ?? []].flat()];
    app.openapi({ ...route, middleware, path: route.path.replace(/(.)\/$/, "$1"), hide: true }, handler);
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
