import type { Scope } from "@memory-mirror/api";
import type { RequestIdVariables } from "hono/request-id";

/** What every route of the Hono app can read from `c.var`. */
export type AppEnv = {
  Variables: RequestIdVariables & {
    /** What the request's operations act through (set once per request, before any route). */
    scope: Scope;
  };
};
