import { appRouter, createContext } from "@memory-mirror/api";
import type { Database } from "@memory-mirror/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId, type RequestIdVariables } from "hono/request-id";
import { createDocsRoutes } from "./docs.ts";
import type { ServerConfig } from "./env.ts";
import type { Logger } from "./logger.ts";
import { createMcpRoute } from "./mcp.ts";
import { createOpenApiRoute } from "./openapi.ts";
import { createRestApi } from "./rest/video-analysis.ts";

export interface AppDeps {
  db: Database;
  config: ServerConfig;
  logger: Logger;
  /** True once shutdown began: readiness fails so load balancers stop sending traffic. */
  isDraining(): boolean;
}

export type AppEnv = { Variables: RequestIdVariables };

export function createApp({ db, config, logger, isDraining }: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    logger.info(
      { reqId: c.var.requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: +(performance.now() - start).toFixed(2) },
      "request",
    );
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    if (isDraining()) return c.json({ status: "shutting down" }, 503);
    try {
      const pending = await db.pendingMigrations();
      if (pending.length > 0) return c.json({ status: "migrations pending", pending }, 503);
      return c.json({ status: "ready" });
    } catch (error) {
      logger.warn({ err: error }, "readiness check: database unreachable");
      return c.json({ status: "database unreachable" }, 503);
    }
  });

  app.use(
    "/trpc/*",
    bodyLimit({
      maxSize: config.maxBodyBytes,
      // The shape tRPC clients understand, so the typed client surfaces a readable TRPCClientError.
      onError: (c) =>
        c.json(
          {
            error: {
              message: `Request body is larger than ${config.maxBodyBytes} bytes`,
              code: -32600,
              data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 },
            },
          },
          413,
        ),
    }),
  );
  app.all("/trpc/*", (c) =>
    fetchRequestHandler({
      endpoint: "/trpc",
      req: c.req.raw,
      router: appRouter,
      createContext: () => createContext({ prisma: db.prisma }),
      maxBatchSize: config.maxBatchSize,
      // Lets the client send long query batches as POST instead of overlong URLs.
      allowMethodOverride: true,
      onError({ error, path }) {
        if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ err: error, path, reqId: c.var.requestId }, "procedure failed");
      },
    }),
  );

  // The original service's REST API over the same procedures, the OpenAPI document of both APIs, and /docs.
  const rest = createRestApi({ prisma: db.prisma, logger, maxBodyBytes: config.maxBodyBytes });
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
