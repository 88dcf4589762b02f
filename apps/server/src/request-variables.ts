import type { Context } from "@memory-mirror/api";

/**
 * Hono's request variables: what every route of the app can read (not configuration: see config.ts). A lookup's
 * path (and every middleware) reads them with `c.get(name)`: Hono 4 builds `c.var` anew from all of them on each read
 * (`Object.fromEntries`). Routes off that path may still read `c.var`.
 */
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
