import type { Context } from "@memory-mirror/api";

/** Hono's request variables: what every route of the app can read from `c.var` (not configuration: see config.ts). */
export type AppEnv = {
  Variables: {
    /** This server's id for the request (also the X-Request-Id answer header). */
    requestId: string;
    /**
     * The request's operation context: caller, space, answer budget. Set by the transport guards (guards.ts)
     * before any API route runs; health, docs and the OpenAPI document never read it.
     */
    ctx: Context;
  };
};
