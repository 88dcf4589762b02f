import type { Database } from "@memory-mirror/db";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env.ts";
import type { ServerConfig } from "./config.ts";
import { createDocsRoutes } from "./docs.ts";
import { createHealthRoutes } from "./health.ts";
import type { Logger } from "./logger.ts";
import { createMcpRoute } from "./mcp.ts";
import { createOpenApiRoute } from "./openapi/document.ts";
import { createRestApi } from "./rest/index.ts";
import { createTrpcRoutes } from "./trpc-handler.ts";

export interface AppDeps {
  db: Database;
  config: ServerConfig;
  logger: Logger;
  /** True once shutdown began: readiness fails so load balancers stop sending traffic. */
  isDraining(): boolean;
}

export function createApp({ db, config, logger, isDraining }: AppDeps): Hono<AppEnv> {
  // strict: false — every path answers with and without a trailing slash, as the original service did.
  const app = new Hono<AppEnv>({ strict: false });

  app.use(requestId());
  app.use(async (c, next) => {
    const start = performance.now();
    c.set("scope", { prisma: db.prisma });
    await next();
    logger.info(
      { reqId: c.var.requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: +(performance.now() - start).toFixed(2) },
      "request",
    );
  });

  const rest = createRestApi({ logger, maxBodyBytes: config.maxBodyBytes });
  app.route("/", createHealthRoutes(db, logger, isDraining));
  app.route("/", createTrpcRoutes(config, logger));
  // The original service's REST API over the same service, the OpenAPI document of both APIs, and /docs.
  app.route("/", rest);
  app.route("/", createOpenApiRoute(rest));
  app.route("/", createDocsRoutes());
  // The same procedures as tools for LLM applications (Model Context Protocol, Streamable HTTP).
  app.route("/", createMcpRoute({ prisma: db.prisma, logger, maxBodyBytes: config.maxBodyBytes }));

  app.notFound((c) => c.json({ detail: "Not Found" }, 404));
  app.onError((error, c) => {
    logger.error({ err: error, reqId: c.var.requestId }, "unhandled error");
    return c.json({ detail: "Internal Server Error" }, 500);
  });
  return app;
}
