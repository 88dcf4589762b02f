import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./request-variables.ts";
import { ACCESS_LINE, type Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { clientRequestId } from "./request-id.ts";

/** Every answer counted and timed (metrics) and logged in one access line, after it is made. */
export function accessLog(metrics: Metrics, logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const answered = metrics.startRequest();
    await next();
    const ms = answered();
    metrics.request(c, ms);
    logger.info(
      {
        reqId: c.get("requestId"),
        clientReqId: clientRequestId(c.req.header("x-request-id")),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        key: c.get("ctx")?.principal.name,
        ms: +ms.toFixed(2),
      },
      ACCESS_LINE,
    );
  };
}
