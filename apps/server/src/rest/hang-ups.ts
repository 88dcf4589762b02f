/** What a REST read hears of its client: the connection's abort signal, aborted by @hono/node-server on a hang-up. */
import { type Context as ServiceCallContext, withSignal } from "@memory-mirror/api";
import type { Context } from "hono";
import type { AppEnv } from "../request-variables.ts";

/** The request's context with the connection's signal, for the reads that can run long (ServiceContext.signal). */
export const heard = (c: Context<AppEnv>): ServiceCallContext => withSignal(c.var.ctx, c.req.raw.signal);
