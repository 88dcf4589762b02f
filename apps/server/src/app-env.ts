import type { Context } from "@memory-mirror/api";

/** What every route of the Hono app can read from `c.var`. */
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
